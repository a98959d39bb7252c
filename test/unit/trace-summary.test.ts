/**
 * Summary roll-up as Weave's SDKs do it (weave-semantics.md §2.3): the merge rules on their own, then
 * a traced tree read back from the server: `usage` per model with `requests`, `status_counts`,
 * the `descendant_error` status it feeds (conformance S-04), and costs from `include_costs`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { op } from "../../src/trace/index";
import { finalSummary, mergeSummaries, usageFromOutput } from "../../src/trace/summary";
import { traceHarness, type TraceHarness } from "../support/trace-harness";

describe("summary rules", () => {
  it("adds numbers, merges dicts, keeps the call's own other leaves", () => {
    expect(mergeSummaries({ a: 1, d: { x: 1, s: "own" }, t: "own" }, { a: 2, d: { x: 3, y: 4, s: "child" }, t: "child", c: true })).toEqual({
      a: 3,
      d: { x: 4, y: 4, s: "own" },
      t: "own",
      c: true,
    });
  });

  it("counts the call itself in status_counts and gives usage entries one request", () => {
    expect(finalSummary({ usage: { m: { prompt_tokens: 3 } } }, {}, false)).toEqual({ usage: { m: { requests: 1, prompt_tokens: 3 } }, status_counts: { success: 1, error: 0 } });
    expect(finalSummary({}, { status_counts: { success: 2, error: 1 }, usage: { m: { requests: 2 } } }, true)).toEqual({
      usage: { m: { requests: 2 } },
      status_counts: { success: 2, error: 2 },
    });
  });

  it("reads Python's {model, usage} output rule", () => {
    expect(usageFromOutput({ model: "gpt-4o", usage: { total_tokens: 9 } })).toEqual({ usage: { "gpt-4o": { requests: 1, total_tokens: 9 } } });
    expect(usageFromOutput({ model: "gpt-4o" })).toEqual({});
    expect(usageFromOutput("text")).toEqual({});
  });
});

describe("roll-up through a traced tree", () => {
  let h: TraceHarness;
  beforeAll(() => {
    h = traceHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  const usage = (prompt: number, completion: number) => ({ prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion });
  const llm = op(async (model: string, prompt: number) => ({ model, usage: usage(prompt, 10), choices: [] }), { name: "llm" });
  const llmSummarized = op(async (model: string) => ({ id: "x", model }), {
    name: "llmSummarized",
    summarize: (out) => ({ usage: { [(out as { model: string }).model]: usage(1, 1) }, custom: { calls: 1 } }),
  });
  const flaky = op(async (fail: boolean) => {
    if (fail) throw new Error("flaky failed");
    return "ok";
  }, { name: "flaky" });
  const stepOp = op(async (n: number) => {
    await llm("gpt-4o-mini", 100 * n);
    await llmSummarized("gpt-4o");
    await flaky(n === 2).catch(() => "recovered");
    return n;
  }, { name: "step" });
  const pipeline = op(async () => {
    await Promise.all([stepOp(1), stepOp(2)]);
    return "done";
  }, { name: "pipeline" });

  it("merges children into parents: usage by model with requests, status counts, custom numbers", async () => {
    await pipeline();
    const calls = await h.calls({ include_costs: true });
    const llmCall = (prompt: number) => calls.find((c) => c.op_name === "llm" && c.inputs.arg1 === prompt);
    const status = (success: number, error: number) => ({ success, error });
    // A leaf without `summarize` whose output is {model, usage}: Python's rule.
    expect(llmCall(100)?.summary).toMatchObject({ usage: { "gpt-4o-mini": { requests: 1, ...usage(100, 10) } }, status_counts: status(1, 0) });
    expect(h.one(calls, "flaky", true)).toMatchObject({ exception: "flaky failed", summary: { status_counts: status(0, 1), weave: { status: "error" } } });
    expect(h.one(calls, "step", 1).summary).toMatchObject({
      usage: { "gpt-4o-mini": { requests: 1, ...usage(100, 10) }, "gpt-4o": { requests: 1, ...usage(1, 1) } },
      custom: { calls: 1 },
      status_counts: status(4, 0),
      weave: { status: "success" },
    });
    // A child failed and the step caught it: Weave's descendant_error (conformance S-04).
    expect(h.one(calls, "step", 2).summary).toMatchObject({ status_counts: status(3, 1), weave: { status: "descendant_error" } });
    const root = h.one(calls, "pipeline").summary as Record<string, Record<string, unknown>>;
    expect(root).toMatchObject({
      usage: { "gpt-4o-mini": { requests: 2, ...usage(300, 20) }, "gpt-4o": { requests: 2, ...usage(2, 2) } },
      custom: { calls: 2 },
      status_counts: status(8, 1),
      weave: { status: "descendant_error" },
    });
    // Costs cover the whole subtree (priced from the bundled defaults).
    const costs = (root.weave as { costs: Record<string, Record<string, number>> }).costs;
    expect(costs["gpt-4o-mini"]).toMatchObject({ requests: 2, prompt_tokens: 300, completion_tokens: 20 });
    expect(costs["gpt-4o-mini"]?.prompt_tokens_total_cost).toBeCloseTo(300 * 1.5e-7, 12);
    expect(costs["gpt-4o-mini"]?.completion_tokens_total_cost).toBeCloseTo(20 * 6e-7, 12);
  });

  it("does not count a child that ends after its parent", async () => {
    let release: () => void = () => undefined;
    const late = op(() => new Promise<void>((resolve) => (release = resolve)), { name: "late" });
    let pendingChild: Promise<void> = Promise.resolve();
    const early = op(() => {
      pendingChild = late();
      return "left early";
    }, { name: "early" });
    early();
    release();
    await pendingChild;
    const calls = await h.calls();
    expect(h.one(calls, "late").parent_id).toBe(h.one(calls, "early").id);
    expect(h.one(calls, "early").summary).toMatchObject({ status_counts: { success: 1, error: 0 } });
  });
});
