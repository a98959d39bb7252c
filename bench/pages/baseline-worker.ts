/**
 * Raw-IndexedDB baselines (no Dexie, no weft): what IndexedDB itself costs for each workload, as the
 * floor weft's figures are divided by. Runs in a module worker, as weft's server does; every figure is
 * measured here, inside the worker, from the transaction's start to its result (reads) or to
 * `complete` (writes), so it excludes the message back to the main thread. Data is generated
 * before the clock starts.
 *
 * The stores, their indexes and their records are exactly weft's (see raw-idb.ts and `toRecord`), so
 * the ratio weft / baseline measures what weft adds: validation, batching, the worker hop, merging.
 * The read baselines do the same storage work as weft, not less: weft keeps a call's payloads in
 * its row (no second store), and a page or a trace is one getAll of the same index range, the
 * records weft returns. What they leave out is what only weft's answer needs: parsing the payloads
 * into Weave's call objects and sending them to the page (the in-worker figure of weft, from
 * read-splits-worker.ts, is reported beside the main one to show that share).
 * The calls baselines are here; the tables and refs ones in baseline-tables.ts and baseline-refs.ts.
 */
import { expose } from "comlink";
import { parseIsoDateTime } from "../../src/schema/common";
import type { CallRow } from "../../src/server/db";
import { applyEnd, applyStart, emptyCallRow, refreshIndexKeys } from "../../src/server/calls/rows";
import { refsBaselines } from "./baseline-refs";
import { tableBaselines } from "./baseline-tables";
import { CALLS_STORE, committed, deleteDb, hasGetAllOptions, openFresh, request, type BaselineRep, type GetAllOptions } from "./raw-idb";
import { BENCH_PROJECT, CALLS_PER_TRACE, FILTER_OP, FILTER_STATUS, syntheticCalls, syntheticTrace, type SyntheticCall } from "./synthetic";

const STORE = "calls";
const ROOTS = "[project_id+root_ts+id]";
const TRACE = "[project_id+trace_id+live_ts+id]";
const OP_STATUS = "[project_id+op_name+status+live_ts+id]";
const PAGE_SIZE = 50;

type CallRecord = CallRow;

/**
 * The row weft stores for this call (start and end merged): built with weft's own row functions
 * before the clock starts, so the baseline writes byte-for-byte the same records.
 */
function toRecord(call: SyntheticCall): CallRecord {
  const row = emptyCallRow(BENCH_PROJECT, call.id);
  applyStart(row, {
    project_id: BENCH_PROJECT,
    id: call.id,
    trace_id: call.trace_id,
    parent_id: call.parent_id,
    op_name: call.op_name,
    display_name: call.display_name,
    started_at: parseIsoDateTime(call.started_at) ?? 0,
    attributes: call.attributes,
    inputs: call.inputs,
    wb_user_id: call.wb_user_id,
    wb_run_id: call.wb_run_id,
  });
  applyEnd(row, {
    project_id: BENCH_PROJECT,
    id: call.id,
    ended_at: parseIsoDateTime(call.ended_at) ?? 0,
    exception: call.exception,
    output: call.output,
    summary: call.summary,
  });
  refreshIndexKeys(row);
  return row;
}

/** Newest-first `count` values of `range` on `index`: the options bag if there is one, else a cursor. */
async function newestFirst(index: IDBIndex, range: IDBKeyRange, count: number): Promise<unknown[]> {
  if (hasGetAllOptions) {
    const getAll = index.getAll as unknown as (options: GetAllOptions) => IDBRequest<unknown[]>;
    return request(getAll.call(index, { query: range, count, direction: "prev" }));
  }
  return new Promise((resolve, reject) => {
    const rows: unknown[] = [];
    const req = index.openCursor(range, "prev");
    req.onerror = () => reject(req.error);
    req.onsuccess = () => {
      const cursor = req.result;
      if (!cursor || rows.length >= count) return resolve(rows);
      rows.push(cursor.value);
      if (rows.length >= count) return resolve(rows);
      cursor.continue();
    };
  });
}

/** Every key `[P, …]` of an index whose first component is the project (arrays sort after strings). */
const within = (...prefix: IDBValidKey[]): IDBKeyRange => IDBKeyRange.bound([BENCH_PROJECT, ...prefix], [BENCH_PROJECT, ...prefix, []]);

let records: { size: number; rows: CallRecord[] } | null = null;
let dbSeq = 0;
/** Per size: the database the last ingest left behind, read by the read workloads. */
const readDbs = new Map<number, { name: string; db: IDBDatabase; keysetBounds: Map<number, IDBValidKey> }>();

function recordsFor(size: number): CallRecord[] {
  if (records?.size !== size) records = { size, rows: syntheticCalls(size).map(toRecord) };
  return records.rows;
}

async function replaceReadDb(size: number, name: string, db: IDBDatabase): Promise<void> {
  const old = readDbs.get(size);
  readDbs.set(size, { name, db, keysetBounds: new Map() });
  if (old) {
    old.db.close();
    await deleteDb(old.name);
  }
}

async function readDb(size: number) {
  if (!readDbs.has(size)) await api.ingest(size); // untimed here: the caller only wants data
  const entry = readDbs.get(size);
  if (!entry) throw new Error(`no database for size ${size}`);
  return entry;
}

const api = {
  async info(): Promise<{ getAll: string; userAgent: string; hardwareConcurrency: number }> {
    return {
      getAll: hasGetAllOptions ? "getAll({query, count, direction})" : "openCursor(prev) loop",
      userAgent: navigator.userAgent,
      hardwareConcurrency: navigator.hardwareConcurrency,
    };
  },

  /** Nothing: a message's round trip from the page and back, the floor of any request to a worker. */
  async ping(): Promise<number> {
    return 0;
  },

  /** B1: put `size` call records in one transaction into a fresh database, until `complete`. */
  async ingest(size: number): Promise<BaselineRep> {
    const rows = recordsFor(size);
    const name = `baseline-${size}-${dbSeq++}`;
    const db = await openFresh(name, { [STORE]: CALLS_STORE });
    const start = performance.now();
    const tx = db.transaction(STORE, "readwrite");
    const store = tx.objectStore(STORE);
    for (const row of rows) store.put(row);
    await committed(tx);
    const ms = performance.now() - start;
    await replaceReadDb(size, name, db);
    return { ms, rows: rows.length };
  },

  /**
   * B2: a page of 50 roots, newest first, starting after `offset` roots. Deep pages use keyset
   * paging: the key that ends the previous page is found before the clock starts, as the physical
   * limit of any pager that remembers where it stopped.
   */
  async rootsPage(size: number, offset: number): Promise<BaselineRep> {
    const entry = await readDb(size);
    let range = within();
    if (offset > 0) {
      let bound = entry.keysetBounds.get(offset);
      if (!bound) {
        bound = await keyAtOffset(entry.db.transaction(STORE).objectStore(STORE).index(ROOTS), range, offset - 1);
        entry.keysetBounds.set(offset, bound);
      }
      range = IDBKeyRange.bound([BENCH_PROJECT], bound, false, true);
    }
    const start = performance.now();
    const rows = await newestFirst(entry.db.transaction(STORE).objectStore(STORE).index(ROOTS), range, PAGE_SIZE);
    return { ms: performance.now() - start, rows: rows.length };
  },

  /** B3: the 50 newest calls of one op with one status, and how many there are, in one transaction. */
  async opStatusPage(size: number): Promise<BaselineRep> {
    const { db } = await readDb(size);
    const range = within(FILTER_OP, FILTER_STATUS);
    const start = performance.now();
    const index = db.transaction(STORE).objectStore(STORE).index(OP_STATUS);
    const [rows, count] = await Promise.all([newestFirst(index, range, PAGE_SIZE), request(index.count(range))]);
    return { ms: performance.now() - start, rows: rows.length, count };
  },

  /** B4: every call of one trace, by the trace index; `rep` picks a different trace each time. */
  async traceFetch(size: number, rep: number): Promise<BaselineRep> {
    const { db } = await readDb(size);
    const traces = size / CALLS_PER_TRACE;
    const traceId = syntheticTrace(Math.floor(traces / 2) + ((rep * 7919) % Math.floor(traces / 2)))[0]?.trace_id ?? "";
    const start = performance.now();
    const rows = await request(db.transaction(STORE).objectStore(STORE).index(TRACE).getAll(within(traceId)));
    return { ms: performance.now() - start, rows: rows.length };
  },
};

/** The index key of the entry `skip` places from the newest in `range`: where a keyset page resumes. */
function keyAtOffset(index: IDBIndex, range: IDBKeyRange, skip: number): Promise<IDBValidKey> {
  return new Promise((resolve, reject) => {
    const req = index.openKeyCursor(range, "prev");
    let advanced = skip === 0;
    req.onerror = () => reject(req.error);
    req.onsuccess = () => {
      const cursor = req.result;
      if (!cursor) return reject(new Error(`fewer than ${skip + 1} entries in range`));
      if (!advanced) {
        advanced = true;
        return cursor.advance(skip);
      }
      resolve(cursor.key);
    };
  });
}

const all = { ...api, ...tableBaselines, ...refsBaselines };

export type BaselineApi = typeof all;

expose(all);
