/**
 * Conformance §6: `sort_by` on calls (weave-semantics.md §2.9.3). Every ordering is also checked on
 * `calls_query_stream` and against `calls_query_stats` (see `queryCalls`).
 *
 * Skipped, for later work:
 * - O-07 (sort by feedback payload): needs feedback_create.
 * - O-08 (sort by an expanded ref field): needs objects and ref expansion (and is CH-only upstream).
 * - O-10 (table_query sort-field validation): needs tables.
 * - O-04/O-05 "with include_costs" variants: include_costs needs the costs work; the plain sorts are here.
 * Not in the catalogue: O-03, O-06, O-09.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { CallsQueryReqInput } from "../../src/schema/calls";
import type { LocalTraceServer } from "../../src/server";
import { BASIC_OP, CallLog, caught, queryCalls, queryIds } from "./support/fixtures";
import { makeServer, PROJECT } from "./support/server";

type Sort = NonNullable<CallsQueryReqInput["sort_by"]>;

describe("sorting", () => {
  it("O-01 desc by started_at and by nested JSON keys of inputs and output", async () => {
    const server = makeServer();
    const log = new CallLog();
    for (let i = 0; i < 3; i++) {
      const inVal = { prim: i, list: [i], dict: { inner: i } };
      log.call({ id: `o1-${i}`, op_name: BASIC_OP, inputs: { in_val: inVal, delay: i / 10 } }, { output: inVal });
    }
    await log.write(server);
    for (const key of [
      "started_at",
      "inputs.in_val.prim",
      "inputs.in_val.list.0",
      "inputs.in_val.dict.inner",
      "output.prim",
      "output.list.0",
      "output.dict.inner",
    ]) {
      const calls = await queryCalls(server, { project_id: PROJECT, sort_by: [{ field: key, direction: "desc" }] });
      const prims = calls.map((c) => (c.inputs["in_val"] as { prim: number }).prim);
      expect(prims, key).toEqual([2, 1, 0]);
    }
  });

  it("O-02 mixed types: numbers, then strings, then null/missing, in both directions", async () => {
    const server = makeServer();
    const log = new CallLog();
    const values: Array<{ in_val: Record<string, unknown> }> = [
      { in_val: { prim: null } },
      { in_val: {} },
      { in_val: { prim: 100 } },
      { in_val: { prim: 2 } },
      { in_val: { prim: "b" } },
      { in_val: { prim: "a" } },
    ];
    values.forEach((inputs, i) => log.call({ id: `o2-${i}`, inputs }));
    await log.write(server);
    const sorted = async (direction: "asc" | "desc") => {
      const calls = await queryCalls(server, { project_id: PROJECT, sort_by: [{ field: "inputs.in_val.prim", direction }] });
      return calls.map((c) => [c.id, (c.inputs["in_val"] as { prim?: unknown }).prim ?? null]);
    };
    // null and missing tie on every key; the id tie-break (ASC, not started_at) orders them.
    expect(await sorted("desc")).toEqual([
      ["o2-2", 100],
      ["o2-3", 2],
      ["o2-4", "b"],
      ["o2-5", "a"],
      ["o2-0", null],
      ["o2-1", null],
    ]);
    expect(await sorted("asc")).toEqual([
      ["o2-3", 2],
      ["o2-2", 100],
      ["o2-5", "a"],
      ["o2-4", "b"],
      ["o2-0", null],
      ["o2-1", null],
    ]);
  });

  it("O-04 sort by a nested attributes field", async () => {
    const server = makeServer();
    const log = new CallLog();
    log.call({ id: "call1", attributes: { metadata: { priority: 2 } } });
    log.call({ id: "call2", attributes: { metadata: { priority: 1 } } });
    await log.write(server);
    const ids = (direction: "asc" | "desc"): Promise<string[]> =>
      queryIds(server, { project_id: PROJECT, sort_by: [{ field: "attributes.metadata.priority", direction }] });
    expect(await ids("asc")).toEqual(["call2", "call1"]);
    expect(await ids("desc")).toEqual(["call1", "call2"]);
  });

  describe("O-05 multi-key, deep and missing-key sorts (columns [id])", () => {
    let server: LocalTraceServer;
    const run = async (sort_by: Sort, extra: Partial<CallsQueryReqInput> = {}): Promise<string[]> =>
      queryIds(server, { project_id: PROJECT, columns: ["id"], sort_by, ...extra });

    beforeAll(async () => {
      server = makeServer();
      const log = new CallLog();
      log.call({ id: "call1", attributes: { category: "A", priority: 2 } });
      log.call({ id: "call2", attributes: { category: "A", priority: 1 } });
      log.call({ id: "call3", attributes: { category: "B", priority: 1 } });
      log.call({ id: "call4", attributes: { metadata: { config: { model: { temperature: 0.1 } } } } });
      log.call({ id: "call5", attributes: { metadata: { config: { model: { temperature: 0.9 } } } } });
      log.call({ id: "call6", attributes: {} });
      await log.write(server);
    });

    it("O-05 (1) category asc, priority asc", async () => {
      const sort: Sort = [
        { field: "attributes.category", direction: "asc" },
        { field: "attributes.priority", direction: "asc" },
      ];
      expect(await run(sort, { filter: { call_ids: ["call1", "call2", "call3"] } })).toEqual(["call2", "call1", "call3"]);
    });

    it("O-05 (2) deep path temperature asc", async () => {
      const sort: Sort = [{ field: "attributes.metadata.config.model.temperature", direction: "asc" }];
      expect(await run(sort, { filter: { call_ids: ["call4", "call5"] } })).toEqual(["call4", "call5"]);
      // Over all six, the four calls without the path come last, in id order.
      expect(await run(sort)).toEqual(["call4", "call5", "call1", "call2", "call3", "call6"]);
    });

    it("O-05 (3) priority asc puts the call without priority after the values", async () => {
      const sort: Sort = [{ field: "attributes.priority", direction: "asc" }];
      expect(await run(sort, { filter: { call_ids: ["call1", "call2", "call6"] } })).toEqual(["call2", "call1", "call6"]);
      const desc: Sort = [{ field: "attributes.priority", direction: "desc" }];
      expect(await run(desc, { filter: { call_ids: ["call1", "call2", "call6"] } })).toEqual(["call1", "call2", "call6"]);
    });

    it("O-05 (4) started_at desc limit 3", async () => {
      expect(await run([{ field: "started_at", direction: "desc" }], { limit: 3 })).toEqual(["call6", "call5", "call4"]);
    });

    it("O-05 (5) status asc limit 3: all success, id tie-break", async () => {
      expect(await run([{ field: "summary.weave.status", direction: "asc" }], { limit: 3 })).toEqual(["call1", "call2", "call3"]);
    });

    it("O-05 (6) a summary key no call has, desc limit 3", async () => {
      expect(await run([{ field: "summary.acuracia", direction: "desc" }], { limit: 3 })).toEqual(["call1", "call2", "call3"]);
    });
  });

  it("plain columns: ended_at NULLs (running calls) last in both directions", async () => {
    const server = makeServer();
    const log = new CallLog();
    log.start({ id: "running" });
    log.call({ id: "early" });
    log.call({ id: "late" });
    await log.write(server);
    const ids = (direction: "asc" | "desc"): Promise<string[]> =>
      queryIds(server, { project_id: PROJECT, sort_by: [{ field: "ended_at", direction }] });
    expect(await ids("asc")).toEqual(["early", "late", "running"]);
    expect(await ids("desc")).toEqual(["late", "early", "running"]);
  });

  it("ties on started_at: id tie-break in started_at's direction, stable across paging", async () => {
    const server = makeServer();
    const log = new CallLog();
    const base = "2025-01-01T12:00:00.000Z";
    for (const id of ["c", "a", "d", "b"]) log.call({ id, started_at: base }, { ended_at: base });
    await log.write(server);
    const page = (direction: "asc" | "desc", offset: number): Promise<string[]> =>
      queryIds(server, { project_id: PROJECT, sort_by: [{ field: "started_at", direction }], limit: 2, offset });
    expect([...(await page("asc", 0)), ...(await page("asc", 2))]).toEqual(["a", "b", "c", "d"]);
    expect([...(await page("desc", 0)), ...(await page("desc", 2))]).toEqual(["d", "c", "b", "a"]);
    // A non-started_at last key gets id ASC.
    expect(await queryIds(server, { project_id: PROJECT, sort_by: [{ field: "op_name", direction: "desc" }] })).toEqual(["a", "b", "c", "d"]);
  });

  it("direction is case-insensitive", async () => {
    const server = makeServer();
    const log = new CallLog();
    ["x", "y"].forEach((id) => log.call({ id }));
    await log.write(server);
    expect(await queryIds(server, { project_id: PROJECT, sort_by: [{ field: "started_at", direction: "DESC" }] })).toEqual(["y", "x"]);
  });

  it("bad sort direction -> VALIDATION", async () => {
    const server = makeServer();
    const error = await caught(() => server.calls_query({ project_id: PROJECT, sort_by: [{ field: "started_at", direction: "up" }] }));
    expect(error.code).toBe("VALIDATION");
    expect(error.message).toContain("direction");
  });

  it("unknown sort field, summary.weave.foo and storage sizes -> INVALID_FIELD", async () => {
    const server = makeServer();
    for (const f of ["operation_name", "summary.weave.foo", "storage_size_bytes"]) {
      const error = await caught(() => server.calls_query({ project_id: PROJECT, sort_by: [{ field: f, direction: "asc" }] }));
      expect([f, error.code]).toEqual([f, "INVALID_FIELD"]);
    }
  });
});
