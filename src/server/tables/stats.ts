/**
 * `table_query_stats` and `table_query_stats_batch` (weave-semantics.md §5.5).
 */
import type {
  TableQueryStatsBatchReq,
  TableQueryStatsBatchRes,
  TableQueryStatsReq,
  TableQueryStatsRes,
  TableStatsRow,
} from "../../schema/tables";
import type { ServerContext } from "../context";
import type { TableRow, WeftDb } from "../db";
import { getTableDef, scanEntries } from "./entries";
import { memberValues } from "./member-values";

/**
 * Sum of the stored value sizes over the table's positions (a row listed twice counts twice, a row
 * never stored counts 0), as ClickHouse's ARRAY JOIN / LEFT JOIN computes it. The stored dump is
 * ASCII, so its length is its size in bytes. Holds one count per distinct row; the values are read
 * in bulk by `memberValues`, a batch at a time.
 */
async function tableStorageSize(db: WeftDb, def: TableRow): Promise<number> {
  const positions = new Map<string, number>();
  for await (const slice of scanEntries(db, def.project_id, def.digest, def.row_count)) {
    for (const d of slice.digests) positions.set(d, (positions.get(d) ?? 0) + 1);
  }
  if (positions.size === 0) return 0;
  let total = 0;
  for await (const batch of memberValues(db, def.project_id, positions)) {
    for (const row of batch) total += row.val_dump.length * (positions.get(row.digest) ?? 0);
  }
  return total;
}

/**
 * `table_query_stats` (§5.5): the table's row count. An unknown table counts 0, as HEAD's in-memory
 * server answers (ClickHouse fails with a 500 there).
 * @throws WeftError `STORAGE` from IndexedDB.
 */
export async function tableQueryStats(ctx: ServerContext, req: TableQueryStatsReq): Promise<TableQueryStatsRes> {
  const def = await getTableDef(ctx.db, req.project_id, req.digest);
  return { count: def?.row_count ?? 0 };
}

/**
 * `table_query_stats_batch` (§5.5): one entry per existing table among `digests` (unknown ones are
 * left out), with `storage_size_bytes` when `include_storage_size` is set and null otherwise, as
 * Weave's response model writes it.
 * @throws WeftError `STORAGE` from IndexedDB.
 */
export async function tableQueryStatsBatch(ctx: ServerContext, req: TableQueryStatsBatchReq): Promise<TableQueryStatsBatchRes> {
  const digests = [...new Set(req.digests ?? [])];
  const defs = await ctx.db.table_defs.bulkGet(digests.map((d) => [req.project_id, d] as [string, string]));
  const tables: TableStatsRow[] = [];
  for (const def of defs) {
    if (!def) continue;
    const storage = req.include_storage_size ? await tableStorageSize(ctx.db, def) : null;
    tables.push({ count: def.row_count, digest: def.digest, storage_size_bytes: storage });
  }
  return { tables };
}
