/**
 * O1, a figure rather than a ratio: what tracing a small synchronous function with `op(fn)` costs the
 * main thread per call, through the real worker client (`init({ project, client })`), against the
 * bare function. Calls run in chunks with a turn of the event loop between them, as an app's do; the
 * clock covers the op's own path (the call record, the client's copy and queue, and the batch
 * `postMessage` when a batch fills) but never waits for storage: `flush()` runs after the clock.
 *
 * Two partial set-ups split that time: the tracing API alone (a client that drops every record),
 * and tracing plus the client's real queue (`CallBatcher`, whose send answers at once, no worker).
 */
import { CallBatcher } from "../../src/client/call-batcher";
import { init, op, type Tracer, type TracerClient } from "../../src/trace/index";
import { BENCH_PROJECT, prng, text } from "./synthetic";
import { openClient, yieldToEventLoop } from "./weft-client";
import type { Rep } from "./workloads";

/** Traced calls per repetition, and per chunk between two turns of the event loop. */
export const OP_CALLS = 20_000;
const CHUNK = 500;

/** The function traced: two small inputs, a small object out. */
function classify(prompt: string, threshold: number): { label: string; score: number } {
  return { label: prompt.length > threshold ? "long" : "short", score: prompt.charCodeAt(0) / 128 };
}

const PROMPTS = Array.from({ length: 64 }, (_, i) => text(prng(9000 + i), 100));

interface Setup {
  tracer: Tracer;
  traced: typeof classify;
  /** Traced into a client that drops every record: the tracing API's own cost. */
  traceOnly: typeof classify;
  /** Traced into the client's real queue, whose batches are answered at once without a worker. */
  traceQueue: { traced: typeof classify; batcher: CallBatcher; lastBatch: { batch: unknown[] } | null };
}

let setup: Setup | null = null;
/** Tracing failures reported to `onError` (a sanity check: there should be none). */
let errors = 0;
const onError = (): void => void errors++;

async function tracing(): Promise<Setup> {
  if (setup) return setup;
  const { client } = await openClient("op-overhead");
  const stored = Promise.resolve({} as never);
  const drop: TracerClient = { call_start: () => stored, call_end: () => stored, obj_create: () => stored, table_create: () => stored, flush: async () => undefined };
  const traceQueue: Setup["traceQueue"] = { traced: classify, batcher: new CallBatcher(async (batch) => {
    // Kept to time its copy afterwards: what `postMessage` of a batch costs the main thread.
    if (batch.batch.length > (traceQueue.lastBatch?.batch.length ?? 0)) traceQueue.lastBatch = batch;
    return { res: batch.batch.map(() => ({})) } as never;
  }), lastBatch: null };
  const { batcher } = traceQueue;
  const queue: TracerClient = { ...drop, call_start: (req) => batcher.start(req), call_end: (req) => batcher.end(req), flush: () => batcher.flush() };
  const partial = (to: TracerClient) => op(classify, { tracer: init({ project: BENCH_PROJECT, client: to, onError, setDefault: false }) });
  const traceOnly = partial(drop);
  traceQueue.traced = partial(queue);
  // The measured set-up, as an app writes it: the default tracer, and `op(fn)`.
  const tracer = init({ project: BENCH_PROJECT, client, onError });
  setup = { tracer, traced: op(classify), traceOnly, traceQueue };
  return setup;
}

let idleWorker: Worker | null = null;

/** µs per call of posting `batch` (two items a call) to a worker that does nothing with it; median of 5. */
function postCost(batch: { batch: unknown[] }): number {
  idleWorker ??= new Worker(URL.createObjectURL(new Blob(["onmessage = () => {};"], { type: "text/javascript" })));
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    idleWorker.postMessage(batch);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return ((times[2] ?? 0) * 1000 * 2) / Math.max(1, batch.batch.length);
}

/** Sum of the time inside the chunks, and the wall time over all of them (the turns between included). */
async function timeCalls(fn: typeof classify): Promise<{ inChunks: number; wall: number; sink: number }> {
  let inChunks = 0;
  let sink = 0;
  const t0 = performance.now();
  for (let done = 0; done < OP_CALLS; done += CHUNK) {
    const s = performance.now();
    for (let j = done; j < done + CHUNK; j++) sink += fn(PROMPTS[j & 63] as string, 60).score;
    inChunks += performance.now() - s;
    await yieldToEventLoop();
  }
  return { inChunks, wall: performance.now() - t0, sink };
}

/** Calls per set-up in the splits loop (every chunk is flushed, so fewer keep it short). */
const SPLIT_CALLS = 3_000;

/**
 * µs per call of each set-up, chunk by chunk in turn (so drift in the machine's load falls on all
 * alike), everything flushed after each round: weft's worker is not storing while they run.
 */
async function splitCalls(setups: Record<string, typeof classify>, flush: () => Promise<void>): Promise<Record<string, number>> {
  const time: Record<string, number> = {};
  let sink = 0;
  for (let done = 0; done < SPLIT_CALLS; done += CHUNK) {
    for (const [name, fn] of Object.entries(setups)) {
      const s = performance.now();
      for (let j = done; j < done + CHUNK; j++) sink += fn(PROMPTS[j & 63] as string, 60).score;
      time[name] = (time[name] ?? 0) + performance.now() - s;
    }
    await flush();
  }
  if (Number.isNaN(sink)) throw new Error("unreachable: keeps the calls from being optimised away");
  return Object.fromEntries(Object.entries(time).map(([name, ms]) => [name, (ms * 1000) / SPLIT_CALLS]));
}

/**
 * One repetition: OP_CALLS bare calls, then OP_CALLS traced ones, then an untimed flush; then the
 * splits. Figures in µs per call: `overhead_us` (traced − bare, inside the chunks), `wall_overhead_us`
 * (the same over the wall time, so it also holds what the main thread did between chunks: sending
 * batches, handling the worker's answers), `traced_us`, `bare_us`. Splits, from `splitCalls` over
 * bare / tracing only / tracing + queue / the real set-up: `trace_api_us` (tracing only − bare),
 * `client_queue_us` (+ queue − tracing only), `transport_us` (real − queue: Comlink, the connection
 * and the batch `postMessage`, of which `batch_post_us` is a full batch posted to a worker that does
 * nothing, per call) and `idle_overhead_us` (real − bare while weft's worker is idle). What
 * `overhead_us` has beyond `idle_overhead_us` is the main thread sharing the cores with the worker,
 * which stores earlier batches all through the measured loop.
 */
export async function opOverhead(): Promise<Rep> {
  const { tracer, traced, traceOnly, traceQueue } = await tracing();
  const bare = await timeCalls(classify);
  const withOp = await timeCalls(traced);
  await tracer.flush();
  const perCall = (ms: number): number => (ms * 1000) / OP_CALLS;
  const split = await splitCalls({ bare: classify, api: traceOnly, queue: traceQueue.traced, real: traced }, async () => {
    await traceQueue.batcher.flush();
    await tracer.flush();
  });
  const us = (name: string): number => split[name] ?? Number.NaN;
  return {
    ms: withOp.inChunks,
    rows: OP_CALLS,
    count: errors,
    figures: {
      overhead_us: perCall(withOp.inChunks - bare.inChunks),
      wall_overhead_us: perCall(withOp.wall - bare.wall),
      traced_us: perCall(withOp.inChunks),
      bare_us: perCall(bare.inChunks),
      trace_api_us: us("api") - us("bare"),
      client_queue_us: us("queue") - us("api"),
      transport_us: us("real") - us("queue"),
      batch_post_us: postCost(traceQueue.lastBatch ?? { batch: [] }),
      idle_overhead_us: us("real") - us("bare"),
    },
  };
}
