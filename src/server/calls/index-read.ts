/**
 * One contiguous range of a calls index read with a single `getAll`: the read behind every page an
 * index answers exactly (roots newest first, a whole trace, the newest calls). Dexie issues the
 * same `getAll({query, count, direction})` for such a range, but through its middleware stack and
 * promise zones: on a 10-call trace that measured 15–20% of the read in Chromium (0.1–0.3 ms,
 * bench/pages/read-splits-worker.ts, `raw_read` against `dexie_read`, alternating), within the
 * noise on a page of 50. Outside a Dexie transaction the range is read on Dexie's own connection
 * directly; inside one (where a raw transaction would wait for the enclosing one to finish), with
 * an offset to skip, and wherever the direct read does not apply, Dexie reads it.
 */
import type { CallRow, WeftDb } from "../db";
import { plainKeyRange, requestResult } from "../native-reads";

/** A range of one index with its open/closed ends, in which direction, and how many rows at most. */
export interface RangeRead {
  index: string;
  lower: unknown;
  upper: unknown;
  lowerOpen: boolean;
  upperOpen: boolean;
  dir: "asc" | "desc";
  /** Rows to skip first (0: none). */
  offset: number;
  limit: number;
}

/** IndexedDB 3.0's options form of `getAll` (Chromium 141+), which reads newest-first too. */
type GetAllWithOptions = (options: { query: IDBKeyRange; count?: number; direction: IDBCursorDirection }) => IDBRequest<CallRow[]>;

function viaDexie(db: WeftDb, r: RangeRead): Promise<CallRow[]> {
  let coll = db.calls.where(r.index).between(r.lower, r.upper, !r.lowerOpen, !r.upperOpen);
  if (r.dir === "desc") coll = coll.reverse();
  if (r.offset > 0) coll = coll.offset(r.offset);
  if (Number.isFinite(r.limit)) coll = coll.limit(r.limit);
  return coll.toArray();
}

/**
 * The rows of `r`, in index order (reversed for `desc`), after `offset`, at most `limit`.
 * @throws DOMException / Dexie errors from IndexedDB (the server turns them into STORAGE errors)
 */
export function readIndexRange(db: WeftDb, r: RangeRead): Promise<CallRow[]> {
  // getAll's count 0 means "no limit".
  if (r.limit === 0) return Promise.resolve([]);
  const KeyRange = plainKeyRange(db);
  if (r.offset > 0 || !KeyRange) return viaDexie(db, r);
  let query: IDBKeyRange;
  try {
    query = KeyRange.bound(r.lower, r.upper, r.lowerOpen, r.upperOpen);
  } catch {
    // An empty range (lower above upper, e.g. `started_at > t AND started_at < t`) is a DataError
    // for IDBKeyRange; Dexie answers it with no rows.
    return viaDexie(db, r);
  }
  const index = db.backendDB().transaction("calls", "readonly").objectStore("calls").index(r.index);
  const count = Number.isFinite(r.limit) ? r.limit : undefined;
  let req: IDBRequest<CallRow[]>;
  if ("getAllRecords" in index) {
    req = (index.getAll as unknown as GetAllWithOptions).call(index, { query, ...(count !== undefined ? { count } : {}), direction: r.dir === "desc" ? "prev" : "next" });
  } else if (r.dir === "asc") {
    req = index.getAll(query, count);
  } else {
    // No newest-first getAll here: Dexie walks a cursor.
    return viaDexie(db, r);
  }
  return requestResult(req);
}
