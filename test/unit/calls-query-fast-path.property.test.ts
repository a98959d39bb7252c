/**
 * The calls-reads fast path (src/schema/calls-query-fast-path.ts) against the zod schemas it stands
 * in for: whatever it accepts, the schema accepts with an equal result; what a trace view sends, it
 * accepts; and through the server, a request it passes over still gets the schema's error.
 */
import fc from "fast-check";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import { WeftError } from "../../src/errors";
import { CallsFilterSchema, CallsQueryReqSchema, CallsQueryStatsReqSchema } from "../../src/schema/calls";
import { fastCallsQueryReq, fastCallsQueryStatsReq } from "../../src/schema/calls-query-fast-path";
import { createLocalTraceServer } from "../../src/server";
import { agrees, anyFieldValue, expectBoth, mutated, RUNS } from "./support/fast-path-agreement";

/** Present, null, or a key set to `undefined` (which zod keeps in its output). */
function optionalValue<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null | undefined> {
  return fc.oneof(arb, fc.constant(null), fc.constant(undefined));
}

const ids = fc.array(fc.oneof(fc.uuid(), fc.string(), fc.constantFrom("my_op:*", "weave:///ent/proj/op/chat:*")), { maxLength: 4 });

const validFilter = fc.record(
  {
    op_names: optionalValue(ids),
    input_refs: optionalValue(ids),
    output_refs: optionalValue(ids),
    parent_ids: optionalValue(ids),
    trace_ids: optionalValue(ids),
    call_ids: optionalValue(ids),
    thread_ids: optionalValue(ids),
    turn_ids: optionalValue(ids),
    trace_roots_only: optionalValue(fc.boolean()),
    wb_user_ids: optionalValue(ids),
    wb_run_ids: optionalValue(ids),
  },
  { requiredKeys: [] },
);

const validSort = fc.record({
  field: fc.constantFrom("started_at", "id", "summary.weave.latency_ms", "inputs.x", ""),
  direction: fc.constantFrom("asc", "desc", "ASC", "Desc", "dEsC"),
});

const count = optionalValue(fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER)));
const flag = optionalValue(fc.boolean());

const validQuery = fc.record(
  {
    project_id: fc.constantFrom("ent/proj", "a-b/c_d"),
    filter: optionalValue(validFilter),
    limit: count,
    offset: count,
    sort_by: optionalValue(fc.array(validSort, { maxLength: 3 })),
    query: fc.constantFrom(null, undefined),
    include_costs: flag,
    include_feedback: flag,
    include_storage_size: flag,
    include_total_storage_size: flag,
    columns: optionalValue(ids),
    expand_columns: optionalValue(ids),
    return_expanded_column_values: flag,
  },
  { requiredKeys: ["project_id"] },
);

const validStats = fc.record(
  {
    project_id: fc.constantFrom("ent/proj", "a-b/c_d"),
    filter: optionalValue(validFilter),
    query: fc.constantFrom(null, undefined),
    limit: count,
    include_total_storage_size: flag,
    expand_columns: optionalValue(ids),
  },
  { requiredKeys: ["project_id"] },
);

/** A valid list with one item replaced by any value (holes too). */
const oddList = fc.tuple(ids, fc.nat(4), anyFieldValue, fc.boolean()).map(([list, at, value, hole]) => {
  const copy: unknown[] = [...list];
  if (hole) copy.length = Math.max(copy.length, at + 1);
  else copy[at] = value;
  return copy;
});

/** Valid requests with one field changed at the top, inside the filter, a list, or a sort. */
function variants(valid: fc.Arbitrary<Record<string, unknown>>, keys: string[]): fc.Arbitrary<Record<string, unknown>> {
  const withFilter = fc
    .tuple(valid, mutated(validFilter, Object.keys(CallsFilterSchema.shape)))
    .map(([req, filter]) => ({ ...req, filter }));
  const withList = fc
    .tuple(valid, fc.constantFrom(...keys.filter((k) => k.endsWith("columns")), "filter"), oddList)
    .map(([req, key, list]) => (key === "filter" ? { ...req, filter: { trace_ids: list } } : { ...req, [key]: list }));
  const withSort = fc
    .tuple(valid, mutated(validSort, ["field", "direction"]))
    .map(([req, sort]) => ({ ...req, sort_by: [sort] }));
  return fc.oneof(valid, mutated(valid, keys), withFilter, withList, withSort);
}

describe("calls-reads fast path", () => {
  it("accepts only what the schema accepts, with the schema's result (calls_query, calls_query_stream)", () => {
    const tally = { accepted: 0, passedOver: 0 };
    const reqs = variants(validQuery, Object.keys(CallsQueryReqSchema.shape));
    fc.assert(fc.property(reqs, (req) => agrees(fastCallsQueryReq, CallsQueryReqSchema, req, tally)), { numRuns: RUNS });
    expectBoth(tally);
  });

  it("accepts only what the schema accepts, with the schema's result (calls_query_stats)", () => {
    const tally = { accepted: 0, passedOver: 0 };
    const reqs = variants(validStats, Object.keys(CallsQueryStatsReqSchema.shape));
    fc.assert(fc.property(reqs, (req) => agrees(fastCallsQueryStatsReq, CallsQueryStatsReqSchema, req, tally)), { numRuns: RUNS });
    expectBoth(tally);
  });

  it("accepts every valid request without a query (so the fast path is the one taken)", () => {
    fc.assert(
      fc.property(validQuery, validStats, (query, stats) => {
        expect(fastCallsQueryReq(query)).toBeDefined();
        expect(fastCallsQueryStatsReq(stats)).toBeDefined();
      }),
      { numRuns: RUNS },
    );
    // The bench's B4 read, a page of roots, an op + status count.
    expect(fastCallsQueryReq({ project_id: "ent/proj", filter: { trace_ids: ["t"] } })).toEqual({ project_id: "ent/proj", filter: { trace_ids: ["t"] } });
    expect(fastCallsQueryReq({ project_id: "ent/proj", filter: { trace_roots_only: true }, sort_by: [{ field: "started_at", direction: "DESC" }], limit: 50 })).toEqual({
      project_id: "ent/proj",
      filter: { trace_roots_only: true },
      sort_by: [{ field: "started_at", direction: "desc" }],
      limit: 50,
    });
  });

  it("leaves a query to the schema", () => {
    const query = { $expr: { $eq: [{ $getField: "op_name" }, { $literal: "f" }] } };
    expect(fastCallsQueryReq({ project_id: "ent/proj", query })).toBeUndefined();
    expect(fastCallsQueryStatsReq({ project_id: "ent/proj", query })).toBeUndefined();
  });

  it("answers with copies of the lists, as the schema does", () => {
    const req = { project_id: "ent/proj", filter: { trace_ids: ["a"] }, columns: ["id"], sort_by: [{ field: "id", direction: "asc" }] };
    const parsed = fastCallsQueryReq(req);
    req.filter.trace_ids.push("b");
    req.columns.push("op_name");
    req.sort_by.push({ field: "started_at", direction: "desc" });
    expect(parsed).toEqual({ project_id: "ent/proj", filter: { trace_ids: ["a"] }, columns: ["id"], sort_by: [{ field: "id", direction: "asc" }] });
  });

  it("passes over what it does not know, and the schema names the field", async () => {
    const server = createLocalTraceServer({ dbName: "query-fast-path", indexedDB: new IDBFactory(), IDBKeyRange });
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => server.calls_query({ project_id: "ent/proj", filter: { trace_ids: ["t", 7] } } as never), "filter.trace_ids[1]"],
      [() => server.calls_query({ project_id: "ent/proj", limit: 1.5 }), "limit"],
      [() => server.calls_query({ project_id: "ent/proj", sort_by: [{ field: "id", direction: "up" }] } as never), "sort_by[0].direction"],
      [() => server.calls_query({ project_id: "ent/proj", filter: { trace_id: ["t"] } } as never), "filter"],
      [() => server.calls_query_stats({ project_id: "ent/proj", columns: ["id"] } as never), "columns"],
      [() => server.calls_query_stats({ project_id: "ent", filter: {} }), "project_id"],
    ];
    for (const [request, path] of cases) {
      const error = await request().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WeftError);
      expect((error as WeftError).code).toBe("VALIDATION");
      expect(JSON.stringify((error as WeftError).details)).toContain(path);
    }
    await server.close();
  });
});
