/**
 * `deleteProject({project})`: every row of one project, from every store, `WRITE_CHUNK` rows per
 * read-write transaction. Referrers go first (feedback and calls, then objects, tables, rows, files),
 * so an interrupted deletion leaves no ref to a row that is gone; running it again finishes the job.
 * Writes to the project while it runs may survive it: stop writing to a project before deleting it.
 * LLM providers (store `meta`) belong to the database, not to a project, and stay.
 */
import type { DeleteProjectReq, DeleteProjectRes } from "../../schema/extensions";
import type { ServerContext } from "../context";
import { deleteProjectRows } from "./scan";

/**
 * Deletes the project's rows (see the module comment).
 * @returns how many calls, feedback rows, object versions, tables, row values, files and prices went.
 * @throws Dexie errors from IndexedDB (the server turns them into `STORAGE`).
 */
export async function deleteProject(ctx: ServerContext, req: DeleteProjectReq): Promise<DeleteProjectRes> {
  const db = ctx.db;
  const p = req.project;
  const feedback_deleted = await deleteProjectRows(db, db.feedback, p);
  const calls_deleted = await deleteProjectRows(db, db.calls, p);
  const objects_deleted = await deleteProjectRows(db, db.objects, p);
  // A table's entries go before its record: a table record always has all its entries.
  await deleteProjectRows(db, db.table_entries, p);
  const tables_deleted = await deleteProjectRows(db, db.table_defs, p);
  const rows_deleted = await deleteProjectRows(db, db.row_values, p);
  // Likewise the file record before its chunks: a file record always has all its chunks.
  const files_deleted = await deleteProjectRows(db, db.files, p);
  await deleteProjectRows(db, db.file_chunks, p);
  const costs_deleted = await deleteProjectRows(db, db.costs, p);
  return { calls_deleted, feedback_deleted, objects_deleted, tables_deleted, rows_deleted, files_deleted, costs_deleted };
}
