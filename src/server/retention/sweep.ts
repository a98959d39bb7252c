/**
 * The sweep phase of `purge`: hard-deletes the candidates nothing keeps, `WRITE_CHUNK` at a time,
 * each batch in one read-write transaction over the object, table, row and file stores.
 *
 * Referrers go before what they refer to (objects, then tables, then rows, then files), so a sweep
 * cut short (a closed tab) leaves unreferenced leftovers for the next purge, never a ref to a row
 * that is gone. Each batch first rescues whatever this server wrote since the mark phase read the
 * store (`journal.ts`), then deletes the rest.
 */
import { Dexie } from "dexie";
import type { ServerContext } from "../context";
import type { ObjectRow } from "../db";
import { repointLatest, versionsOf } from "../objects/rows";
import { markLive, type Candidates } from "./mark";
import { WRITE_CHUNK } from "./scan";

/** What the sweep removed. */
export interface SweepCounts {
  objects_deleted: number;
  tables_deleted: number;
  rows_deleted: number;
  files_deleted: number;
}

const KIND_ORDER: Record<string, number> = { o: 0, t: 1, r: 2, f: 3 };

function objectKeyParts(key: string): [string, string] {
  const colon = key.lastIndexOf(":");
  return [key.slice(2, colon), key.slice(colon + 1)];
}

/**
 * Deletes every candidate of `c` that is not in `live`, which grows by what `journal` (a
 * `WriteJournal` reader) names at the start of each batch.
 * Deleting an object version that was `latest` points `latest` at the newest remaining version, as
 * `obj_delete` does (weave-semantics.md §4.7).
 * @throws Dexie errors from IndexedDB.
 */
export async function sweep(ctx: ServerContext, projectId: string, c: Candidates, live: Set<string>, journal: () => string[]): Promise<SweepCounts> {
  const db = ctx.db;
  const counts: SweepCounts = { objects_deleted: 0, tables_deleted: 0, rows_deleted: 0, files_deleted: 0 };
  const doomed = [...c.edges.keys()].filter((k) => !live.has(k));
  doomed.sort((a, b) => (KIND_ORDER[a[0] as string] ?? 9) - (KIND_ORDER[b[0] as string] ?? 9));
  const stores = [db.objects, db.table_defs, db.table_entries, db.row_values, db.files, db.file_chunks];
  for (let i = 0; i < doomed.length; i += WRITE_CHUNK) {
    const batch = doomed.slice(i, i + WRITE_CHUNK);
    const done = await db.transaction("rw", stores, async (): Promise<SweepCounts> => {
      // A transaction's first request completes only once IndexedDB has granted it its stores, i.e.
      // after every earlier write to them committed and its caller noted the response: only then is
      // the journal complete for this batch.
      await db.table_defs.get([projectId, ""]);
      markLive(c, journal(), live);
      const keys = batch.filter((k) => !live.has(k));
      const pick = (kind: string): string[] => keys.filter((k) => k[0] === kind).map((k) => k.slice(2));

      const objectKeys = pick("o").map((k) => [projectId, ...objectKeyParts(`o:${k}`)] as [string, string, string]);
      const objects = (await db.objects.bulkGet(objectKeys)).filter((r): r is ObjectRow => r !== undefined);
      await db.objects.bulkDelete(objects.map((r) => [projectId, r.object_id, r.digest] as [string, string, string]));
      for (const objectId of new Set(objects.filter((r) => r.is_latest === 1).map((r) => r.object_id))) {
        const changed = repointLatest(await versionsOf(ctx, projectId, objectId));
        if (changed.length > 0) await db.objects.bulkPut(changed);
      }

      const tables = (await db.table_defs.bulkGet(pick("t").map((d) => [projectId, d] as [string, string]))).filter((r) => r !== undefined);
      for (const table of tables) {
        await db.table_defs.delete([projectId, table.digest]);
        await db.table_entries
          .where("[project_id+table_digest+chunk]")
          .between([projectId, table.digest, Dexie.minKey], [projectId, table.digest, Dexie.maxKey], true, true)
          .delete();
      }

      const rowKeys = pick("r").map((d) => [projectId, d] as [string, string]);
      const rows = (await db.row_values.bulkGet(rowKeys)).filter((r) => r !== undefined);
      await db.row_values.bulkDelete(rows.map((r) => [projectId, r.digest] as [string, string]));

      const files = (await db.files.bulkGet(pick("f").map((d) => [projectId, d] as [string, string]))).filter((r) => r !== undefined);
      for (const file of files) {
        await db.files.delete([projectId, file.digest]);
        await db.file_chunks
          .where("[project_id+digest+chunk_index]")
          .between([projectId, file.digest, Dexie.minKey], [projectId, file.digest, Dexie.maxKey], true, true)
          .delete();
      }
      return { objects_deleted: objects.length, tables_deleted: tables.length, rows_deleted: rows.length, files_deleted: files.length };
    });
    // Counted once committed: a batch that aborts deleted nothing.
    for (const key of Object.keys(counts) as (keyof SweepCounts)[]) counts[key] += done[key];
  }
  return counts;
}
