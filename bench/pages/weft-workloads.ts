/**
 * weft's side of the calls workloads, paired with the baselines in workloads.ts by id, and the
 * registry of every weft side (the tables, refs and tracing ones live in weft-tables.ts,
 * weft-refs.ts and weft-op-overhead.ts). Each function runs one repetition and is timed on the main
 * thread, as an app sees it: through `createClient`, the worker hop, validation, batching and the
 * server.
 */
import { wrap, type Remote } from "comlink";
import type { WeftClient } from "../../src/client/index";
import type { CallsQueryReq } from "../../src/schema/calls";
import type { ReadSplitsApi } from "./read-splits-worker";
import { BENCH_PROJECT, CALLS_PER_TRACE, FILTER_OP, FILTER_STATUS, prng, syntheticCalls, syntheticTrace, text, type SyntheticCall } from "./synthetic";
import { openClient, yieldToEventLoop, type OpenClient } from "./weft-client";
import { bundleImport, bundleSize, exportRemote } from "./weft-export";
import { opOverhead } from "./weft-op-overhead";
import { prepareObjects, refsReadBatch } from "./weft-refs";
import { prepareTable, tableCreate, tableDeepPage, tableSortedPage } from "./weft-tables";
import { baselineWorker, deepOffset, type Rep, type WeftWorkload, type WorkloadId } from "./workloads";

const PAGE_SIZE = 50;

/** Per size: the client and database the last ingest left behind, read by the read workloads. */
const readClients = new Map<number, OpenClient>();

type Parts = Array<{ start: Record<string, unknown>; end: Record<string, unknown> }>;

/** The requests an app would send for these calls, built before the clock starts. */
export function requests(calls: SyntheticCall[]): Parts {
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

const YIELD_EVERY = 200;

async function ingest(size: number): Promise<Rep> {
  // Built before the clock, as JSON text in chunks of YIELD_EVERY calls, each parsed just before it
  // is traced (~3 µs a call, inside the clock): an app makes its calls as it goes, and 100k request
  // objects (~150 MB) held in this page's heap would lengthen every garbage collection the
  // long-task figure watches (major GCs of 100–230 ms), while text costs the collector nothing.
  const chunks: string[] = [];
  const all = requests(syntheticCalls(size));
  for (let i = 0; i < all.length; i += YIELD_EVERY) chunks.push(JSON.stringify(all.slice(i, i + YIELD_EVERY)));
  all.length = 0;
  const opened = await openClient(`calls-${size}`);
  const { client } = opened;
  // The baseline creates its database before its clock starts (`openFresh`), so the first read
  // here makes weft's worker create and open its own: both clocks then time the writes alone.
  await client.calls_query_stats({ project_id: BENCH_PROJECT });
  const ignore = (): void => undefined;
  let rows = 0;
  const start = performance.now();
  for (let c = 0; c < chunks.length; c++) {
    const parts = JSON.parse(chunks[c] as string) as Parts;
    for (const part of parts) {
      // As the tracing API does: never await a start before carrying on; flush() waits for storage.
      client.call_start({ start: part.start } as never).catch(ignore);
      client.call_end({ end: part.end } as never).catch(ignore);
    }
    rows += parts.length;
    // An app produces calls over time, not 10,000 in one task: give the event loop a turn every
    // YIELD_EVERY calls, so what the long-task figure measures is weft's own work.
    await yieldToEventLoop();
  }
  await client.flush();
  const end = performance.now();
  const ms = end - start;
  const previous = readClients.get(size);
  readClients.set(size, opened);
  if (previous) await previous.client.close();
  return { ms, rows, clock: [start, end] };
}

async function reader(size: number): Promise<WeftClient> {
  return (await readEntry(size)).client;
}

async function readEntry(size: number): Promise<OpenClient> {
  if (!readClients.has(size)) await ingest(size); // untimed here: the caller only wants data
  const entry = readClients.get(size);
  if (!entry) throw new Error(`no weft database for size ${size}`);
  return entry;
}

let readSplits: Remote<ReadSplitsApi> | null = null;

/**
 * The same request inside a worker on the same database (read-splits-worker.ts), whole (`server`,
 * weft without the hop) and step by step, as figures beside the main one. Run after the timed
 * repetitions, never between them (see `weftAfter`).
 */
async function splitsOf(size: number, req: CallsQueryReq): Promise<Record<string, number>> {
  readSplits ??= wrap<ReadSplitsApi>(new Worker(new URL("./read-splits-worker.ts", import.meta.url), { type: "module" }));
  return readSplits.callsQuery((await readEntry(size)).dbName, req);
}

const newestFirst: CallsQueryReq["sort_by"] = [{ field: "started_at", direction: "desc" }];

function rootsRequest(offset: number): CallsQueryReq {
  return { project_id: BENCH_PROJECT, filter: { trace_roots_only: true }, sort_by: newestFirst, limit: PAGE_SIZE, offset };
}

function rootsPage(offset: (size: number) => number): WeftWorkload {
  return async (size) => {
    const client = await reader(size);
    const req = rootsRequest(offset(size));
    const start = performance.now();
    const res = await client.calls_query(req);
    const ms = performance.now() - start;
    return { ms, rows: res.calls.length };
  };
}

/** B4's request at repetition `rep`: a different trace of the newer half each time. */
function traceRequest(size: number, rep: number): CallsQueryReq {
  const traces = size / CALLS_PER_TRACE;
  const traceId = syntheticTrace(Math.floor(traces / 2) + ((rep * 7919) % Math.floor(traces / 2)))[0]?.trace_id ?? "";
  return { project_id: BENCH_PROJECT, filter: { trace_ids: [traceId] } };
}

const opStatusQuery = { $expr: { $eq: [{ $getField: "summary.weave.status" }, { $literal: FILTER_STATUS }] } } as const;

/** Share of calls that get feedback (reactions and notes) in the costs + feedback workload. */
const FEEDBACK_SHARE = 0.05;
const FEEDBACK_BATCH = 500;
const REACTIONS = ["👍", "👎", "🎉", "🤔"];

/** Clients whose database already holds the feedback rows and the cost row. */
const withAttachments = new WeakSet<WeftClient>();

/**
 * The read database of `size`, plus (untimed, once) feedback on ~5% of its calls, a reaction or a
 * note each, and one project price for the LLM the synthetic calls use: the data `include_feedback` and
 * `include_costs` read. Feedback goes through `feedback_create_batch` (the same per-item path as
 * `feedback_create`, in FEEDBACK_BATCH-sized requests, so setup stays seconds at 100k calls).
 */
async function attachmentsReader(size: number): Promise<WeftClient> {
  const client = await reader(size);
  if (withAttachments.has(client)) return client;
  const calls = requests(syntheticCalls(size)).map((p) => p.start);
  const rand = prng(4242);
  const batch = calls.flatMap((call) => {
    if (rand() >= FEEDBACK_SHARE) return [];
    const weave_ref = `weave:///${BENCH_PROJECT}/call/${String(call.id)}`;
    const reaction = rand() < 0.6;
    return [
      {
        project_id: BENCH_PROJECT,
        weave_ref,
        wb_user_id: "VXNlcjoxMjM0NQ==",
        feedback_type: reaction ? "wandb.reaction.1" : "wandb.note.1",
        payload: reaction ? { emoji: REACTIONS[Math.floor(rand() * REACTIONS.length)] ?? "👍" } : { note: text(rand, 80) },
      },
    ];
  });
  for (let i = 0; i < batch.length; i += FEEDBACK_BATCH) await client.feedback_create_batch({ batch: batch.slice(i, i + FEEDBACK_BATCH) });
  await client.cost_create({
    project_id: BENCH_PROJECT,
    wb_user_id: "VXNlcjoxMjM0NQ==",
    costs: { "gpt-4o-mini": { prompt_token_cost: 0.15e-6, completion_token_cost: 0.6e-6, effective_date: "2024-06-01T00:00:00Z", provider_id: "openai" } },
  });
  withAttachments.add(client);
  return client;
}

const costsPageRequest = (extra: { include_costs?: boolean; include_feedback?: boolean }): CallsQueryReq => ({
  project_id: BENCH_PROJECT,
  sort_by: newestFirst,
  limit: PAGE_SIZE,
  ...extra,
});

/**
 * C1: the newest page of all calls, with `include_costs` and `include_feedback` or without (its
 * reference, weft against itself). `count` is the feedback rows attached, so an empty join shows.
 */
export function callsPage(attachments: boolean): WeftWorkload {
  return async (size) => {
    const client = await attachmentsReader(size);
    const start = performance.now();
    const res = await client.calls_query(costsPageRequest(attachments ? { include_costs: true, include_feedback: true } : {}));
    const ms = performance.now() - start;
    const feedback = res.calls.reduce((n, c) => {
      const list = (c.summary?.["weave"] as { feedback?: unknown[] } | undefined)?.feedback;
      return n + (Array.isArray(list) ? list.length : 0);
    }, 0);
    return { ms, rows: res.calls.length, count: feedback };
  };
}

/**
 * C1's figures: each option alone through the client (`costs_only`, `feedback_only`, ms), to tell
 * which of the two costs what; the in-worker splits of the request with both; and `server_without`,
 * the same page without them in-worker too, so the options' cost shows without the hop's share.
 */
async function callsPageFigures(size: number): Promise<Record<string, number>> {
  const client = await attachmentsReader(size);
  const time = async (extra: { include_costs?: boolean; include_feedback?: boolean }): Promise<number> => {
    const start = performance.now();
    await client.calls_query(costsPageRequest(extra));
    return performance.now() - start;
  };
  return {
    costs_only: await time({ include_costs: true }),
    feedback_only: await time({ include_feedback: true }),
    ...(await splitsOf(size, costsPageRequest({ include_costs: true, include_feedback: true }))),
    server_without: (await splitsOf(size, costsPageRequest({})))["server"] ?? Number.NaN,
  };
}

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
    const req = traceRequest(size, rep);
    const start = performance.now();
    const res = await client.calls_query(req);
    const ms = performance.now() - start;
    return { ms, rows: res.calls.length };
  },
  "calls-costs-page": callsPage(true),
  "table-create": tableCreate,
  "table-sorted-page": tableSortedPage,
  "table-deep-page": tableDeepPage,
  "refs-read-batch": refsReadBatch,
  "op-overhead": opOverhead,
  "export-remote": exportRemote(reader),
  "bundle-size": bundleSize(reader),
  "bundle-import": bundleImport,
};

/**
 * The untimed writes a read needs beyond the seeding ingest (C1's feedback and prices, the tables of
 * T2 and T3, R1's objects), by workload: the driver runs them before its pause for the storage to
 * settle, so no read is timed while its setup's writes are still being flushed and compacted.
 */
export const weftPrepare: Partial<Record<WorkloadId, (size: number) => Promise<unknown>>> = {
  "calls-costs-page": attachmentsReader,
  "table-sorted-page": prepareTable,
  "table-deep-page": prepareTable,
  "refs-read-batch": () => prepareObjects(),
};

/**
 * `hop`: an empty request's round trip from this page to a worker and back (the baseline worker's
 * `ping`), timed as the reads are, and first after the driver's pause, as they are. Every request
 * through the client pays it, and the raw baselines, timed inside their worker, do not: on this
 * kind of machine a thread that sat idle for a few ms takes 0.1–0.2 ms to wake (a round trip is
 * ~0.05 ms back to back and ~0.4 ms after 20 ms idle), so for a read of under a millisecond it is a
 * large share of the ratio.
 */
async function hop(): Promise<number> {
  const start = performance.now();
  await baselineWorker().ping();
  return performance.now() - start;
}

/**
 * Figures reported beside a workload's main one (`Rep.figures`), measured in a pass of their own
 * after its timed repetitions (`bench.after`): between repetitions, their bursts of work in another
 * worker, and the pause they need to settle, would make each timed read start from a colder machine
 * than the baseline's, whose repetitions run back to back.
 */
export const weftAfter: Partial<Record<WorkloadId, (size: number, run: number) => Promise<Record<string, number>>>> = {
  "roots-page-1": (size) => splitsOf(size, rootsRequest(0)),
  "trace-fetch": async (size, run) => ({ hop: await hop(), ...(await splitsOf(size, traceRequest(size, run))) }),
  "calls-costs-page": callsPageFigures,
};
