/**
 * Conformance: calls start/end/read (§1), trace structure (§2), derived summary (§3), delete (§11)
 * and display-name updates (§12) of weave-conformance-cases.md.
 */
import { describe, expect, it } from "vitest";
import { WeftError } from "../../src/errors";
import type { LocalTraceServer } from "../../src/server";
import { PROJECT, at, end, makeServer, start } from "./support/server";

type Server = LocalTraceServer;

async function ids(server: Server, req: Record<string, unknown> = {}): Promise<string[]> {
  const res = await server.calls_query({ project_id: PROJECT, ...req });
  return res.calls.map((c) => c.id);
}

async function count(server: Server, req: Record<string, unknown> = {}): Promise<number> {
  return (await server.calls_query_stats({ project_id: PROJECT, ...req })).count;
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<WeftError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WeftError);
  expect((error as WeftError).code).toBe(code);
  return error as WeftError;
}

describe("§1 start / end / read", () => {
  it("C-01 call_start then read (running)", async () => {
    const s = makeServer();
    const startedAt = new Date(Date.now() - 1000).toISOString();
    await s.call_start({
      start: start({ id: "A", trace_id: "T", parent_id: "P", op_name: "test_name", started_at: startedAt, attributes: { a: 5 }, inputs: { b: 5 } }),
    } as never);
    const { call } = await s.call_read({ project_id: PROJECT, id: "A" });
    expect(call).toMatchObject({
      project_id: PROJECT,
      id: "A",
      op_name: "test_name",
      trace_id: "T",
      parent_id: "P",
      ended_at: null,
      exception: null,
      attributes: { a: 5 },
      inputs: { b: 5 },
      output: null,
      wb_run_id: null,
      wb_run_step: null,
      wb_run_step_end: null,
      deleted_at: null,
      display_name: null,
      storage_size_bytes: null,
      total_storage_size_bytes: null,
      thread_id: null,
      turn_id: null,
    });
    expect(Date.parse(call?.started_at ?? "")).toBe(Date.parse(startedAt));
    expect(call?.summary).toEqual({ weave: { trace_name: "test_name", status: "running" } });
  });

  it("C-02 call_end then read; S-02 user summary kept beside weave", async () => {
    const s = makeServer();
    await s.call_start({ start: start({ id: "A", trace_id: "T", op_name: "test_name", started_at: at(0) }) } as never);
    await s.call_end({ end: end("A", { ended_at: at(1234), summary: { c: 5 }, output: { d: 5 } }) } as never);
    const { call } = await s.call_read({ project_id: PROJECT, id: "A" });
    expect(call?.ended_at).toBe("2025-01-01T12:00:01.234000Z");
    expect(call?.output).toEqual({ d: 5 });
    expect(call?.summary).toEqual({ c: 5, weave: { trace_name: "test_name", latency_ms: 1234, status: "success" } });
  });

  it("C-04 out-of-order parts: update, end, start, delete", async () => {
    const s = makeServer();
    await s.call_update({ project_id: PROJECT, call_id: "X", display_name: "test_display_name" });
    expect(await ids(s)).toEqual([]);
    await s.call_end({ end: end("X") } as never);
    expect(await ids(s)).toEqual([]);
    expect(await count(s)).toBe(0);
    await s.call_start({ start: start({ id: "X", trace_id: "X", op_name: "test_op_name" }) } as never);
    const res = await s.calls_query({ project_id: PROJECT });
    expect(res.calls.map((c) => [c.id, c.display_name, c.summary?.["weave"]])).toEqual([
      ["X", "test_display_name", expect.objectContaining({ status: "success", display_name: "test_display_name" })],
    ]);
    await s.calls_delete({ project_id: PROJECT, call_ids: ["X"] });
    expect(await ids(s)).toEqual([]);
  });

  it("C-05 insert order preserved by the default sort", async () => {
    const s = makeServer();
    for (let a = 0; a < 10; a++) {
      await s.call_start({ start: start({ id: `c${9 - a}`, trace_id: `t${a}`, started_at: at(a), inputs: { a } }) } as never);
    }
    const res = await s.calls_query({ project_id: PROJECT });
    expect(res.calls.map((c) => c.inputs["a"])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("C-07 deterministic order under ties, across repetitions and paging", async () => {
    const s = makeServer();
    const batch = Array.from({ length: 100 }, (_, i) => ({
      mode: "start" as const,
      req: { start: start({ id: `call-${String(i).padStart(3, "0")}`, trace_id: `t${i}`, started_at: i === 98 ? at(1000) : i === 99 ? at(2000) : at(0) }) },
    }));
    await s.call_start_batch({ batch } as never);
    const sort = [{ field: "started_at", direction: "desc" }];
    const first = await ids(s, { sort_by: sort });
    expect(first.slice(0, 2)).toEqual(["call-099", "call-098"]);
    expect(first).toHaveLength(100);
    for (let rep = 0; rep < 5; rep++) {
      const stream: string[] = [];
      for await (const call of s.calls_query_stream({ project_id: PROJECT, sort_by: sort })) stream.push(call.id);
      expect(stream).toEqual(first);
    }
    const paged: string[] = [];
    for (let offset = 0; offset < 100; offset += 10) paged.push(...(await ids(s, { sort_by: sort, limit: 10, offset })));
    expect(paged).toEqual(first);
  });

  it("offset pages continue where the previous page ended; writes in between are seen", async () => {
    const s = makeServer();
    const batch = (from: number, n: number) =>
      Array.from({ length: n }, (_, k) => ({
        mode: "start" as const,
        req: { start: start({ id: `r${String(from + k).padStart(4, "0")}`, trace_id: `t${from + k}`, started_at: at((from + k) * 10) }) },
      }));
    await s.call_start_batch({ batch: batch(0, 300) } as never);
    const req = { filter: { trace_roots_only: true }, sort_by: [{ field: "started_at", direction: "desc" }], limit: 50 };
    const all = await ids(s, { ...req, limit: 1000 });
    for (let offset = 0; offset < 300; offset += 50) expect(await ids(s, { ...req, offset })).toEqual(all.slice(offset, offset + 50));
    // A jump back and a jump forward reuse or skip past remembered pages.
    expect(await ids(s, { ...req, offset: 120 })).toEqual(all.slice(120, 170));
    expect(await ids(s, { ...req, offset: 275 })).toEqual(all.slice(275, 300));
    // Newer calls shift every page: remembered page ends must not be reused.
    await s.call_start_batch({ batch: batch(300, 20) } as never);
    const after = await ids(s, { ...req, limit: 1000 });
    expect(after.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, k) => `r${String(319 - k).padStart(4, "0")}`));
    for (let offset = 0; offset < 320; offset += 50) expect(await ids(s, { ...req, offset })).toEqual(after.slice(offset, offset + 50));
    await s.calls_delete({ project_id: PROJECT, call_ids: ["r0310"] });
    expect(await ids(s, { ...req, offset: 50 })).toEqual(after.filter((id) => id !== "r0310").slice(50, 100));
  });

  it("C-08 stream equals non-stream", async () => {
    const s = makeServer();
    for (let i = 0; i < 10; i++) {
      await s.call_start({ start: start({ id: `c${i}`, trace_id: `t${i}`, op_name: "calculate", started_at: at(i), inputs: { a: i, b: i * i } }) } as never);
      await s.call_end({ end: end(`c${i}`, { output: i + i * i }) } as never);
    }
    const plain = (await s.calls_query({ project_id: PROJECT })).calls;
    const streamed = [];
    for await (const call of s.calls_query_stream({ project_id: PROJECT })) streamed.push(call);
    expect(streamed).toEqual(plain);
    expect(plain).toHaveLength(10);
  });

  it("C-10 primitive outputs keep their JSON types", async () => {
    const s = makeServer();
    const outputs = [1, true, null, { a: 1, b: true, c: null }];
    for (const [i, output] of outputs.entries()) {
      await s.call_start({ start: start({ id: `c${i}`, trace_id: `t${i}`, started_at: at(i) }) } as never);
      await s.call_end({ end: end(`c${i}`, { output }) } as never);
    }
    const res = await s.calls_query({ project_id: PROJECT });
    expect(res.calls.map((c) => c.output)).toEqual(outputs);
  });

  it("C-11 sentinel nulls round-trip as null, never empty strings", async () => {
    const s = makeServer();
    await s.call_start({ start: start({ id: "c", trace_id: "t" }) } as never);
    await s.call_end({ end: end("c", { output: null }) } as never);
    const [call] = (await s.calls_query({ project_id: PROJECT })).calls;
    expect(call).toMatchObject({ parent_id: null, exception: null, wb_run_id: null, display_name: null, output: null });
    expect(call?.id && call.trace_id && call.started_at && call.ended_at && call.op_name).toBeTruthy();
  });

  it("C-14 thread_ids: [] matches nothing, unlike other list filters", async () => {
    const s = makeServer();
    await s.call_start({ start: start({ id: "c", trace_id: "t", thread_id: "thread_xyz" }) } as never);
    await s.call_end({ end: end("c") } as never);
    expect(await ids(s, { filter: { thread_ids: [] } })).toEqual([]);
    expect(await count(s, { filter: { thread_ids: [] } })).toBe(0);
    expect(await ids(s, { filter: { thread_ids: ["thread_xyz"] } })).toEqual(["c"]);
    expect(await ids(s, { filter: { trace_ids: [] } })).toEqual(["c"]);
  });

  it("generates uuidv7 ids and trace ids when absent", async () => {
    const s = makeServer();
    const res = await s.call_start({ start: start() } as never);
    const uuid7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(res.id).toMatch(uuid7);
    expect(res.trace_id).toMatch(uuid7);
    expect(res.trace_id).not.toBe(res.id);
  });

  it("a batch with one bad item is rejected whole and stores nothing", async () => {
    const s = makeServer();
    const error = await expectCode(
      s.call_start_batch({
        batch: [
          { mode: "start", req: { start: start({ id: "good", trace_id: "t" }) } },
          { mode: "start", req: { start: start({ id: "bad", trace_id: "t", started_at: "not a date" }) } },
        ],
      } as never),
      "VALIDATION",
    );
    expect(error.message).toContain("batch[1].req.start.started_at");
    expect(await count(s)).toBe(0);
  });

  it("bad requests name the offending field", async () => {
    const s = makeServer();
    const e1 = await expectCode(s.call_start({ start: start({ project_id: "no-slash" }) } as never), "VALIDATION");
    expect(e1.message).toContain("start.project_id");
    const e2 = await expectCode(s.call_start({ start: start({ inputs: { x: Number.NaN } }) } as never), "VALIDATION");
    expect(e2.message).toContain("start.inputs.x");
    const e3 = await expectCode(s.call_start_batch({ batch: [{ mode: "upsert", req: {} }] } as never), "VALIDATION");
    expect(e3.message).toContain("Invalid mode");
    const e4 = await expectCode(s.calls_query({ project_id: PROJECT, extra: 1 } as never), "VALIDATION");
    expect(e4.message).toContain("extra");
  });
});

/** Builds the c1..c8 tree of P-04: c1>{c2>{c3,c4}, c5>{c6,c7}}, plus a separate root c8. */
async function tree(s: Server, finishOrder: string[]): Promise<void> {
  const parents: Record<string, string | undefined> = { c1: undefined, c2: "c1", c3: "c2", c4: "c2", c5: "c1", c6: "c5", c7: "c5", c8: undefined };
  const order = ["c1", "c2", "c5", "c3", "c6", "c4", "c7", "c8"];
  for (const [i, id] of order.entries()) {
    const parent = parents[id];
    await s.call_start({ start: start({ id, trace_id: id === "c8" ? "t8" : "t1", parent_id: parent ?? null, started_at: at(i) }) } as never);
  }
  for (const id of finishOrder) await s.call_end({ end: end(id) } as never);
}

function structure(calls: Array<{ id: string; parent_id?: string | null | undefined }>): Record<string, unknown> {
  const build = (parent: string | null): Record<string, unknown> =>
    Object.fromEntries(calls.filter((c) => (c.parent_id ?? null) === parent).map((c) => [c.id, build(c.id)]));
  return build(null);
}

describe("§2 parent / child / trace structure", () => {
  it("P-02 / P-04 explicit parents, reverse finish, one call never finished", async () => {
    const s = makeServer();
    await tree(s, ["c8", "c7", "c5", "c4", "c3", "c2", "c1"]);
    const calls = (await s.calls_query({ project_id: PROJECT })).calls;
    expect(structure(calls)).toEqual({ c1: { c2: { c3: {}, c4: {} }, c5: { c6: {}, c7: {} } }, c8: {} });
    expect(calls.find((c) => c.id === "c6")?.summary?.["weave"]).toMatchObject({ status: "running" });
  });

  it("P-05 finishes before children start", async () => {
    const s = makeServer();
    await s.call_start({ start: start({ id: "c1", trace_id: "t", started_at: at(0) }) } as never);
    await s.call_end({ end: end("c1") } as never);
    for (const [i, [id, parent]] of [["c5", "c1"], ["c7", "c5"], ["c6", "c5"], ["c2", "c1"], ["c4", "c2"], ["c3", "c2"]].entries()) {
      await s.call_end({ end: end(id as string) } as never);
      await s.call_start({ start: start({ id, trace_id: "t", parent_id: parent, started_at: at(i + 1) }) } as never);
    }
    const calls = (await s.calls_query({ project_id: PROJECT })).calls;
    expect(structure(calls)).toEqual({ c1: { c5: { c7: {}, c6: {} }, c2: { c4: {}, c3: {} } } });
  });

  it("P-07 trace_roots_only null / true / false", async () => {
    const s = makeServer();
    const batch = [];
    for (let r = 0; r < 15; r++) {
      batch.push({ mode: "start", req: { start: start({ id: `r${r}`, trace_id: `t${r}`, started_at: at(r * 10) }) } });
      if (r < 5) {
        for (const k of [1, 2]) batch.push({ mode: "start", req: { start: start({ id: `r${r}-${k}`, trace_id: `t${r}`, parent_id: `r${r}`, started_at: at(r * 10 + k) }) } });
      }
    }
    await s.call_start_batch({ batch } as never);
    for (const [roots, expected] of [[null, 25], [true, 15], [false, 25]] as const) {
      expect(await ids(s, { filter: { trace_roots_only: roots } })).toHaveLength(expected);
      expect(await count(s, { filter: { trace_roots_only: roots } })).toBe(expected);
    }
  });

  it("P-08 roots combined with queries and op names", async () => {
    const s = makeServer();
    const op = (name: string) => `weave:///${PROJECT}/op/${name}:d1`;
    for (const x of [1, 2]) {
      await s.call_start({ start: start({ id: `root${x}`, trace_id: `t${x}`, op_name: op("root_op"), started_at: at(x * 10), inputs: { x } }) } as never);
      await s.call_start({ start: start({ id: `child${x}`, trace_id: `t${x}`, parent_id: `root${x}`, op_name: op("child_op"), started_at: at(x * 10 + 1), inputs: { x } }) } as never);
      await s.call_start({ start: start({ id: `gc${x}`, trace_id: `t${x}`, parent_id: `child${x}`, op_name: op("grandchild_op"), started_at: at(x * 10 + 2), inputs: { x } }) } as never);
      for (const id of [`gc${x}`, `child${x}`, `root${x}`]) await s.call_end({ end: end(id, { output: { n: x } }) } as never);
    }
    const roots = { trace_roots_only: true };
    expect(await ids(s, { filter: roots })).toEqual(["root1", "root2"]);
    expect(await ids(s, { filter: { trace_roots_only: false } })).toHaveLength(6);
    const convert = (field: string) => ({ $convert: { input: { $getField: field }, to: "int" } });
    expect(await ids(s, { filter: roots, query: { $expr: { $eq: [convert("inputs.x"), { $literal: 1 }] } } })).toEqual(["root1"]);
    expect(await ids(s, { filter: roots, query: { $expr: { $eq: [convert("output.n"), { $literal: 2 }] } } })).toEqual(["root2"]);
    expect(await ids(s, { filter: { ...roots, op_names: [op("root_op")] } })).toEqual(["root1", "root2"]);
  });
});

describe("§3 derived summary fields", () => {
  it("S-01 running summary", async () => {
    const s = makeServer();
    await s.call_start({ start: start({ id: "a", trace_id: "t", op_name: "test_name" }) } as never);
    expect((await s.call_read({ project_id: PROJECT, id: "a" })).call?.summary).toEqual({ weave: { trace_name: "test_name", status: "running" } });
  });

  /** S-04's five calls: parent0 (child raised, caught), child0 (error), parent1 (raised), parent2 + child2 ok. */
  async function statusFixture(s: Server): Promise<void> {
    const rows: Array<[string, string | null, string | null, Record<string, unknown>]> = [
      ["p0", null, null, { status_counts: { success: 1, error: 1 } }],
      ["c0", "p0", "child failed", { status_counts: { error: 1 } }],
      ["p1", null, "parent failed", { status_counts: { error: 1 } }],
      ["p2", null, null, { status_counts: { success: 2 } }],
      ["c2", "p2", null, { status_counts: { success: 1 } }],
    ];
    for (const [i, [id, parent, exception, summary]] of rows.entries()) {
      await s.call_start({ start: start({ id, trace_id: parent ?? id, parent_id: parent, op_name: "parent_op", started_at: at(i) }) } as never);
      await s.call_end({ end: end(id, { exception, summary }) } as never);
    }
  }

  it("S-04 status values incl. descendant_error", async () => {
    const s = makeServer();
    await statusFixture(s);
    const calls = (await s.calls_query({ project_id: PROJECT, sort_by: [{ field: "started_at", direction: "asc" }] })).calls;
    expect(calls.map((c) => (c.summary?.["weave"] as { status: string }).status)).toEqual(["descendant_error", "error", "error", "success", "success"]);
  });

  it("S-05 sort by derived status, plain string order", async () => {
    const s = makeServer();
    await statusFixture(s);
    const statuses = async (direction: string) =>
      (await s.calls_query({ project_id: PROJECT, sort_by: [{ field: "summary.weave.status", direction }] })).calls.map(
        (c) => (c.summary?.["weave"] as { status: string }).status,
      );
    expect(await statuses("asc")).toEqual(["descendant_error", "error", "error", "success", "success"]);
    expect(await statuses("desc")).toEqual(["success", "success", "error", "error", "descendant_error"]);
  });

  it("S-07 running/error/success ordering filtered by an input id", async () => {
    const s = makeServer();
    const testId = "s07";
    await s.call_start({ start: start({ id: "ok", trace_id: "t1", inputs: { test_id: testId }, started_at: at(0) }) } as never);
    await s.call_end({ end: end("ok") } as never);
    await s.call_start({ start: start({ id: "bad", trace_id: "t2", inputs: { test_id: testId }, started_at: at(1) }) } as never);
    await s.call_end({ end: end("bad", { exception: "boom" }) } as never);
    await s.call_start({ start: start({ id: "run", trace_id: "t3", inputs: { test_id: testId }, started_at: at(2) }) } as never);
    await s.call_start({ start: start({ id: "other", trace_id: "t4", inputs: { test_id: "x" }, started_at: at(3) }) } as never);
    const query = { $expr: { $eq: [{ $getField: "inputs.test_id" }, { $literal: testId }] } };
    expect(await ids(s, { query, sort_by: [{ field: "summary.weave.status", direction: "asc" }] })).toEqual(["bad", "run", "ok"]);
    expect(await ids(s, { query, sort_by: [{ field: "summary.weave.status", direction: "desc" }] })).toEqual(["ok", "run", "bad"]);
  });

  it("S-08 sort by latency", async () => {
    const s = makeServer();
    for (const [i, [id, ms]] of [["fast", 0], ["medium", 50], ["slow", 100]].entries()) {
      await s.call_start({ start: start({ id, trace_id: id, started_at: at(i * 1000) }) } as never);
      await s.call_end({ end: end(id as string, { ended_at: at(i * 1000 + (ms as number)) }) } as never);
    }
    expect(await ids(s, { sort_by: [{ field: "summary.weave.latency_ms", direction: "asc" }] })).toEqual(["fast", "medium", "slow"]);
    expect(await ids(s, { sort_by: [{ field: "summary.weave.latency_ms", direction: "desc" }] })).toEqual(["slow", "medium", "fast"]);
  });

  it("S-11 sort by trace_name prefers display_name", async () => {
    const s = makeServer();
    for (const [i, name] of ["C-display", "A-display", "B-display"].entries()) {
      await s.call_start({ start: start({ id: name, trace_id: name, op_name: "same_op", display_name: name, started_at: at(i) }) } as never);
    }
    expect(await ids(s, { sort_by: [{ field: "summary.weave.trace_name", direction: "asc" }] })).toEqual(["A-display", "B-display", "C-display"]);
    expect(await ids(s, { sort_by: [{ field: "summary.weave.trace_name", direction: "desc" }] })).toEqual(["C-display", "B-display", "A-display"]);
  });

  it("S-14 status_counts.error feeds descendant_error", async () => {
    const s = makeServer();
    await s.call_start({ start: start({ id: "a", trace_id: "t" }) } as never);
    await s.call_end({ end: end("a", { summary: { status_counts: { error: 1 } } }) } as never);
    const { call } = await s.call_read({ project_id: PROJECT, id: "a" });
    expect((call?.summary?.["weave"] as { status: string }).status).toBe("descendant_error");
    expect(await count(s, { query: { $expr: { $eq: [{ $getField: "summary.weave.status" }, { $literal: "descendant_error" }] } } })).toBe(1);
  });

  it("trace_name comes from an op ref's name", async () => {
    const s = makeServer();
    await s.call_start({ start: start({ id: "a", trace_id: "t", op_name: `weave:///${PROJECT}/op/my_op:abc123` }) } as never);
    const { call } = await s.call_read({ project_id: PROJECT, id: "a" });
    expect((call?.summary?.["weave"] as { trace_name: string }).trace_name).toBe("my_op");
  });
});

describe("§11 calls_delete", () => {
  it("DEL-01 cascades to descendants only; repeated deletes are no-ops", async () => {
    const s = makeServer();
    const chain: Array<[string, string, string | null]> = [
      ["call0", "x", null],
      ["child1", "x", "call0"],
      ["child2", "x", "child1"],
      ["call1", "y", "child2"],
    ];
    for (const [i, [id, op, parent]] of chain.entries()) {
      await s.call_start({ start: start({ id, trace_id: "t", op_name: op, parent_id: parent, started_at: at(i) }) } as never);
    }
    expect(await count(s)).toBe(4);
    expect(await count(s, { filter: { op_names: ["x"] } })).toBe(3);
    expect(await s.calls_delete({ project_id: PROJECT, call_ids: ["child1"] })).toEqual({ num_deleted: 3 });
    expect(await ids(s, { filter: { op_names: ["x"] } })).toEqual(["call0"]);
    expect(await count(s, { filter: { op_names: ["y"] } })).toBe(0);
    await s.calls_delete({ project_id: PROJECT, call_ids: ["child1"] });
    await s.calls_delete({ project_id: PROJECT, call_ids: ["call1"] });
    await s.calls_delete({ project_id: PROJECT, call_ids: ["call1"] });
    expect(await ids(s)).toEqual(["call0"]);
  });

  it("DEL-02 deleting a root removes the whole trace", async () => {
    const s = makeServer();
    await s.call_start({ start: start({ id: "root", trace_id: "t", started_at: at(0) }) } as never);
    for (let i = 0; i < 3; i++) {
      await s.call_start({ start: start({ id: `c${i}`, trace_id: "t", parent_id: "root", started_at: at(i + 1) }) } as never);
      await s.call_start({ start: start({ id: `c${i}-sub`, trace_id: "t", parent_id: `c${i}`, started_at: at(i + 10) }) } as never);
    }
    expect(await s.calls_delete({ project_id: PROJECT, call_ids: ["root"] })).toEqual({ num_deleted: 7 });
    expect(await ids(s)).toEqual([]);
  });

  it("DEL-04 / DEL-05 response count; deleted calls vanish from reads and stats", async () => {
    const s = makeServer();
    await s.call_start({ start: start({ id: "call-1", trace_id: "t" }) } as never);
    expect(await s.calls_delete({ project_id: PROJECT, call_ids: ["call-1"] })).toEqual({ num_deleted: 1 });
    expect(await ids(s)).toEqual([]);
    expect(await count(s)).toBe(0);
    expect((await s.call_read({ project_id: PROJECT, id: "call-1" })).call).toBeNull();
  });

  it("more than 1000 ids is REQUEST_TOO_LARGE", async () => {
    const s = makeServer();
    await expectCode(s.calls_delete({ project_id: PROJECT, call_ids: Array.from({ length: 1001 }, (_, i) => `c${i}`) }), "REQUEST_TOO_LARGE");
  });
});

describe("§12 call_update", () => {
  it("U-01 rename, clear and re-set the display name", async () => {
    const s = makeServer();
    await s.call_start({ start: start({ id: "call0", trace_id: "t", op_name: "x" }) } as never);
    const name = async () => (await s.call_read({ project_id: PROJECT, id: "call0" })).call?.display_name;
    await s.call_update({ project_id: PROJECT, call_id: "call0", display_name: "updated_name" });
    await s.call_update({ project_id: PROJECT, call_id: "call0", display_name: "new_name" });
    expect(await name()).toBe("new_name");
    expect(await count(s)).toBe(1);
    await s.call_update({ project_id: PROJECT, call_id: "call0", display_name: "" });
    expect(await name()).toBeNull();
    await s.call_update({ project_id: PROJECT, call_id: "call0", display_name: "new new name" });
    expect(await name()).toBe("new new name");
    await s.call_update({ project_id: PROJECT, call_id: "call0", display_name: "" });
    expect(await name()).toBeNull();
    await expectCode(s.call_update({ project_id: PROJECT, call_id: "call0", display_name: null }), "VALIDATION");
  });

  it("U-02 round trip", async () => {
    const s = makeServer();
    await s.call_start({ start: start({ id: "call-1", trace_id: "t", op_name: "predict", inputs: { x: 1 } }) } as never);
    await s.call_end({ end: end("call-1", { output: { y: 2 } }) } as never);
    await s.call_update({ project_id: PROJECT, call_id: "call-1", display_name: "P" });
    expect((await s.call_read({ project_id: PROJECT, id: "call-1" })).call?.display_name).toBe("P");
  });

  it("U-04 display names longer than 1024 characters are rejected", async () => {
    const s = makeServer();
    await s.call_start({ start: start({ id: "a", trace_id: "t" }) } as never);
    const e = await expectCode(s.call_update({ project_id: PROJECT, call_id: "a", display_name: "n".repeat(2048) }), "VALIDATION");
    expect(e.message).toContain("display_name");
    await expectCode(s.call_start({ start: start({ display_name: "n".repeat(2048) }) } as never), "VALIDATION");
  });
});
