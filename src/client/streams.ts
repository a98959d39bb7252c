/**
 * Streaming methods on the client (`calls_query_stream`, `table_query_stream`): an `AsyncIterable`
 * that opens a stream in the worker, pulls it chunk by chunk (`nextChunk`, bounded in items and
 * bytes so one message stays small) and closes it when the consumer stops early.
 */
import type { Connection } from "./connection";

/**
 * An iterable over a worker stream. Each `for await` opens its own stream, so the iterable can be
 * iterated again (it re-runs the query). Breaking out of the loop (or an exception in its body)
 * closes the stream in the worker.
 * @throws WeftError (from the iteration) whatever the worker's method throws; WORKER_UNAVAILABLE
 */
export function workerStream(connection: Connection, method: string, req: unknown): AsyncIterable<unknown> {
  return {
    async *[Symbol.asyncIterator]() {
      const streamId = await connection.invoke("openStream", method, req);
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
          yield* chunk.items;
          if (chunk.done) return;
        }
      } finally {
        if (!finished) await connection.invoke("closeStream", streamId).catch(() => undefined);
      }
    },
  };
}
