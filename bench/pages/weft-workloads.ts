/**
 * weft's side of the benchmark workloads, paired with the baselines in workloads.ts by id. Each
 * function runs one repetition and is timed on the main thread, as an app sees it: through
 * `createClient`, the worker hop, validation, batching and the server.
 */
import { createClient, type WeftClient } from "../../src/client/index";
import { BENCH_PROJECT, CALLS_PER_TRACE, FILTER_OP, FILTER_STATUS, syntheticCalls, syntheticTrace, type SyntheticCall } from "./synthetic";
import { deepOffset, type Rep, type WeftWorkload, type WorkloadId } from "./workloads";

const PAGE_SIZE = 50;

interface Open {
  client: WeftClient;
  dbName: string;
}

/** Per size: the client and database the last ingest left behind, read by the read workloads. */
const readClients = new Map<number, Open>();
let seq = 0;

async function open(size: number): Promise<Open> {
  const dbName = `weft-bench-${size}-${Date.now()}-${seq++}`;
  const worker = new Worker(new URL("./weft-worker.ts", import.meta.url), { type: "module", name: dbName });
  const client = createClient({ worker });
  await client.ready();
  return { client, dbName };
}

type Parts = Array<{ start: Record<string, unknown>; end: Record<string, unknown> }>;

/** The requests an app would send for these calls, built before the clock starts. */
function requests(calls: SyntheticCall[]): Parts {
  return calls.map((c) => ({
    start: {
      project_id: BENCH_PROJECT,
      id: c.id,
      trace_id: c.trace_id,
      parent_id: c.parent_id,
      op_name: c.op_name,
      display_name: c.display_name,
      started_at: c.started_at,
      attributes: c.attributes,
      inputs: c.inputs,
      wb_user_id: c.wb_user_id,
      wb_run_id: c.wb_run_id,
    },
    end: {
      project_id: BENCH_PROJECT,
      id: c.id,
      ended_at: c.ended_at,
      exception: c.exception,
      output: c.output,
      summary: c.summary,
    },
  }));
}

let prepared: { size: number; parts: Parts } | null = null;

const YIELD_EVERY = 200;

/** One turn of the event loop: `scheduler.yield()` where there is one, else a message round trip. */
function yieldToEventLoop(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (scheduler?.yield) return scheduler.yield();
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}

async function ingest(size: number): Promise<Rep> {
  if (prepared?.size !== size) prepared = { size, parts: requests(syntheticCalls(size)) };
  const parts = prepared.parts;
  const opened = await open(size);
  const { client } = opened;
  const ignore = (): void => undefined;
  const start = performance.now();
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as Parts[number];
    // As the tracing API does: never await a start before carrying on; flush() waits for storage.
    client.call_start({ start: part.start } as never).catch(ignore);
    client.call_end({ end: part.end } as never).catch(ignore);
    // An app produces calls over time, not 10,000 in one task: give the event loop a turn every
    // YIELD_EVERY calls, so what the long-task figure measures is weft's own work.
    if ((i + 1) % YIELD_EVERY === 0) await yieldToEventLoop();
  }
  await client.flush();
  const ms = performance.now() - start;
  const previous = readClients.get(size);
  readClients.set(size, opened);
  if (previous) await previous.client.close();
  return { ms, rows: parts.length };
}

async function reader(size: number): Promise<WeftClient> {
  if (!readClients.has(size)) await ingest(size); // untimed here: the caller only wants data
  const entry = readClients.get(size);
  if (!entry) throw new Error(`no weft database for size ${size}`);
  return entry.client;
}

const newestFirst = [{ field: "started_at", direction: "desc" }];

function rootsPage(offset: (size: number) => number): WeftWorkload {
  return async (size) => {
    const client = await reader(size);
    const start = performance.now();
    const res = await client.calls_query({
      project_id: BENCH_PROJECT,
      filter: { trace_roots_only: true },
      sort_by: newestFirst,
      limit: PAGE_SIZE,
      offset: offset(size),
    });
    return { ms: performance.now() - start, rows: res.calls.length };
  };
}

const opStatusQuery = { $expr: { $eq: [{ $getField: "summary.weave.status" }, { $literal: FILTER_STATUS }] } } as const;

export const weftWorkloads: Partial<Record<WorkloadId, WeftWorkload>> = {
  ingest: (size) => ingest(size),
  "roots-page-1": rootsPage(() => 0),
  "roots-page-10": rootsPage(() => 9 * PAGE_SIZE),
  "roots-page-90pct": rootsPage(deepOffset),
  "op-status-page": async (size) => {
    const client = await reader(size);
    const filter = { op_names: [FILTER_OP] };
    const start = performance.now();
    const [page, stats] = await Promise.all([
      client.calls_query({ project_id: BENCH_PROJECT, filter, query: opStatusQuery, sort_by: newestFirst, limit: PAGE_SIZE }),
      client.calls_query_stats({ project_id: BENCH_PROJECT, filter, query: opStatusQuery }),
    ]);
    return { ms: performance.now() - start, rows: page.calls.length, count: stats.count };
  },
  "trace-fetch": async (size, rep) => {
    const client = await reader(size);
    const traces = size / CALLS_PER_TRACE;
    const traceId = syntheticTrace(Math.floor(traces / 2) + ((rep * 7919) % Math.floor(traces / 2)))[0]?.trace_id ?? "";
    const start = performance.now();
    const res = await client.calls_query({ project_id: BENCH_PROJECT, filter: { trace_ids: [traceId] } });
    return { ms: performance.now() - start, rows: res.calls.length };
  },
};
