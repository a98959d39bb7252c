/**
 * Index ranges read with plain IndexedDB `getAll`s, several in one read-only transaction, for the
 * small reads that follow a page of calls (its costs and its feedback). Dexie reads each range in a
 * transaction of its own, through its middleware stack and promise zones. For a page of 50 calls in
 * Chromium, `include_costs` plus `include_feedback` added 1.8–2.3 ms to a 2.0–2.7 ms request when
 * their three ranges were read that way, and 1.2–1.4 ms read together here (in-worker, the two
 * versions alternating, three runs): the rows themselves are a handful.
 *
 * Inside a Dexie transaction (a raw transaction would wait for the enclosing one to finish), before
 * the database is open, or without the IndexedDB implementation's key ranges at hand, Dexie reads
 * them instead, one by one, with the same results.
 */
import { Dexie } from "dexie";
import type { WeftDb } from "./db";

/** One index range: the rows of `index` in `store` between `lower` and `upper` (both included), at most `limit`. */
export interface IndexRangeRead {
  store: string;
  index: string;
  lower: IDBValidKey;
  upper: IDBValidKey;
  /** Most rows to return (index order); absent: all. */
  limit?: number;
}

/** The `IDBKeyRange` of the IndexedDB implementation Dexie was given (fake-indexeddb's in Node). */
export function keyRangeOf(db: WeftDb): typeof IDBKeyRange | undefined {
  return (db as unknown as { _deps?: { IDBKeyRange?: typeof IDBKeyRange } })._deps?.IDBKeyRange;
}

/**
 * The key ranges to read `db` plainly with, or undefined where Dexie must read instead: inside a
 * Dexie transaction (a plain transaction would wait for it to end), before the database is open,
 * or without the implementation's key ranges. @throws never
 */
export function plainKeyRange(db: WeftDb): typeof IDBKeyRange | undefined {
  return Dexie.currentTransaction || !db.isOpen() ? undefined : keyRangeOf(db);
}

/** What `req` gives, as a promise. @throws never (the promise rejects with the request's error) */
export function requestResult<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function viaDexie<T>(db: WeftDb, read: IndexRangeRead): Promise<T[]> {
  const coll = db.table(read.store).where(read.index).between(read.lower, read.upper, true, true);
  return (read.limit === undefined ? coll : coll.limit(read.limit)).toArray() as Promise<T[]>;
}

/**
 * The rows of each read, in order, each in index order.
 * @throws DOMException / Dexie errors from IndexedDB (the server turns them into STORAGE errors)
 */
export function readIndexRanges<T>(db: WeftDb, reads: readonly IndexRangeRead[]): Promise<T[][]> {
  if (reads.length === 0) return Promise.resolve([]);
  const KeyRange = plainKeyRange(db);
  if (!KeyRange) return Promise.all(reads.map((read) => viaDexie<T>(db, read)));
  let ranges: IDBKeyRange[];
  try {
    ranges = reads.map((read) => KeyRange.bound(read.lower, read.upper));
  } catch {
    // An empty range (lower above upper) is a DataError for IDBKeyRange; Dexie answers it with no rows.
    return Promise.all(reads.map((read) => viaDexie<T>(db, read)));
  }
  const stores = [...new Set(reads.map((read) => read.store))];
  const tx = db.backendDB().transaction(stores, "readonly");
  return Promise.all(reads.map((read, i) => requestResult(tx.objectStore(read.store).index(read.index).getAll(ranges[i], read.limit) as IDBRequest<T[]>)));
}
