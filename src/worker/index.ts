/**
 * The `weft/worker` entry. The app owns its worker file and calls one function in it:
 *
 * ```ts
 * // trace-worker.ts
 * import { exposeLocalTraceServer } from "weft/worker";
 * exposeLocalTraceServer();
 * ```
 *
 * and on the main thread `createClient({ worker: new Worker(new URL("./trace-worker.ts", import.meta.url), { type: "module" }) })`.
 */
import { expose, type Endpoint } from "comlink";
import { createLocalTraceServer, type LocalTraceServer } from "../server";
import { installErrorTransfer } from "../transport/error-transfer";
import { replayOutbox } from "../transport/outbox";
import { createWorkerApi } from "./worker-api";

export type { LocalTraceServer } from "../server";

/** Options of `exposeLocalTraceServer`. */
export interface ExposeLocalTraceServerOptions {
  /** IndexedDB database name. Default `"weft"`. */
  dbName?: string;
  /** Where to listen. Default: the worker's global scope. Tests pass one end of a `MessageChannel`. */
  endpoint?: Endpoint;
  /** An `IDBFactory` (fake-indexeddb in Node); defaults to the realm's `indexedDB`. */
  indexedDB?: IDBFactory;
  /** The `IDBKeyRange` matching `indexedDB`. */
  IDBKeyRange?: typeof IDBKeyRange;
}

/**
 * Creates a `LocalTraceServer`, installs the `WeftError` transfer handler and exposes the narrow
 * worker API (`src/transport/protocol.ts`) on `endpoint`. Call batches that an earlier page parked
 * in the outbox when it was hidden are replayed first; requests wait for that replay.
 * Call it synchronously at the top of the worker file: messages the page sent before the listener
 * exists would otherwise be lost.
 * @returns the server, for code in the worker that wants to call it directly
 * @throws WeftError INTERNAL when the loaded Comlink is incompatible (see `installErrorTransfer`)
 */
export function exposeLocalTraceServer(options: ExposeLocalTraceServerOptions = {}): LocalTraceServer {
  installErrorTransfer();
  const dbName = options.dbName ?? "weft";
  const server = createLocalTraceServer({
    dbName,
    ...(options.indexedDB ? { indexedDB: options.indexedDB } : {}),
    ...(options.IDBKeyRange ? { IDBKeyRange: options.IDBKeyRange } : {}),
  });
  const factory = options.indexedDB ?? globalThis.indexedDB;
  // A failed replay keeps its batches for the next start; it must not take the server down.
  const ready = factory
    ? replayOutbox(factory, dbName, (batch) => server.call_start_batch(batch)).then(
        () => undefined,
        (error: unknown) => console.warn("weft: could not replay parked call batches:", error),
      )
    : Promise.resolve();
  const api = createWorkerApi(server, dbName, ready);
  if (options.endpoint) expose(api, options.endpoint);
  else expose(api);
  return server;
}
