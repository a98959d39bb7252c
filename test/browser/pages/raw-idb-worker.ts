/**
 * A plain module worker using the raw IndexedDB API, for the harness smoke test: it proves the page
 * can start a module worker through Vite and that the worker has a real, persistent IndexedDB.
 */
import { expose } from "comlink";

export interface SmokeRecord {
  id: number;
  group: number;
  text: string;
}

const STORE = "records";

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function open(dbName: string): Promise<IDBDatabase> {
  const req = indexedDB.open(dbName, 1);
  req.onupgradeneeded = () => {
    const store = req.result.createObjectStore(STORE, { keyPath: "id" });
    store.createIndex("by_group", ["group", "id"]);
  };
  return request(req);
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error("transaction aborted"));
  });
}

async function withDb<T>(dbName: string, fn: (db: IDBDatabase) => Promise<T>): Promise<T> {
  const db = await open(dbName);
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}

const api = {
  /** Where this code runs: the global scope's class name and whether IndexedDB is there. */
  async scope(): Promise<{ global: string; hasIndexedDB: boolean }> {
    return { global: self.constructor.name, hasIndexedDB: typeof indexedDB !== "undefined" };
  },
  /** Writes records 0..n-1 in one readwrite transaction; resolves when it has committed. */
  async write(dbName: string, n: number): Promise<number> {
    return withDb(dbName, async (db) => {
      const tx = db.transaction(STORE, "readwrite");
      const store = tx.objectStore(STORE);
      for (let id = 0; id < n; id++) store.put({ id, group: id % 10, text: `record ${id}` } satisfies SmokeRecord);
      await done(tx);
      return n;
    });
  },
  /** Every record, in key order. */
  async readAll(dbName: string): Promise<SmokeRecord[]> {
    return withDb(dbName, (db) => request(db.transaction(STORE).objectStore(STORE).getAll() as IDBRequest<SmokeRecord[]>));
  },
  /** Ids in one group, read through the compound index. */
  async idsInGroup(dbName: string, group: number): Promise<number[]> {
    return withDb(dbName, async (db) => {
      const range = IDBKeyRange.bound([group, -Infinity], [group, Infinity]);
      const keys = await request(db.transaction(STORE).objectStore(STORE).index("by_group").getAllKeys(range));
      return keys as number[];
    });
  },
  /** Names of the databases this profile holds. */
  async databases(): Promise<string[]> {
    return (await indexedDB.databases()).flatMap((info) => (info.name ? [info.name] : []));
  },
};

export type RawIdbApi = typeof api;

expose(api);
