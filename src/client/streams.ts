/**
 * Streaming methods on the client (`calls_query_stream`, `table_query_stream`): an `AsyncIterable`
 * that opens a stream in the worker, pulls it chunk by chunk (`nextChunk`, bounded in items and
 * bytes so one message stays small) and closes it when the consumer stops early.
 */
import { WeftError } from "../errors";
import type { Connection } from "./connection";

/** A streamed item sent as JSON text. @throws WeftError INTERNAL if it is not JSON (a bug) */
function parseItem(text: unknown): unknown {
  try {
    return JSON.parse(text as string) as unknown;
  } catch (error) {
    throw new WeftError("INTERNAL", `The weft worker streamed an item that is not JSON text: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * An iterable over a worker stream. Each `for await` opens its own stream, so the iterable can be
 * iterated again (it re-runs the query). Breaking out of the loop (or an exception in its body)
 * closes the stream in the worker.
 * @throws WeftError (from the iteration) whatever the worker's method throws; WORKER_UNAVAILABLE
 */
export function workerStream(connection: Connection, method: string, req: unknown): AsyncIterable<unknown> {
  return {
    async *[Symbol.asyncIterator]() {
      // Items as JSON text where the worker offers it (one string per item copies for a fraction of
      // the objects' structured clone); a worker that never said hello fails on open below anyway.
      const hello = await connection.hello.catch(() => undefined);
      const json = (hello?.jsonStreams as readonly string[] | undefined)?.includes(method) === true;
      const streamId = await (json ? connection.invoke("openStream", method, req, { json: true }) : connection.invoke("openStream", method, req));
      let finished = false;
      try {
        for (;;) {
          // The worker forgets the stream once it is done or failed: no close needed then.
          let chunk;
          try {
            chunk = await connection.invoke("nextChunk", streamId);
          } catch (error) {
            finished = true;
            throw error;
          }
          finished = chunk.done;
          if (json) for (const item of chunk.items) yield parseItem(item);
          else yield* chunk.items;
          if (chunk.done) return;
        }
      } finally {
        if (!finished) await connection.invoke("closeStream", streamId).catch(() => undefined);
      }
    },
  };
}
