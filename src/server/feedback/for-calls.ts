/**
 * The feedback attached to a page of calls (`include_feedback`, weave-semantics.md §3.8): the rows
 * whose `weave_ref` is the call's ref, read as the span of the page's refs where that is cheap, else
 * ref by ref.
 */
import type { ServerContext } from "../context";
import type { FeedbackRow } from "../db";
import { readIndexRanges, type IndexRangeRead } from "../native-reads";
import { refToInternal } from "../refs/convert";
import { feedbackOut, type FeedbackOut } from "./rows";

/**
 * `summary.weave.feedback` for each call: every id in `callIds` gets a list (empty when the call has no
 * feedback), ordered by `created_at` then id. A call's ref is `weave:///<projectId>/call/<id>`; rows a
 * client wrote with the internal form of that ref (`weave-trace-internal:///…`) count too.
 * @throws WeftError STORAGE when IndexedDB fails.
 */
export async function feedbackForCalls(ctx: ServerContext, projectId: string, callIds: string[]): Promise<Map<string, FeedbackOut[]>> {
  const plan = planFeedbackSpan(projectId, callIds);
  return plan.finish(await readIndexRanges<FeedbackRow>(ctx.db, plan.reads)) ?? feedbackByRef(ctx, projectId, callIds);
}

/** Rows the page's ref span may hold, per call of the page, before it counts as too busy to read whole. */
const SPAN_ROWS_PER_CALL = 4;

/** What the span read of `feedbackForCalls` reads, and what it makes of the rows: a caller may read them with others. */
export interface FeedbackSpanPlan {
  reads: IndexRangeRead[];
  /** Each call's feedback from `rows` (the results of `reads` in order); undefined when the span was too busy: then use `feedbackByRef`. */
  finish(rows: FeedbackRow[][]): Map<string, FeedbackOut[]> | undefined;
}

/**
 * Call ids are time-ordered (uuidv7, as Weave's clients make them), so the refs of a page of calls
 * sit next to each other in the `[project_id+weave_ref]` index, and one bounded getAll per ref form
 * (external, internal) reads them, where `anyOf` over the page's refs walks a cursor, one storage
 * round trip per ref: 2–3× the time for a page of 50 in Chromium (bench/pages/read-splits-worker.ts,
 * `feedback` against `feedback_per_ref`). `finish` gives `undefined` when the span holds many other
 * calls' rows (ids that are not time-ordered, or a page spread over a long time): then read ref by ref.
 */
export function planFeedbackSpan(projectId: string, callIds: string[]): FeedbackSpanPlan {
  if (callIds.length === 0) return { reads: [], finish: () => new Map() };
  const sorted = [...callIds].sort();
  const [first, last] = [sorted[0] as string, sorted[sorted.length - 1] as string];
  const external = `weave:///${projectId}/call/`;
  const internal = refToInternal(`${external}x`).slice(0, -1);
  const cap = SPAN_ROWS_PER_CALL * callIds.length;
  return {
    reads: [external, internal].map((prefix) => ({
      store: "feedback",
      index: "[project_id+weave_ref]",
      lower: [projectId, prefix + first],
      upper: [projectId, prefix + last],
      limit: cap + 1,
    })),
    finish(spans) {
      if (spans.some((rows) => rows.length > cap)) return undefined;
      const out = new Map<string, FeedbackOut[]>(callIds.map((id) => [id, []]));
      // Rows of calls between the page's ids but not on the page find no list and are skipped.
      for (const row of spans.flat().sort(byCreation)) {
        const ref = row.weave_ref;
        out.get(ref.slice(ref.startsWith(external) ? external.length : internal.length))?.push(feedbackOut(row));
      }
      return out;
    },
  };
}

function byCreation(a: FeedbackRow, b: FeedbackRow): number {
  return a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The same as `feedbackForCalls`, one `anyOf` over every ref of the page (either form). */
export async function feedbackByRef(ctx: ServerContext, projectId: string, callIds: string[]): Promise<Map<string, FeedbackOut[]>> {
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
  rows.sort(byCreation);
  for (const row of rows) {
    const id = idOfRef.get(row.weave_ref);
    if (id !== undefined) out.get(id)?.push(feedbackOut(row));
  }
  return out;
}
