/**
 * Calls meet refs: `input_refs`/`output_refs` filters on the multi-entry ref indexes, and
 * `expand_columns` (X-04, X-05, X-08; filtering and sorting through expanded refs as in X-07/O-08).
 */
import { describe, expect, it } from "vitest";
import type { LocalTraceServer } from "../../src/server";
import { PROJECT, at, end, makeServer, start } from "./support/server";

async function publish(s: LocalTraceServer, objectId: string, val: unknown): Promise<string> {
  const { digest } = await s.obj_create({ obj: { project_id: PROJECT, object_id: objectId, val } });
  return `weave:///${PROJECT}/object/${objectId}:${digest}`;
}

async function call(s: LocalTraceServer, id: string, i: number, inputs: Record<string, unknown>, output: unknown): Promise<void> {
  await s.call_start({ start: start({ id, trace_id: id, op_name: "op", started_at: at(i), inputs }) } as never);
  await s.call_end({ end: end(id, { output }) } as never);
}

describe("input_refs / output_refs", () => {
  it("match any listed ref anywhere in the value, with :* wildcards, and count natively or by scan alike", async () => {
    const s = makeServer();
    const a1 = await publish(s, "a", { v: 1 });
    const a2 = await publish(s, "a", { v: 2 });
    const b = await publish(s, "b", { v: 3 });
    await call(s, "c1", 1, { x: a1 }, b);
    await call(s, "c2", 2, { deep: { list: [a2, b] } }, null);
    await call(s, "c3", 3, { y: "weave:///not/a/ref" }, { r: a1 });
    const q = async (filter: Record<string, unknown>) => (await s.calls_query({ project_id: PROJECT, filter })).calls.map((c) => c.id);
    expect(await q({ input_refs: [a1] })).toEqual(["c1"]);
    expect(await q({ input_refs: [b] })).toEqual(["c2"]);
    expect(await q({ input_refs: [`weave:///${PROJECT}/object/a:*`] })).toEqual(["c1", "c2"]);
    expect(await q({ input_refs: [a1, a2, `weave:///${PROJECT}/object/a:*`] })).toEqual(["c1", "c2"]);
    expect(await q({ output_refs: [a1] })).toEqual(["c3"]);
    expect(await q({ output_refs: [b] })).toEqual(["c1"]);
    expect(await q({ input_refs: [b], output_refs: [b] })).toEqual([]);
    expect((await s.calls_query_stats({ project_id: PROJECT, filter: { input_refs: [`weave:///${PROJECT}/object/a:*`] } })).count).toBe(2);
  });
});

describe("expand_columns", () => {
  it("X-04 expansion adds _ref; deeper paths expand inside what was just expanded", async () => {
    const s = makeServer();
    const nr = await publish(s, "NR", { nested: 123 });
    const o = await publish(s, "O", {
      my_dataset1: nr,
      my_dataset2: nr,
      my_dataset3: nr,
      my_dataset4: nr,
      my_dataset5: nr,
      ref_list: { "1": nr, "2": nr, "3": nr },
    });
    await call(s, "c", 0, {}, o);
    const [shallow] = (await s.calls_query({ project_id: PROJECT, expand_columns: ["output"] })).calls;
    expect(shallow?.output).toEqual({
      _ref: o,
      my_dataset1: nr,
      my_dataset2: nr,
      my_dataset3: nr,
      my_dataset4: nr,
      my_dataset5: nr,
      ref_list: { "1": nr, "2": nr, "3": nr },
    });
    const all = ["output.my_dataset1", "output.my_dataset2", "output.my_dataset3", "output.my_dataset4", "output.my_dataset5"];
    const paths = ["output.ref_list.3", ...all, "output", "output.ref_list", "output.ref_list.1", "output.ref_list.2"];
    const [deep] = (await s.calls_query({ project_id: PROJECT, expand_columns: paths })).calls;
    const leaf = { nested: 123, _ref: nr };
    expect(deep?.output).toEqual({
      _ref: o,
      my_dataset1: leaf,
      my_dataset2: leaf,
      my_dataset3: leaf,
      my_dataset4: leaf,
      my_dataset5: leaf,
      ref_list: { "1": leaf, "2": leaf, "3": leaf },
    });
    // The stored call is untouched: without expand_columns the ref comes back.
    expect((await s.call_read({ project_id: PROJECT, id: "c" })).call?.output).toBe(o);
  });

  it("X-05 hydrate inputs and outputs", async () => {
    const s = makeServer();
    const nested = await publish(s, "nested", { hi: { there: { foo: "bar" } } });
    for (let i = 0; i < 3; i++) {
      const out = await publish(s, `out${i}`, { woahhhh: nested });
      await call(s, `c${i}`, i, { input_ref: nested }, out);
    }
    const res = await s.calls_query({
      project_id: PROJECT,
      columns: ["inputs", "output", "output.woahhhh"],
      expand_columns: ["inputs", "inputs.input_ref", "output", "output.woahhhh"],
    });
    expect(res.calls).toHaveLength(3);
    for (const c of res.calls) {
      expect((c.output as { woahhhh: { hi: { there: { foo: string } } } }).woahhhh.hi.there.foo).toBe("bar");
      expect((c.inputs["input_ref"] as { hi: { there: { foo: string } } }).hi.there.foo).toBe("bar");
    }
  });

  it("X-08 expansion works for any page size; non-ref values are left alone", async () => {
    const s = makeServer();
    for (const n of [1, 5, 6]) {
      const server = makeServer();
      for (let i = 0; i < n; i++) await call(server, `c${i}`, i, {}, i);
      const res = await server.calls_query({ project_id: PROJECT, columns: ["output"], expand_columns: ["output"] });
      expect(res.calls.map((c) => c.output)).toEqual(Array.from({ length: n }, (_, i) => i));
    }
    expect((await s.calls_query({ project_id: PROJECT, expand_columns: ["output"] })).calls).toEqual([]);
  });

  it("return_expanded_column_values=false keeps refs in the output but still filters through them", async () => {
    const s = makeServer();
    const cfg1 = await publish(s, "config", { model: "gpt-4", temperature: 0.8 });
    const cfg2 = await publish(s, "config", { model: "claude", temperature: 0.2 });
    await call(s, "c1", 1, { worker_config: cfg1 }, null);
    await call(s, "c2", 2, { worker_config: cfg2 }, null);
    const query = { $expr: { $eq: [{ $getField: "inputs.worker_config.model" }, { $literal: "gpt-4" }] } } as const;
    const expanded = await s.calls_query({ project_id: PROJECT, query, expand_columns: ["inputs.worker_config"] });
    expect(expanded.calls.map((c) => c.id)).toEqual(["c1"]);
    expect(expanded.calls[0]?.inputs["worker_config"]).toEqual({ model: "gpt-4", temperature: 0.8, _ref: cfg1 });
    const raw = await s.calls_query({ project_id: PROJECT, query, expand_columns: ["inputs.worker_config"], return_expanded_column_values: false });
    expect(raw.calls.map((c) => c.inputs["worker_config"])).toEqual([cfg1]);
    // Without expand_columns the path does not exist (X-07 "without expand -> 0").
    expect((await s.calls_query({ project_id: PROJECT, query })).calls).toEqual([]);
    expect((await s.calls_query_stats({ project_id: PROJECT, query, expand_columns: ["inputs.worker_config"] })).count).toBe(1);
    // Sorting through the expanded ref (O-08).
    const sorted = await s.calls_query({
      project_id: PROJECT,
      sort_by: [{ field: "inputs.worker_config.temperature", direction: "asc" }],
      expand_columns: ["inputs.worker_config"],
    });
    expect(sorted.calls.map((c) => c.id)).toEqual(["c2", "c1"]);
  });

  it("never expands a ref into another project", async () => {
    const s = makeServer();
    const { digest } = await s.obj_create({ obj: { project_id: "other/project", object_id: "secret", val: { pin: 1234 } } });
    const foreign = `weave:///other/project/object/secret:${digest}`;
    await call(s, "c", 0, { x: foreign }, null);
    const [c] = (await s.calls_query({ project_id: PROJECT, expand_columns: ["inputs.x"] })).calls;
    expect(c?.inputs["x"]).toBe(foreign);
  });
});

describe("ref-like garbage in outputs (M-01, M-02)", () => {
  it("stores and reads back calls whose output is a malformed weave ref or an artifact URL", async () => {
    const s = makeServer();
    const weaveGarbage = "weave:///entity/project/object/toxic-extra-path/object:latest";
    const artifactGarbage = "wandb-artifact:///entity/project/toxic-extra-path/artifact:latest";
    await call(s, "m1", 1, {}, weaveGarbage);
    await call(s, "m2", 2, { a: artifactGarbage }, artifactGarbage);
    const m1 = (await s.call_read({ project_id: PROJECT, id: "m1" })).call;
    const m2 = (await s.call_read({ project_id: PROJECT, id: "m2" })).call;
    expect(m1?.output).toBe(weaveGarbage);
    expect(m2?.output).toBe(artifactGarbage);
    expect(m2?.inputs).toEqual({ a: artifactGarbage });
    expect(m2?.summary?.["weave"]).toMatchObject({ status: "success" });
  });
});
