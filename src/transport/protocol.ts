/**
 * The narrow API that crosses the worker boundary (PGlite-style: never the server object itself).
 * Method names and requests travel as plain data; the worker validates them (it is the trust
 * boundary) and the client derives its typed surface from the method table, so this file stays small.
 */
import type { MethodName } from "../interface";

/**
 * Bumped when the messages below change shape; a client refuses a worker with another version.
 * 2: `call` takes `CallOptions` (the batcher's JSON items).
 */
export const PROTOCOL_VERSION = 2;

/** Most items in one streamed chunk. */
export const STREAM_CHUNK_MAX_ITEMS = 500;
/** Rough byte budget of one streamed chunk, so one message stays small (see `estimateBytes`). */
export const STREAM_CHUNK_MAX_BYTES = 256 * 1024;

/** How a `call` request was encoded by the client. */
export interface CallOptions {
  /**
   * `call_start_batch` only: string items of `req.batch` are the JSON text of the item, as the
   * client's call batcher snapshots them (`batch-wire.ts`). Without it a string item is refused.
   */
  jsonItems?: boolean;
}

/** What the worker answers to `hello()`. */
export interface WorkerHello {
  protocol: number;
  /** The IndexedDB database the worker serves; names the page-hide outbox (`outbox.ts`). */
  dbName: string;
  /** The methods the worker's server implements; others reject with `VALIDATION`. */
  implementedMethods: readonly MethodName[];
  /**
   * The weft-only operations the worker serves through `extension()` (`src/extensions.ts`). Absent
   * from workers built before the extension table: the client then refuses extensions itself.
   */
  extensions?: readonly string[];
  /** The methods the worker also answers through `callJson`, as JSON text. */
  jsonAnswers: readonly MethodName[];
  /**
   * The streaming methods the worker also streams as JSON text (`openStream` with `{json: true}`:
   * each item a string). Absent from workers built before: the client then streams objects.
   */
  jsonStreams?: readonly MethodName[];
}

/** How a stream's items cross the boundary. */
export interface StreamOptions {
  /** Each item as its JSON text (methods of `WorkerHello.jsonStreams` only). */
  json?: boolean;
}

/** One pull of a stream: up to `STREAM_CHUNK_MAX_ITEMS` items; `done` once the stream is finished. */
export interface StreamChunk {
  items: unknown[];
  done: boolean;
}

/**
 * What `exposeLocalTraceServer` exposes over Comlink. Every method rejects with a `WeftError`
 * (rebuilt on the client by the `throw` transfer handler, `error-transfer.ts`).
 */
export interface WorkerApi {
  /** Protocol version, database name and implemented methods. Answers before any database work. */
  hello(): Promise<WorkerHello>;
  /** Liveness probe for the client's watchdog; answers without touching the database. */
  ping(): Promise<"pong">;
  /**
   * One unary method. @throws WeftError VALIDATION for an unknown or streaming method name, or
   * `options` given for a method they do not apply to.
   */
  call(method: string, req: unknown, options?: CallOptions): Promise<unknown>;
  /**
   * One unary method of `WorkerHello.jsonAnswers`, answered as the JSON text of its response: the
   * answer is JSON data throughout (calls whose payloads were stored as JSON text), and one string
   * crosses the boundary for a fraction of what structured-cloning the objects costs on both sides.
   * @throws WeftError VALIDATION for a method not in `jsonAnswers`, else as `call`
   */
  callJson(method: string, req: unknown): Promise<string>;
  /**
   * One weft-only operation of the extension table (`purge`, `setProvider`, …). A separate entry
   * rather than more names for `call`: `call` speaks Weave's method names only, the same set the
   * HTTP routes serve, and weft's own operations must never pass for Weave's.
   * @throws WeftError VALIDATION for an unknown extension name or a bad request; whatever it raises.
   */
  extension(name: string, req: unknown): Promise<unknown>;
  /**
   * Starts a streaming method; returns the id to pull with. With `{json: true}` each item of its
   * chunks is the item's JSON text. @throws WeftError VALIDATION (also for `json` on a method not in
   * `WorkerHello.jsonStreams`)
   */
  openStream(method: string, req: unknown, options?: StreamOptions): Promise<number>;
  /** The next chunk. The worker forgets the stream once `done` or after an error. @throws WeftError NOT_FOUND */
  nextChunk(streamId: number): Promise<StreamChunk>;
  /** Ends a stream early (the consumer broke out of its loop). Unknown ids are ignored. */
  closeStream(streamId: number): Promise<void>;
  /** Closes the database; later calls reject with `STORAGE`. */
  close(): Promise<void>;
}

/**
 * A cheap estimate of a value's size in bytes, close to its JSON length for ASCII text, without
 * building a string (the batching and chunking limits only need an order of magnitude). Strings
 * count a byte a character, as V8's structured clone stores one-byte strings; numbers 8.
 * @throws never
 */
export function estimateBytes(value: unknown, depth = 0): number {
  switch (typeof value) {
    case "string":
      return 2 + value.length;
    case "number":
    case "bigint":
      return 8;
    case "boolean":
      return 4;
    case "object": {
      if (value === null) return 4;
      if (depth > 64) return 64; // deeper values are rejected by validation anyway
      if (value instanceof Date) return 32;
      if (ArrayBuffer.isView(value)) return value.byteLength;
      if (value instanceof ArrayBuffer) return value.byteLength;
      let total = 2;
      if (Array.isArray(value)) {
        for (const item of value) total += 1 + estimateBytes(item, depth + 1);
        return total;
      }
      for (const key in value) {
        total += 4 + key.length + estimateBytes((value as Record<string, unknown>)[key], depth + 1);
      }
      return total;
    }
    default:
      return 8;
  }
}
