/**
 * Conformance §9: `include_costs`, `include_feedback`, and queries/sorts over `feedback.[type]…`
 * fields (I-02, I-04, I-08, I-10, I-11, I-13, O-07), plus the minority-reaction rule.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { LocalTraceServer } from "../../src/server";
import { PROJECT, at, end, makeServer, start } from "./support/server";

const callRef = (id: string): string => `weave:///${PROJECT}/call/${id}`;
const SCORER = `weave:///${PROJECT}/object/my_scorer:abc123`;

async function call(s: LocalTraceServer, id: string, i: number, fields: Record<string, unknown> = {}, endFields: Record<string, unknown> = {}): Promise<void> {
  await s.call_start({ start: start({ id, trace_id: id, op_name: "my_model", started_at: at(i * 1000), ...fields }) } as never);
  await s.call_end({ end: end(id, { ended_at: at(i * 1000 + 10), ...endFields }) } as never);
}

async function score(s: LocalTraceServer, id: string, output: unknown): Promise<void> {
  await s.feedback_create({
    project_id: PROJECT,
    weave_ref: callRef(id),
    feedback_type: "wandb.runnable.my_scorer",
    payload: { output },
    runnable_ref: SCORER,
  });
}

async function ids(s: LocalTraceServer, req: Record<string, unknown>): Promise<string[]> {
  return (await s.calls_query({ project_id: PROJECT, ...req })).calls.map((c) => c.id);
}

const field = (path: string) => ({ $getField: `feedback.[wandb.runnable.my_scorer].payload.output.${path}` });

describe("feedback fields (O-07 fixture)", () => {
  let s: LocalTraceServer;
  beforeAll(async () => {
    s = makeServer();
    const outputs = ["a", "x", "c", "y"];
    const expected = ["a", "b", "c", "d"];
    for (let i = 0; i < 4; i++) {
      await call(s, `c${i}`, i, {}, { output: outputs[i] });
      await score(s, `c${i}`, { model_output: outputs[i], expected: expected[i], match: outputs[i] === expected[i], score: i + 0.5 });
    }
  });

  it("O-07 sort by feedback payload fields, both directions", async () => {
    const sort = (fields: string[], direction: string) =>
      ids(s, { sort_by: fields.map((f) => ({ field: `feedback.[wandb.runnable.my_scorer].payload.output.${f}`, direction })) });
    expect(await sort(["model_output"], "asc")).toEqual(["c0", "c2", "c1", "c3"]);
    expect(await sort(["expected"], "asc")).toEqual(["c0", "c1", "c2", "c3"]);
    expect(await sort(["match", "model_output"], "asc")).toEqual(["c1", "c3", "c0", "c2"]);
    expect(await sort(["model_output"], "desc")).toEqual(["c3", "c1", "c2", "c0"]);
    expect(await sort(["expected"], "desc")).toEqual(["c3", "c2", "c1", "c0"]);
    expect(await sort(["match", "model_output"], "desc")).toEqual(["c2", "c0", "c3", "c1"]);
  });

  it("I-10 filter by feedback", async () => {
    const q = (expr: unknown) => ids(s, { query: { $expr: expr } });
    const lit = (v: string | number | boolean | null) => ({ $literal: v });
    expect(await q({ $eq: [field("model_output"), lit("a")] })).toEqual(["c0"]);
    expect(await q({ $gt: [field("model_output"), lit("a")] })).toEqual(["c1", "c2", "c3"]);
    expect(await q({ $eq: [field("expected"), lit("c")] })).toEqual(["c2"]);
    expect(await q({ $gt: [field("expected"), lit("c")] })).toEqual(["c3"]);
    expect(await q({ $eq: [field("match"), lit("false")] })).toEqual(["c1", "c3"]);
    expect(await q({ $gt: [field("match"), lit("false")] })).toEqual(["c0", "c2"]);
    expect(await q({ $eq: [field("match"), lit(true)] })).toEqual(["c0", "c2"]);
    expect(await q({ $gt: [field("score"), lit(1.5)] })).toEqual(["c2", "c3"]);
    expect(await q({ $contains: { input: field("model_output"), substr: lit("a") } })).toEqual(["c0"]);
    expect(await q({ $contains: { input: field("model_output"), substr: lit("x") } })).toEqual(["c1"]);
    const count = await s.calls_query_stats({ project_id: PROJECT, query: { $expr: { $gt: [field("score"), lit(1.5)] } } });
    expect(count.count).toBe(2);
  });

  it("I-11 filter and sort by feedback together", async () => {
    expect(
      await ids(s, {
        query: { $expr: { $eq: [field("match"), { $literal: "true" }] } },
        sort_by: [{ field: "feedback.[wandb.runnable.my_scorer].payload.output.model_output", direction: "desc" }],
      }),
    ).toEqual(["c2", "c0"]);
  });

  it("unknown feedback field shapes are INVALID_FIELD", async () => {
    await expect(s.calls_query({ project_id: PROJECT, query: { $expr: { $eq: [{ $getField: "feedback.nope" }, { $literal: 1 }] } } })).rejects.toMatchObject({
      code: "INVALID_FIELD",
    });
  });
});

describe("include_feedback and reactions", () => {
  it("I-08 feedback hydration; a minority reaction still matches a filter", async () => {
    const s = makeServer();
    for (let i = 0; i < 3; i++) await call(s, `c${i}`, i);
    const react = (id: string, emoji: string) =>
      s.feedback_create({ project_id: PROJECT, weave_ref: callRef(id), feedback_type: "wandb.reaction.1", payload: { emoji } });
    await s.feedback_create({ project_id: PROJECT, weave_ref: callRef("c0"), feedback_type: "wandb.note.1", payload: { note: "this is a note on call1" } });
    await react("c0", "👍");
    await react("c0", "👍");
    await react("c0", "👎");
    await react("c1", "👍");
    const res = await s.calls_query({ project_id: PROJECT, include_feedback: true });
    const fb = (id: string) => (res.calls.find((c) => c.id === id)?.summary?.["weave"] as { feedback: Array<{ payload: unknown }> }).feedback;
    expect(fb("c0")).toHaveLength(4);
    expect(fb("c1")).toHaveLength(1);
    expect(fb("c2")).toEqual([]);
    expect(fb("c0").map((f) => f.payload)).toContainEqual({ note: "this is a note on call1" });
    expect(fb("c0").map((f) => f.payload)).toContainEqual({ alias: ":thumbs_down:", detoned: "👎", detoned_alias: ":thumbs_down:", emoji: "👎" });
    const emoji = { $getField: "feedback.[wandb.reaction.1].payload.emoji" };
    expect(await ids(s, { query: { $expr: { $eq: [emoji, { $literal: "👎" }] } } })).toEqual(["c0"]);
    expect(await ids(s, { query: { $expr: { $eq: [emoji, { $literal: "👍" }] } } })).toEqual(["c0", "c1"]);
    expect(await ids(s, { query: { $expr: { $eq: [emoji, { $literal: null }] } } })).toEqual(["c2"]);
    expect(await ids(s, { query: { $expr: { $eq: [{ $getField: "feedback.[*].payload.note" }, { $literal: "this is a note on call1" }] } } })).toEqual(["c0"]);
  });
});

describe("include_costs", () => {
  it("I-02 an unknown llm gets no costs key", async () => {
    const s = makeServer();
    const usage = { non_existent_llm_1: { requests: 1, prompt_tokens: 15, completion_tokens: 25, total_tokens: 40 } };
    await call(s, "c", 0, {}, { output: { output_val: 30 }, summary: { usage } });
    const [c] = (await s.calls_query({ project_id: PROJECT, include_costs: true, columns: ["id", "summary", "output"] })).calls;
    expect((c?.output as { output_val: number }).output_val).toBe(30);
    expect((c?.summary?.["usage"] as typeof usage).non_existent_llm_1.prompt_tokens).toBe(15);
    expect(c?.summary?.["weave"]).not.toHaveProperty("costs");
  });

  it("project prices apply from their effective date and win over defaults; call_read too", async () => {
    const s = makeServer();
    const usage = { test_model: { requests: 1, prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 } };
    await call(s, "c", 0, {}, { summary: { usage } });
    const costs = async () =>
      ((await s.calls_query({ project_id: PROJECT, include_costs: true })).calls[0]?.summary?.["weave"] as { costs?: Record<string, Record<string, unknown>> })
        .costs;
    expect(await costs()).toBeUndefined();
    await s.cost_create({
      project_id: PROJECT,
      costs: { test_model: { prompt_token_cost: 0.00001, completion_token_cost: 0.00003, effective_date: "2020-01-01T00:00:00Z" } },
    });
    const entry = (await costs())?.["test_model"];
    expect(entry).toMatchObject({ prompt_tokens: 10, completion_tokens: 10, prompt_token_cost: 0.00001, completion_token_cost: 0.00003, pricing_level: "project" });
    expect(entry?.["prompt_tokens_total_cost"]).toBeCloseTo(0.0001, 12);
    expect(entry?.["completion_tokens_total_cost"]).toBeCloseTo(0.0003, 12);
    // The derived summary fields are still there.
    const weave = (await s.call_read({ project_id: PROJECT, id: "c", include_costs: true })).call?.summary?.["weave"] as Record<string, unknown>;
    expect(weave).toMatchObject({ status: "success", trace_name: "my_model" });
    expect(weave["costs"]).toHaveProperty("test_model");
    // Without include_costs nothing is added.
    expect((await s.calls_query({ project_id: PROJECT })).calls[0]?.summary?.["weave"]).not.toHaveProperty("costs");
  });

  it("I-04 default prices for well-known models", async () => {
    const s = makeServer();
    const usage = { "gpt-4": { requests: 2, prompt_tokens: 2_000_000, completion_tokens: 4_000_000 } };
    await call(s, "c", 0, {}, { summary: { usage } });
    const weave = (await s.calls_query({ project_id: PROJECT, include_costs: true })).calls[0]?.summary?.["weave"] as { costs: Record<string, Record<string, unknown>> };
    expect(weave.costs["gpt-4"]).toMatchObject({ prompt_token_cost: 3e-5, completion_token_cost: 6e-5, pricing_level: "default", created_by: "system" });
    expect(weave.costs["gpt-4"]?.["prompt_tokens_total_cost"]).toBeCloseTo(60, 6);
    expect(weave.costs["gpt-4"]?.["completion_tokens_total_cost"]).toBeCloseTo(240, 6);
  });

  it("I-13 sort by scorer feedback with and without costs", async () => {
    const s = makeServer();
    await call(s, "op1", 0, { op_name: "op1", inputs: { x: 1 } }, { output: 2 });
    await call(s, "op2", 1, { op_name: "op2", inputs: { x: 2 } }, { output: 6 });
    await score(s, "op2", { score: 8 });
    await score(s, "op1", { score: 3 });
    const sort_by = [{ field: "feedback.[wandb.runnable.my_scorer].payload.output.score", direction: "asc" }];
    expect(await ids(s, { sort_by })).toEqual(["op1", "op2"]);
    expect(await ids(s, { sort_by, include_costs: true })).toEqual(["op1", "op2"]);
  });
});
