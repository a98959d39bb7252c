/**
 * Page script of `test/browser/client.test.ts`: a real module Worker (the harness's `worker.ts`,
 * database named by `?db=`) behind `createClient`, and helpers on `globalThis.clientPage` that
 * return plain data (errors as `{ weft, code, message, details }`, `weft` = `instanceof WeftError`
 * checked here in the page). `?interval=` sets the batch timer (a large one keeps calls queued).
 */
import { createClient, type WeftClient } from "../../../src/client/index";
import { WeftError } from "../../../src/errors";
import type { HarnessPageGlobals } from "../harness";

/** An error as the test sees it. */
export interface SeenError {
  weft: boolean;
  code?: string;
  message: string;
  details?: unknown;
}

const params = new URLSearchParams(location.search);
const dbName = params.get("db") ?? "weft-client-test";
const interval = Number(params.get("interval") ?? 25);
export const PROJECT = "browser/client";

function open(name: string, livenessTimeoutMs = 2000): { worker: Worker; client: WeftClient } {
  const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module", name });
  return { worker, client: createClient({ worker, batch: { flushIntervalMs: interval }, livenessTimeoutMs }) };
}

async function seen(promise: Promise<unknown>): Promise<SeenError | { ok: unknown }> {
  try {
    return { ok: await promise };
  } catch (error) {
    if (error instanceof WeftError) return { weft: true, code: error.code, message: error.message, details: error.details };
    return { weft: false, message: String(error) };
  }
}

let current = open(dbName);
const rejected: string[] = [];

/** Starts and ends `n` calls (ids `<prefix>-<i>`) without waiting; rejections are recorded. */
function trace(n: number, prefix: string, payloadChars = 100): number {
  const started_at = new Date().toISOString();
  for (let i = 0; i < n; i++) {
    const id = `${prefix}-${String(i).padStart(5, "0")}`;
    const inputs = { i, text: "x".repeat(payloadChars) };
    current.client.call_start({ start: { project_id: PROJECT, id, op_name: "traced", started_at, attributes: {}, inputs } }).catch((e: unknown) => rejected.push(String(e)));
    current.client.call_end({ end: { project_id: PROJECT, id, ended_at: new Date().toISOString(), summary: {}, output: i } }).catch((e: unknown) => rejected.push(String(e)));
  }
  return n;
}

const api = {
  dbName,
  rejected,
  get client(): WeftClient {
    return current.client;
  },
  trace,
  /** Traces, then leaves for `url` in the same task: nothing is flushed unless page hide does it. */
  traceAndLeave(n: number, prefix: string, url: string, payloadChars = 100): void {
    trace(n, prefix, payloadChars);
    location.href = url;
  },
  async flush(): Promise<void> {
    await current.client.flush();
  },
  /** Ids (and whether ended) of the project's calls, oldest id first. */
  async calls(): Promise<Array<[string, boolean]>> {
    const res = await current.client.calls_query({ project_id: PROJECT, sort_by: [{ field: "id", direction: "asc" }] });
    return res.calls.map((c) => [c.id, c.ended_at != null]);
  },
  /** Streams the project's calls; stops after `stopAfter` items when given. */
  async stream(stopAfter?: number): Promise<number> {
    let count = 0;
    for await (const _ of current.client.calls_query_stream({ project_id: PROJECT })) {
      if (++count === stopAfter) break;
    }
    return count;
  },
  /**
   * Streams the whole project, newest first, and compares it with `calls_query` of the same request:
   * the calls as the page got them (ids in order, and whether every call equals its page twin).
   */
  async streamVersusQuery(): Promise<{ ids: string[]; same: boolean }> {
    const req = { project_id: PROJECT, sort_by: [{ field: "started_at" as const, direction: "desc" as const }] };
    const streamed = [];
    for await (const call of current.client.calls_query_stream(req)) streamed.push(call);
    const { calls } = await current.client.calls_query(req);
    return { ids: streamed.map((c) => c.id), same: JSON.stringify(streamed) === JSON.stringify(calls) };
  },
  seen,
  /** A request the worker rejects, checked with `instanceof` here. */
  badQuery: () => seen(current.client.calls_query({ project_id: "no-slash" })),
  badStream: () =>
    seen(
      (async () => {
        for await (const _ of current.client.calls_query_stream({ project_id: PROJECT, sort_by: [{ field: "nope", direction: "asc" }] }));
      })(),
    ),
  /** Terminates the worker behind the client's back, then calls it. */
  async afterTerminate(): Promise<{ call: SeenError | { ok: unknown }; queued: SeenError | { ok: unknown } }> {
    current.worker.terminate();
    const queued = current.client.call_start({
      start: { project_id: PROJECT, op_name: "late", started_at: new Date().toISOString(), attributes: {}, inputs: {} },
    });
    return { call: await seen(current.client.calls_query({ project_id: PROJECT })), queued: await seen(queued) };
  },
  /** A worker whose script does not exist. */
  async brokenWorker(): Promise<SeenError | { ok: unknown }> {
    const worker = new Worker(new URL("./no-such-worker.ts", import.meta.url), { type: "module" });
    const client = createClient({ worker });
    return seen(client.calls_query({ project_id: PROJECT }));
  },
  /**
   * Calls with LLM usage, a project price, a reaction and a note, then one page with include_costs and
   * include_feedback: what the viewer shows per call.
   */
  async costsAndFeedback(): Promise<Array<{ id: string; cost: number | null; feedback: string[] }>> {
    const client = current.client;
    const usage = { "cost-test-model": { requests: 1, prompt_tokens: 1000, completion_tokens: 500 } };
    for (let i = 0; i < 3; i++) {
      const id = `cf-${i}`;
      void client.call_start({ start: { project_id: PROJECT, id, trace_id: id, op_name: "llm", started_at: new Date(), attributes: {}, inputs: { i } } });
      void client.call_end({ end: { project_id: PROJECT, id, ended_at: new Date(), output: "ok", summary: i < 2 ? { usage } : {} } });
    }
    await client.flush();
    await client.cost_create({
      project_id: PROJECT,
      costs: { "cost-test-model": { prompt_token_cost: 0.001, completion_token_cost: 0.002, effective_date: "2020-01-01T00:00:00Z" } },
    });
    const ref = (id: string): string => `weave:///${PROJECT}/call/${id}`;
    await client.feedback_create({ project_id: PROJECT, weave_ref: ref("cf-0"), feedback_type: "wandb.reaction.1", payload: { emoji: "👍" } });
    await client.feedback_create({ project_id: PROJECT, weave_ref: ref("cf-1"), feedback_type: "wandb.note.1", payload: { note: "checked" } });
    const page = await client.calls_query({ project_id: PROJECT, filter: { op_names: ["llm"] }, include_costs: true, include_feedback: true });
    return page.calls.map((c) => {
      const weave = (c.summary?.["weave"] ?? {}) as { costs?: Record<string, { prompt_tokens_total_cost: number; completion_tokens_total_cost: number }>; feedback?: Array<{ feedback_type: string }> };
      const entry = weave.costs?.["cost-test-model"];
      return {
        id: c.id,
        cost: entry ? entry.prompt_tokens_total_cost + entry.completion_tokens_total_cost : null,
        feedback: (weave.feedback ?? []).map((f) => f.feedback_type),
      };
    });
  },
  /**
   * A burst of `n` calls (~1 KB of inputs each) through a client of its own, on a fresh worker and
   * database `name`, with batches of `maxItems` parts, as fast as the page can queue them. The
   * endpoint between client and worker counts the `call_start_batch` messages sent and not yet
   * answered: the most at once, and how many were left unanswered once `flush()` resolved.
   */
  async burst(name: string, n: number, maxItems: number, maxInFlight?: number): Promise<{ most: number; left: number; batches: number; stored: number; rejected: number }> {
    const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module", name });
    const unanswered = new Set<string>();
    let most = 0;
    let batches = 0;
    const endpoint = {
      postMessage(message: { id?: string; path?: string[]; argumentList?: Array<{ value?: unknown }> }, transfer?: Transferable[]) {
        if (message.id && message.path?.[0] === "call" && message.argumentList?.[0]?.value === "call_start_batch") {
          unanswered.add(message.id);
          batches++;
          most = Math.max(most, unanswered.size);
        }
        worker.postMessage(message, transfer ?? []);
      },
      addEventListener: worker.addEventListener.bind(worker),
      removeEventListener: worker.removeEventListener.bind(worker),
    };
    worker.addEventListener("message", (event: MessageEvent<{ id?: string } | null>) => {
      if (event.data?.id) unanswered.delete(event.data.id);
    });
    const client = createClient({ worker: endpoint, batch: { maxItems, ...(maxInFlight === undefined ? {} : { maxInFlight }) } });
    let rejected = 0;
    const text = "y".repeat(1000);
    const started_at = new Date().toISOString();
    try {
      for (let i = 0; i < n; i++) {
        const id = `burst-${String(i).padStart(6, "0")}`;
        client.call_start({ start: { project_id: PROJECT, id, op_name: "burst", started_at, attributes: {}, inputs: { i, text } } }).catch(() => rejected++);
        client.call_end({ end: { project_id: PROJECT, id, ended_at: started_at, output: i, summary: {} } }).catch(() => rejected++);
      }
      await client.flush();
      const left = unanswered.size;
      const { count } = await client.calls_query_stats({ project_id: PROJECT, filter: { op_names: ["burst"] } });
      return { most, left, batches, stored: count, rejected };
    } finally {
      await client.close();
      worker.terminate();
    }
  },
  /** Replaces the client with a fresh worker + client on `name`. */
  async reopen(name: string, livenessTimeoutMs?: number): Promise<void> {
    await current.client.close();
    current = open(name, livenessTimeoutMs);
    await current.client.ready();
  },
};

export type ClientPageApi = typeof api;
export interface ClientPageGlobals extends HarnessPageGlobals {
  clientPage: ClientPageApi;
}

const globals = globalThis as unknown as ClientPageGlobals;
globals.clientPage = api;
// Ready once the worker answered and the page-hide outbox is open.
globals.harnessReady = current.client.ready();
