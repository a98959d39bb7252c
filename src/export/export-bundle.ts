/**
 * `exportBundle`: a project (or selected calls and what they need) as one gzip'd JSONL file (see
 * `bundle-format.ts`). The lines are compressed as they are written, so only the compressed file is
 * held in memory, plus the plan (objects and table rows; calls are streamed twice, never kept).
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { WeftError } from "../errors";
import type { CallsFilter } from "../schema/calls";
import type { Query } from "../schema/query";
import { jsonBytes } from "./batching";
import { BUNDLE_FORMAT, BUNDLE_VERSION, bytesToBase64, zeroCounts, type BundleCounts, type BundleHeader, type BundleRecord, type BundleTrailer } from "./bundle-format";
import { NODE_KIND, nodeBytes, type PlanSource } from "./plan";
import { planProject } from "./plan-project";
import { ProgressTracker, type ProgressListener } from "./progress";
import { storedSummary } from "./requests";
import { checkProjectId } from "./replicate";
import { throwIfAborted } from "./target-errors";

/** Options of `exportBundle`. */
export interface ExportBundleOptions {
  /** Where the project is: a weft client, a `LocalTraceServer`, or any `TraceServerInterface`. */
  from: PlanSource;
  /** The `entity/project` to bundle. */
  project: string;
  /** Only calls matching this filter (plus what they refer to). */
  filter?: CallsFilter;
  /** Only calls matching this query (plus what they refer to). */
  query?: Query;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

const WHAT = "The bundle export";

/** Lines are handed to the compressor in chunks of about this many characters (one await per chunk, not per line). */
const CHUNK_CHARS = 256 * 1024;

/** Writes JSONL lines into a gzip stream, hashing the uncompressed bytes on the way. */
class LineWriter {
  private readonly gzip = new CompressionStream("gzip");
  private readonly writer = this.gzip.writable.getWriter();
  private readonly hash = sha256.create();
  private readonly encoder = new TextEncoder();
  private pending: string[] = [];
  private pendingChars = 0;
  /** The compressed file, collected while lines are written (reading must run alongside writing). */
  readonly blob: Promise<Blob> = new Response(this.gzip.readable).blob();

  async line(value: unknown): Promise<void> {
    const text = `${JSON.stringify(value)}\n`;
    this.pending.push(text);
    this.pendingChars += text.length;
    if (this.pendingChars >= CHUNK_CHARS) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const bytes = this.encoder.encode(this.pending.join(""));
    this.pending = [];
    this.pendingChars = 0;
    this.hash.update(bytes);
    await this.writer.write(bytes);
  }

  /** The sha256 (hex) of everything written so far. */
  async digest(): Promise<string> {
    await this.flush();
    return bytesToHex(this.hash.clone().digest());
  }

  async close(): Promise<Blob> {
    await this.flush();
    await this.writer.close();
    return this.blob;
  }

  abort(): void {
    void this.writer.abort().catch(() => undefined);
    this.blob.catch(() => undefined);
  }
}

/**
 * Builds a bundle of `project`: header, files, tables, objects and ops (dependency order), calls,
 * feedback, prices, trailer. Calls are read twice (once to plan, once to write); a call deleted in
 * between makes the counts disagree, so that is refused rather than written wrong.
 * @throws WeftError VALIDATION (bad project id); CONFLICT (calls were deleted while the bundle was
 *   written: try again); ABORTED; errors of reading `from`
 */
export async function exportBundle(options: ExportBundleOptions): Promise<Blob> {
  const project = checkProjectId(options.project, "project");
  const { signal } = options;
  const selection = { filter: options.filter, query: options.query };
  const progress = new ProgressTracker(options.onProgress);
  const plan = await planProject(options.from, project, selection, signal, WHAT);
  // Files are read before the header, so a file the source has lost is left out of the counts too.
  const files = new Map<string, Uint8Array>();
  for (const node of plan.nodes) {
    if (node.type !== "file") continue;
    throwIfAborted(signal, WHAT);
    const content = await plan.planner.fileContent(node.digest);
    if (content) files.set(node.digest, content);
  }
  const nodes = plan.nodes.filter((n) => n.type !== "file" || files.has(n.digest));
  const counts: BundleCounts = { ...zeroCounts(), calls: plan.scan.count, feedback: plan.feedback.length, costs: plan.costs.length };
  for (const node of nodes) {
    counts[NODE_KIND[node.type]]++;
    progress.plan(NODE_KIND[node.type], 1, node.type === "file" ? (files.get(node.digest)?.byteLength ?? 0) : nodeBytes(node));
  }
  progress.plan("calls", counts.calls, plan.scan.bytes);
  progress.plan("feedback", counts.feedback);
  progress.plan("costs", counts.costs);

  const out = new LineWriter();
  try {
    const header: BundleHeader = { type: "header", format: BUNDLE_FORMAT, version: BUNDLE_VERSION, project, created_at: new Date().toISOString(), counts };
    await out.line(header);
    const written = zeroCounts();
    const write = async (record: BundleRecord, kind: keyof BundleCounts, bytes: number): Promise<void> => {
      throwIfAborted(signal, WHAT);
      await out.line(record);
      written[kind]++;
      progress.done(kind, 1, bytes);
    };
    for (const node of nodes) {
      if (node.type === "file") {
        const content = files.get(node.digest) as Uint8Array;
        await write({ type: "file", digest: node.digest, name: node.name, content: bytesToBase64(content) }, "files", content.byteLength);
      } else if (node.type === "table") {
        await write({ type: "table", digest: node.digest, rows: node.rows }, "tables", nodeBytes(node));
      } else {
        const { kind, object_id, digest, val, created_at, version_index } = node;
        await write({ type: "object", kind, object_id, digest, val, created_at, version_index }, "objects", nodeBytes(node));
      }
    }
    for await (const call of plan.planner.calls(selection)) {
      // Calls started after planning are left for the next bundle: the header already has the count.
      if (!plan.scan.ids.has(call.id)) continue;
      await write({ type: "call", call: { ...call, summary: storedSummary(call.summary) } }, "calls", jsonBytes(call));
    }
    if (written.calls !== counts.calls) {
      throw new WeftError("CONFLICT", `${counts.calls - written.calls} of the ${counts.calls} calls were deleted while the bundle was being written; export the bundle again.`);
    }
    for (const feedback of plan.feedback) await write({ type: "feedback", feedback }, "feedback", jsonBytes(feedback));
    for (const cost of plan.costs) {
      await write({ type: "cost", cost: { ...cost, id: cost.id ?? "", llm_id: cost.llm_id ?? "" } }, "costs", jsonBytes(cost));
    }
    const trailer: BundleTrailer = { type: "trailer", counts: written, sha256: await out.digest() };
    await out.line(trailer);
    return await out.close();
  } catch (error) {
    out.abort();
    throw error;
  }
}
