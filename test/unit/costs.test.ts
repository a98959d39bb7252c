/**
 * Costs (weave-semantics.md §8) against the conformance catalogue §19 (CO-*) and the cost half of §9
 * (I-02, I-04, I-07). weft implements the price table on every backend, so CO-01/CO-02 (ClickHouse-only
 * upstream) run here.
 */
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import { WeftError } from "../../src/errors";
import { METHODS, type MethodReq } from "../../src/interface";
import type { ServerContext } from "../../src/server/context";
import { WeftDb } from "../../src/server/db";
import * as costs from "../../src/server/costs/handlers";

const P = "entity/project";
const T0 = Date.UTC(2025, 0, 1, 12);
let dbCount = 0;

function setup() {
  let t = T0;
  const ctx: ServerContext = {
    db: new WeftDb(`costs-test-${++dbCount}`, { indexedDB: new IDBFactory(), IDBKeyRange }),
    userId: "local",
    now: () => (t += 1000),
  };
  const create = async (c: MethodReq<"cost_create">["costs"], project_id = P) =>
    (await costs.costCreate(ctx, METHODS.cost_create.req.parse({ project_id, costs: c }))).ids;
  // Loosely typed: literal query objects do not narrow to the Query tuple types; the schema checks them.
  const query = async (req: Record<string, unknown> = {}) =>
    (await costs.costQuery(ctx, METHODS.cost_query.req.parse({ project_id: P, ...req }))).results;
  const purge = (query: unknown) => costs.costPurge(ctx, METHODS.cost_purge.req.parse({ project_id: P, query }));
  const forCalls = (calls: costs.CallForCosts[]) => costs.costsForCalls(ctx, P, calls);
  return { ctx, create, query, purge, forCalls };
}

/** What the SDK's `query_costs(llm_ids=…)` / `(id=…)` send. */
const byLlms = (ids: string[]) => ({ $expr: { $in: [{ $getField: "llm_id" }, ids.map((id) => ({ $literal: id }))] } });
const eqId = (id: string) => ({ $eq: [{ $getField: "id" }, { $literal: id }] });
const PURGE_MESSAGE = "Can only purge costs by specifying one or more cost ids";

async function rejects(fn: () => Promise<unknown>, code: string, text: string): Promise<void> {
  const error = await fn().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WeftError);
  expect((error as WeftError).code).toBe(code);
  expect((error as WeftError).message).toContain(text);
}

describe("cost_create / cost_query / cost_purge", () => {
  it("CO-01: create, query by id / llm ids / value, page, purge by id (repeatable)", async () => {
    const s = setup();
    const ids = await s.create({
      my_model_to_delete: { prompt_token_cost: 5, completion_token_cost: 10 },
      my_model_to_delete2: { prompt_token_cost: 15, completion_token_cost: 20, provider_id: "josiah" },
      my_model_to_delete3: { prompt_token_cost: 25, completion_token_cost: 30, effective_date: "2021-04-22" },
      my_model_to_delete4: { prompt_token_cost: 35, completion_token_cost: 40, completion_token_cost_unit: "doubleoons" },
    });
    expect(ids.map(([, llm]) => llm)).toEqual(["my_model_to_delete", "my_model_to_delete2", "my_model_to_delete3", "my_model_to_delete4"]);
    for (const [id] of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const id = (i: number) => (ids[i] as [string, string])[0];

    expect(await s.query()).toHaveLength(4);
    expect((await s.query({ query: { $expr: eqId(id(2)) } })).map((r) => r.llm_id)).toEqual(["my_model_to_delete3"]);
    const josiah = await s.query({ query: byLlms(["my_model_to_delete2"]) });
    expect(josiah).toHaveLength(1);
    expect(josiah[0]?.provider_id).toBe("josiah");
    const units = await s.query({ query: byLlms(["my_model_to_delete", "my_model_to_delete4"]) });
    expect(units.map((r) => r.completion_token_cost_unit)).toEqual(["USD", "doubleoons"]);

    const [[readded]] = (await s.create({ my_model_to_delete3: { prompt_token_cost: 500, completion_token_cost: 1000, effective_date: "1998-10-03" } })) as [[string, string]];
    const three = await s.query({ query: byLlms(["my_model_to_delete3"]) });
    expect(three.map((r) => r.effective_date?.slice(0, 4))).toEqual(["2021", "1998"]);
    expect(await s.query({ query: byLlms(["my_model_to_delete3"]), limit: 1 })).toHaveLength(1);
    expect(await s.query({ query: byLlms(["my_model_to_delete3"]), limit: 1, offset: 1 })).toHaveLength(1);
    const dear = await s.query({ query: { $expr: { $gt: [{ $getField: "completion_token_cost" }, { $literal: 25 }] } } });
    expect(dear.map((r) => r.completion_token_cost)).toEqual([30, 40, 1000]);

    await s.purge({ $expr: eqId(id(0)) });
    expect(await s.query()).toHaveLength(4);
    await s.purge({ $expr: eqId(id(0)) });
    expect(await s.query()).toHaveLength(4);
    await s.purge({ $expr: { $or: ids.map(([cid]) => eqId(cid)) } });
    expect((await s.query()).map((r) => r.id)).toEqual([readded]);
    await s.purge({ $expr: { $in: [{ $getField: "id" }, [{ $literal: readded }]] } });
    expect(await s.query()).toEqual([]);
  });

  it("CO-02: purge only by id", async () => {
    const s = setup();
    const [[id]] = (await s.create({ some_llm: { prompt_token_cost: 1, completion_token_cost: 2 } })) as [[string, string]];
    await rejects(() => s.purge({ $expr: { $eq: [{ $getField: "llm_id" }, { $literal: "some_llm" }] } }), "VALIDATION", PURGE_MESSAGE);
    await rejects(() => s.purge({ $expr: { $in: [{ $getField: "llm_id" }, [{ $literal: "some_llm" }]] } }), "VALIDATION", PURGE_MESSAGE);
    await rejects(() => s.purge({ $expr: { $or: [{ $in: [{ $getField: "id" }, [{ $literal: id }]] }] } }), "VALIDATION", PURGE_MESSAGE);
    expect(await s.query()).toHaveLength(1);
    await s.purge({ $expr: eqId(id) });
    expect(await s.query()).toEqual([]);
  });

  it("CO-03: a created price reads back with every output field and its defaults", async () => {
    const s = setup();
    const [[id]] = (await s.create({ "gpt-test": { prompt_token_cost: 1.0, completion_token_cost: 2.0, prompt_token_cost_unit: "USD", provider_id: "test", effective_date: "2026-01-01T00:00:00Z" } })) as [[string, string]];
    expect(await s.query()).toEqual([
      {
        id, llm_id: "gpt-test", prompt_token_cost: 1, completion_token_cost: 2, cache_read_input_token_cost: 0, cache_creation_input_token_cost: 0,
        prompt_token_cost_unit: "USD", completion_token_cost_unit: "USD", effective_date: "2026-01-01T00:00:00Z", provider_id: "test",
      },
    ]);
    expect(await s.query({ fields: ["llm_id", "created_by"] })).toEqual([{ llm_id: "gpt-test" }]);
    await rejects(() => s.query({ fields: ["nope"] }), "VALIDATION", "Unknown field: nope");
    expect((await s.query({ sort_by: [{ field: "effective_date", direction: "desc" }] })).length).toBe(1);
  });

  it("cost_query is always scoped to the project, even when the query would match other projects (deliberate difference, §8.3)", async () => {
    const s = setup();
    await s.create({ mine: { prompt_token_cost: 1, completion_token_cost: 1 } });
    await s.create({ theirs: { prompt_token_cost: 1, completion_token_cost: 1 } }, "other/project");
    const any = { $expr: { $eq: [{ $getField: "pricing_level" }, { $literal: "project" }] } };
    expect((await s.query({ query: any })).map((r) => r.llm_id)).toEqual(["mine"]);
  });
});

describe("costsForCalls (§8.5)", () => {
  const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`);
  const usage = (llm: string, u: Record<string, number>) => ({ [llm]: { requests: 1, ...u } });

  it("picks the price in force at started_at, project before default, latest first; a future price only alone", async () => {
    const s = setup();
    await s.create({
      my_llm: { prompt_token_cost: 1, completion_token_cost: 2, effective_date: "2024-01-01" },
      future_only: { prompt_token_cost: 7, completion_token_cost: 8, effective_date: "2030-01-01" },
    });
    await s.create({ my_llm: { prompt_token_cost: 3, completion_token_cost: 4, effective_date: "2024-06-01", provider_id: "p" } });
    await s.create({ my_llm: { prompt_token_cost: 5, completion_token_cost: 6, effective_date: "2029-01-01" } });
    // A project override of a default price.
    await s.create({ "gpt-4": { prompt_token_cost: 0.5, completion_token_cost: 0.25, effective_date: "2024-03-01" } });
    const u = { prompt_tokens: 10, completion_tokens: 100, total_tokens: 110 };
    const map = await s.forCalls([
      { id: "before-all", started_at: day("2023-06-01"), usage: usage("my_llm", u) },
      { id: "between", started_at: day("2024-03-01"), usage: usage("my_llm", u) },
      { id: "after", started_at: day("2025-01-01"), usage: { ...usage("my_llm", u), ...usage("future_only", u) } },
      { id: "override", started_at: day("2025-01-01"), usage: usage("gpt-4", u) },
      { id: "default", started_at: day("2024-01-01"), usage: usage("gpt-4", u) },
    ]);
    const price = (id: string, llm: string) => (map.get(id)?.[llm] as Record<string, unknown> | undefined)?.prompt_token_cost;
    // Nothing in force yet: the future prices are all there is, and the latest one wins.
    expect(price("before-all", "my_llm")).toBe(5);
    expect(price("between", "my_llm")).toBe(1);
    expect(price("after", "my_llm")).toBe(3);
    expect(price("after", "future_only")).toBe(7);
    expect(price("override", "gpt-4")).toBe(0.5);
    expect(price("default", "gpt-4")).toBe(3e-5);
    expect(map.get("after")?.my_llm).toEqual({
      prompt_tokens: 10, completion_tokens: 100, cache_read_input_tokens: 0, cache_creation_input_tokens: 0, requests: 1, total_tokens: 110,
      prompt_tokens_total_cost: 30, completion_tokens_total_cost: 400, cache_read_input_tokens_total_cost: 0, cache_creation_input_tokens_total_cost: 0,
      prompt_token_cost: 3, completion_token_cost: 4, cache_read_input_token_cost: 0, cache_creation_input_token_cost: 0,
      prompt_token_cost_unit: "USD", completion_token_cost_unit: "USD", effective_date: "2024-06-01T00:00:00Z", provider_id: "p",
      pricing_level: "project", pricing_level_id: P, created_at: "2025-01-01T12:00:02Z", created_by: "local",
    });
  });

  it("I-04: default prices (gpt-4, gpt-4o at a call started in mid-2024) from the bundled table", async () => {
    const s = setup();
    const map = await s.forCalls([
      {
        id: "root",
        started_at: day("2024-06-01"),
        usage: { "gpt-4": { requests: 2, prompt_tokens: 2_000_000, completion_tokens: 4_000_000 }, "gpt-4o": { requests: 1, prompt_tokens: 3_000_000, completion_tokens: 5_000_000 } },
      },
    ]);
    const costsOf = map.get("root") as Record<string, Record<string, unknown>>;
    expect(costsOf["gpt-4"]).toMatchObject({
      prompt_tokens_total_cost: 60, completion_tokens_total_cost: 240, prompt_token_cost: 3e-5, completion_token_cost: 6e-5,
      total_tokens: 0, prompt_token_cost_unit: "USD", completion_token_cost_unit: "USD", provider_id: "openai",
      pricing_level: "default", pricing_level_id: "default", created_by: "system",
    });
    expect(costsOf["gpt-4o"]?.prompt_tokens_total_cost).toBeCloseTo(15, 9);
    expect(costsOf["gpt-4o"]?.completion_tokens_total_cost).toBeCloseTo(75, 9);
    expect(costsOf["gpt-4o"]).toMatchObject({ prompt_token_cost: 5e-6, completion_token_cost: 1.5e-5 });
    // The list price changed since; later calls get the newer entry.
    const later = await s.forCalls([{ id: "late", started_at: day("2025-06-01"), usage: usage("gpt-4o", { prompt_tokens: 1 }) }]);
    expect((later.get("late")?.["gpt-4o"] as Record<string, unknown>).prompt_token_cost).toBe(2.5e-6);
  });

  it("I-02: an unknown llm gets no entry, and a call without priced llms gets no costs at all", async () => {
    const s = setup();
    const map = await s.forCalls([
      { id: "a", started_at: T0, usage: usage("non_existent_llm_123", { prompt_tokens: 15, completion_tokens: 25, total_tokens: 40 }) },
      { id: "b", started_at: T0, usage: null },
      { id: "c", started_at: T0, usage: { ...usage("non_existent_llm_123", {}), "gpt-4": { prompt_tokens: 1 } } },
    ]);
    expect(map.has("a")).toBe(false);
    expect(map.has("b")).toBe(false);
    expect(Object.keys(map.get("c") ?? {})).toEqual(["gpt-4"]);
  });

  it("sums prompt/input and completion/output tokens; non-integers count as Python int() does", async () => {
    const s = setup();
    await s.create({ m: { prompt_token_cost: 1, completion_token_cost: 1, effective_date: "2020-01-01" } });
    const map = await s.forCalls([{ id: "x", started_at: T0, usage: { m: { prompt_tokens: 3, input_tokens: 4, completion_tokens: 5.9, output_tokens: "6", requests: "x" } } }]);
    expect(map.get("x")?.m).toMatchObject({ prompt_tokens: 7, completion_tokens: 11, requests: 0, total_tokens: 0, prompt_tokens_total_cost: 7 });
  });

  it("I-07 (legacy usage): cache tokens are billed at the cache rates and taken out of the prompt total", async () => {
    const s = setup();
    await costs.costCreate(s.ctx, METHODS.cost_create.req.parse({
      project_id: P,
      costs: { model: { prompt_token_cost: 1, completion_token_cost: 1, cache_read_input_token_cost: 0.1, cache_creation_input_token_cost: 0.2, effective_date: "2020-01-01" } },
    }));
    const map = await s.forCalls([{ id: "b", started_at: T0, usage: { model: { input_tokens: 5, cache_read_input_tokens: 50, cache_creation_input_tokens: 10, output_tokens: 3 } } }]);
    const entry = map.get("b")?.model as Record<string, number>;
    expect(entry.prompt_tokens).toBe(5);
    expect(entry.prompt_tokens_total_cost).toBe(-55);
    expect(entry.completion_tokens_total_cost).toBe(3);
    expect(entry.cache_read_input_tokens_total_cost).toBeCloseTo(5, 12);
    expect(entry.cache_creation_input_tokens_total_cost).toBeCloseTo(2, 12);
  });
});
