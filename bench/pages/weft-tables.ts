/**
 * weft's side of the table workloads (T1–T3), timed on the main thread through the client, paired
 * with baseline-tables.ts.
 */
import { wrap, type Remote } from "comlink";
import type { WeftClient } from "../../src/client/index";
import type { SplitsApi } from "./splits-worker";
import { BENCH_PROJECT } from "./synthetic";
import { SORT_FIELD, syntheticRows, TABLE_PAGE, tableDeepOffset } from "./synthetic-rows";
import { openClient } from "./weft-client";
import type { Rep } from "./workloads";

let rows: { size: number; rows: Array<Record<string, unknown>> } | null = null;

/** The rows of a table of `size`, built before any clock starts. */
function rowsFor(size: number): Array<Record<string, unknown>> {
  if (rows?.size !== size) rows = { size, rows: syntheticRows(size) };
  return rows.rows;
}

let splits: Remote<SplitsApi> | null = null;

/**
 * T1: `table_create` of `size` rows on a fresh database, until the response. After the clock, the
 * same request's steps are timed one by one in a worker (splits-worker.ts) and reported as figures.
 */
export async function tableCreate(size: number): Promise<Rep> {
  const table = rowsFor(size);
  const { client } = await openClient(`table-${size}`);
  const start = performance.now();
  const res = await client.table_create({ table: { project_id: BENCH_PROJECT, rows: table } });
  const end = performance.now();
  const ms = end - start;
  await client.close();
  splits ??= wrap<SplitsApi>(new Worker(new URL("./splits-worker.ts", import.meta.url), { type: "module" }));
  return { ms, rows: res.row_digests.length, figures: await splits.tableCreate(size), clock: [start, end] };
}

/** Per size: a client whose database holds the table, for the reads (created untimed on first use). */
const readTables = new Map<number, { client: WeftClient; digest: string }>();

async function readTable(size: number): Promise<{ client: WeftClient; digest: string }> {
  let entry = readTables.get(size);
  if (!entry) {
    const { client } = await openClient(`table-read-${size}`);
    const { digest } = await client.table_create({ table: { project_id: BENCH_PROJECT, rows: rowsFor(size) } });
    readTables.set(size, (entry = { client, digest }));
  }
  return entry;
}

/** T2 and T3's database, created now (untimed) so the driver can let the storage settle before timing. */
export async function prepareTable(size: number): Promise<void> {
  await readTable(size);
}

/** T2: the `TABLE_PAGE` rows with the highest score. `count` is the top score × 10⁶, as the baseline's. */
export async function tableSortedPage(size: number): Promise<Rep> {
  const { client, digest } = await readTable(size);
  const start = performance.now();
  const res = await client.table_query({ project_id: BENCH_PROJECT, digest, sort_by: [{ field: SORT_FIELD, direction: "desc" }], limit: TABLE_PAGE });
  const ms = performance.now() - start;
  const top = (res.rows[0]?.val as Record<string, number> | undefined)?.[SORT_FIELD] ?? 0;
  return { ms, rows: res.rows.length, count: Math.round(top * 1e6) };
}

/** T3: the page at 90% depth in table order. `count` is its first `original_index`, as the baseline's. */
export async function tableDeepPage(size: number): Promise<Rep> {
  const { client, digest } = await readTable(size);
  const start = performance.now();
  const res = await client.table_query({ project_id: BENCH_PROJECT, digest, offset: tableDeepOffset(size), limit: TABLE_PAGE });
  const ms = performance.now() - start;
  return { ms, rows: res.rows.length, count: res.rows[0]?.original_index ?? -1 };
}
