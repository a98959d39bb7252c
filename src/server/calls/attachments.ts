/**
 * What `include_costs` and `include_feedback` add to a page of calls (weave-semantics.md §2.9
 * evaluation order: after the page is chosen, so the extra reads are one per page), and the feedback
 * a query or sort over `feedback.[type]…` fields needs for every candidate row (§2.9.2).
 */
import type { CallSchema } from "../../schema/calls";
import type { ServerContext } from "../context";
import { planCosts } from "../costs/for-calls";
import type { CostRow, FeedbackRow } from "../db";
import { feedbackByRef, planFeedbackSpan } from "../feedback/for-calls";
import { readIndexRanges } from "../native-reads";
import type { CallView } from "./catalog";

/** What costs and feedback are looked up by, and where they go: a call's summary. */
type CallForAttachments = Pick<CallSchema, "id" | "project_id" | "started_at" | "summary">;

function weaveBlock(call: CallForAttachments): Record<string, unknown> {
  const summary = (call.summary ??= {});
  const weave = summary["weave"];
  if (weave !== null && typeof weave === "object" && !Array.isArray(weave)) return weave as Record<string, unknown>;
  const fresh: Record<string, unknown> = {};
  summary["weave"] = fresh;
  return fresh;
}

/**
 * Adds `summary.weave.costs` (per llm in `summary.usage`, only when some llm has a price, §8.5) and
 * `summary.weave.feedback` (always a list, §3.8) to `calls`, in place.
 */
export async function attachCostsAndFeedback(
  ctx: ServerContext,
  calls: CallForAttachments[],
  opts: { include_costs?: boolean | null | undefined; include_feedback?: boolean | null | undefined },
): Promise<void> {
  if (calls.length === 0) return;
  const projectId = (calls[0] as CallForAttachments).project_id;
  const ids = calls.map((c) => c.id);
  const costsPlan = opts.include_costs
    ? planCosts(
        projectId,
        calls.map((c) => ({ id: c.id, started_at: Date.parse(c.started_at), usage: c.summary?.["usage"] })),
      )
    : undefined;
  const feedbackPlan = opts.include_feedback ? planFeedbackSpan(projectId, ids) : undefined;
  // Both options' reads in one transaction: a transaction each cost more than their rows.
  const costReads = costsPlan?.reads.length ?? 0;
  const rows = await readIndexRanges(ctx.db, [...(costsPlan?.reads ?? []), ...(feedbackPlan?.reads ?? [])]);
  const [costs, feedback] = await Promise.all([
    costsPlan?.finish(rows.slice(0, costReads) as CostRow[][]),
    feedbackPlan ? (feedbackPlan.finish(rows.slice(costReads) as FeedbackRow[][]) ?? feedbackByRef(ctx, projectId, ids)) : undefined,
  ]);
  for (const call of calls) {
    const callCosts = costs?.get(call.id);
    if (callCosts) weaveBlock(call)["costs"] = callCosts;
    if (feedback) weaveBlock(call)["feedback"] = feedback.get(call.id) ?? [];
  }
}

/**
 * Loads the feedback of every call of a project that has any, grouped by call id and type, onto
 * the views (one indexed range read: feedback is far rarer than calls).
 */
export async function prefetchFeedback(ctx: ServerContext, projectId: string, views: CallView[]): Promise<void> {
  const prefix = `weave:///${projectId}/call/`;
  const rows = await ctx.db.feedback
    .where("[project_id+weave_ref]")
    .between([projectId, prefix], [projectId, `${prefix}\uffff`], true, true)
    .toArray();
  const byCall = new Map<string, FeedbackRow[]>();
  for (const row of rows) {
    const id = row.weave_ref.slice(prefix.length);
    if (id.includes("/")) continue;
    const list = byCall.get(id);
    if (list) list.push(row);
    else byCall.set(id, [row]);
  }
  for (const list of byCall.values()) list.sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1));
  for (const view of views) view.feedback = byCall.get(view.row.id) ?? [];
}
