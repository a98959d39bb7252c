/**
 * Where weft's time goes in a calls read, measured inside a module worker like weft's own, on the
 * very database the weft side of the read workloads uses (same origin and profile, a second
 * connection). Run after a repetition's clock has stopped; the figures are reported beside it, so
 * the main figure (timed on the main thread through `createClient`) keeps its meaning.
 *
 * `server` is the whole request through an in-worker `LocalTraceServer` (validation, planning,
 * reads, shaping, costs and feedback): weft's time without the worker hop, comparable to the raw
 * baselines, which are timed inside their worker too. The other figures are the steps of that
 * request, each under its own clock.
 */
import { expose } from "comlink";
import { METHODS } from "../../src/interface";
import type { CallsQueryReq } from "../../src/schema/calls";
import { attachCostsAndFeedback } from "../../src/server/calls/attachments";
import { selectCalls } from "../../src/server/calls/execute";
import { shapeCalls } from "../../src/server/calls/handlers";
import { PageCursors } from "../../src/server/calls/page-cursors";
import { planCalls, type IndexRange } from "../../src/server/calls/plan";
import type { ServerContext } from "../../src/server/context";
import { WeftDb } from "../../src/server/db";
import { feedbackByRef } from "../../src/server/feedback/for-calls";
import { createLocalTraceServer, type LocalTraceServer } from "../../src/server/index";
import { hasGetAllOptions, request, type GetAllOptions } from "./raw-idb";

/**
 * Runs of every step per figure, under one clock: several steps take tens of µs, near the 5 µs
 * resolution of the bench's (cross-origin isolated) timers and far below the 100 µs of a page that
 * is not, so each figure is a mean over a batch.
 */
const STEP_REPS = 20;

interface Opened {
  db: WeftDb;
  server: LocalTraceServer;
  ctx: ServerContext;
}

const opened = new Map<string, Opened>();

async function open(dbName: string): Promise<Opened> {
  let entry = opened.get(dbName);
  if (!entry) {
    const db = new WeftDb(dbName);
    await db.open();
    const server = createLocalTraceServer({ dbName });
    entry = { db, server, ctx: { db, userId: "local", now: Date.now, pageCursors: new PageCursors() } };
    opened.set(dbName, entry);
  }
  return entry;
}

async function step<T>(out: Record<string, number>, name: string, fn: () => T | Promise<T>): Promise<T> {
  let result: T | undefined;
  const start = performance.now();
  for (let i = 0; i < STEP_REPS; i++) result = await fn();
  out[name] = (performance.now() - start) / STEP_REPS;
  return result as T;
}

/** The one index range an exact single-range plan reads (a page or a trace), else undefined. */
function singleRange(req: CallsQueryReq): IndexRange | undefined {
  const plan = planCalls(req.project_id, req.filter, req.query);
  return plan.kind === "ranges" && plan.exact && plan.ranges.length === 1 ? plan.ranges[0] : undefined;
}

/**
 * The range read with raw IndexedDB on weft's own connection, as the baselines read it (one getAll
 * with count and direction): the floor under `select`.
 */
function rawRead(db: WeftDb, range: IndexRange, limit: number | undefined, desc: boolean): Promise<unknown[]> {
  const index = db.backendDB().transaction("calls").objectStore("calls").index(range.index);
  const query = IDBKeyRange.bound(range.lower, range.upper);
  if (hasGetAllOptions) {
    const getAll = index.getAll as unknown as (options: Partial<GetAllOptions>) => IDBRequest<unknown[]>;
    return request(getAll.call(index, { query, ...(limit !== undefined ? { count: limit } : {}), direction: desc ? "prev" : "next" }));
  }
  return request(index.getAll(query, limit));
}

/** The same range through Dexie's collection API (how weft read it before `readIndexRange`). */
function dexieRead(db: WeftDb, range: IndexRange, limit: number | undefined, desc: boolean): Promise<unknown[]> {
  let coll = db.calls.where(range.index).between(range.lower, range.upper, true, true);
  if (desc) coll = coll.reverse();
  if (limit !== undefined) coll = coll.limit(limit);
  return coll.toArray();
}

/**
 * Two ways of doing one step, alternating run by run (ABAB…) so that load on the machine falls on
 * both alike: the figures to compare when the difference is a fraction of the noise.
 */
async function pair(out: Record<string, number>, a: [string, () => unknown], b: [string, () => unknown]): Promise<void> {
  let [totalA, totalB] = [0, 0];
  for (let i = 0; i < STEP_REPS; i++) {
    let start = performance.now();
    await a[1]();
    totalA += performance.now() - start;
    start = performance.now();
    await b[1]();
    totalB += performance.now() - start;
  }
  out[a[0]] = totalA / STEP_REPS;
  out[b[0]] = totalB / STEP_REPS;
}

const api = {
  /**
   * One `calls_query` on database `dbName`, step by step (ms, means of STEP_REPS runs): `server`
   * (the whole request, in-worker), `copy_req` (a structured clone of the request, as the message
   * costs it), `validate` (the request schema), `select` (plan and index reads), `raw_read` and
   * `dexie_read` (the same index range by one raw getAll, and through Dexie, alternating; exact
   * single-range plans only), `shape` (rows to `CallSchema`, costs and feedback included when
   * asked), `copy_res` (a structured clone of the response), `server_json` (the whole request
   * answered as JSON text, `answerJson`, what weft's worker sends its client) and `parse_json` (that
   * text parsed, as the client does on the main thread), `costs` and
   * `feedback` (what each option adds to the shaped page, alone) and `feedback_per_ref` (the page's
   * feedback read ref by ref, the general path, alternating with `feedback`).
   */
  async callsQuery(dbName: string, req: CallsQueryReq): Promise<Record<string, number>> {
    const { db, server, ctx } = await open(dbName);
    const out: Record<string, number> = {};
    await server.calls_query(structuredClone(req)); // warm: the first request opens the connection
    await step(out, "server", () => server.calls_query(structuredClone(req)));
    const text = await step(out, "server_json", () => server.answerJson("calls_query", structuredClone(req)));
    const copy = await step(out, "copy_req", () => structuredClone(req));
    const parsed = await step(out, "validate", () => METHODS.calls_query.req.parse(copy));
    const rows = await step(out, "select", () => selectCalls(ctx, parsed));
    const range = singleRange(parsed);
    if (range) {
      const desc = parsed.sort_by?.[0]?.direction === "desc";
      const limit = parsed.limit ?? undefined;
      await pair(out, ["raw_read", () => rawRead(db, range, limit, desc)], ["dexie_read", () => dexieRead(db, range, limit, desc)]);
    }
    const calls = await step(out, "shape", () => shapeCalls(ctx, rows, parsed));
    await step(out, "copy_res", () => structuredClone({ calls }));
    await step(out, "parse_json", () => JSON.parse(text) as unknown);
    // What each option adds to the shaped page, alone (both run side by side inside `shape`).
    if (parsed.include_costs) await step(out, "costs", () => attachCostsAndFeedback(ctx, calls, { include_costs: true }));
    if (parsed.include_feedback) {
      const ids = calls.map((c) => c.id);
      await pair(
        out,
        ["feedback", () => attachCostsAndFeedback(ctx, calls, { include_feedback: true })],
        ["feedback_per_ref", () => feedbackByRef(ctx, parsed.project_id, ids)],
      );
    }
    return out;
  },
};

export type ReadSplitsApi = typeof api;

expose(api);
