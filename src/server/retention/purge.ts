/**
 * `purge({project, olderThan, keepLatest?})`: storage hygiene, not Weave's soft delete. Hard-deletes
 * every trace of the project whose root started before `olderThan` (`traces.ts`), the feedback on
 * those calls, then — a mark and sweep over refs within the project — the objects, ops, tables, rows
 * and files that only those traces used (`mark.ts`, `sweep.ts`).
 *
 * Everything runs in short transactions (at most `WRITE_CHUNK` calls or swept things per read-write
 * transaction, `READ_CHUNK` rows per read), so the viewer's queries and the app's writes interleave
 * with a purge of any size. Every deletion of calls goes through Dexie, whose `storagemutated` event
 * makes the server forget its page cursors.
 *
 * Limits, by design: a purge is not a snapshot. Calls added to an old trace while the purge runs
 * may stay behind as orphans; writes made through this server while it runs are noted and keep what
 * they refer to (`journal.ts`), but a write from another tab's worker that refers to an old object
 * version or file in the same moment can be left pointing at a deleted row (as with `obj_delete`).
 */
import type { PurgeReq, PurgeRes } from "../../schema/extensions";
import type { ServerContext } from "../context";
import type { WriteJournal } from "./journal";
import { collectRoots, findCandidates, markLive } from "./mark";
import { projectScope } from "./nodes";
import { sweep } from "./sweep";
import { deleteTraces, findOldTraces } from "./traces";

/**
 * Runs one purge (see the module comment). The caller holds `journal` open from before the purge
 * starts until it ends; the purge opens it too, so it is never run without one.
 * @returns what was deleted, by kind.
 * @throws WeftError STORAGE (via the server) when IndexedDB fails; what was committed before stays deleted.
 */
export async function purge(ctx: ServerContext, journal: WriteJournal, req: PurgeReq): Promise<PurgeRes> {
  const close = journal.open();
  const noted = journal.reader();
  try {
    const projectId = req.project;
    const scope = projectScope(projectId);
    const old = await findOldTraces(ctx.db, projectId, req.olderThan);
    const result: PurgeRes = {
      traces_deleted: 0,
      calls_deleted: 0,
      feedback_deleted: 0,
      objects_deleted: 0,
      tables_deleted: 0,
      rows_deleted: 0,
      files_deleted: 0,
    };
    if (old.size === 0) return result;
    const traces = await deleteTraces(ctx.db, projectId, scope, old);
    result.traces_deleted = traces.traces_deleted;
    result.calls_deleted = traces.calls_deleted;
    result.feedback_deleted = traces.feedback_deleted;
    const candidates = await findCandidates(ctx.db, projectId, scope, traces.seeds);
    if (candidates.edges.size === 0) return result;
    await collectRoots(ctx.db, projectId, scope, candidates, traces.roots, req.keepLatest === true);
    const live = new Set<string>();
    markLive(candidates, traces.roots, live);
    return { ...result, ...(await sweep(ctx, projectId, candidates, live, noted)) };
  } finally {
    close();
  }
}
