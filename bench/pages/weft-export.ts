/**
 * The export workloads (issue #6), all on weft's side:
 * - E1 `exportProject` of the read database's calls to the receiving server bench/run.ts starts (weft's
 *   own fetch handler over fake-indexeddb in the driver's Node process, so its speed bounds the figure);
 * - E2 `exportBundle` of the same calls: gzip'd bytes per call;
 * - E3 `importBundle` of a bundle of `size` calls into a fresh database, against the raw ingest of
 *   as many calls (the B1 baseline). The bundle is made before the clock from a scratch project in
 *   the same page, whose database is deleted before the import starts.
 */
import type { WeftClient } from "../../src/client/index";
import { utf8Length } from "../../src/export/batching";
import { exportBundle, exportProject, importBundle, readBundle, type ExportProgress } from "../../src/export/index";
import { createRemoteTraceServer } from "../../src/http/index";
import type { BenchPageGlobals } from "./main";
import { BENCH_PROJECT, syntheticCalls } from "./synthetic";
import { openClient } from "./weft-client";
import { requests } from "./weft-workloads";
import type { Rep, WeftWorkload } from "./workloads";

/** The client of the page's read database of `size` calls (ingested untimed when there is none yet). */
export type Reader = (size: number) => Promise<WeftClient>;

/** Calls per `call_start_batch` while a scratch project is filled (untimed). */
const SEED_BATCH = 1_000;
/** Pause after deleting the scratch database, so its files are gone before the import's clock starts. */
const SETTLE_MS = 2_000;

function receiverUrl(): string {
  const url = (globalThis as unknown as BenchPageGlobals).receiverUrl;
  if (!url) throw new Error("no receiving server: bench/run.ts sets `receiverUrl` on every measuring page");
  return url;
}

/** Bytes of a request body as it goes out: JSON text as UTF-8, binary parts at their size. */
function bodyBytes(body: BodyInit | null | undefined): number {
  if (typeof body === "string") return utf8Length(body);
  if (body instanceof FormData) {
    let bytes = 0;
    for (const [, value] of body) bytes += typeof value === "string" ? utf8Length(value) : value.size;
    return bytes;
  }
  return body instanceof Blob ? body.size : 0;
}

/**
 * E1: the `size` calls of the read database exported to the receiver, into a target project of its
 * own per repetition (so every repetition sends everything, and records it in the page's default
 * state store as a real export does). Figures: `calls_per_s`, `request_kib_per_call` (request bodies
 * as sent), `progress_kib_per_call` (what the export's progress reports as done), `requests`, and
 * `receiver_share`: the part of the time spent waiting for the receiver's answers (its headers: every
 * write route answers once it has stored the request).
 */
export function exportRemote(reader: Reader): WeftWorkload {
  return async (size, rep) => {
    const from = await reader(size);
    let sent = 0;
    let requestCount = 0;
    let waited = 0;
    const to = createRemoteTraceServer({
      baseUrl: receiverUrl(),
      apiKey: "bench-key",
      retries: 0,
      fetch: async (input, init) => {
        sent += bodyBytes(init.body);
        requestCount++;
        const t0 = performance.now();
        try {
          return await fetch(input, init);
        } finally {
          waited += performance.now() - t0;
        }
      },
    });
    let last: ExportProgress | null = null;
    const toProject = `bench-receiver/export-${Date.now()}-${rep}`;
    const start = performance.now();
    const result = await exportProject({ from, to, project: BENCH_PROJECT, toProject, onProgress: (event) => void (last = event) });
    const ms = performance.now() - start;
    const progressBytes = (last as ExportProgress | null)?.overall.bytesDone ?? 0;
    return {
      ms,
      rows: result.sent.calls,
      figures: {
        calls_per_s: result.sent.calls / (ms / 1000),
        request_kib_per_call: sent / 1024 / size,
        progress_kib_per_call: progressBytes / 1024 / size,
        requests: requestCount,
        receiver_share: waited / ms,
      },
    };
  };
}

/** Uncompressed bytes of a gzip'd blob, counted as they stream (never held whole). */
async function gunzippedBytes(blob: Blob): Promise<number> {
  const reader = blob.stream().pipeThrough(new DecompressionStream("gzip")).getReader();
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return bytes;
    bytes += value.byteLength;
  }
}

/**
 * E2: `exportBundle` of the read database's calls. Figures: `bytes_per_call` (gzip'd), `raw_bytes_per_call`
 * (the JSONL inside), `calls_per_s` of the export itself.
 */
export function bundleSize(reader: Reader): WeftWorkload {
  return async (size) => {
    const from = await reader(size);
    const start = performance.now();
    const blob = await exportBundle({ from, project: BENCH_PROJECT });
    const ms = performance.now() - start;
    return {
      ms,
      rows: size,
      figures: { bytes_per_call: blob.size / size, raw_bytes_per_call: (await gunzippedBytes(blob)) / size, calls_per_s: size / (ms / 1000) },
    };
  };
}

/**
 * A bundle of `size` synthetic calls, made untimed: the calls go into a scratch database in
 * batches, each awaited (so the worker's queue stays short and it answers the client's liveness
 * pings even on a loaded machine), are bundled, and the scratch database is closed and deleted (so
 * the import after it shares the disk with nothing).
 */
async function scratchBundle(size: number): Promise<Blob> {
  const { client, dbName } = await openClient(`bundle-src-${size}`);
  const parts = requests(syntheticCalls(size));
  for (let i = 0; i < parts.length; i += SEED_BATCH) {
    const batch = parts.slice(i, i + SEED_BATCH).flatMap((p) => [
      { mode: "start", req: { start: p.start } },
      { mode: "end", req: { end: p.end } },
    ]);
    await client.call_start_batch({ batch } as never);
  }
  const blob = await exportBundle({ from: client, project: BENCH_PROJECT });
  await client.close();
  await new Promise<void>((resolve, reject) => {
    const req = indexedDB.deleteDatabase(dbName);
    req.onsuccess = () => resolve();
    req.onerror = () => reject(req.error ?? new Error(`could not delete ${dbName}`));
  });
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  return blob;
}

/**
 * E3: `importBundle` of a bundle of `size` calls into a fresh database, until it returns (every batch
 * stored). `count` is the calls the database then holds. After the clock, `check_ms`: `readBundle`
 * of the same file alone (decompress, checksum, parse and validate every record), the part of the
 * import that writes nothing.
 */
export async function bundleImport(size: number): Promise<Rep> {
  const blob = await scratchBundle(size);
  const { client } = await openClient(`bundle-import-${size}`);
  const start = performance.now();
  const result = await importBundle(blob, { to: client, project: BENCH_PROJECT });
  const end = performance.now();
  const ms = end - start;
  const { count } = await client.calls_query_stats({ project_id: BENCH_PROJECT });
  await client.close();
  const checkStart = performance.now();
  await readBundle(blob);
  const check_ms = performance.now() - checkStart;
  return { ms, rows: result.counts.calls, count, figures: { check_ms, bundle_mib: blob.size / 2 ** 20 }, clock: [start, end] };
}
