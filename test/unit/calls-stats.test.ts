/**
 * Conformance §10: `calls_query_stats` (weave-semantics.md §2.10): the count of the equivalent
 * `calls_query`, capped by `limit`.
 *
 * Skipped: T-02 and T-04 (storage sizes) are tagged CH. No T-03 row in the catalogue.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { LocalTraceServer } from "../../src/server";
import {
  CallLog,
  expr,
  field,
  FILTER13_CASES,
  filter13,
  lineBootstrap,
  LINE_OPS,
  lit,
  numberRef,
  opWildcard,
  type LineBootstrap,
} from "./support/fixtures";
import { makeServer, PROJECT } from "./support/server";

describe("T-01 stats == query count", () => {
  let server: LocalTraceServer;

  beforeAll(async () => {
    server = makeServer();
    const log = new CallLog();
    filter13(log);
    await log.write(server);
  });

  for (const c of FILTER13_CASES) {
    it(`T-01 ${c.id} ${c.name}: stats count == calls_query length == ${c.matches.length}`, async () => {
      const { calls } = await server.calls_query({ project_id: PROJECT, query: c.query });
      const { count } = await server.calls_query_stats({ project_id: PROJECT, query: c.query });
      expect([calls.length, count]).toEqual([c.matches.length, c.matches.length]);
    });
  }

  it("T-01 limit caps the count; a limit above the count changes nothing", async () => {
    const query = FILTER13_CASES.find((c) => c.id === "Q-11")?.query;
    expect((await server.calls_query_stats({ project_id: PROJECT, query, limit: 3 })).count).toBe(3);
    expect((await server.calls_query_stats({ project_id: PROJECT, query, limit: 10 })).count).toBe(10);
    expect((await server.calls_query_stats({ project_id: PROJECT, query, limit: 11 })).count).toBe(10);
    expect((await server.calls_query_stats({ project_id: PROJECT, limit: 1 })).count).toBe(1);
  });
});

describe("T-01 stats with filters and queries together (LINE-BOOTSTRAP)", () => {
  let server: LocalTraceServer;
  let line: LineBootstrap;

  beforeAll(async () => {
    server = makeServer();
    const log = new CallLog();
    line = lineBootstrap(log);
    // One running root and one call in another project: the first counts, the second never does.
    log.start({ id: "running", op_name: LINE_OPS.liner });
    await log.write(server);
    const other = new CallLog("shawn/other-project");
    other.call({ id: "elsewhere", op_name: LINE_OPS.liner });
    await other.write(server);
  });

  const both = async (req: Parameters<LocalTraceServer["calls_query_stats"]>[0]): Promise<[number, number]> => {
    const { calls } = await server.calls_query({ ...req });
    const { count } = await server.calls_query_stats(req);
    return [calls.length, count];
  };

  it("T-01 no filter, trace_roots_only, op wildcard", async () => {
    expect(await both({ project_id: PROJECT })).toEqual([26, 26]);
    expect(await both({ project_id: PROJECT, filter: { trace_roots_only: true } })).toEqual([16, 16]);
    expect(await both({ project_id: PROJECT, filter: { op_names: [opWildcard("liner")] } })).toEqual([6, 6]);
  });

  it("T-01 filter and status query combined", async () => {
    const running = expr({ $eq: [field("summary.weave.status"), lit("running")] });
    const success = expr({ $eq: [field("summary.weave.status"), lit("success")] });
    expect(await both({ project_id: PROJECT, query: running })).toEqual([1, 1]);
    expect(await both({ project_id: PROJECT, query: success, filter: { op_names: [LINE_OPS.liner] } })).toEqual([5, 5]);
    expect(await both({ project_id: PROJECT, query: success, filter: { trace_roots_only: true } })).toEqual([15, 15]);
  });

  it("T-01 parent_ids + input_refs + started_at window", async () => {
    const window = expr({ $gte: [field("started_at"), lit("2025-01-01T12:00:00Z")] });
    expect(await both({ project_id: PROJECT, filter: { parent_ids: line.parents, input_refs: [numberRef(0)] }, query: window })).toEqual([2, 2]);
    const future = expr({ $gt: [field("started_at"), lit("2999-01-01")] });
    expect(await both({ project_id: PROJECT, query: future })).toEqual([0, 0]);
  });

  it("T-01 deleted calls leave the count (cascading to children)", async () => {
    const s = makeServer();
    const log = new CallLog();
    const l = lineBootstrap(log);
    await log.write(s);
    await s.calls_delete({ project_id: PROJECT, call_ids: [l.parents[0] as string], wb_user_id: "shawn" });
    const { calls } = await s.calls_query({ project_id: PROJECT });
    expect([calls.length, (await s.calls_query_stats({ project_id: PROJECT })).count]).toEqual([22, 22]);
    expect((await s.calls_query_stats({ project_id: PROJECT, filter: { parent_ids: [l.parents[0] as string] } })).count).toBe(0);
  });
});
