/**
 * `importBundle`: reads a bundle (see `bundle-format.ts`) into a weft store. The whole file is
 * checked before the first write — gzip, JSON on every line, header format and version, every
 * record's shape, trailer counts and checksum — so a damaged, truncated or foreign file is refused
 * with a VALIDATION error and leaves the store as it was. Writing then goes through the exporter's
 * writer, which rewrites refs from the bundle's project to the target project and remaps digests.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { WeftError } from "../errors";
import type { CallSchema } from "../schema/calls";
import type { CostQueryOutput } from "../schema/costs";
import { batchLimits, type BatchLimits } from "./batching";
import {
  base64ToBytes,
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  BundleHeaderSchema,
  BundleRecordSchema,
  BundleTrailerSchema,
  COUNT_OF,
  zeroCounts,
  type BundleCounts,
  type BundleRecord,
} from "./bundle-format";
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

function invalid(message: string, path = "bundle"): WeftError {
  return new WeftError("VALIDATION", `Not a valid weft bundle: ${message}`, { issues: [{ path, message }] });
}

/** The decompressed bytes; gzip errors (not gzip, damaged, cut short) become VALIDATION. */
async function gunzip(file: Blob | ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    // A stream of shared-memory chunks is not a BufferSource to the type checker; bundles never are.
    const source = (file instanceof Blob ? file.stream() : file) as ReadableStream<Uint8Array<ArrayBuffer>>;
    const reader = source.pipeThrough(new DecompressionStream("gzip")).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch (error) {
    throw invalid(`the file is not gzip data, or it is damaged or cut short (${error instanceof Error ? error.message : String(error)}).`);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

function parseLine(text: string, lineNo: number): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw invalid(`line ${lineNo} is not JSON.`, `line ${lineNo}`);
  }
}

/** A fully checked bundle. */
interface ParsedBundle {
  fromProject: string;
  counts: BundleCounts;
  records: BundleRecord[];
}

/**
 * Decompresses and checks a whole bundle without writing anything.
 * @throws WeftError VALIDATION naming the first problem
 */
export async function readBundle(file: Blob | ReadableStream<Uint8Array>): Promise<ParsedBundle> {
  const bytes = await gunzip(file);
  // The trailer is the last line; its checksum covers every byte before it.
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0a) end--;
  const trailerStart = bytes.lastIndexOf(0x0a, end - 1) + 1;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw invalid("the content is not UTF-8 text.");
  }
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  if (lines.length === 0) throw invalid("the file is empty.");

  const head = parseLine(lines[0] as string, 1) as Record<string, unknown> | null;
  if (typeof head !== "object" || head === null || head.type !== "header" || head.format !== BUNDLE_FORMAT) {
    throw invalid(`the first line is not a "${BUNDLE_FORMAT}" header; this file was not made by exportBundle.`, "line 1");
  }
  if (head.version !== BUNDLE_VERSION) {
    throw invalid(`bundle version ${JSON.stringify(head.version)} is not supported; this weft reads version ${BUNDLE_VERSION}.`, "line 1.version");
  }
  const header = BundleHeaderSchema.safeParse(head);
  if (!header.success) throw invalid(`the header is malformed (${header.error.issues[0]?.message ?? "invalid"}).`, "line 1");

  const last = lines.length > 1 ? (parseLine(lines.at(-1) as string, lines.length) as Record<string, unknown> | null) : null;
  if (typeof last !== "object" || last === null || last.type !== "trailer") {
    throw invalid("the trailer is missing: the file was cut short.", `line ${lines.length}`);
  }
  const trailer = BundleTrailerSchema.safeParse(last);
  if (!trailer.success) throw invalid(`the trailer is malformed (${trailer.error.issues[0]?.message ?? "invalid"}).`, `line ${lines.length}`);
  if (bytesToHex(sha256(bytes.subarray(0, trailerStart))) !== trailer.data.sha256) {
    throw invalid("the checksum does not match: the file was damaged or edited.", `line ${lines.length}.sha256`);
  }

  const records: BundleRecord[] = [];
  const counts = zeroCounts();
  for (let i = 1; i < lines.length - 1; i++) {
    const parsed = BundleRecordSchema.safeParse(parseLine(lines[i] as string, i + 1));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw invalid(`line ${i + 1} is not a valid record (${issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid"}).`, `line ${i + 1}`);
    }
    records.push(parsed.data);
    counts[COUNT_OF[parsed.data.type]]++;
  }
  for (const kind of Object.keys(counts) as Array<keyof BundleCounts>) {
    if (counts[kind] !== trailer.data.counts[kind] || counts[kind] !== header.data.counts[kind]) {
      throw invalid(`it holds ${counts[kind]} ${kind} records, but its header says ${header.data.counts[kind]} and its trailer ${trailer.data.counts[kind]}.`);
    }
  }
  return { fromProject: header.data.project, counts, records };
}

/**
 * Imports a bundle into `to` as `project`. After it, the target answers `calls_query`, `objs_query`,
 * `table_query` and `refs_read_batch` as the source did (project name and ref digests aside).
 * Importing the same bundle twice writes the same values again (upserts, content-addressed objects,
 * feedback by id, prices checked first).
 * @throws WeftError VALIDATION (bad project id; a corrupt, truncated or foreign file, before anything is
 *   written); ABORTED; the store's errors (QUOTA_EXCEEDED, STORAGE, …)
 */
export async function importBundle(file: Blob | ReadableStream<Uint8Array>, options: ImportBundleOptions): Promise<ImportBundleResult> {
  const project = checkProjectId(options.project, "project");
  const bundle = await readBundle(file);
  const progress = new ProgressTracker(options.onProgress);
  const nodes: PlanNode[] = [];
  const files = new Map<string, Uint8Array>();
  const calls: CallSchema[] = [];
  const feedback: FeedbackRowOut[] = [];
  const costs: CostQueryOutput[] = [];
  for (const record of bundle.records) {
    let node: PlanNode | undefined;
    if (record.type === "file") {
      files.set(record.digest, base64ToBytes(record.content));
      node = { type: "file", key: depKey.file(record.digest), digest: record.digest, name: record.name, deps: [] };
    } else if (record.type === "table") {
      node = { type: "table", key: depKey.table(record.digest), digest: record.digest, rows: record.rows, deps: [] };
    } else if (record.type === "object") {
      const { kind, object_id, digest, val, created_at, version_index } = record;
      node = { type: "object", key: depKey.object(kind, object_id, digest), kind, object_id, digest, val, created_at, version_index, deps: [] };
    } else if (record.type === "call") calls.push(record.call);
    else if (record.type === "feedback") feedback.push(record.feedback as FeedbackRowOut);
    else costs.push(record.cost);
    if (!node) continue;
    nodeDeps(node, bundle.fromProject);
    nodes.push(node);
    progress.plan(NODE_KIND[node.type], 1, node.type === "file" ? (files.get(node.digest)?.byteLength ?? 0) : nodeBytes(node));
  }
  progress.plan("calls", calls.length);
  progress.plan("feedback", feedback.length);
  progress.plan("costs", costs.length);

  const state = await ExportState.open(memoryStateStore(), "bundle");
  const rw = { fromProject: bundle.fromProject, toProject: project, maps: emptyRefMaps() };
  const replicator = new Replicator({ to: options.to, rw, state, progress, limits: batchLimits(options.batch), targetLabel: "the target store", signal: options.signal, what: WHAT });
  await replicator.ensureProject();
  await replicator.sendNodes(sendOrder(nodes), async (node) => files.get(node.digest));
  // Everything calls refer to is in the bundle and was sent above: nothing to fetch on the way.
  await replicator.sendCalls(
    (async function* () {
      yield* calls;
    })(),
    async () => undefined,
  );
  await replicator.sendFeedback(feedback);
  await replicator.sendCosts(costs);
  return { fromProject: bundle.fromProject, project, counts: bundle.counts };
}
