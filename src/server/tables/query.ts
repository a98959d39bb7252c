/**
 * `table_query` and `table_query_stream` (weave-semantics.md §5.4): a table's rows in order with
 * `original_index`, optionally filtered by row digest, sorted by row fields, then offset and limit.
 *
 * Like ClickHouse, a position whose row value was never stored (a `table_create_from_digests` over
 * unknown digests) is left out: the rows are an inner join of the list with the stored values.
 * Three plans, none holding the whole table's values:
 * - natural order: only the entry chunk(s) of the page are read (positions are known up front), then
 *   that page's values; offsets are positional, as in ClickHouse's natural-order query;
 * - filtered by digest: the list is scanned a few chunks at a time, values read for matches only;
 * - sorted: every member value is read in bulk (the project's key range, or by key when the table is a
 *   small part of the project) and only a bounded top-k of `offset + limit` sort keys kept (sorted.ts).
 */
import type { TableQueryReq, TableQueryRes, TableRowSchema } from "../../schema/tables";
import type { ServerContext } from "../context";
import type { TableRow, WeftDb } from "../db";
import { getTableDef, readEntryRange, scanEntries, TABLE_ENTRY_CHUNK } from "./entries";
import { compileRowSort } from "./row-sort";
import { loadRowDumps, rowValueOut } from "./rows";
import { sortedRows } from "./sorted";

/** One position selected for output. */
interface Pick {
  index: number;
  digest: string;
}

/** Rows yielded per value read: one entry chunk, so a natural page reads one chunk and its values. */
const PAGE = TABLE_ENTRY_CHUNK;

/** The picks whose values exist, shaped as rows, in the order given. */
async function shape(db: WeftDb, projectId: string, picks: readonly Pick[]): Promise<TableRowSchema[]> {
  const dumps = await loadRowDumps(
    db,
    projectId,
    picks.map((p) => p.digest),
  );
  const rows: TableRowSchema[] = [];
  for (const { index, digest } of picks) {
    const dump = dumps.get(digest);
    if (dump !== undefined) rows.push({ digest, val: rowValueOut(dump), original_index: index });
  }
  return rows;
}

async function* naturalRows(db: WeftDb, def: TableRow, offset: number, limit: number): AsyncGenerator<TableRowSchema> {
  const end = Math.min(def.row_count, offset + limit);
  for (let start = offset; start < end; ) {
    // Pages end on chunk boundaries, so each reads exactly one `table_entries` record.
    const stop = Math.min(end, (Math.floor(start / PAGE) + 1) * PAGE);
    const slice = await readEntryRange(db, def.project_id, def.digest, start, stop);
    yield* await shape(
      db,
      def.project_id,
      slice.digests.map((digest, i) => ({ index: start + i, digest })),
    );
    start = stop;
  }
}

async function* filteredRows(db: WeftDb, def: TableRow, wanted: ReadonlySet<string>, offset: number, limit: number): AsyncGenerator<TableRowSchema> {
  let skip = offset;
  let left = limit;
  for await (const slice of scanEntries(db, def.project_id, def.digest, def.row_count)) {
    const picks: Pick[] = [];
    slice.digests.forEach((digest, i) => {
      if (wanted.has(digest)) picks.push({ index: slice.start + i, digest });
    });
    if (picks.length === 0) continue;
    // Offset counts rows that exist (ClickHouse filters after the join), so shape before skipping.
    for (const row of await shape(db, def.project_id, picks)) {
      if (skip > 0) {
        skip--;
        continue;
      }
      yield row;
      if (--left <= 0) return;
    }
  }
}

/**
 * `table_query_stream` (§5.4): the rows of `table_query`, yielded a page at a time; never holds the
 * whole table (a sorted query keeps only the sort keys of its `offset + limit` best rows).
 * @throws WeftError `VALIDATION` for a bad sort field (O-10), checked before anything is read;
 *   `STORAGE` from IndexedDB. An unknown table yields nothing.
 */
export async function* tableQueryStream(ctx: ServerContext, req: TableQueryReq): AsyncGenerator<TableRowSchema> {
  const sort = compileRowSort(req.sort_by);
  const offset = req.offset ?? 0;
  // ClickHouse `LIMIT 0` returns nothing (§2.9.4); no limit is every row.
  const limit = req.limit ?? Infinity;
  if (limit === 0) return;
  const def = await getTableDef(ctx.db, req.project_id, req.digest);
  if (!def) return;
  // An empty `row_digests` list is no filter, as in Weave (`if req.filter.row_digests`).
  const list = req.filter?.row_digests;
  const wanted = list && list.length > 0 ? new Set(list) : undefined;
  if (sort) yield* sortedRows(ctx.db, def, sort, wanted, offset, limit);
  else if (wanted) yield* filteredRows(ctx.db, def, wanted, offset, limit);
  else yield* naturalRows(ctx.db, def, offset, limit);
}

/**
 * `table_query` (§5.4): `{rows}`, each `{digest, val, original_index}` with refs in external form.
 * @throws WeftError `VALIDATION` for a bad sort field (O-10); `STORAGE` from IndexedDB. An unknown
 *   table gives `{rows: []}`.
 */
export async function tableQuery(ctx: ServerContext, req: TableQueryReq): Promise<TableQueryRes> {
  const rows: TableRowSchema[] = [];
  for await (const row of tableQueryStream(ctx, req)) rows.push(row);
  return { rows };
}
