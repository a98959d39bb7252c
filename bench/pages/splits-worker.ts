/**
 * Where weft's time goes inside its worker, for workloads whose figure is over target: the steps of
 * a request run one by one with weft's own functions, each under its own clock, in a module worker
 * like weft's. Run after a repetition's clock has stopped; the figures are reported beside it.
 */
import { expose } from "comlink";
import { METHODS } from "../../src/interface";
import { WeftDb } from "../../src/server/db";
import { strDigests, tableDigestAsync } from "../../src/server/digest-async";
import { createLocalTraceServer } from "../../src/server/index";
import { pythonJsonDumps } from "../../src/server/python-json";
import { toInternalRefs } from "../../src/server/refs/convert";
import { storeTable, TABLE_ENTRY_CHUNK } from "../../src/server/tables/entries";
import { prepareRows, storeRows } from "../../src/server/tables/rows";
import { committed, freshName, openFresh, TABLE_STORES } from "./raw-idb";
import { BENCH_PROJECT } from "./synthetic";
import { syntheticRows } from "./synthetic-rows";

function timed<T>(out: Record<string, number>, name: string, fn: () => T): T {
  const start = performance.now();
  const result = fn();
  out[name] = performance.now() - start;
  return result;
}

async function timedAsync<T>(out: Record<string, number>, name: string, fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await fn();
  out[name] = performance.now() - start;
  return result;
}

const api = {
  /**
   * `table_create` of `size` synthetic rows, step by step (ms): `copy` (a structured clone of the
   * request, as the message to the worker costs it), `validate` (weft's request schema), `dumps`
   * (Python-JSON text of each row), `sha` (each row's digest, WebCrypto), `table_digest`, `prepare`
   * (dumps and digests together, overlapped, as weft runs them), `store` (the Dexie
   * transaction: rows, entry chunks, table record, into a fresh database) and `server` (the whole
   * request through an in-worker `LocalTraceServer` on another fresh database, for the total).
   */
  async tableCreate(size: number): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    const req = { table: { project_id: BENCH_PROJECT, rows: syntheticRows(size) } };
    const copy = timed(out, "copy", () => structuredClone(req));
    timed(out, "validate", () => METHODS.table_create.req.parse(copy));
    const dumps = timed(out, "dumps", () => copy.table.rows.map((row) => pythonJsonDumps(toInternalRefs(row))));
    // WebCrypto, as table_create hashes (digest-async.ts); `prepare` is what it runs: dumps of each
    // chunk of rows overlapped with hashing of the previous one.
    const digests = await timedAsync(out, "sha", () => strDigests(dumps));
    const digest = await timedAsync(out, "table_digest", () => tableDigestAsync(digests));
    const rows = await timedAsync(out, "prepare", () => prepareRows(BENCH_PROJECT, copy.table.rows, (i) => `rows[${i}]`));
    const db = new WeftDb(freshName("splits-table"));
    await db.open();
    await timedAsync(out, "store", () =>
      db.transaction("rw", [db.row_values, db.table_defs, db.table_entries], async () => {
        await storeRows(db, rows);
        await storeTable(db, BENCH_PROJECT, digest, digests, Date.now());
      }),
    );
    db.close();
    // The same records through raw IndexedDB, in this worker at this moment: `put` (the baseline's
    // verb) and `add` (what Dexie's `bulkAdd` issues, so existing rows are skipped, not rewritten).
    for (const verb of ["put", "add"] as const) {
      const raw = await openFresh(freshName(`splits-raw-${verb}`), TABLE_STORES);
      await timedAsync(out, `raw_${verb}`, () => {
        const tx = raw.transaction(["row_values", "table_entries", "table_defs"], "readwrite");
        const values = tx.objectStore("row_values");
        for (const row of rows) values[verb](row);
        for (let i = 0; i * TABLE_ENTRY_CHUNK < digests.length; i++) {
          tx.objectStore("table_entries").put({ project_id: BENCH_PROJECT, table_digest: digest, chunk: i, row_digests: digests.slice(i * TABLE_ENTRY_CHUNK, (i + 1) * TABLE_ENTRY_CHUNK) });
        }
        tx.objectStore("table_defs").put({ project_id: BENCH_PROJECT, digest, row_count: digests.length, created_at: Date.now() });
        return committed(tx);
      });
      raw.close();
    }
    const server = createLocalTraceServer({ dbName: freshName("splits-server") });
    await server.table_query_stats({ project_id: BENCH_PROJECT, digest }); // opens the database
    await timedAsync(out, "server", () => server.table_create(structuredClone(req)));
    await server.close();
    return out;
  },
};

export type SplitsApi = typeof api;

expose(api);
