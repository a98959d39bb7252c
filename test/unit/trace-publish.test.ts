/**
 * Publishing: objects through `obj_create`, Datasets as a table plus Weave's Dataset object, refs
 * in Weave's `weave:///entity/project/...` form, and published values (and Datasets) recorded as
 * their refs in call inputs and outputs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WeftError } from "../../src/errors";
import { Dataset, op, publish } from "../../src/trace/index";
import { sanitizeObjectName } from "../../src/trace/publish";
import { traceHarness, type TraceHarness } from "../support/trace-harness";

let h: TraceHarness;
beforeAll(() => {
  h = traceHarness();
});
afterAll(async () => {
  await h.close();
});

const REF = /^weave:\/\/\/tester\/trace\/object\/([^:/]+):([^:/]+)$/;

function parts(ref: string): { name: string; digest: string } {
  const m = REF.exec(ref);
  if (!m?.[1] || !m[2]) throw new Error(`not an object ref: ${ref}`);
  return { name: m[1], digest: m[2] };
}

describe("publish", () => {
  it("stores a value with obj_create and returns its ref", async () => {
    const config = { model: "gpt-4o-mini", temperature: 0.2 };
    const ref = await publish(config, "My config!");
    const { name, digest } = parts(ref);
    expect(name).toBe("My-config");
    const read = await h.client.obj_read({ project_id: "tester/trace", object_id: name, digest });
    expect(read.obj.val).toEqual(config);
    // Same value, same digest: content addressing.
    expect(await h.tracer.publish({ temperature: 0.2, model: "gpt-4o-mini" }, "My config!")).toBe(ref);
    // Published again under another name: the value is stored, not its first ref.
    const again = parts(await publish(config, "copy"));
    expect((await h.client.obj_read({ project_id: "tester/trace", object_id: again.name, digest: again.digest })).obj.val).toEqual(config);
  });

  it("records a published value as its ref in inputs and output", async () => {
    const prompt = { template: "Answer: {q}" };
    const ref = await publish(prompt, "prompt");
    const render = op((p: { template: string }, q: string) => ({ p, text: p.template.replace("{q}", q) }), { name: "render" });
    render(prompt, "why");
    const call = h.one(await h.calls(), "render");
    expect(call.inputs).toEqual({ arg0: ref, arg1: "why" });
    expect(call.output).toEqual({ p: ref, text: "Answer: why" });
  });

  it("waits for a publish still in flight before recording the call", async () => {
    const tools = { list: ["search"] };
    const publishing = publish(tools, "tools");
    const useTools = op((t: typeof tools) => t.list.length, { name: "useTools" });
    useTools(tools);
    const ref = await publishing;
    expect(h.one(await h.calls(), "useTools").inputs).toEqual({ arg0: ref });
  });

  it("refuses a value without a name", async () => {
    await expect(publish([1, 2])).rejects.toMatchObject({ code: "VALIDATION" });
    await expect(publish({ a: 1 }, "///")).rejects.toMatchObject({ code: "VALIDATION" });
  });

  it("names objects as Weave sanitizes them", () => {
    expect(sanitizeObjectName("my dataset (v2)")).toBe("my-dataset-v2");
    expect(sanitizeObjectName("__a..b--c__")).toBe("a-b-c");
    expect(sanitizeObjectName("données_été")).toBe("données_été");
    expect(sanitizeObjectName("x".repeat(200))).toHaveLength(128);
    expect(() => sanitizeObjectName("!!!")).toThrow(WeftError);
  });
});

describe("Dataset", () => {
  const rows = [
    { id: "0", question: "2+2", answer: "4" },
    { id: "1", question: "capital of France", answer: "Paris" },
  ];

  it("publishes rows as a table and the object in Weave's Dataset shape", async () => {
    const ds = new Dataset({ name: "qa set", description: "tiny", rows });
    const ref = await publish(ds);
    const { name, digest } = parts(ref);
    expect(name).toBe("qa-set");
    const { obj } = await h.client.obj_read({ project_id: "tester/trace", object_id: name, digest });
    const val = obj.val as Record<string, unknown>;
    expect(val).toEqual({
      _type: "Dataset",
      _class_name: "Dataset",
      _bases: ["Object", "BaseModel"],
      name: "qa set",
      description: "tiny",
      rows: expect.stringMatching(/^weave:\/\/\/tester\/trace\/table\/[0-9a-f]{64}$/),
    });
    expect(obj.base_object_class).toBe("Dataset");
    const tableDigest = String(val.rows).split("/").pop() ?? "";
    const table = await h.client.table_query({ project_id: "tester/trace", digest: tableDigest });
    expect(table.rows.map((r) => r.val)).toEqual(rows);
    // Publishing the same Dataset again reuses the ref; an equal one gets the same digest.
    expect(await publish(ds)).toBe(ref);
    expect(await publish(new Dataset({ name: "qa set", description: "tiny", rows }))).toBe(ref);
  });

  it("is published on first use as an op input, and recorded as its ref", async () => {
    const ds = new Dataset({ name: "eval-rows", rows });
    const evaluate = op((d: Dataset, model: string) => `${model}:${d.length}`, { name: "evaluate" });
    expect(evaluate(ds, "m")).toBe("m:2");
    const call = h.one(await h.calls(), "evaluate");
    expect(parts(String(call.inputs.arg0)).name).toBe("eval-rows");
    expect(call.inputs.arg1).toBe("m");
    expect(call.output).toBe("m:2");
    expect(await publish(ds)).toBe(call.inputs.arg0);
  });

  it("keeps description null when absent, as Python dumps it", async () => {
    const ref = await publish(new Dataset({ name: "plain", rows: [{ a: 1 }] }));
    const { obj } = await h.client.obj_read({ project_id: "tester/trace", ...(({ name, digest }) => ({ object_id: name, digest }))(parts(ref)) });
    expect((obj.val as { description: unknown }).description).toBeNull();
  });

  it("checks its name and rows, and reads rows back", () => {
    expect(() => new Dataset({ name: " ", rows })).toThrow(WeftError);
    expect(() => new Dataset({ name: "bad", rows: [1 as never] })).toThrow(/rows\[0\]/);
    const ds = new Dataset({ name: "ok", rows });
    expect([ds.length, ds.getRow(1).answer, [...ds].length]).toEqual([2, "Paris", 2]);
    expect(() => ds.getRow(5)).toThrow(WeftError);
  });
});
