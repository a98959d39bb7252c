/**
 * A table's ordered row digests, stored in chunks of `TABLE_ENTRY_CHUNK` positions (store
 * `table_entries`, see `TableEntryRow`), and the table record itself (store `table_defs`).
 *
 * Tables are content-addressed and immutable: a digest always names the same list, so reads need no
 * transaction spanning several requests, and a table written twice is written once (§5.1).
 *
 * Reads use key ranges with `toArray()` (IndexedDB `getAll`), never cursors: one request per batch
 * of chunks, and fake-indexeddb's cursors are quadratic on compound keys.
 */
import type { TableEntryRow, TableRow, WeftDb } from "../db";

/** Positions per `table_entries` record: ~43 KB of digests, so a page reads one or two records. */
export const TABLE_ENTRY_CHUNK = 1000;

/** Chunks fetched per request when scanning a whole table (≈ 4000 positions at a time). */
const SCAN_CHUNKS = 4;

/** One run of consecutive positions: `digests[i]` sits at position `start + i`. */
export interface EntrySlice {
  start: number;
  digests: string[];
}

/**
 * The table record of `(projectId, digest)`, or undefined when the table does not exist.
 * @throws Dexie errors from IndexedDB (the server turns them into `STORAGE`).
 */
export function getTableDef(db: WeftDb, projectId: string, digest: string): Promise<TableRow | undefined> {
  return db.table_defs.get([projectId, digest]);
}

function chunkRange(db: WeftDb, projectId: string, digest: string, first: number, end: number): Promise<TableEntryRow[]> {
  return db.table_entries
    .where("[project_id+table_digest+chunk]")
    .between([projectId, digest, first], [projectId, digest, end], true, false)
    .toArray();
}

/**
 * The row digests at positions `[start, end)` (clamped to the table), reading only the chunks that
 * span them.
 * @throws Dexie errors from IndexedDB (the server turns them into `STORAGE`).
 */
export async function readEntryRange(db: WeftDb, projectId: string, digest: string, start: number, end: number): Promise<EntrySlice> {
  if (end <= start) return { start, digests: [] };
  const first = Math.floor(start / TABLE_ENTRY_CHUNK);
  const last = Math.floor((end - 1) / TABLE_ENTRY_CHUNK);
  const chunks = await chunkRange(db, projectId, digest, first, last + 1);
  const digests: string[] = [];
  for (const chunk of chunks) {
    const base = chunk.chunk * TABLE_ENTRY_CHUNK;
    const from = Math.max(start - base, 0);
    const to = Math.min(end - base, chunk.row_digests.length);
    for (let i = from; i < to; i++) digests.push(chunk.row_digests[i] as string);
  }
  return { start, digests };
}

/**
 * Every position of a table in order, a few chunks at a time, so a scan holds a bounded number of
 * digests however long the table is.
 * @throws Dexie errors from IndexedDB (the server turns them into `STORAGE`).
 */
export async function* scanEntries(db: WeftDb, projectId: string, digest: string, rowCount: number): AsyncGenerator<EntrySlice> {
  const chunkCount = Math.ceil(rowCount / TABLE_ENTRY_CHUNK);
  for (let first = 0; first < chunkCount; first += SCAN_CHUNKS) {
    const chunks = await chunkRange(db, projectId, digest, first, first + SCAN_CHUNKS);
    if (chunks.length === 0) return;
    const digests = chunks.length === 1 ? (chunks[0] as TableEntryRow).row_digests : chunks.flatMap((c) => c.row_digests);
    yield { start: first * TABLE_ENTRY_CHUNK, digests };
  }
}

/**
 * The whole row digest list of a table (what `table_update` edits a copy of, §5.3).
 * @throws Dexie errors from IndexedDB (the server turns them into `STORAGE`).
 */
export async function readAllEntries(db: WeftDb, def: TableRow): Promise<string[]> {
  const chunks = await chunkRange(db, def.project_id, def.digest, 0, Infinity);
  const out: string[] = [];
  for (const chunk of chunks) for (const d of chunk.row_digests) out.push(d);
  return out;
}

/**
 * Stores the table `digest` with `rowDigests` unless it exists already (a digest always names the
 * same list, §5.1). Call inside a read-write transaction over `table_defs` and `table_entries`, so
 * the record and its chunks appear together.
 * @returns whether the table was new.
 * @throws Dexie errors from IndexedDB (the server turns them into `STORAGE`/`QUOTA_EXCEEDED`).
 */
export async function storeTable(db: WeftDb, projectId: string, digest: string, rowDigests: readonly string[], createdAt: number): Promise<boolean> {
  if (await getTableDef(db, projectId, digest)) return false;
  const chunks: TableEntryRow[] = [];
  for (let start = 0, chunk = 0; start < rowDigests.length; start += TABLE_ENTRY_CHUNK, chunk++) {
    chunks.push({ project_id: projectId, table_digest: digest, chunk, row_digests: rowDigests.slice(start, start + TABLE_ENTRY_CHUNK) });
  }
  await db.table_entries.bulkPut(chunks);
  await db.table_defs.put({ project_id: projectId, digest, row_count: rowDigests.length, created_at: createdAt });
  return true;
}
