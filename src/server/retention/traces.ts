/**
 * The first half of `purge`: which traces are old, and deleting them with the feedback on their calls.
 *
 * A trace is kept or removed whole, by the age of its root: removing part of a trace would leave
 * calls whose parent is gone, which viewers show as broken trees. A trace's age is its root call's
 * `started_at` (the root is the started call without `parent_id`, deleted or not); a trace whose root
 * has not arrived (the SDK may send children first) is aged by its earliest call, which started no
 * earlier than the root, so it is never taken for older than it is; a stored end whose start never
 * arrived (no trace id) is a trace of its own, aged by `ended_at`. Rows with no time at all (an
 * update alone) are never old.
 */
import type { CallRow, FeedbackRow, WeftDb } from "../db";
import { walkCall, walkFeedback, type ProjectScope } from "./nodes";
import { scanProject, WRITE_CHUNK } from "./scan";

/** What deleting the old traces did, and what purge's mark phase needs from the pass over calls. */
export interface TraceDeletion {
  traces_deleted: number;
  calls_deleted: number;
  feedback_deleted: number;
  /** Nodes named by the deleted calls and feedback: what may have become unreferenced. */
  seeds: Set<string>;
  /** Nodes named by the calls that stay: never swept. */
  roots: Set<string>;
}

function traceKey(row: CallRow): string {
  // "\0" cannot start a trace id that came through validation, so the two key spaces never meet.
  return row.trace_id ?? `\0${row.id}`;
}

/**
 * The keys (`traceKey`) of `projectId`'s traces that started before `olderThan` (epoch ms).
 * One read-only pass over the project's calls, in chunks.
 * @throws Dexie errors from IndexedDB.
 */
export async function findOldTraces(db: WeftDb, projectId: string, olderThan: number): Promise<Set<string>> {
  const traces = new Map<string, { root?: number; first: number }>();
  await scanProject(db.calls, projectId, (rows) => {
    for (const row of rows) {
      const key = traceKey(row);
      let trace = traces.get(key);
      if (!trace) traces.set(key, (trace = { first: Infinity }));
      trace.first = Math.min(trace.first, row.started_at ?? row.ended_at ?? Infinity);
      if (row.has_start === 1 && row.parent_id === undefined && row.started_at !== undefined) trace.root = row.started_at;
    }
  });
  const old = new Set<string>();
  for (const [key, trace] of traces) if ((trace.root ?? trace.first) < olderThan) old.add(key);
  return old;
}

/**
 * The project's feedback about calls (`weave_ref` = `weave:///<project>/call/<id>[/…]`), by call id.
 * Feedback is far rarer than calls, so one indexed range read beats a lookup per deleted call.
 */
async function feedbackByCall(db: WeftDb, projectId: string): Promise<Map<string, FeedbackRow[]>> {
  const prefix = `weave:///${projectId}/call/`;
  const rows = await db.feedback
    .where("[project_id+weave_ref]")
    .between([projectId, prefix], [projectId, `${prefix}\uffff`], true, true)
    .toArray();
  const byCall = new Map<string, FeedbackRow[]>();
  for (const row of rows) {
    const rest = row.weave_ref.slice(prefix.length);
    const slash = rest.indexOf("/");
    const id = slash < 0 ? rest : rest.slice(0, slash);
    const list = byCall.get(id);
    if (list) list.push(row);
    else byCall.set(id, [row]);
  }
  return byCall;
}

/**
 * Hard-deletes every call of the traces in `old` and the feedback about those calls, `WRITE_CHUNK`
 * calls scanned per read-write transaction (over `calls` and `feedback`, so a call and its feedback
 * go together). The same pass notes what the deleted rows and the remaining calls refer to.
 * Calls added to an old trace behind the scan position while it runs stay (as orphans), as does
 * feedback created for a deleted call after the pass began.
 * @throws Dexie errors from IndexedDB.
 */
export async function deleteTraces(db: WeftDb, projectId: string, scope: ProjectScope, old: ReadonlySet<string>): Promise<TraceDeletion> {
  const result: TraceDeletion = { traces_deleted: 0, calls_deleted: 0, feedback_deleted: 0, seeds: new Set(), roots: new Set() };
  const seed = (key: string): void => void result.seeds.add(key);
  const root = (key: string): void => void result.roots.add(key);
  const byCall = old.size > 0 ? await feedbackByCall(db, projectId) : new Map<string, FeedbackRow[]>();
  const hit = new Set<string>();
  await scanProject(
    db.calls,
    projectId,
    async (rows) => {
      const calls: [string, string][] = [];
      const feedback: [string, string][] = [];
      for (const row of rows) {
        const key = traceKey(row);
        if (!old.has(key)) {
          walkCall(row, root, scope);
          continue;
        }
        hit.add(key);
        calls.push([projectId, row.id]);
        walkCall(row, seed, scope);
        for (const fb of byCall.get(row.id) ?? []) feedback.push([projectId, fb.id]);
      }
      if (calls.length > 0) await db.calls.bulkDelete(calls);
      if (feedback.length > 0) {
        // Read inside the transaction: feedback purged meanwhile is neither counted nor walked.
        const present = (await db.feedback.bulkGet(feedback)).filter((fb): fb is FeedbackRow => fb !== undefined);
        for (const fb of present) walkFeedback(fb, seed, scope);
        await db.feedback.bulkDelete(present.map((fb) => [projectId, fb.id] as [string, string]));
        result.feedback_deleted += present.length;
      }
      result.calls_deleted += calls.length;
    },
    { chunk: WRITE_CHUNK, inTransaction: (fn) => db.transaction("rw", [db.calls, db.feedback], fn) },
  );
  result.traces_deleted = hit.size;
  return result;
}
