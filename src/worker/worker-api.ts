/**
 * The worker side of the protocol: turns a `LocalTraceServer` into the narrow `WorkerApi` that
 * `exposeLocalTraceServer` hands to Comlink. Streams are kept here, pulled in bounded chunks.
 */
import { WeftError, toWeftError } from "../errors";
import { EXTENSION_NAMES, isExtensionName } from "../extensions";
import { METHODS, type MethodName } from "../interface";
import { JSON_ANSWER_METHODS, JSON_STREAM_METHODS, type JsonStreamMethod, type LocalTraceServer } from "../server";
import { decodeWireBatch } from "../transport/batch-wire";
import {
  PROTOCOL_VERSION,
  STREAM_CHUNK_MAX_BYTES,
  STREAM_CHUNK_MAX_ITEMS,
  estimateBytes,
  type StreamChunk,
  type WorkerApi,
} from "../transport/protocol";

/** A stream nobody pulled for this long is dropped (its client died or forgot to break cleanly). */
const STREAM_IDLE_MS = 5 * 60_000;

interface OpenStream {
  iterator: AsyncIterator<unknown>;
  lastUsed: number;
  /** Serialises pulls: a second `nextChunk` waits for the first instead of interleaving items. */
  busy: Promise<unknown>;
  /** An error raised after some items of a chunk were collected: delivered on the next pull. */
  failed?: WeftError;
}

function resolveMethod(server: LocalTraceServer, method: string, stream: boolean): (req: unknown) => unknown {
  if (!Object.hasOwn(METHODS, method)) {
    throw new WeftError("VALIDATION", `Unknown method: ${JSON.stringify(method)}. Use one of the names in METHODS (interface.ts).`, {
      method,
    });
  }
  const name = method as MethodName;
  if (METHODS[name].stream !== stream) {
    throw new WeftError(
      "VALIDATION",
      stream ? `${name} is not a streaming method: call it with call().` : `${name} is a streaming method: open it with openStream().`,
      { method: name },
    );
  }
  if (!(server.implementedMethods as readonly string[]).includes(name)) {
    throw new WeftError("VALIDATION", `${name} is not implemented by this weft version yet.`, { method: name, implemented: false });
  }
  const fn = (server as unknown as Record<string, (req: unknown) => unknown>)[name];
  if (typeof fn !== "function") throw new WeftError("INTERNAL", `Internal error: server has no function for ${name}.`);
  return fn.bind(server);
}

/**
 * Builds the API exposed to clients. Every method but `hello`/`ping` first awaits `ready` (the
 * outbox replay), so reads made right after a page comes back see what the last page parked.
 * @throws WeftError (through the returned methods) VALIDATION for unknown method names, plus
 *   whatever the server throws
 */
export function createWorkerApi(server: LocalTraceServer, dbName: string, ready: Promise<void>): WorkerApi {
  const streams = new Map<number, OpenStream>();
  let nextStreamId = 1;

  const sweepIdleStreams = (now: number): void => {
    for (const [id, stream] of streams) {
      if (now - stream.lastUsed > STREAM_IDLE_MS) {
        streams.delete(id);
        void stream.iterator.return?.().catch(() => undefined);
      }
    }
  };

  const pull = async (stream: OpenStream): Promise<StreamChunk> => {
    if (stream.failed) throw stream.failed;
    const items: unknown[] = [];
    let bytes = 0;
    try {
      while (items.length < STREAM_CHUNK_MAX_ITEMS && bytes < STREAM_CHUNK_MAX_BYTES) {
        const step = await stream.iterator.next();
        if (step.done) return { items, done: true };
        items.push(step.value);
        bytes += estimateBytes(step.value);
      }
    } catch (error) {
      // Hand over what was read before the failure; the error comes with the next pull.
      if (items.length === 0) throw toWeftError(error);
      stream.failed = toWeftError(error);
    }
    return { items, done: false };
  };

  const closeStream = async (streamId: number): Promise<void> => {
    const stream = streams.get(streamId);
    if (!stream) return;
    streams.delete(streamId);
    // Let an in-flight pull finish before closing the generator under it.
    await stream.busy;
    await stream.iterator.return?.().catch(() => undefined);
  };

  return {
    async hello() {
      return {
        protocol: PROTOCOL_VERSION,
        dbName,
        implementedMethods: [...server.implementedMethods],
        extensions: [...EXTENSION_NAMES],
        jsonAnswers: [...JSON_ANSWER_METHODS],
        jsonStreams: [...JSON_STREAM_METHODS],
      };
    },
    async ping() {
      return "pong";
    },
    async call(method, req, options) {
      const fn = resolveMethod(server, method, false);
      let decoded = req;
      if (options?.jsonItems === true) {
        if (method !== "call_start_batch") throw new WeftError("VALIDATION", `jsonItems applies to call_start_batch only, not ${method}.`, { method });
        decoded = decodeWireBatch(req);
      }
      await ready;
      return await (fn(decoded) as Promise<unknown>);
    },
    async callJson(method, req) {
      await ready;
      // answerJson refuses (VALIDATION) a method it does not answer as text.
      return await server.answerJson(method as (typeof JSON_ANSWER_METHODS)[number], req);
    },
    async extension(name, req) {
      if (!isExtensionName(name)) {
        throw new WeftError("VALIDATION", `Unknown extension: ${JSON.stringify(name)}. Use one of: ${EXTENSION_NAMES.join(", ")}.`, {
          extension: name,
        });
      }
      const fn = server[name] as (req: unknown) => Promise<unknown>;
      await ready;
      return await fn(req);
    },
    async openStream(method, req, options) {
      const fn = resolveMethod(server, method, true);
      const json = options?.json === true;
      if (json && !(JSON_STREAM_METHODS as readonly string[]).includes(method)) {
        throw new WeftError("VALIDATION", `${method} is not streamed as JSON text: open it without {json: true}.`, { method });
      }
      await ready;
      const now = Date.now();
      sweepIdleStreams(now);
      const items = json ? server.streamJson(method as JsonStreamMethod, req) : (fn(req) as AsyncIterable<unknown>);
      const iterator = items[Symbol.asyncIterator]();
      const id = nextStreamId++;
      streams.set(id, { iterator, lastUsed: now, busy: Promise.resolve() });
      return id;
    },
    async nextChunk(streamId) {
      const stream = streams.get(streamId);
      if (!stream) {
        throw new WeftError("NOT_FOUND", `Stream ${streamId} is not open (finished, closed, or idle for over ${STREAM_IDLE_MS / 60_000} minutes).`);
      }
      const result = stream.busy.then(() => pull(stream));
      stream.busy = result.catch(() => undefined);
      try {
        const chunk = await result;
        stream.lastUsed = Date.now();
        if (chunk.done) streams.delete(streamId);
        return chunk;
      } catch (error) {
        streams.delete(streamId);
        throw toWeftError(error);
      }
    },
    closeStream,
    async close() {
      for (const id of [...streams.keys()]) await closeStream(id);
      await server.close();
    },
  };
}
