/**
 * Checking a whole bundle in one streamed pass, writing nothing: gzip, UTF-8, JSON on every line,
 * header format and version, every record's shape, trailer counts and checksum. Each record is
 * handed to the caller as soon as its line is checked; what the caller keeps is its choice (the
 * import keeps everything but the calls, which it reads again in a second pass).
 *
 * Problems are reported in a fixed order whatever their place in the file — the stream's own
 * (gzip, UTF-8, empty), then header, trailer, checksum, the first bad record, and counts — so a file
 * cut short says so even when the cut also broke a record.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import type { WeftError } from "../errors";
import { BUNDLE_FORMAT, BUNDLE_VERSION, BundleHeaderSchema, BundleRecordSchema, BundleTrailerSchema, COUNT_OF, zeroCounts, type BundleCounts, type BundleRecord } from "./bundle-format";
import { gunzipLines, invalidBundle, type BundleLine } from "./bundle-lines";
import { throwIfAborted } from "./target-errors";

/** What the header and trailer of a checked bundle say. */
export interface CheckedBundle {
  /** The project the bundle was made from. */
  fromProject: string;
  counts: BundleCounts;
}

/**
 * `text` as JSON.
 * @throws WeftError VALIDATION naming the line
 */
export function parseBundleLine(text: string, no: number): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw invalidBundle(`line ${no} is not JSON.`, `line ${no}`);
  }
}

/** The header's project, or the error that refuses line 1. */
function checkHeader(line: BundleLine): { project: string; counts: BundleCounts } | WeftError {
  let head: Record<string, unknown> | null;
  try {
    head = parseBundleLine(line.text, 1) as Record<string, unknown> | null;
  } catch (error) {
    return error as WeftError;
  }
  if (typeof head !== "object" || head === null || head.type !== "header" || head.format !== BUNDLE_FORMAT) {
    return invalidBundle(`the first line is not a "${BUNDLE_FORMAT}" header; this file was not made by exportBundle.`, "line 1");
  }
  if (head.version !== BUNDLE_VERSION) {
    return invalidBundle(`bundle version ${JSON.stringify(head.version)} is not supported; this weft reads version ${BUNDLE_VERSION}.`, "line 1.version");
  }
  const header = BundleHeaderSchema.safeParse(head);
  if (!header.success) return invalidBundle(`the header is malformed (${header.error.issues[0]?.message ?? "invalid"}).`, "line 1");
  return header.data;
}

/**
 * The JSON value of line `no` checked as a record.
 * @throws WeftError VALIDATION naming the line
 */
export function checkRecord(value: unknown, no: number): BundleRecord {
  const parsed = BundleRecordSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalidBundle(`line ${no} is not a valid record (${issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid"}).`, `line ${no}`);
  }
  return parsed.data;
}

/**
 * Reads `source` (gzip'd) to the end and checks all of it; `onRecord` gets every record between
 * header and trailer, in order, as it is checked (none after the first bad one). `signal` is
 * looked at between chunks (`what` names the operation in the ABORTED message).
 * @throws WeftError VALIDATION naming the first problem, in the order above; ABORTED
 */
export async function checkBundle(
  source: ReadableStream<Uint8Array>,
  onRecord: (record: BundleRecord) => void,
  abort?: { signal: AbortSignal | undefined; what: string },
): Promise<CheckedBundle> {
  const hash = sha256.create();
  const counts = zeroCounts();
  let header: { project: string; counts: BundleCounts } | WeftError | null = null;
  let recordError: WeftError | null = null;
  // The last line is the trailer, known only at the end: every line waits here for the next one.
  let held: BundleLine | null = null;
  const take = (line: BundleLine): void => {
    // The checksum covers every byte before the trailer's line.
    hash.update(line.bytes);
    if (line.no === 1) {
      header = checkHeader(line);
      return;
    }
    // Past a bad header or record nothing is kept; the stream is still read to its end.
    if (recordError || !header || "code" in header) return;
    try {
      const record = checkRecord(parseBundleLine(line.text, line.no), line.no);
      counts[COUNT_OF[record.type]]++;
      onRecord(record);
    } catch (error) {
      recordError = error as WeftError;
    }
  };
  for await (const lines of gunzipLines(source)) {
    throwIfAborted(abort?.signal, abort?.what);
    for (const line of lines) {
      if (held) take(held);
      held = line;
    }
  }
  if (!held) throw invalidBundle("the file is empty.");
  const last: BundleLine = held;
  if (last.no === 1) header = checkHeader(last);
  // Read back through a local: TypeScript cannot see that `take` assigned these.
  const head = header as { project: string; counts: BundleCounts } | WeftError | null;
  if (!head) throw invalidBundle("the file is empty.");
  if ("code" in head) throw head;
  if (last.no === 1) throw invalidBundle("the trailer is missing: the file was cut short.", "line 1");
  const tail = parseBundleLine(last.text, last.no) as Record<string, unknown> | null;
  if (typeof tail !== "object" || tail === null || tail.type !== "trailer") {
    throw invalidBundle("the trailer is missing: the file was cut short.", `line ${last.no}`);
  }
  const trailer = BundleTrailerSchema.safeParse(tail);
  if (!trailer.success) throw invalidBundle(`the trailer is malformed (${trailer.error.issues[0]?.message ?? "invalid"}).`, `line ${last.no}`);
  if (bytesToHex(hash.digest()) !== trailer.data.sha256) {
    throw invalidBundle("the checksum does not match: the file was damaged or edited.", `line ${last.no}.sha256`);
  }
  const bad = recordError as WeftError | null;
  if (bad) throw bad;
  for (const kind of Object.keys(counts) as Array<keyof BundleCounts>) {
    if (counts[kind] !== trailer.data.counts[kind] || counts[kind] !== head.counts[kind]) {
      throw invalidBundle(`it holds ${counts[kind]} ${kind} records, but its header says ${head.counts[kind]} and its trailer ${trailer.data.counts[kind]}.`);
    }
  }
  return { fromProject: head.project, counts };
}
