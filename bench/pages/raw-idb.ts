/**
 * What the raw-IndexedDB baselines share: promise wrappers over requests and transactions, opening a
 * fresh database, and the stores the baselines use, declared with exactly the keys and indexes of
 * weft's own stores (src/server/db.ts) under the names Dexie gives them, so a baseline writes and
 * reads the same records through the same key paths and the ratio measures what weft adds.
 */

/** One measured repetition: the time, and what it returned, so a wrong baseline shows. */
export interface BaselineRep {
  ms: number;
  rows: number;
  count?: number;
  /** Other timings of the repetition, by name (e.g. a second plan's ms). */
  figures?: Record<string, number>;
}

/** One object store: its primary key path and its indexes by Dexie's name for them. */
export interface StoreSpec {
  keyPath: string | string[];
  indexes: Record<string, { keyPath: string | string[]; multiEntry?: boolean }>;
}

/** weft's `calls` store. */
export const CALLS_STORE: StoreSpec = {
  keyPath: ["project_id", "id"],
  indexes: {
    "[project_id+live_ts+id]": { keyPath: ["project_id", "live_ts", "id"] },
    "[project_id+root_ts+id]": { keyPath: ["project_id", "root_ts", "id"] },
    "[project_id+trace_id+live_ts+id]": { keyPath: ["project_id", "trace_id", "live_ts", "id"] },
    "[project_id+parent_id+live_ts+id]": { keyPath: ["project_id", "parent_id", "live_ts", "id"] },
    "[project_id+op_name+live_ts+id]": { keyPath: ["project_id", "op_name", "live_ts", "id"] },
    "[project_id+op_name+status+live_ts+id]": { keyPath: ["project_id", "op_name", "status", "live_ts", "id"] },
    "[project_id+status+live_ts+id]": { keyPath: ["project_id", "status", "live_ts", "id"] },
    in_refs: { keyPath: "in_refs", multiEntry: true },
    out_refs: { keyPath: "out_refs", multiEntry: true },
  },
};

/** weft's `objects` store. */
export const OBJECTS_STORE: StoreSpec = {
  keyPath: ["project_id", "object_id", "digest"],
  indexes: {
    "[project_id+object_id+version_index]": { keyPath: ["project_id", "object_id", "version_index"] },
    "[project_id+live_ts+version_index]": { keyPath: ["project_id", "live_ts", "version_index"] },
    "[project_id+latest_ts+version_index]": { keyPath: ["project_id", "latest_ts", "version_index"] },
  },
};

/** weft's three table stores: `table_defs`, `table_entries` (chunks of positions), `row_values`. */
export const TABLE_STORES: Record<string, StoreSpec> = {
  table_defs: { keyPath: ["project_id", "digest"], indexes: {} },
  table_entries: { keyPath: ["project_id", "table_digest", "chunk"], indexes: {} },
  row_values: { keyPath: ["project_id", "digest"], indexes: {} },
};

/** IndexedDB 3.0's options bag, `getAll({ query, count, direction })` (Chromium 141+). */
export type GetAllOptions = { query: IDBKeyRange; count: number; direction: IDBCursorDirection };
export const hasGetAllOptions = typeof IDBIndex !== "undefined" && "getAllRecords" in IDBIndex.prototype;

export function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Resolves when `tx` has committed (its `complete` event). */
export function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error("transaction aborted"));
  });
}

/** Creates database `name` (which must not exist yet) with `stores`. */
export function openFresh(name: string, stores: Record<string, StoreSpec>): Promise<IDBDatabase> {
  const req = indexedDB.open(name, 1);
  req.onupgradeneeded = () => {
    for (const [storeName, spec] of Object.entries(stores)) {
      const store = req.result.createObjectStore(storeName, { keyPath: spec.keyPath });
      for (const [index, { keyPath, multiEntry }] of Object.entries(spec.indexes)) store.createIndex(index, keyPath, { multiEntry: multiEntry ?? false });
    }
  };
  return request(req);
}

export async function deleteDb(name: string): Promise<void> {
  await request(indexedDB.deleteDatabase(name) as IDBRequest<unknown>);
}

/**
 * `get` of every key in one transaction, all requests issued before the first answer (IndexedDB
 * answers them in order), each result handed to `each` as it arrives: no promise per request.
 */
export function getEach(store: IDBObjectStore, keys: readonly IDBValidKey[], each: (value: unknown, i: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let left = keys.length;
    if (left === 0) return resolve();
    keys.forEach((key, i) => {
      const req = store.get(key);
      req.onsuccess = () => {
        each(req.result, i);
        if (--left === 0) resolve();
      };
      req.onerror = () => reject(req.error);
    });
  });
}

let seq = 0;
/** A database name not used before in this worker. */
export function freshName(prefix: string): string {
  return `${prefix}-${Date.now()}-${seq++}`;
}
