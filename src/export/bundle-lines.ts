/**
 * The lines of a gzip'd bundle, decompressed as they stream in: only one decompressed chunk is held
 * at a time, so reading a bundle of 100k calls never holds its ~150 MB of JSONL text at once.
 */
import { WeftError } from "../errors";
import { nextTask } from "./next-task";

/** One line of the decompressed text, without its `\n`; `bytes` are its UTF-8 bytes, `\n` included when it had one. */
export interface BundleLine {
  no: number;
  text: string;
  bytes: Uint8Array;
}

/**
 * A VALIDATION error about a bundle, with the path of the offending line.
 * @throws never
 */
export function invalidBundle(message: string, path = "bundle"): WeftError {
  return new WeftError("VALIDATION", `Not a valid weft bundle: ${message}`, { issues: [{ path, message }] });
}

const NEWLINE = 0x0a;
const EMPTY = new Uint8Array(0);
/**
 * Work between two turns of the event loop, in ms. Reading a piped stream need not leave the
 * current task (its reads can resolve as microtasks): without these turns, importing 100k calls in
 * Chromium held the page's main thread for one task of 16 s on a loaded machine. At 40 ms, a
 * slice plus the batch a consumer sends after it still made tasks of 55–120 ms (a 10k-call import
 * on a 2-core machine). At 20 ms, a 100k-call import's longest task was 59 ms, of which the main
 * thread ran 28 ms and waited 25 ms for a core (bench/thread-clock.ts): the less a task works,
 * the less a busy machine can stretch it.
 */
const SLICE_MS = 10;

/**
 * Most lines handed to the consumer at once. A 64 KiB gzip piece of a bundle inflates to ~450 KB,
 * ~300 calls, and the consumer's work on them (parsing, checking, queuing) ran in one go before the
 * next check of the clock: with SLICE_MS at 20, a 100k-call import still made main-thread tasks of
 * 50–74 ms on a busy 2-core machine, all of it script. 64 lines are a few ms of that work.
 */
const LINES_PER_BATCH = 64;

/**
 * Most gzip'd bytes handed to the decompressor at once. It inflates each chunk it is given in one
 * go, in whatever task feeds it, and a Blob's stream comes in chunks of 2 MiB in Chromium (~16 MB
 * of text): importing 100k calls held the page for 60–135 ms at a time, once per chunk, while
 * the checking pass between those reads took at most ~20 ms. 64 KiB inflate in a few ms.
 */
const GZIP_PIECE = 64 * 1024;

/** A stream of the same bytes in chunks of at most `size` (views, not copies). */
function inPieces(size: number): TransformStream<Uint8Array<ArrayBuffer>, Uint8Array<ArrayBuffer>> {
  return new TransformStream({
    transform(chunk, controller) {
      for (let at = 0; at < chunk.byteLength; at += size) controller.enqueue(chunk.subarray(at, at + size));
    },
  });
}

/** `a` then `b` in one array (a line split across two chunks). */
function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.byteLength === 0) return b;
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}

/**
 * The lines of a gzip'd file, in batches of at most LINES_PER_BATCH, numbered from 1. A last line
 * without `\n` is yielded too. Gzip errors (not gzip, damaged, cut short) end the iteration at once;
 * text that is not UTF-8 is reported only once the whole file has decompressed, since a gzip error
 * later in the file is the better explanation of both. Gives the event loop a turn every
 * `SLICE_MS` of work (its own and the consumer's).
 * @throws WeftError VALIDATION for data that is not gzip'd UTF-8 text
 */
export async function* gunzipLines(source: ReadableStream<Uint8Array>): AsyncGenerator<BundleLine[]> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  // A stream of shared-memory chunks is not a BufferSource to the type checker; bundles never are.
  const reader = (source as ReadableStream<Uint8Array<ArrayBuffer>>).pipeThrough(inPieces(GZIP_PIECE)).pipeThrough(new DecompressionStream("gzip")).getReader();
  let carry: Uint8Array = EMPTY;
  let no = 0;
  let notText = false;
  const split = (region: Uint8Array): BundleLine[] => {
    if (notText) return [];
    let text: string;
    try {
      text = decoder.decode(region);
    } catch {
      notText = true;
      return [];
    }
    const lines: BundleLine[] = [];
    let byteStart = 0;
    let charStart = 0;
    for (;;) {
      const byteEnd = region.indexOf(NEWLINE, byteStart);
      // Newlines are single bytes and single UTF-16 units, so both indexes meet at each one.
      const charEnd = text.indexOf("\n", charStart);
      if (byteEnd < 0) {
        if (byteStart < region.byteLength) lines.push({ no: ++no, text: text.slice(charStart), bytes: region.subarray(byteStart) });
        return lines;
      }
      lines.push({ no: ++no, text: text.slice(charStart, charEnd), bytes: region.subarray(byteStart, byteEnd + 1) });
      byteStart = byteEnd + 1;
      charStart = charEnd + 1;
    }
  };
  let ended = false;
  let sliceStart = performance.now();
  /** A turn of the event loop once this slice has run SLICE_MS (the consumer's work included). */
  const turnIfDue = async (): Promise<void> => {
    if (performance.now() - sliceStart < SLICE_MS) return;
    await nextTask();
    sliceStart = performance.now();
  };
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        ended = true;
        throw invalidBundle(`the file is not gzip data, or it is damaged or cut short (${error instanceof Error ? error.message : String(error)}).`);
      }
      if (chunk.done) break;
      const bytes = concat(carry, chunk.value);
      const last = bytes.lastIndexOf(NEWLINE);
      if (last < 0) {
        carry = bytes;
        continue;
      }
      // Only the tail after the last newline waits for the next chunk: a copy, so the lines yielded
      // do not keep a larger buffer alive through it.
      carry = bytes.slice(last + 1);
      const lines = split(bytes.subarray(0, last + 1));
      for (let at = 0; at < lines.length; at += LINES_PER_BATCH) {
        // The consumer's work on the lines counts too: it runs before the generator resumes.
        yield lines.length <= LINES_PER_BATCH ? lines : lines.slice(at, at + LINES_PER_BATCH);
        await turnIfDue();
      }
      // Decompressing text that is not UTF-8 (no lines) gives turns too.
      if (lines.length === 0) await turnIfDue();
    }
    ended = true;
  } finally {
    // A consumer that stopped early (an abort, a failed write) lets go of the stream without
    // cancelling it: Node's DecompressionStream, cancelled mid-file, throws an uncaught
    // ERR_INVALID_STATE (its zlib adapter still enqueues into the closed stream). Unread, it
    // stops at its queue's limit and is collected with the rest.
    if (!ended) reader.releaseLock();
  }
  const tail = carry.byteLength > 0 ? split(carry) : [];
  if (notText) throw invalidBundle("the content is not UTF-8 text.");
  // A last line without `\n`: at most one.
  if (tail.length > 0) yield tail;
}
