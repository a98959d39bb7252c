/**
 * `createClient`: the main-thread face of a weft worker. Every method of the table is there, typed
 * from the table (`TraceServerInterface`) and generated from `METHOD_NAMES`, so a new method needs
 * no client code. Only types come from the server side; the worker is reached through the narrow
 * protocol in `src/transport/protocol.ts`.
 */
import type { Endpoint } from "comlink";
import { WeftError } from "../errors";
import { EXTENSION_NAMES, type ExtensionName, type WeftExtensions } from "../extensions";
import { METHOD_NAMES, isStreamMethod, type MethodReq, type MethodRes, type TraceServerInterface } from "../interface";
import { installErrorTransfer } from "../transport/error-transfer";
import { CallBatcher, type BatchOptions } from "./call-batcher";
import { connect, type LivenessOptions } from "./connection";
import { guardPageHide } from "./page-lifecycle";
import { workerStream } from "./streams";

export type { BatchOptions } from "./call-batcher";
export { DEFAULT_LIVENESS_TIMEOUT_MS, DEFAULT_STARTUP_TIMEOUT_MS } from "./connection";

/** Options of `createClient`. */
export interface ClientOptions {
  /** A `Worker` running `exposeLocalTraceServer()`, or any Comlink endpoint to one (a `MessagePort`). */
  worker: Worker | Endpoint;
  /** Limits of `call_start`/`call_end` batching. */
  batch?: BatchOptions;
  /**
   * How long (ms) the worker may stay silent while calls are pending before every pending call
   * rejects with `WORKER_UNAVAILABLE`. The watchdog pings in between, so a worker busy with a slow
   * query still counts as alive. Default 10 000.
   */
  livenessTimeoutMs?: number;
  /**
   * How long (ms) the worker may take to answer for the first time (fetching and compiling its
   * code) before pending calls reject with `WORKER_UNAVAILABLE`. A script that fails to load is
   * reported at once through the Worker's `error` event. Default 30 000 (never below
   * `livenessTimeoutMs`).
   */
  startupTimeoutMs?: number;
}

/**
 * The client: Weave's `TraceServerInterface`, weft's own operations (`WeftExtensions`: providers,
 * `purge`, `deleteProject`, `storageInfo`, generated from the extension table) and lifecycle.
 */
export type WeftClient = TraceServerInterface &
  WeftExtensions & {
    /**
     * Resolves once the worker has answered and page-hide protection is armed (calls made before
     * work too; this is for apps that want to surface a worker that fails to start, and for tests).
     * @throws WeftError WORKER_UNAVAILABLE when the worker cannot be reached
     */
    ready(): Promise<void>;
    /**
     * Sends queued starts/ends now; resolves once everything queued before the call is stored.
     * @throws WeftError the error of a batch that failed (its calls were rejected with it too)
     */
    flush(): Promise<void>;
    /**
     * Flushes, asks the worker to close its database, then terminates the worker (when it is a
     * `Worker`; a port is closed). Later calls reject with `WORKER_UNAVAILABLE`. Never rejects.
     */
    close(): Promise<void>;
    /**
     * Asks the browser to keep this origin's storage (IndexedDB included) when space runs low
     * (`navigator.storage.persist()`). Runs in the page, not the worker: browsers only offer it to
     * documents, and may decide from the page's engagement or a permission prompt. Resolves to whether
     * storage is now persistent; false where the API is missing or the browser refuses.
     * `storageInfo()` tells the current state without asking.
     * @throws never
     */
    requestPersistentStorage(): Promise<boolean>;
  };

/** An answer sent as JSON text (`WorkerApi.callJson`). @throws WeftError INTERNAL if it is not JSON (a bug) */
function parseAnswer(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new WeftError("INTERNAL", `The weft worker sent an answer that is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A worker built from an older weft, without this extension (see `WorkerHello.extensions`). */
function unsupported(name: ExtensionName): WeftError {
  return new WeftError("VALIDATION", `${name} is not served by this weft worker: build the worker and the client from the same weft version.`, {
    extension: name,
    implemented: false,
  });
}

async function requestPersistentStorage(): Promise<boolean> {
  const storage = (globalThis as { navigator?: { storage?: StorageManager } }).navigator?.storage;
  if (typeof storage?.persist !== "function") return false;
  try {
    return await storage.persist();
  } catch {
    // e.g. a document that is not fully active: nothing was granted.
    return false;
  }
}

/**
 * Connects to a weft worker.
 *
 * `call_start`/`call_end` are validated here, queued and sent as one `call_start_batch` (see
 * `call-batcher.ts`); each promise settles with its batch.
 *
 * Page unload (what was measured is in `page-lifecycle.ts`): on `beforeunload`, `pagehide` and
 * `visibilitychange` → hidden, queued calls are sent to the worker and every unacknowledged batch
 * is also parked in an outbox from the main thread; the next worker opened on the same database
 * replays it before serving anything (at least once: a replay rewrites the same values). So once
 * `ready()` has resolved, a start/end accepted before the page began to unload is stored, by this
 * worker or by the next, as far as the browser commits an IndexedDB transaction issued in those
 * events (Chromium did in every measured run). Not covered: a crash, or a background tab discarded
 * without these events (the last `flushIntervalMs` of calls can be lost). Without a document, or
 * before `ready()`, only `flush()` and `close()` guarantee storage.
 *
 * A `call_start` promise settles only after its batch was stored, i.e. up to `flushIntervalMs`
 * later: tracing code should not await it before running the op (pass `id`/`trace_id`, or let the
 * client fill them in, and carry on), as Weave's SDKs do.
 *
 * @throws WeftError (from the methods) VALIDATION for bad requests, WORKER_UNAVAILABLE when the
 *   worker is dead, the client closed, the worker went silent for `livenessTimeoutMs` or did not
 *   start within `startupTimeoutMs`; any other code the server raises (NOT_FOUND, INVALID_FIELD,
 *   STORAGE, QUOTA_EXCEEDED, …), always as a real `WeftError`; VALIDATION from `createClient` itself
 *   for a `batch` option out of range
 */
export function createClient(options: ClientOptions): WeftClient {
  installErrorTransfer();
  const timeouts: LivenessOptions = {};
  if (options.livenessTimeoutMs !== undefined) timeouts.livenessTimeoutMs = options.livenessTimeoutMs;
  if (options.startupTimeoutMs !== undefined) timeouts.startupTimeoutMs = options.startupTimeoutMs;
  // The batcher first: it checks the batch options, and a bad one must throw before a worker is
  // connected (and left running). Its hooks reach the connection and guard only once calls flow.
  const batcher = new CallBatcher(
    (batch) => connection.invoke("call", "call_start_batch", batch, { jsonItems: true }) as Promise<MethodRes<"call_start_batch">>,
    options.batch,
    {
      settled: (batch, error) => guard.settled(batch, error),
      busy: (isBusy) => guard.busy(isBusy),
      dispatched: (batch) => guard.dispatched(batch),
    },
  );
  const connection = connect(options.worker, timeouts);
  const guard = guardPageHide(connection, () => batcher);
  connection.onDead((error) => batcher.failQueued(error));

  let closing: Promise<void> | undefined;
  const closedError = (): WeftError =>
    new WeftError("WORKER_UNAVAILABLE", "The weft client is closed: create a new client to keep using the worker.");
  /** The error a new call must get right away, if any. */
  const refuse = (): WeftError | undefined => (closing ? closedError() : connection.deadError());

  // Methods the worker answers as JSON text (known once it said hello; before that, every answer
  // comes as objects).
  let jsonAnswers: ReadonlySet<string> = new Set();
  connection.hello.then(
    (hello) => (jsonAnswers = new Set(hello.jsonAnswers)),
    () => undefined,
  );

  const client: Record<string, unknown> = {};
  for (const name of METHOD_NAMES) {
    if (name === "call_start" || name === "call_end") {
      client[name] = (req: MethodReq<"call_start"> & MethodReq<"call_end">) => {
        const error = refuse();
        if (error) return Promise.reject(error);
        return name === "call_start" ? batcher.start(req) : batcher.end(req);
      };
    } else if (isStreamMethod(name)) {
      client[name] = (req: unknown): AsyncIterable<unknown> => {
        const stream = workerStream(connection, name, req);
        return {
          [Symbol.asyncIterator]() {
            const error = refuse();
            if (error) return { next: () => Promise.reject(error) };
            return stream[Symbol.asyncIterator]();
          },
        };
      };
    } else {
      client[name] = (req: unknown) => {
        const error = refuse();
        if (error) return Promise.reject(error);
        if (!jsonAnswers.has(name)) return connection.invoke("call", name, req);
        return connection.invoke("callJson", name, req).then(parseAnswer);
      };
    }
  }

  for (const name of EXTENSION_NAMES) {
    client[name] = async (req?: unknown): Promise<unknown> => {
      const error = refuse();
      if (error) throw error;
      const { extensions } = await connection.hello;
      if (!extensions?.includes(name)) throw unsupported(name);
      return await connection.invoke("extension", name, req);
    };
  }
  client.requestPersistentStorage = requestPersistentStorage;

  client.ready = async (): Promise<void> => {
    await connection.hello;
    await guard.armed;
  };
  client.flush = (): Promise<void> => {
    const error = refuse();
    return error ? Promise.reject(error) : batcher.flush();
  };
  client.close = (): Promise<void> => {
    closing ??= (async () => {
      await batcher.flush().catch(() => undefined);
      await connection.invoke("close").catch(() => undefined);
      guard.dispose();
      connection.kill(closedError());
    })();
    return closing;
  };
  return client as unknown as WeftClient;
}
