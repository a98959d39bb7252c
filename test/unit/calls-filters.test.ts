/**
 * Conformance §4: `calls_query` hard filters (`CallsFilter`), weave-semantics.md §2.9.1. Every count
 * is checked on `calls_query`, `calls_query_stream` and `calls_query_stats` (see `countCalls`).
 *
 * Not here: F-03/F-06/F-09/F-12/F-15 have no row in the catalogue (F-12 is only referenced, as the
 * 1000-entry limit, which is tested below).
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { CallsQueryReqInput } from "../../src/schema/calls";
import type { LocalTraceServer } from "../../src/server";
import {
  CallLog,
  caught,
  countCalls,
  lineBootstrap,
  LINE_OPS,
  numberRef,
  opRef,
  opWildcard,
  queryCalls,
  queryIds,
  type LineBootstrap,
} from "./support/fixtures";
import { makeServer, PROJECT } from "./support/server";

type Filter = NonNullable<CallsQueryReqInput["filter"]>;

describe("LINE-BOOTSTRAP filters", () => {
  let server: LocalTraceServer;
  let line: LineBootstrap;
  const count = (filter: Filter | null): Promise<number> => countCalls(server, { project_id: PROJECT, filter });

  beforeAll(async () => {
    server = makeServer();
    const log = new CallLog();
    line = lineBootstrap(log);
    await log.write(server);
  });

  it("F-01 op_names: null, [], exact versions, several ops, :* wildcard", async () => {
    expect(await count(null)).toBe(25);
    expect(await count({ op_names: null })).toBe(25);
    expect(await count({ op_names: [] })).toBe(25);
    expect(await count({ op_names: [LINE_OPS.adder] })).toBe(7);
    expect(await count({ op_names: [LINE_OPS.adder_v0] })).toBe(1);
    expect(await count({ op_names: [LINE_OPS.adder, LINE_OPS.subtractor] })).toBe(10);
    expect(await count({ op_names: [opWildcard("adder")] })).toBe(8);
    expect(await count({ op_names: [opWildcard("adder"), LINE_OPS.subtractor] })).toBe(11);
  });

  it("F-01 the :* wildcard matches versions of that op only, not ops sharing a name prefix", async () => {
    const s = makeServer();
    const log = new CallLog();
    log.call({ id: "a", op_name: opRef("add", "d1") });
    log.call({ id: "b", op_name: opRef("adder", "d1") });
    log.call({ id: "c", op_name: opRef("add", "d2") });
    await log.write(s);
    const calls = await queryCalls(s, { project_id: PROJECT, filter: { op_names: [opWildcard("add")] } });
    expect(calls.map((c) => c.id)).toEqual(["a", "c"]);
  });

  it("F-01 overlapping op_names entries (a wildcard and one of its versions, a repeated wildcard) match each call once", async () => {
    const adders = await queryIds(server, { project_id: PROJECT, filter: { op_names: [opWildcard("adder")] } });
    expect(adders).toHaveLength(8);
    expect(await queryIds(server, { project_id: PROJECT, filter: { op_names: [opWildcard("adder"), LINE_OPS.adder] } })).toEqual(adders);
    expect(await queryIds(server, { project_id: PROJECT, filter: { op_names: [opWildcard("adder"), opWildcard("adder")] } })).toEqual(adders);
    expect(await count({ op_names: [LINE_OPS.subtractor, LINE_OPS.subtractor] })).toBe(3);
  });

  it("F-02 input_refs: null, [], first ref, first three refs", async () => {
    // Refs in order of first appearance: Number(0) (adder_v0), Number(1), Number(2).
    // Number(0) is in 7 calls' inputs, Number(1) in 6, Number(2) in 4 (each call has one Number input).
    expect(await count({ input_refs: null })).toBe(25);
    expect(await count({ input_refs: [] })).toBe(25);
    expect(await count({ input_refs: [numberRef(0)] })).toBe(7);
    expect(await count({ input_refs: [numberRef(0), numberRef(1), numberRef(2)] })).toBe(17);
    // Number(9) only reaches the adder child of liner(3).
    const calls = await queryCalls(server, { project_id: PROJECT, filter: { input_refs: [numberRef(9)] } });
    expect(calls.map((c) => c.op_name)).toEqual([LINE_OPS.adder]);
    expect(calls[0]?.parent_id).toBe(line.parents[3]);
  });

  it("F-02 input_refs match a ref anywhere in nested inputs", async () => {
    const s = makeServer();
    const log = new CallLog();
    const ref = `weave:///${PROJECT}/object/Number:abc123`;
    log.call({ id: "top", inputs: { x: ref } });
    log.call({ id: "nested", inputs: { cfg: { list: [1, { deep: ref }] } } });
    log.call({ id: "other", inputs: { x: `weave:///${PROJECT}/object/Number:def456` } });
    log.call({ id: "plain", inputs: { x: "Number:abc123" } });
    await log.write(s);
    const calls = await queryCalls(s, { project_id: PROJECT, filter: { input_refs: [ref] } });
    expect(calls.map((c) => c.id)).toEqual(["top", "nested"]);
  });

  it("F-04 parent_ids: null, [], one parent, three parents", async () => {
    expect(line.parents).toHaveLength(5);
    expect(await count({ parent_ids: null })).toBe(25);
    expect(await count({ parent_ids: [] })).toBe(25);
    expect(await count({ parent_ids: [line.parents[0] as string] })).toBe(2);
    expect(await count({ parent_ids: line.parents.slice(0, 3) })).toBe(6);
  });

  it("F-05 trace_ids: null, [], first trace, first three traces (single-call roots)", async () => {
    const all = await queryCalls(server, { project_id: PROJECT });
    const traceIds = [...new Set(all.map((c) => c.trace_id))];
    expect(traceIds).toEqual(line.traceIds);
    expect(traceIds).toHaveLength(15);
    expect(await count({ trace_ids: null })).toBe(25);
    expect(await count({ trace_ids: [] })).toBe(25);
    expect(await count({ trace_ids: traceIds.slice(0, 1) })).toBe(1);
    expect(await count({ trace_ids: traceIds.slice(0, 3) })).toBe(3);
    // A liner trace holds the liner and its two children.
    expect(await count({ trace_ids: [`${line.parents[0]}-trace`] })).toBe(3);
  });

  it("F-14 wb_run_step / wb_run_step_end: comparisons and sorts", async () => {
    const s = makeServer();
    const log = new CallLog();
    let step = 0;
    lineBootstrap(log, { wb_run_id: `${PROJECT}/test-run`, step: () => step++ });
    await log.write(s);
    const calls = await queryCalls(s, { project_id: PROJECT });
    const steps = calls.map((c) => c.wb_run_step as number).sort((a, b) => a - b);
    const endSteps = calls.map((c) => c.wb_run_step_end as number).sort((a, b) => a - b);
    expect(steps).toHaveLength(25);
    expect(new Set([...steps, ...endSteps]).size).toBe(50);
    const q = (op: "$eq" | "$gte" | "$lt", field: string, value: number): Promise<number> =>
      countCalls(s, { project_id: PROJECT, query: { $expr: { [op]: [{ $getField: field }, { $literal: value }] } as never } });
    expect(await q("$eq", "wb_run_step", 0)).toBe(1);
    const secondLargest = steps[steps.length - 2] as number;
    expect(await q("$gte", "wb_run_step", secondLargest)).toBe(2);
    expect(await q("$lt", "wb_run_step", secondLargest)).toBe(23);
    const fourthLargestEnd = endSteps[endSteps.length - 4] as number;
    expect(await q("$gte", "wb_run_step_end", fourthLargestEnd)).toBe(4);

    const byStep = await queryCalls(s, { project_id: PROJECT, sort_by: [{ field: "wb_run_step", direction: "desc" }] });
    expect(byStep.map((c) => c.wb_run_step)).toEqual([...steps].reverse());
    const byEnd = await queryCalls(s, { project_id: PROJECT, sort_by: [{ field: "wb_run_step_end", direction: "desc" }] });
    expect(byEnd.map((c) => c.wb_run_step_end)).toEqual([...endSteps].reverse());
  });
});

describe("three bootstraps in one project", () => {
  it("F-07 wb_run_ids: full ids, bare run names, unknown run", async () => {
    const server = makeServer();
    const log = new CallLog();
    lineBootstrap(log, { prefix: "r1", wb_run_id: `${PROJECT}/test-run-1` });
    lineBootstrap(log, { prefix: "r2", wb_run_id: `${PROJECT}/test-run-2` });
    lineBootstrap(log, { prefix: "r0" });
    await log.write(server);
    const count = (wb_run_ids: string[] | null): Promise<number> => countCalls(server, { project_id: PROJECT, filter: { wb_run_ids } });
    expect(await count(null)).toBe(75);
    expect(await count([])).toBe(75);
    expect(await count([`${PROJECT}/test-run-1`])).toBe(25);
    expect(await count([`${PROJECT}/test-run-1`, `${PROJECT}/test-run-2`])).toBe(50);
    expect(await count([`${PROJECT}/NOT_A_RUN`])).toBe(0);
    expect(await count(["test-run-1"])).toBe(25);
    expect(await count(["test-run-1", `${PROJECT}/test-run-2`])).toBe(50);
    // A bare name resolves inside the request's project only.
    expect(await count(["shawn/other-project/test-run-1"])).toBe(0);
  });

  it("F-08 wb_user_ids", async () => {
    const server = makeServer();
    const log = new CallLog();
    lineBootstrap(log, { prefix: "u1", wb_user_id: "default_user" });
    lineBootstrap(log, { prefix: "u2", wb_user_id: "second_user" });
    lineBootstrap(log, { prefix: "u3", wb_user_id: "third_user" });
    await log.write(server);
    const count = (wb_user_ids: string[] | null): Promise<number> => countCalls(server, { project_id: PROJECT, filter: { wb_user_ids } });
    expect(await count(null)).toBe(75);
    expect(await count([])).toBe(75);
    expect(await count(["second_user"])).toBe(25);
    expect(await count(["second_user", "third_user"])).toBe(50);
    expect(await count(["NOT_A_USER"])).toBe(0);
  });
});

describe("thread_ids", () => {
  const notNullRun = { $expr: { $not: [{ $eq: [{ $getField: "wb_run_id" }, { $literal: null }] }] } } as const;

  it("F-10 thread_ids select a thread's calls; with limit and a wb_run_id query", async () => {
    const server = makeServer();
    const log = new CallLog();
    const run = `${PROJECT}/thread-run`;
    log.call({ id: "a1", thread_id: "thread_a_x", wb_run_id: run });
    log.call({ id: "a2", thread_id: "thread_a_x", wb_run_id: run });
    log.call({ id: "b1", thread_id: "thread_b_x", wb_run_id: run });
    for (const name of ["first", "second", "third"]) log.call({ id: `t-${name}`, thread_id: `thread_${name}`, wb_run_id: run });
    log.call({ id: "none", wb_run_id: run });
    await log.write(server);

    const a = await queryCalls(server, { project_id: PROJECT, filter: { thread_ids: ["thread_a_x"] } });
    expect(a.map((c) => [c.id, c.thread_id])).toEqual([
      ["a1", "thread_a_x"],
      ["a2", "thread_a_x"],
    ]);
    const second = await queryCalls(server, { project_id: PROJECT, limit: 1, query: notNullRun, filter: { thread_ids: ["thread_second"] } });
    expect(second.map((c) => [c.id, c.thread_id])).toEqual([["t-second", "thread_second"]]);
  });

  it("F-11 thread_ids are never optimised away in calls_query_stats (limit 1, wb_run_id query)", async () => {
    const server = makeServer();
    const log = new CallLog();
    const run = `${PROJECT}/thread-run`;
    log.call({ id: "c1", thread_id: "thread_with_calls", wb_run_id: run });
    log.call({ id: "c2", thread_id: "thread_with_calls", wb_run_id: run });
    await log.write(server);
    const stats = async (thread_ids: string[]): Promise<number> =>
      (await server.calls_query_stats({ project_id: PROJECT, limit: 1, query: notNullRun, filter: { thread_ids } })).count;
    expect(await stats(["thread_does_not_exist"])).toBe(0);
    expect(await stats(["thread_exists_no_calls"])).toBe(0);
    expect(await stats([])).toBe(0);
    expect(await stats(["thread_with_calls"])).toBe(1);
    // The same through calls_query (empty thread_ids matches nothing, C-14).
    expect(await countCalls(server, { project_id: PROJECT, filter: { thread_ids: [] } })).toBe(0);
    expect(await countCalls(server, { project_id: PROJECT, filter: { thread_ids: ["thread_with_calls"] } })).toBe(2);
  });
});

describe("filter validation", () => {
  const LIMITED = ["op_names", "input_refs", "output_refs", "parent_ids", "trace_ids", "call_ids", "thread_ids", "turn_ids", "wb_run_ids"] as const;

  it("F-12 each list filter takes at most 1000 entries, with Weave's message, on all three methods", async () => {
    const server = makeServer();
    const tooMany = Array.from({ length: 1001 }, (_, i) => `x${i}`);
    for (const name of LIMITED) {
      const message = `Parameter: '${name}' request length is greater than max length (1000). Actual length: 1001`;
      const filter = { [name]: tooMany } as Filter;
      const q = await caught(() => server.calls_query({ project_id: PROJECT, filter }));
      expect([q.code, q.message]).toEqual(["VALIDATION", message]);
      const st = await caught(() => server.calls_query_stats({ project_id: PROJECT, filter }));
      expect([st.code, st.message]).toEqual(["VALIDATION", message]);
      const sm = await caught(async () => {
        for await (const _ of server.calls_query_stream({ project_id: PROJECT, filter })) void _;
      });
      expect([sm.code, sm.message]).toEqual(["VALIDATION", message]);
    }
  });

  it("F-12 exactly 1000 entries are accepted", async () => {
    const server = makeServer();
    const log = new CallLog();
    log.call({ id: "x999", op_name: "x999", trace_id: "x999", thread_id: "x999", turn_id: "x999", wb_run_id: "x999" });
    await log.write(server);
    const list = Array.from({ length: 1000 }, (_, i) => `x${i}`);
    // calls_query only: 1000 exact entries are 1000 index ranges, slow on fake-indexeddb (~1 s each).
    for (const name of ["op_names", "trace_ids", "call_ids", "thread_ids", "turn_ids", "wb_run_ids"] as const) {
      const { calls } = await server.calls_query({ project_id: PROJECT, filter: { [name]: list } as Filter });
      expect(calls.map((c) => c.id), name).toEqual(["x999"]);
    }
  }, 30_000);

  it("F-13 unknown filter keys are rejected; op_names, call_ids, trace_ids accepted", async () => {
    const server = makeServer();
    for (const bad of [{ op_name: ["x"] }, { call_id: ["x"] }, { invalid_field: "x" }]) {
      const filter = bad as unknown as Filter;
      const error = await caught(() => server.calls_query({ project_id: PROJECT, filter }));
      expect(error.code).toBe("VALIDATION");
      expect(error.message).toContain(Object.keys(bad)[0]);
      expect((await caught(() => server.calls_query_stats({ project_id: PROJECT, filter }))).code).toBe("VALIDATION");
    }
    expect(await countCalls(server, { project_id: PROJECT, filter: { op_names: ["x"], call_ids: ["x"], trace_ids: ["x"] } })).toBe(0);
  });
});
