/**
 * The page-hide outbox: a tiny IndexedDB database beside the server's, where the main thread parks
 * call batches that the worker has not acknowledged when the page is hidden or unloaded, and from
 * which the next worker on the same database replays them.
 *
 * Why it exists (measured in Chromium 156, see `src/client/page-lifecycle.ts`): a dedicated worker
 * dies with its document, so a batch handed to it in `pagehide` is stored only if the worker gets
 * through it within a few hundred milliseconds; a readwrite transaction issued *from the main
 * thread* inside `pagehide`, on a connection opened earlier, always committed. Opening the
 * connection inside `pagehide` did not work reliably, hence `openOutbox` ahead of time.
 *
 * Batches are parked as JSON text in small pieces (see `OUTBOX_PIECE_CHARS` for why).
 * Replays are at-least-once: a batch the worker stored just before the page died is replayed once
 * more. Starts and ends are upserts keyed by call id (the client fills in ids before queuing), so a
 * replay rewrites the same values.
 */
import type { CallCreateBatchReqInput } from "../schema/calls";
import { badBatchItems } from "./batch-items";
import { toWeftError } from "../errors";

const STORE = "pieces";

/**
 * Longest piece of a parked batch, in characters. Chromium keeps an IndexedDB value over 64 KB as a
 * Blob, written apart from the transaction's other requests; parked whole, ~2 MB batches were lost
 * in `pagehide` on an on-disk profile (2 runs of 2), cut into pieces they survived every run. So a
 * batch is parked as its JSON text in pieces of at most 16 Ki characters (≤ 32 KB even as UTF-16).
 */
export const OUTBOX_PIECE_CHARS = 16 * 1024;

/** One piece of a parked batch's JSON text. Key `[batch, index]`; `batch` sorts in creation order. */
export interface OutboxPiece {
  batch: string;
  index: number;
  count: number;
  json: string;
  saved_at: number;
}

/** The key of one piece. */
export type OutboxKey = [batch: string, index: number];

/** The outbox database that belongs to the server database `dbName`. @throws never */
export function outboxDbName(dbName: string): string {
  return `${dbName}:weft-outbox`;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error("IndexedDB request failed"));
  });
}

function completion(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
  });
}

/**
 * Opens (creating if needed) the outbox of `dbName`. The connection closes itself on a version
 * change so it never blocks a future upgrade.
 * @throws WeftError STORAGE / QUOTA_EXCEEDED when IndexedDB refuses
 */
export async function openOutbox(factory: IDBFactory, dbName: string): Promise<IDBDatabase> {
  const open = factory.open(outboxDbName(dbName), 1);
  open.onupgradeneeded = () => {
    if (!open.result.objectStoreNames.contains(STORE)) open.result.createObjectStore(STORE, { keyPath: ["batch", "index"] });
  };
  try {
    const db = await request(open);
    db.onversionchange = () => db.close();
    return db;
  } catch (error) {
    throw toWeftError(error);
  }
}

/**
 * Cuts a batch's JSON text into pieces: `value` is the batch, or its JSON text already (the call
 * batcher's, `batchJson`). Dates become ISO strings, which the schema accepts.
 */
export function toPieces(batch: string, value: CallCreateBatchReqInput | string, savedAt: number): OutboxPiece[] {
  const json = typeof value === "string" ? value : JSON.stringify(value);
  const count = Math.max(1, Math.ceil(json.length / OUTBOX_PIECE_CHARS));
  const pieces: OutboxPiece[] = [];
  for (let index = 0; index < count; index++) {
    pieces.push({ batch, index, count, json: json.slice(index * OUTBOX_PIECE_CHARS, (index + 1) * OUTBOX_PIECE_CHARS), saved_at: savedAt });
  }
  return pieces;
}

/**
 * Parks `pieces` in one readwrite transaction. All requests are issued synchronously, before this
 * returns, which is what lets the write outlive the page when called from `pagehide`; the promise
 * only reports the outcome to a page that is still alive.
 * @throws WeftError STORAGE / QUOTA_EXCEEDED (through the promise) when the write fails
 */
export function saveToOutbox(db: IDBDatabase, pieces: readonly OutboxPiece[]): Promise<void> {
  try {
    const tx = db.transaction(STORE, "readwrite");
    const store = tx.objectStore(STORE);
    for (const piece of pieces) store.put(piece);
    const done = completion(tx);
    // Ask for the commit now instead of waiting for the task to end: the page may be going away.
    tx.commit?.();
    return done.catch((error: unknown) => Promise.reject(toWeftError(error)));
  } catch (error) {
    return Promise.reject(toWeftError(error));
  }
}

/**
 * Removes pieces. Missing keys are fine (another tab's worker may have replayed them).
 * @throws WeftError STORAGE (through the promise) when the write fails
 */
export function deleteFromOutbox(db: IDBDatabase, keys: readonly OutboxKey[]): Promise<void> {
  try {
    const tx = db.transaction(STORE, "readwrite");
    const store = tx.objectStore(STORE);
    for (const key of keys) store.delete(key);
    return completion(tx).catch((error: unknown) => Promise.reject(toWeftError(error)));
  } catch (error) {
    return Promise.reject(toWeftError(error));
  }
}

/**
 * Sends every parked batch of `dbName` through `send` (the server's `call_start_batch`), oldest
 * first, deleting each once stored. A batch the server rejects as `VALIDATION` can never succeed
 * and is dropped (with a console warning); any other failure stops the replay and keeps the rest
 * for the next start. Pieces of one batch are written in one transaction, so a batch is whole or
 * absent; an incomplete one (never expected) is dropped.
 * @returns how many batches were stored and how many were dropped
 * @throws WeftError STORAGE when the outbox cannot be opened or read, or the server's error
 */
export async function replayOutbox(
  factory: IDBFactory,
  dbName: string,
  send: (batch: CallCreateBatchReqInput) => Promise<unknown>,
): Promise<{ replayed: number; dropped: number }> {
  const db = await openOutbox(factory, dbName);
  let replayed = 0;
  let dropped = 0;
  try {
    const pieces = await request(db.transaction(STORE).objectStore(STORE).getAll() as IDBRequest<OutboxPiece[]>);
    const batches = new Map<string, OutboxPiece[]>();
    for (const piece of pieces) {
      const list = batches.get(piece.batch);
      if (list) list.push(piece);
      else batches.set(piece.batch, [piece]);
    }
    for (const [batch, list] of batches) {
      const keys = list.map((p): OutboxKey => [batch, p.index]);
      if (list.length !== list[0]?.count) {
        dropped++;
      } else {
        const parked = JSON.parse(list.map((p) => p.json).join("")) as CallCreateBatchReqInput;
        try {
          await send(parked);
          replayed++;
        } catch (error) {
          const weftError = toWeftError(error);
          if (weftError.code !== "VALIDATION") throw weftError;
          // Store the good items of a batch that held bad ones; drop only what can never be stored.
          const bad = badBatchItems(weftError, parked.batch.length);
          const good = bad ? parked.batch.filter((_, i) => !bad.has(i)) : [];
          console.warn(`weft: dropped ${bad ? bad.size : parked.batch.length} parked call part(s) the server rejects: ${weftError.message}`);
          if (good.length > 0) {
            await send({ batch: good });
            replayed++;
          } else {
            dropped++;
          }
        }
      }
      await deleteFromOutbox(db, keys);
    }
  } catch (error) {
    throw toWeftError(error);
  } finally {
    db.close();
  }
  return { replayed, dropped };
}
