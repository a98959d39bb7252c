/**
 * weft's worker for the fault tests: the same few lines as `worker.ts`, plus an optional spy that
 * lets a test kill the worker while an IndexedDB transaction is provably in progress. The worker's
 * name is JSON (`FaultsWorkerConfig`). With `spyAtPut`, the spy counts `put` requests on the `calls`
 * store (Dexie's `bulkPut` issues one per row, synchronously, inside the transaction) and, at that
 * count, tells the page on the BroadcastChannel `spyChannel`; with `stall` it then spins in that
 * `put`, so the transaction cannot commit before the page terminates the worker.
 */
import { exposeLocalTraceServer } from "../../../src/worker/index";

/** What the page passes as the worker's name. */
export interface FaultsWorkerConfig {
  db: string;
  spyAtPut?: number;
  spyChannel?: string;
  stall?: boolean;
}

/** What the spy posts on `spyChannel`. */
export interface SpyMessage {
  puts: number;
  stalled: boolean;
}

const config = JSON.parse(self.name) as FaultsWorkerConfig;

if (config.spyAtPut !== undefined && config.spyChannel) {
  const channel = new BroadcastChannel(config.spyChannel);
  const at = config.spyAtPut;
  const put = IDBObjectStore.prototype.put;
  let puts = 0;
  IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore["put"]>): IDBRequest<IDBValidKey> {
    const request = put.apply(this, args);
    if (this.name === "calls" && ++puts === at) {
      channel.postMessage({ puts, stalled: Boolean(config.stall) } satisfies SpyMessage);
      // Spin inside the transaction's request loop: it stays active (uncommitted) until we are killed.
      const until = Date.now() + 30_000;
      while (config.stall && Date.now() < until);
    }
    return request;
  };
}

exposeLocalTraceServer({ dbName: config.db });
