/**
 * Reading one project's rows of a store in bounded chunks, in primary-key order, each chunk in its
 * own transaction. Every store's primary key starts with `project_id` (db.ts), so a key range never
 * reaches another project; and short transactions let the viewer's queries and the app's writes run
 * between chunks instead of waiting for a whole pass over a large store.
 */
import { Dexie, type Table } from "dexie";

/** Rows per chunk for reads; writes use smaller ones (`WRITE_CHUNK`). */
export const READ_CHUNK = 1000;
/** Rows written (deleted) per transaction: small enough that a waiting query is never held long. */
export const WRITE_CHUNK = 500;

/** Runs `fn` inside a transaction of the caller's choosing (read-write for chunks that delete). */
export type InTransaction = <R>(fn: () => Promise<R>) => Promise<R>;

function keyOf<T, K>(table: Table<T, K>, row: T): unknown[] {
  const path = table.schema.primKey.keyPath;
  const parts = Array.isArray(path) ? path : [path];
  return parts.map((p) => (row as Record<string, unknown>)[p as string]);
}

/**
 * Calls `visit` with each chunk of `projectId`'s rows of `table`, in key order. With `inTransaction`
 * each chunk is read and visited inside the transaction it opens (so `visit` may delete the rows it
 * was given, atomically with reading them); without, each read is its own read-only transaction.
 * Rows written behind the scan position while it runs are not visited.
 * @throws Dexie errors from IndexedDB (the server turns them into `STORAGE`/`QUOTA_EXCEEDED`).
 */
export async function scanProject<T, K>(
  table: Table<T, K>,
  projectId: string,
  visit: (rows: T[]) => Promise<void> | void,
  options: { chunk?: number; inTransaction?: InTransaction } = {},
): Promise<void> {
  const size = options.chunk ?? READ_CHUNK;
  const upper = [projectId, Dexie.maxKey];
  let lower: unknown[] = [projectId, Dexie.minKey];
  let includeLower = true;
  for (;;) {
    const step = async (): Promise<T[]> => {
      const rows = await table.where(table.schema.primKey.name).between(lower, upper, includeLower, true).limit(size).toArray();
      if (rows.length > 0) await visit(rows);
      return rows;
    };
    const rows = options.inTransaction ? await options.inTransaction(step) : await step();
    const last = rows[rows.length - 1];
    if (last === undefined || rows.length < size) return;
    lower = keyOf(table, last);
    includeLower = false;
  }
}

/**
 * Deletes every row of `projectId` in `table`, `WRITE_CHUNK` keys per read-write transaction.
 * @returns how many rows were deleted.
 * @throws Dexie errors from IndexedDB.
 */
export async function deleteProjectRows<T, K>(db: Dexie, table: Table<T, K>, projectId: string): Promise<number> {
  let deleted = 0;
  for (;;) {
    const n = await db.transaction("rw", table, async () => {
      const keys = await table.where(table.schema.primKey.name).between([projectId, Dexie.minKey], [projectId, Dexie.maxKey], true, true).limit(WRITE_CHUNK).primaryKeys();
      if (keys.length > 0) await table.bulkDelete(keys);
      return keys.length;
    });
    deleted += n;
    if (n < WRITE_CHUNK) return deleted;
  }
}
