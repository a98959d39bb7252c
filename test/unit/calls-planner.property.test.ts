/**
 * Planner coverage: the same logical calls query must give the same answer whichever index path
 * `plan.ts` picks (op, op+status, status, trace, parent, root or live range; exact native counts or
 * a residual check; index-order paging or a full sort). Random stores and random requests are
 * checked against a plain-JS reference that loads every call with an unfiltered `calls_query` and
 * filters and sorts it with the documented semantics (weave-semantics.md §2.9.1–2.9.4, §2.10).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CallSchema, CallsQueryReqInput } from "../../src/schema/calls";
import type { Operation } from "../../src/schema/query";
import type { LocalTraceServer } from "../../src/server";
import { CallLog, collect, expr, field, lit, opRef, opWildcard } from "./support/fixtures";
import { at, makeServer, PROJECT } from "./support/server";

const OTHER_PROJECT = "shawn/other-project";
/** The base time of `at()`. */
const BASE_MS = Date.UTC(2025, 0, 1, 12);
const OPS = [opRef("alpha", "v1"), opRef("alpha", "v2"), opRef("beta", "v1"), "gamma"] as const;
const OP_NAME_FILTERS = [...OPS, opWildcard("alpha"), opWildcard("beta"), opWildcard("gamma"), "missing_op"] as const;
const STATUSES = ["success", "error", "descendant_error", "running"] as const;
type Status = (typeof STATUSES)[number];
const TRACE_POOL = ["t0", "t1", "t2", "t3", "t-missing"] as const;
const CALL_POOL = Array.from({ length: 40 }, (_, i) => callId(i));

function callId(i: number): string {
  return `c${String(i).padStart(2, "0")}`;
}

// ---------------------------------------------------------------------------------------------
// Random stores

interface CallSpec {
  /** Index of the parent among the earlier calls of the same trace; undefined for the root. */
  parent: number | undefined;
  op: string;
  status: Status;
  /** Start offset in whole seconds from the base time (small range: many ties). */
  startSec: number;
  /** Extra milliseconds, usually 0 (ties), sometimes not. */
  startMs: number;
}

interface StoreSpec {
  traces: CallSpec[][];
  /** Index (into all calls) of a call to delete with its descendants, if any. */
  deleteIndex: number | undefined;
}

const callSpecArb = (canHaveParent: number): fc.Arbitrary<CallSpec> =>
  fc.record({
    parent: canHaveParent > 0 ? fc.integer({ min: 0, max: canHaveParent - 1 }) : fc.constant(undefined),
    // Skewed so one op and one status hold most calls (long index ranges).
    op: fc.constantFrom(OPS[0], OPS[0], OPS[0], ...OPS),
    status: fc.constantFrom<Status>("success", "success", ...STATUSES),
    startSec: fc.integer({ min: 0, max: 5 }),
    startMs: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 999 }) }),
  });

// Up to 10 calls a trace, 40 a store: enough for an index range to outgrow the executor's first
// chunk (16 rows) and be continued from its last key.
const traceArb: fc.Arbitrary<CallSpec[]> = fc.integer({ min: 1, max: 10 }).chain((n) =>
  fc.tuple(...Array.from({ length: n }, (_, i) => callSpecArb(i))).map((calls) => calls as CallSpec[]),
);

const storeArb: fc.Arbitrary<StoreSpec> = fc.record({
  traces: fc.array(traceArb, { minLength: 1, maxLength: 4 }),
  deleteIndex: fc.option(fc.integer({ min: 0, max: 39 }), { nil: undefined }),
});

/** Writes the store (plus a mirror of it in another project, which must never leak in). */
async function buildStore(server: LocalTraceServer, spec: StoreSpec): Promise<Map<string, number>> {
  const startedMs = new Map<string, number>();
  for (const project of [PROJECT, OTHER_PROJECT]) {
    const log = new CallLog(project);
    let n = 0;
    spec.traces.forEach((trace, t) => {
      const ids: string[] = [];
      for (const call of trace) {
        const id = callId(n++);
        ids.push(id);
        const ms = call.startSec * 1000 + call.startMs;
        if (project === PROJECT) startedMs.set(id, ms);
        const parentId = call.parent === undefined ? undefined : ids[call.parent];
        // The other project's copy uses another op and status so a leak changes the answers.
        const op = project === PROJECT ? call.op : (OPS[(OPS.indexOf(call.op as (typeof OPS)[number]) + 1) % OPS.length] as string);
        log.start({ id, trace_id: `t${t}`, op_name: op, started_at: at(ms), ...(parentId ? { parent_id: parentId } : {}) });
        const status = project === PROJECT ? call.status : "success";
        if (status === "running") continue;
        log.end(id, {
          ended_at: at(ms + 1000 + (n % 3) * 250),
          ...(status === "error" ? { exception: "boom" } : {}),
          summary: status === "descendant_error" ? { status_counts: { success: 1, error: 1 } } : { status_counts: { success: 1, error: 0 } },
        });
      }
    });
    await log.write(server);
  }
  if (spec.deleteIndex !== undefined && spec.deleteIndex < startedMs.size) {
    await server.calls_delete({ project_id: PROJECT, call_ids: [callId(spec.deleteIndex)], wb_user_id: "shawn" });
  }
  return startedMs;
}

// ---------------------------------------------------------------------------------------------
// Random requests

type Cmp = "$gt" | "$gte" | "$lt" | "$lte" | "$eq";

type Conjunct =
  | { kind: "status"; values: Status[]; asIn: boolean; flip: boolean }
  | { kind: "time"; op: Cmp; ms: number; asSeconds: boolean; flip: boolean }
  | { kind: "op"; value: string; flip: boolean };

interface SortKey {
  field: "started_at" | "op_name" | "summary.weave.status" | "ended_at" | "id";
  direction: "asc" | "desc";
}

interface RequestSpec {
  op_names: string[] | undefined;
  trace_ids: string[] | undefined;
  parent_ids: string[] | undefined;
  trace_roots_only: boolean | undefined;
  conjuncts: Conjunct[];
  /** Wrap the conjuncts in a nested `$and` (the planner flattens it). */
  nest: boolean;
  sort: SortKey[] | undefined;
  limit: number | undefined;
  offset: number | undefined;
}

const opt = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

const conjunctArb: fc.Arbitrary<Conjunct> = fc.oneof(
  fc.record({
    kind: fc.constant("status" as const),
    values: fc.array(fc.constantFrom(...STATUSES), { minLength: 1, maxLength: 3 }),
    asIn: fc.boolean(),
    flip: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant("time" as const),
    op: fc.constantFrom<Cmp>("$gt", "$gte", "$lt", "$lte", "$eq"),
    ms: fc.tuple(fc.integer({ min: -1, max: 6 }), fc.constantFrom(0, 0, 500)).map(([s, extra]) => s * 1000 + extra),
    asSeconds: fc.boolean(),
    flip: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("op" as const), value: fc.constantFrom(...OPS, opWildcard("alpha")), flip: fc.boolean() }),
);

const sortKeyArb = (fields: readonly SortKey["field"][]): fc.Arbitrary<SortKey> =>
  fc.record({ field: fc.constantFrom(...fields), direction: fc.constantFrom("asc" as const, "desc" as const) });

const sortArb: fc.Arbitrary<SortKey[] | undefined> = fc.oneof(
  fc.constant(undefined),
  sortKeyArb(["started_at"]).map((k) => [k]),
  sortKeyArb(["op_name", "summary.weave.status", "ended_at", "id"]).map((k) => [k]),
  fc.tuple(sortKeyArb(["op_name", "summary.weave.status"]), sortKeyArb(["started_at"])).map(([a, b]) => [a, b]),
  fc.tuple(sortKeyArb(["started_at"]), sortKeyArb(["id"])).map(([a, b]) => [a, b]),
  fc.constant<SortKey[]>([]),
);

const requestArb: fc.Arbitrary<RequestSpec> = fc.record({
  op_names: opt(fc.array(fc.constantFrom(...OP_NAME_FILTERS), { maxLength: 3 })),
  trace_ids: opt(fc.subarray([...TRACE_POOL])),
  parent_ids: opt(fc.subarray(CALL_POOL, { maxLength: 6 })),
  trace_roots_only: opt(fc.boolean()),
  conjuncts: fc.array(conjunctArb, { maxLength: 3 }),
  nest: fc.boolean(),
  sort: sortArb,
  limit: opt(fc.integer({ min: 0, max: 8 })),
  offset: opt(fc.integer({ min: 0, max: 6 })),
});

function timeLiteral(c: Extract<Conjunct, { kind: "time" }>): string | number {
  return c.asSeconds ? (BASE_MS + c.ms) / 1000 : at(c.ms);
}

function conjunctToOperation(c: Conjunct): Operation {
  const pair = <A, B>(a: A, b: B, flip: boolean): [A | B, A | B] => (flip ? [b, a] : [a, b]);
  if (c.kind === "status") {
    if (c.asIn) return { $in: [field("summary.weave.status"), c.values.map((v) => lit(v))] };
    return { $eq: pair(field("summary.weave.status"), lit(c.values[0] as string), c.flip) };
  }
  if (c.kind === "op") return { $eq: pair(field("op_name"), lit(c.value), c.flip) };
  const operands = pair(field("started_at"), lit(timeLiteral(c)), c.flip);
  // `lit <op> field` is `field <flipped op> lit`, so the generated request keeps its meaning either way.
  const op = c.flip ? ({ $gt: "$lt", $gte: "$lte", $lt: "$gt", $lte: "$gte", $eq: "$eq" } as const)[c.op] : c.op;
  return { [op]: operands } as unknown as Operation;
}

function toRequest(spec: RequestSpec): CallsQueryReqInput {
  const filter: NonNullable<CallsQueryReqInput["filter"]> = {};
  if (spec.op_names !== undefined) filter.op_names = spec.op_names;
  if (spec.trace_ids !== undefined) filter.trace_ids = spec.trace_ids;
  if (spec.parent_ids !== undefined) filter.parent_ids = spec.parent_ids;
  if (spec.trace_roots_only !== undefined) filter.trace_roots_only = spec.trace_roots_only;
  const req: CallsQueryReqInput = { project_id: PROJECT, filter };
  const ops = spec.conjuncts.map(conjunctToOperation);
  if (ops.length === 1) req.query = expr(ops[0] as Operation);
  else if (ops.length > 1) {
    const [first, ...rest] = ops;
    req.query = spec.nest ? expr({ $and: [first as Operation, { $and: rest }] }) : expr({ $and: ops });
  }
  if (spec.sort !== undefined) req.sort_by = spec.sort;
  if (spec.limit !== undefined) req.limit = spec.limit;
  if (spec.offset !== undefined) req.offset = spec.offset;
  return req;
}

// ---------------------------------------------------------------------------------------------
// The reference

interface RefCall {
  call: CallSchema;
  startedMs: number;
  endedMs: number | null;
  status: string;
}

function matchesConjunct(c: Conjunct, r: RefCall): boolean {
  if (c.kind === "status") return c.asIn ? c.values.includes(r.status as Status) : r.status === c.values[0];
  if (c.kind === "op") return r.call.op_name === c.value; // a literal, never a wildcard
  // Datetime literals: numbers are unix seconds, strings ISO-8601 (§2.9.2).
  const literal = timeLiteral(c);
  const litMs = typeof literal === "number" ? literal * 1000 : Date.parse(literal);
  const rel = BASE_MS + r.startedMs - litMs;
  return { $gt: rel > 0, $gte: rel >= 0, $lt: rel < 0, $lte: rel <= 0, $eq: rel === 0 }[c.op];
}

function matchesFilter(spec: RequestSpec, r: RefCall): boolean {
  const c = r.call;
  if (spec.op_names && spec.op_names.length > 0) {
    const ok = spec.op_names.some((e) => (e.endsWith(":*") ? c.op_name.startsWith(e.slice(0, -1)) : c.op_name === e));
    if (!ok) return false;
  }
  if (spec.trace_ids && spec.trace_ids.length > 0 && !spec.trace_ids.includes(c.trace_id)) return false;
  if (spec.parent_ids && spec.parent_ids.length > 0 && !(c.parent_id && spec.parent_ids.includes(c.parent_id))) return false;
  if (spec.trace_roots_only === true && c.parent_id) return false;
  return spec.conjuncts.every((q) => matchesConjunct(q, r));
}

function sortValue(r: RefCall, f: SortKey["field"]): number | string | null {
  switch (f) {
    case "started_at":
      return r.startedMs;
    case "ended_at":
      return r.endedMs;
    case "op_name":
      return r.call.op_name;
    case "summary.weave.status":
      return r.status;
    case "id":
      return r.call.id;
  }
}

/** Sort keys plus Weave's tie-break: `id` in started_at's direction after a trailing started_at, else `id` ASC (§2.9.3). */
function effectiveKeys(sort: SortKey[] | undefined): SortKey[] {
  const keys = sort ?? [{ field: "started_at", direction: "asc" }];
  if (keys.some((k) => k.field === "id")) return keys;
  const last = keys[keys.length - 1];
  return [...keys, { field: "id", direction: last?.field === "started_at" ? last.direction : "asc" }];
}

function compareRef(keys: SortKey[]): (a: RefCall, b: RefCall) => number {
  return (a, b) => {
    for (const k of keys) {
      const x = sortValue(a, k.field);
      const y = sortValue(b, k.field);
      if (x === y) continue;
      // NULLs last in both directions (ClickHouse).
      if (x === null) return 1;
      if (y === null) return -1;
      const c = x < y ? -1 : 1;
      return k.direction === "desc" ? -c : c;
    }
    return 0;
  };
}

function reference(all: RefCall[], spec: RequestSpec): { ids: string[]; total: number } {
  const matched = all.filter((r) => matchesFilter(spec, r)).sort(compareRef(effectiveKeys(spec.sort)));
  const offset = spec.offset ?? 0;
  const end = spec.limit === undefined ? undefined : offset + spec.limit;
  return { ids: matched.slice(offset, end).map((r) => r.call.id), total: matched.length };
}

// ---------------------------------------------------------------------------------------------

describe("calls planner", () => {
  it("every index path answers like the plain-JS reference (calls_query, stream, stats)", async () => {
    await fc.assert(
      fc.asyncProperty(storeArb, fc.array(requestArb, { minLength: 4, maxLength: 6 }), async (store, requests) => {
        const server = makeServer();
        try {
          const startedMs = await buildStore(server, store);
          const { calls } = await server.calls_query({ project_id: PROJECT });
          const all: RefCall[] = calls.map((call) => ({
            call,
            startedMs: startedMs.get(call.id) as number,
            endedMs: call.ended_at ? Date.parse(call.ended_at) - BASE_MS : null,
            status: (call.summary?.["weave"] as { status: string }).status,
          }));
          for (const spec of requests) {
            const req = toRequest(spec);
            const want = reference(all, spec);
            const context = JSON.stringify(req);
            const got = (await server.calls_query(req)).calls.map((c) => c.id);
            expect(got, `calls_query ${context}`).toEqual(want.ids);
            const streamed = (await collect(server.calls_query_stream(req))).map((c) => c.id);
            expect(streamed, `calls_query_stream ${context}`).toEqual(want.ids);
            const statsReq = { project_id: PROJECT, filter: req.filter ?? null, query: req.query ?? null };
            expect((await server.calls_query_stats(statsReq)).count, `calls_query_stats ${context}`).toBe(want.total);
            if (spec.limit !== undefined && spec.limit >= 1) {
              const capped = (await server.calls_query_stats({ ...statsReq, limit: spec.limit })).count;
              expect(capped, `calls_query_stats limit ${context}`).toBe(Math.min(want.total, spec.limit));
            }
          }
        } finally {
          await server.close();
        }
      }),
      { numRuns: 60 },
    );
  }, 60_000);
});
