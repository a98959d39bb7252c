/**
 * Copying a project from one store to another through Weave's interface: plan (read the source),
 * then write to the target in dependency order — files, tables, objects and ops, calls, feedback,
 * prices — with the state of what was sent kept in `stateStore`. `exportProject` (local → remote)
 * and `importProject` (remote → local) are this with different defaults.
 */
import { WeftError } from "../errors";
import type { CallsFilter } from "../schema/calls";
import { ProjectIdSchema } from "../schema/common";
import type { Query } from "../schema/query";
import { batchLimits, type BatchLimits } from "./batching";
import { NODE_KIND, nodeBytes, type PlanSource } from "./plan";
import { planProject } from "./plan-project";
import { EXPORT_KINDS, ProgressTracker, type ExportKind, type ProgressListener } from "./progress";
import type { RefRewrite } from "./ref-rewrite";
import { Replicator, type ExportTarget } from "./replicator";
import { sendOrder } from "./send-order";
import { ExportState, type ExportStateStore } from "./state-store";

/** What `replicate` needs. */
export interface ReplicateOptions {
  from: PlanSource;
  to: ExportTarget;
  project: string;
  toProject: string;
  filter?: CallsFilter | undefined;
  query?: Query | undefined;
  onProgress?: ProgressListener | undefined;
  signal?: AbortSignal | undefined;
  stateStore: ExportStateStore;
  batch?: Partial<BatchLimits> | undefined;
  /** Forget what earlier runs sent to this target first (after the target project was deleted). */
  restart?: boolean | undefined;
  /** The target in messages (a URL, or "the local store"). */
  targetLabel: string;
  /** The target in the state store (with the two project ids). */
  targetId: string;
  /** "The export" / "The import", for messages. */
  what: string;
}

/** Per kind: how many things were written, and how many were already in the target. */
export interface ReplicateResult {
  project: string;
  toProject: string;
  sent: Record<ExportKind, number>;
  skipped: Record<ExportKind, number>;
}

/**
 * Checks an `entity/project` option.
 * @throws WeftError VALIDATION naming the option
 */
export function checkProjectId(value: unknown, option: string): string {
  const parsed = ProjectIdSchema.safeParse(value);
  if (!parsed.success) {
    throw new WeftError("VALIDATION", `Invalid ${option}: ${JSON.stringify(value)} must look like "entity/project".`, {
      issues: [{ path: option, message: 'must look like "entity/project"' }],
    });
  }
  return parsed.data;
}

/**
 * The state-store key of a copy: the same source project into the same target project.
 * @throws never
 */
export function stateTargetKey(project: string, targetId: string, toProject: string): string {
  return `${project} -> ${targetId}#${toProject}`;
}

/**
 * Copies `project` (or the selected calls and what they need) from `from` to `to` as `toProject`.
 * @throws WeftError VALIDATION for bad project ids; ABORTED; UNAUTHORIZED / FORBIDDEN / UPSTREAM and
 *   the target's other errors (see `explainTargetError`); the source's errors; STORAGE from the state
 */
export async function replicate(o: ReplicateOptions): Promise<ReplicateResult> {
  const project = checkProjectId(o.project, "project");
  const toProject = checkProjectId(o.toProject, "toProject");
  const key = stateTargetKey(project, o.targetId, toProject);
  if (o.restart) await o.stateStore.clear(key);
  const state = await ExportState.open(o.stateStore, key);
  const progress = new ProgressTracker(o.onProgress);
  const rw: RefRewrite = { fromProject: project, toProject, maps: state.refMaps() };
  const plan = await planProject(o.from, project, { filter: o.filter, query: o.query }, o.signal, o.what);

  for (const node of plan.nodes) progress.plan(NODE_KIND[node.type], 1, nodeBytes(node));
  progress.plan("calls", plan.scan.count, plan.scan.bytes);
  progress.plan("feedback", plan.feedback.length);
  progress.plan("costs", plan.costs.length);

  const replicator = new Replicator({ to: o.to, rw, state, progress, limits: batchLimits(o.batch), targetLabel: o.targetLabel, signal: o.signal, what: o.what });
  const readFile = (node: { digest: string }): Promise<Uint8Array | undefined> => plan.planner.fileContent(node.digest);
  await replicator.ensureProject();
  await replicator.sendNodes(plan.nodes, readFile);
  // Calls that appeared after planning may need things the plan did not find: fetch and send those first.
  await replicator.sendCalls(plan.planner.calls({ filter: o.filter, query: o.query }), async (deps) => {
    const fresh = await plan.planner.expand([...deps.values()]);
    if (fresh.length === 0) return;
    for (const node of fresh) progress.plan(NODE_KIND[node.type], 1, nodeBytes(node));
    await replicator.sendNodes(sendOrder(fresh), readFile);
  });
  await replicator.sendFeedback(plan.feedback);
  await replicator.sendCosts(plan.costs);

  const sent = {} as Record<ExportKind, number>;
  const skipped = {} as Record<ExportKind, number>;
  for (const kind of EXPORT_KINDS) {
    const c = progress.of(kind);
    sent[kind] = c.done - c.skipped;
    skipped[kind] = c.skipped;
  }
  return { project, toProject, sent, skipped };
}
