/**
 * JSONL, the wire form of Weave's streaming routes (`/calls/stream_query`, `/table/query_stream`,
 * weave-semantics.md §13): one JSON document per line. Both directions work incrementally, so a
 * stream of a million calls never sits in memory as one string.
 */
import { WeftError } from "../errors";

/**
 * A `ReadableStream` of JSONL bytes that pulls one item from `iterator` per chunk asked for, after
 * `first` (already pulled by the caller, so errors before the first item can still become a proper
 * error status). Cancelling the stream (a client that disconnects) calls `iterator.return()`, which
 * lets the server close its cursor.
 *
 * An error after the first item cannot change the status any more: the stream errors, as Weave's
 * `StreamingResponse` does by cutting the connection, and the client sees a truncated body.
 * With `itemsAreJson`, each item is already its JSON text (`LocalTraceServer.streamJson`) and is
 * written as it is.
 * @throws never itself; the stream errors with whatever `iterator.next()` rejects with
 */
export function jsonlStream(first: IteratorResult<unknown>, iterator: AsyncIterator<unknown>, itemsAreJson = false): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let pending: IteratorResult<unknown> | undefined = first;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = pending ?? (await iterator.next());
        pending = undefined;
        if (next.done) {
          controller.close();
          return;
        }
        controller.enqueue(encoder.encode(`${itemsAreJson ? (next.value as string) : JSON.stringify(next.value)}\n`));
      },
      async cancel() {
        await iterator.return?.();
      },
    },
    // A few items of read-ahead keeps the socket busy without buffering the stream.
    { highWaterMark: 8 },
  );
}

/**
 * Parses a JSONL body incrementally: decodes UTF-8 across chunk boundaries, splits on `\n` (a `\r`
 * before it is dropped), skips blank lines as Weave's clients do (§13), and parses each line. Only
 * the current partial line is kept between chunks. Leaving the loop early cancels the body.
 * @throws WeftError UPSTREAM when a line is not JSON (the message names the line number)
 */
export async function* parseJsonl(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let partial = "";
  let lineNo = 0;
  const parse = (line: string): { value: unknown } | undefined => {
    lineNo++;
    const text = line.endsWith("\r") ? line.slice(0, -1) : line;
    if (text.trim() === "") return undefined;
    try {
      return { value: JSON.parse(text) as unknown };
    } catch {
      const shown = text.length > 120 ? `${text.slice(0, 120)}…` : text;
      throw new WeftError("UPSTREAM", `The server's JSONL stream has a line that is not JSON (line ${lineNo}): ${shown}`, { line: lineNo });
    }
  };
  let done = false;
  try {
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      const text = decoder.decode(chunk.value, { stream: true });
      let start = 0;
      // Search only the new text for newlines: a long line split over many chunks stays linear.
      for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
        const line = partial + text.slice(start, nl);
        partial = "";
        start = nl + 1;
        const parsed = parse(line);
        if (parsed) yield parsed.value;
      }
      partial += text.slice(start);
    }
    done = true;
    const last = parse(partial + decoder.decode());
    if (last) yield last.value;
  } finally {
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
