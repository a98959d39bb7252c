/**
 * The feedback attached to a page of calls (`include_feedback`, weave-semantics.md §3.8): the rows
 * whose `weave_ref` is the call's ref, one indexed read for the whole page.
 */
import type { ServerContext } from "../context";
import type { FeedbackRow } from "../db";
import { refToInternal } from "../refs/convert";
import { feedbackOut, type FeedbackOut } from "./rows";

/**
 * `summary.weave.feedback` for each call: every id in `callIds` gets a list (empty when the call has no
 * feedback), ordered by `created_at` then id. A call's ref is `weave:///<projectId>/call/<id>`; rows a
 * client wrote with the internal form of that ref (`weave-trace-internal:///…`) count too.
 * @throws WeftError STORAGE when IndexedDB fails.
 */
export async function feedbackForCalls(ctx: ServerContext, projectId: string, callIds: string[]): Promise<Map<string, FeedbackOut[]>> {
  const out = new Map<string, FeedbackOut[]>();
  if (callIds.length === 0) return out;
  const idOfRef = new Map<string, string>();
  for (const id of callIds) {
    out.set(id, []);
    const ref = `weave:///${projectId}/call/${id}`;
    idOfRef.set(ref, id);
    idOfRef.set(refToInternal(ref), id);
  }
  const rows = await ctx.db.feedback
    .where("[project_id+weave_ref]")
    .anyOf([...idOfRef.keys()].map((ref) => [projectId, ref]))
    .toArray();
  rows.sort((a: FeedbackRow, b: FeedbackRow) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const row of rows) {
    const id = idOfRef.get(row.weave_ref);
    if (id !== undefined) out.get(id)?.push(feedbackOut(row));
  }
  return out;
}
