/**
 * The whole plan of an export, bundle or import: one pass over the selected calls, then everything
 * they (or, for a whole project, every object) need, the feedback that goes with them, and the
 * project's prices. Shared by `replicate` and `exportBundle` so both copy exactly the same things.
 */
import type { CostQueryOutput } from "../schema/costs";
import { Planner, isWholeProject, type CallScan, type CallSelection, type FeedbackRowOut, type PlanNode, type PlanSource } from "./plan";
import { collectDeps, type Dep } from "./ref-rewrite";
import { sendOrder } from "./send-order";
import { throwIfAborted } from "./target-errors";

/** What `planProject` found. */
export interface ProjectPlan {
  planner: Planner;
  scan: CallScan;
  /** Files, tables, objects and ops in send order. */
  nodes: PlanNode[];
  feedback: FeedbackRowOut[];
  costs: CostQueryOutput[];
}

/**
 * The refs a feedback row depends on (annotation specs, scorers, objects it is about).
 * @throws never
 */
export function feedbackDeps(rows: readonly FeedbackRowOut[], project: string): Map<string, Dep> {
  const deps = new Map<string, Dep>();
  for (const row of rows) {
    collectDeps([row.weave_ref, row.annotation_ref, row.runnable_ref, row.call_ref, row.trigger_ref, row.payload], project, deps);
  }
  return deps;
}

/**
 * Plans the export of `selection` from `source`'s `project`.
 * @throws WeftError from the source; ABORTED when `signal` fires
 */
export async function planProject(source: PlanSource, project: string, selection: CallSelection, signal: AbortSignal | undefined, what: string): Promise<ProjectPlan> {
  const planner = new Planner(source, project);
  const scan = await planner.scanCalls(selection);
  throwIfAborted(signal, what);
  const whole = isWholeProject(selection);
  if (whole) await planner.addAllObjects();
  throwIfAborted(signal, what);
  await planner.expand(scan.deps.values());
  throwIfAborted(signal, what);
  const feedback = await planner.feedback(whole ? undefined : scan.ids);
  await planner.expand(feedbackDeps(feedback, project).values());
  throwIfAborted(signal, what);
  const costs = await planner.costs();
  return { planner, scan, nodes: sendOrder([...planner.nodes.values()]), feedback, costs };
}
