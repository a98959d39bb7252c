/**
 * `importBundle`: reads a bundle (see `bundle-format.ts`) into a weft store. The whole file is
 * checked before the first write — gzip, JSON on every line, header format and version, every
 * record's shape, trailer counts and checksum — so a damaged, truncated or foreign file is refused
 * with a VALIDATION error and leaves the store as it was. Writing then goes through the exporter's
 * writer, which rewrites refs from the bundle's project to the target project and remaps digests.
 *
 * The file is read twice, streamed both times (bundle-check.ts, bundle-lines.ts): once to check it,
 * keeping everything but the calls, and once more for the calls as they are written, so memory
 * holds the compressed file and a few batches of calls, never the whole decompressed text or every call.
 */
import { WeftError } from "../errors";
import type { CallSchema } from "../schema/calls";
import type { CostQueryOutput } from "../schema/costs";
import { batchLimits, type BatchLimits } from "./batching";
import { base64ToBytes, type BundleCounts, type BundleRecord } from "./bundle-format";
import { checkBundle, checkRecord, parseBundleLine } from "./bundle-check";
import { gunzipLines } from "./bundle-lines";
import { NODE_KIND, nodeBytes, nodeDeps, type FeedbackRowOut, type PlanNode } from "./plan";
import { ProgressTracker, type ProgressListener } from "./progress";
import { depKey, emptyRefMaps } from "./ref-rewrite";
import { checkProjectId } from "./replicate";
import { Replicator, type ExportTarget } from "./replicator";
import { sendOrder } from "./send-order";
import { ExportState, memoryStateStore } from "./state-store";

/** Options of `importBundle`. */
export interface ImportBundleOptions {
  /** The store to write: a weft client or a `LocalTraceServer` (any `TraceServerInterface` works). */
  to: ExportTarget;
  /** The `entity/project` to import into (refs are rewritten from the bundle's project to it). */
  project: string;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  batch?: Partial<BatchLimits>;
}

/** What an import read and wrote. */
export interface ImportBundleResult {
  /** The project the bundle was made from. */
  fromProject: string;
  project: string;
  counts: BundleCounts;
}

const WHAT = "The bundle import";

/**
 * Batches of an import: the target is a store on this machine, not a server behind HTTP, so they are
 * bigger than an export's (fewer transactions), and the next one is prepared while the store writes
 * the last (two in flight), so parsing and rewriting overlap the store's work. Not bigger than 1000
 * items: rewriting a batch and copying it into the worker's message is one task on the page's main
 * thread. A 10k-call import in Chromium (2 cores) made 17 tasks over 50 ms at 2000 items (the
 * longest 92 ms), and 4 at 1000 (the longest 72 ms), in about the same time.
 */
const IMPORT_BATCH: BatchLimits = { maxItems: 1000, maxBytes: 8 * 1024 * 1024 };
const IMPORT_BATCHES_IN_FLIGHT = 2;

/** The file as a stream, and a way to stream it again: a Blob is read twice; a stream's compressed chunks are kept as they pass. */
function twoPasses(file: Blob | ReadableStream<Uint8Array>): { first: ReadableStream<Uint8Array>; again: () => ReadableStream<Uint8Array> } {
  if (file instanceof Blob) return { first: file.stream(), again: () => file.stream() };
  const kept: Uint8Array[] = [];
  const keep = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      kept.push(chunk);
      controller.enqueue(chunk);
    },
  });
  // Chunks of a stream may sit on shared memory to the type checker; a Blob copies them anyway.
  return { first: file.pipeThrough(keep), again: () => new Blob(kept as Array<Uint8Array<ArrayBuffer>>).stream() };
}

/** A fully checked bundle, every record in memory. */
interface ParsedBundle {
  fromProject: string;
  counts: BundleCounts;
  records: BundleRecord[];
}

/**
 * Decompresses and checks a whole bundle without writing anything, and returns every record (for
 * looking into a bundle; `importBundle` itself never holds every call).
 * @throws WeftError VALIDATION naming the first problem
 */
export async function readBundle(file: Blob | ReadableStream<Uint8Array>): Promise<ParsedBundle> {
  const records: BundleRecord[] = [];
  const checked = await checkBundle(file instanceof Blob ? file.stream() : file, (record) => records.push(record));
  return { ...checked, records };
}

/**
 * The calls of a checked bundle, read again from `source`. Header and trailer are lines 1 and
 * `lines`; other records are skipped after `JSON.parse`, before their schema.
 * @throws WeftError INTERNAL when the file differs from what was checked (it cannot: a Blob, or the
 *   chunks kept of a stream, are the same bytes twice)
 */
async function* checkedCalls(source: ReadableStream<Uint8Array>, counts: BundleCounts): AsyncGenerator<CallSchema> {
  const lines = 2 + Object.values(counts).reduce((a, b) => a + b, 0);
  let seen = 0;
  for await (const batch of gunzipLines(source)) {
    for (const line of batch) {
      if (line.no === 1 || line.no === lines) continue;
      const value = parseBundleLine(line.text, line.no);
      if ((value as { type?: unknown } | null)?.type !== "call") continue;
      const record = checkRecord(value, line.no);
      if (record.type !== "call") continue; // unreachable: the type was just read
      seen++;
      yield record.call;
    }
  }
  if (seen !== counts.calls) throw new WeftError("INTERNAL", `The bundle held ${counts.calls} calls when checked but ${seen} when read again.`);
}

/**
 * Imports a bundle into `to` as `project`. After it, the target answers `calls_query`, `objs_query`,
 * `table_query` and `refs_read_batch` as the source did (project name and ref digests aside).
 * Importing the same bundle twice writes the same values again (upserts, content-addressed objects,
 * feedback by id, prices checked first). Calls go in batches of up to 1000 items (starts and ends)
 * or 8 MiB, unless `batch` says otherwise.
 * @throws WeftError VALIDATION (bad project id; a corrupt, truncated or foreign file, before anything is
 *   written); ABORTED; the store's errors (QUOTA_EXCEEDED, STORAGE, …)
 */
export async function importBundle(file: Blob | ReadableStream<Uint8Array>, options: ImportBundleOptions): Promise<ImportBundleResult> {
  const project = checkProjectId(options.project, "project");
  const source = twoPasses(file);
  // Everything but the calls is kept from the checking pass: objects and tables are sent in
  // dependency order, which needs them all first.
  const kept: BundleRecord[] = [];
  const bundle = await checkBundle(
    source.first,
    (record) => {
      if (record.type !== "call") kept.push(record);
    },
    { signal: options.signal, what: WHAT },
  );
  const progress = new ProgressTracker(options.onProgress);
  const nodes: PlanNode[] = [];
  const files = new Map<string, Uint8Array>();
  const feedback: FeedbackRowOut[] = [];
  const costs: CostQueryOutput[] = [];
  for (const record of kept) {
    let node: PlanNode | undefined;
    if (record.type === "file") {
      files.set(record.digest, base64ToBytes(record.content));
      node = { type: "file", key: depKey.file(record.digest), digest: record.digest, name: record.name, deps: [] };
    } else if (record.type === "table") {
      node = { type: "table", key: depKey.table(record.digest), digest: record.digest, rows: record.rows, deps: [] };
    } else if (record.type === "object") {
      const { kind, object_id, digest, val, created_at, version_index } = record;
      node = { type: "object", key: depKey.object(kind, object_id, digest), kind, object_id, digest, val, created_at, version_index, deps: [] };
    } else if (record.type === "feedback") feedback.push(record.feedback as FeedbackRowOut);
    else if (record.type === "cost") costs.push(record.cost);
    if (!node) continue;
    nodeDeps(node, bundle.fromProject);
    nodes.push(node);
    progress.plan(NODE_KIND[node.type], 1, node.type === "file" ? (files.get(node.digest)?.byteLength ?? 0) : nodeBytes(node));
  }
  progress.plan("calls", bundle.counts.calls);
  progress.plan("feedback", feedback.length);
  progress.plan("costs", costs.length);

  const state = await ExportState.open(memoryStateStore(), "bundle");
  const rw = { fromProject: bundle.fromProject, toProject: project, maps: emptyRefMaps() };
  const limits = batchLimits({ maxItems: options.batch?.maxItems ?? IMPORT_BATCH.maxItems, maxBytes: options.batch?.maxBytes ?? IMPORT_BATCH.maxBytes });
  const replicator = new Replicator({
    to: options.to,
    rw,
    state,
    progress,
    limits,
    targetLabel: "the target store",
    signal: options.signal,
    what: WHAT,
    // The state is this import's alone (in memory), so batches may be recorded out of order.
    callBatchesInFlight: IMPORT_BATCHES_IN_FLIGHT,
  });
  await replicator.ensureProject();
  await replicator.sendNodes(sendOrder(nodes), async (node) => files.get(node.digest));
  // Everything calls refer to is in the bundle and was sent above: nothing to fetch on the way.
  await replicator.sendCalls(checkedCalls(source.again(), bundle.counts), async () => undefined);
  await replicator.sendFeedback(feedback);
  await replicator.sendCosts(costs);
  return { fromProject: bundle.fromProject, project, counts: bundle.counts };
}
