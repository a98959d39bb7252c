/**
 * The call-parts fast path (src/schema/calls-fast-path.ts) against the zod schemas it stands in
 * for: whatever it accepts, the schema accepts with an equal result; what valid clients send, it
 * accepts; and through the server, a request it passes over still gets the schema's error.
 */
import fc from "fast-check";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import { WeftError } from "../../src/errors";
import {
  CallCreateBatchReqSchema,
  CallEndReqSchema,
  CallStartReqSchema,
  EndedCallSchemaForInsertSchema,
  StartedCallSchemaForInsertSchema,
} from "../../src/schema/calls";
import { fastCallCreateBatchReq, fastCallEndReq, fastCallStartReq } from "../../src/schema/calls-fast-path";
import { fastCallsQueryReq, fastCallsQueryStatsReq } from "../../src/schema/calls-query-fast-path";
import { METHODS } from "../../src/interface";
import { createLocalTraceServer } from "../../src/server";
import { BENCH_PROJECT, syntheticCalls } from "../../bench/pages/synthetic";
import { agrees, anyFieldValue, expectBoth, mutated, RUNS } from "./support/fast-path-agreement";

const START_KEYS = Object.keys(StartedCallSchemaForInsertSchema.shape);
const END_KEYS = Object.keys(EndedCallSchemaForInsertSchema.shape);

const validStart = fc.record(
  {
    project_id: fc.constantFrom("ent/proj", "a-b/c_d"),
    id: fc.option(fc.uuid(), { nil: null }),
    op_name: fc.constantFrom("my_op", "weave:///ent/proj/op/chat:abc123", "x".repeat(128)),
    display_name: fc.option(fc.string({ maxLength: 40 }), { nil: null }),
    trace_id: fc.option(fc.uuid(), { nil: null }),
    parent_id: fc.option(fc.uuid(), { nil: null }),
    thread_id: fc.option(fc.string(), { nil: null }),
    turn_id: fc.option(fc.string(), { nil: null }),
    started_at: fc.oneof(
      fc.date({ min: new Date("0100-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true }).map((d) => d.toISOString()),
      fc.constantFrom("2025-01-31T12:00:00Z", "2025-01-31T12:00:00.123456+02:00"),
      fc.date({ noInvalidDate: true }),
    ),
    attributes: fc.dictionary(fc.string(), fc.jsonValue()),
    inputs: fc.dictionary(fc.string(), fc.jsonValue()),
    wb_user_id: fc.option(fc.string(), { nil: null }),
    wb_run_id: fc.option(fc.string(), { nil: null }),
    wb_run_step: fc.option(fc.nat(), { nil: null }),
  },
  { requiredKeys: ["project_id", "op_name", "started_at", "attributes", "inputs"] },
);
const validEnd = fc.record(
  {
    project_id: fc.constant("ent/proj"),
    id: fc.uuid(),
    ended_at: fc.date({ min: new Date("0100-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true }).map((d) => d.toISOString()),
    exception: fc.option(fc.string(), { nil: null }),
    output: fc.jsonValue(),
    summary: fc.dictionary(fc.string(), fc.jsonValue()),
    wb_run_step_end: fc.option(fc.nat(), { nil: null }),
  },
  { requiredKeys: ["project_id", "id", "ended_at", "summary"] },
);

const startPart = fc.oneof(validStart, mutated(validStart, START_KEYS));
const endPart = fc.oneof(validEnd, mutated(validEnd, END_KEYS));
const batchItem = fc.oneof(
  startPart.map((start) => ({ mode: "start", req: { start } })),
  endPart.map((end) => ({ mode: "end", req: { end } })),
  fc.tuple(fc.constantFrom("start", "end", "update", undefined), fc.oneof(startPart, endPart), fc.boolean()).map(([mode, part, extra]) =>
    extra ? { mode, req: { start: part, end: part } } : { mode, req: { start: part }, extra: 1 },
  ),
);

describe("call-parts fast path", () => {
  it("accepts only what the schema accepts, with the schema's result (call_start)", () => {
    const tally = { accepted: 0, passedOver: 0 };
    fc.assert(fc.property(startPart, (start) => agrees(fastCallStartReq, CallStartReqSchema, { start }, tally)), { numRuns: RUNS });
    expectBoth(tally);
  });

  it("accepts only what the schema accepts, with the schema's result (call_end)", () => {
    const tally = { accepted: 0, passedOver: 0 };
    fc.assert(fc.property(endPart, (end) => agrees(fastCallEndReq, CallEndReqSchema, { end }, tally)), { numRuns: RUNS });
    expectBoth(tally);
  });

  it("accepts only what the schema accepts, with the schema's result (call_start_batch)", () => {
    const tally = { accepted: 0, passedOver: 0 };
    fc.assert(
      fc.property(fc.array(batchItem, { maxLength: 6 }), (batch) => agrees(fastCallCreateBatchReq, CallCreateBatchReqSchema, { batch }, tally)),
      { numRuns: RUNS },
    );
    expectBoth(tally);
  });

  it("accepts every valid part (so the fast path is the one taken)", () => {
    fc.assert(
      fc.property(validStart, validEnd, (start, end) => {
        expect(fastCallStartReq({ start })).toBeDefined();
        expect(fastCallEndReq({ end })).toBeDefined();
        expect(fastCallCreateBatchReq({ batch: [{ mode: "start", req: { start } }, { mode: "end", req: { end } }] })).toBeDefined();
      }),
      { numRuns: RUNS },
    );
  });

  // The benchmark's B1 ingest goes through this path, not zod's: that is what its figure measures.
  it("accepts the benchmark's calls as JSON, datetimes as epoch milliseconds", () => {
    const batch = syntheticCalls(100).flatMap((c) => [
      { mode: "start", req: { start: { project_id: BENCH_PROJECT, id: c.id, trace_id: c.trace_id, parent_id: c.parent_id, op_name: c.op_name, display_name: c.display_name, started_at: c.started_at, attributes: c.attributes, inputs: c.inputs, wb_user_id: c.wb_user_id, wb_run_id: c.wb_run_id } } },
      { mode: "end", req: { end: { project_id: BENCH_PROJECT, id: c.id, ended_at: c.ended_at, exception: c.exception, output: c.output, summary: c.summary } } },
    ]);
    const req = JSON.parse(JSON.stringify({ batch })) as unknown;
    const quick = fastCallCreateBatchReq(req);
    expect(quick).toStrictEqual(CallCreateBatchReqSchema.parse(req));
    expect(quick?.batch[0]).toMatchObject({ mode: "start", req: { start: { started_at: Date.parse(syntheticCalls(1)[0]?.started_at ?? "") } } });
  });

  it("is the method table's fast path for call_start, call_end and call_start_batch (and the calls reads have theirs)", () => {
    const withFastPath = Object.entries(METHODS).filter(([, spec]) => "fastParse" in spec);
    expect(Object.fromEntries(withFastPath.map(([name, spec]) => [name, (spec as { fastParse?: unknown }).fastParse]))).toEqual({
      call_start: fastCallStartReq,
      call_end: fastCallEndReq,
      call_start_batch: fastCallCreateBatchReq,
      calls_query: fastCallsQueryReq,
      calls_query_stream: fastCallsQueryReq,
      calls_query_stats: fastCallsQueryStatsReq,
    });
  });

  it("passes over what it does not know, and the schema names the field", async () => {
    const server = createLocalTraceServer({ dbName: "fast-path", indexedDB: new IDBFactory(), IDBKeyRange });
    const start = { project_id: "ent/proj", op_name: "f", started_at: "2025-01-31T12:00:00.000Z", attributes: {}, inputs: {} };
    const cases: Array<[unknown, string]> = [
      [{ batch: [{ mode: "start", req: { start: { ...start, id: "a/b" } } }] }, "batch[0].req.start.id"],
      [{ batch: [{ mode: "start", req: { start: { ...start, started_at: "2023-02-29T00:00:00.000Z" } } }] }, "batch[0].req.start.started_at"],
      [{ batch: [{ mode: "start", req: { start: { ...start, inputs: { x: Number.NaN } } } }] }, "batch[0].req.start.inputs.x"],
      [{ batch: [{ mode: "start", req: { start } }, { mode: "end", req: { end: { project_id: "ent/proj", ended_at: "2025-01-31T12:00:01Z", summary: {} } } }] }, "batch[1].req.end.id"],
    ];
    for (const [req, path] of cases) {
      const error = await server.call_start_batch(req as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WeftError);
      expect((error as WeftError).code).toBe("VALIDATION");
      expect(JSON.stringify((error as WeftError).details)).toContain(path);
    }
    // Nothing of the refused batches was stored.
    expect(await server.calls_query_stats({ project_id: "ent/proj" })).toEqual({ count: 0 });
    await server.close();
  });
});
