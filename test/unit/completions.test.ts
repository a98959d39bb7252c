/**
 * `completions_create` (weave-semantics.md §9) against a stand-in OpenAI-compatible provider on
 * 127.0.0.1, and the provider registry behind it (routing, keys, persistence). Handlers are called
 * directly with requests parsed by the method table's schemas.
 */
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { WeftError } from "../../src/errors";
import { METHODS, type MethodReq } from "../../src/interface";
import { callsQuery } from "../../src/server/calls/handlers";
import { completionsCreate } from "../../src/server/completions/handlers";
import { costCreate, costsForCalls } from "../../src/server/costs/handlers";
import { WeftDb } from "../../src/server/db";
import { loadPersistedProviders, providerForModel, ProviderRegistry, type ProviderContext } from "../../src/server/providers";
import { closedPortBaseUrl, startLlmStub, STUB_USAGE, type LlmStub } from "../support/llm-stub-server";
import { caught } from "./support/fixtures";

const P = "entity/project";
const KEY = "sk-test-0123456789abcdef";
const T0 = Date.UTC(2025, 0, 1, 12);
let dbCount = 0;
let stub: LlmStub;

beforeAll(async () => {
  stub = await startLlmStub();
});
afterAll(async () => {
  await stub.close();
});
beforeEach(() => stub.reset());

function makeCtx(db = new WeftDb(`completions-test-${++dbCount}`, { indexedDB: new IDBFactory(), IDBKeyRange })): ProviderContext {
  let t = T0;
  return { db, userId: "local", now: () => (t += 1000), providers: new ProviderRegistry(db) };
}

async function withStub(options: { apiKey?: string | null; models?: string[] } = {}): Promise<ProviderContext> {
  const ctx = makeCtx();
  await ctx.providers.set({
    name: "stub",
    baseUrl: stub.baseUrl,
    ...(options.apiKey === null ? {} : { apiKey: options.apiKey ?? KEY }),
    ...(options.models ? { models: options.models } : {}),
  });
  return ctx;
}

function complete(ctx: ProviderContext, req: Partial<MethodReq<"completions_create">> & { inputs: MethodReq<"completions_create">["inputs"] }) {
  return completionsCreate(ctx, METHODS.completions_create.req.parse({ project_id: P, ...req }));
}

async function loggedCalls(ctx: ProviderContext) {
  return (await callsQuery(ctx, METHODS.calls_query.req.parse({ project_id: P, filter: { op_names: ["weave.completions_create"] } }))).calls;
}

const HELLO = [{ role: "user", content: "Say hello" }];

describe("completions_create against an OpenAI-compatible provider (§9)", () => {
  it("POSTs {baseUrl}/chat/completions with the Bearer key, the provider's model name and no null or Weave-only fields", async () => {
    const ctx = await withStub();
    await complete(ctx, {
      inputs: { model: "stub/gpt-4o-mini", messages: HELLO, temperature: 0.2, top_p: null, max_tokens: 5, timeout: 30, template_vars: null },
    });
    expect(stub.requests).toHaveLength(1);
    const sent = stub.requests[0]!;
    expect(sent.method).toBe("POST");
    expect(sent.path).toBe("/v1/chat/completions");
    expect(sent.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent.headers["content-type"]).toBe("application/json");
    expect(sent.body).toEqual({ model: "gpt-4o-mini", messages: HELLO, temperature: 0.2, max_tokens: 5 });
  });

  it("returns the provider's response and the id of the weave.completions_create call it logged", async () => {
    const ctx = await withStub();
    const res = await complete(ctx, { inputs: { model: "stub/gpt-4o-mini", messages: HELLO, seed: null } });
    expect(res.response).toMatchObject({ object: "chat.completion", model: "gpt-4o-mini", usage: STUB_USAGE });
    expect((res.response.choices as Array<{ message: { content: string } }>)[0]!.message.content).toBe("Hello from the stub.");
    const [call, ...others] = await loggedCalls(ctx);
    expect(others).toEqual([]);
    expect(call!.id).toBe(res.weave_call_id);
    expect(call!.op_name).toBe("weave.completions_create");
    // Inputs as the caller sent them: nulls dropped, the original model name kept.
    expect(call!.inputs).toEqual({ model: "stub/gpt-4o-mini", messages: HELLO });
    expect(call!.output).toEqual(res.response);
    expect(call!.exception).toBeNull();
    expect(call!.wb_user_id).toBe("local");
    expect(call!.summary?.usage).toEqual({ "stub/gpt-4o-mini": { ...STUB_USAGE, requests: 1 } });
    expect(Date.parse(call!.ended_at!)).toBeGreaterThan(Date.parse(call!.started_at));
  });

  it("logs usage keyed by the model name so that project prices apply to it (§9, §8.5)", async () => {
    const ctx = await withStub({ models: ["stub-model"] });
    const res = await complete(ctx, { inputs: { model: "stub-model", messages: HELLO } });
    await costCreate(ctx, METHODS.cost_create.req.parse({ project_id: P, costs: { "stub-model": { prompt_token_cost: 0.01, completion_token_cost: 0.02, effective_date: new Date(0).toISOString() } } }));
    const [call] = await loggedCalls(ctx);
    const costs = await costsForCalls(ctx, P, [{ id: call!.id, started_at: Date.parse(call!.started_at), usage: call!.summary?.usage }]);
    const entry = costs.get(res.weave_call_id!)?.["stub-model"] as Record<string, unknown>;
    expect(entry).toMatchObject({ prompt_tokens: 11, completion_tokens: 7, requests: 1, prompt_tokens_total_cost: 0.11, completion_tokens_total_cost: 0.14 });
  });

  it("logs nothing with track_llm_call false and returns no weave_call_id", async () => {
    const ctx = await withStub();
    const res = await complete(ctx, { inputs: { model: "stub/m", messages: HELLO }, track_llm_call: false });
    expect(res.weave_call_id).toBeUndefined();
    expect(res.response.object).toBe("chat.completion");
    expect(await loggedCalls(ctx)).toEqual([]);
  });

  it("logs the request's trace and parent ids and wb_user_id when given", async () => {
    const ctx = await withStub();
    const res = await complete(ctx, { inputs: { model: "stub/m", messages: HELLO }, trace_id: "t-1", parent_id: "p-1", wb_user_id: "alice" });
    const [call] = await loggedCalls(ctx);
    expect(call).toMatchObject({ id: res.weave_call_id, trace_id: "t-1", parent_id: "p-1", wb_user_id: "alice" });
  });

  it("sends the provider's headers and extra_headers, keeps the registered key, and never logs credentials", async () => {
    const ctx = makeCtx();
    await ctx.providers.set({ name: "stub", baseUrl: stub.baseUrl, apiKey: KEY, headers: { "x-org": "acme" } });
    await complete(ctx, { inputs: { model: "stub/m", messages: HELLO, extra_headers: { "x-trace": "on", authorization: "Bearer other" } } });
    const sent = stub.requests[0]!;
    expect(sent.headers).toMatchObject({ "x-org": "acme", "x-trace": "on", authorization: `Bearer ${KEY}` });
    expect(sent.body).not.toHaveProperty("extra_headers");
    const [call] = await loggedCalls(ctx);
    expect(call!.inputs.extra_headers).toEqual({ "x-trace": "on", authorization: "[redacted]" });
    const stored = JSON.stringify(await ctx.db.calls.toArray());
    expect(stored).not.toContain(KEY);
    expect(stored).not.toContain("Bearer other");
  });
});

describe("completions_create errors are coded WeftErrors (§9)", () => {
  it("a provider without a key is VALIDATION naming the provider (Weave's MissingLLMApiKeyError, 400), and nothing is sent", async () => {
    const ctx = await withStub({ apiKey: null });
    const error = await caught(complete(ctx, { inputs: { model: "stub/m", messages: HELLO } }));
    expect(error.code).toBe("VALIDATION");
    expect(error.status).toBe(400);
    expect(error.message).toContain('"stub"');
    expect(error.details?.api_key).toBe("stub");
    expect(stub.requests).toEqual([]);
    expect(await loggedCalls(ctx)).toEqual([]);
  });

  it("an unroutable model is VALIDATION naming the model", async () => {
    const ctx = makeCtx();
    const error = await caught(complete(ctx, { inputs: { model: "gpt-5-nano", messages: HELLO } }));
    expect(error.code).toBe("VALIDATION");
    expect(error.message).toContain('"gpt-5-nano"');
  });

  it("an unreachable provider is UPSTREAM naming it and its base URL; the tracked call records the exception", async () => {
    const ctx = makeCtx();
    const baseUrl = await closedPortBaseUrl();
    await ctx.providers.set({ name: "gone", baseUrl, apiKey: KEY });
    const error = await caught(complete(ctx, { inputs: { model: "gone/m", messages: HELLO } }));
    expect(error.code).toBe("UPSTREAM");
    expect(error.message).toContain('"gone"');
    expect(error.message).toContain(baseUrl);
    const [call] = await loggedCalls(ctx);
    expect(call!.id).toBe(error.details?.weave_call_id);
    expect(call!.exception).toBe(error.message);
    expect(call!.output).toEqual({ error: error.message });
    expect(call!.summary?.usage).toBeUndefined();
  });

  it("401 is UNAUTHORIZED with the provider's message, the echoed key redacted", async () => {
    const ctx = await withStub();
    stub.fail(401, "Incorrect API key provided", true);
    const error = await caught(complete(ctx, { inputs: { model: "stub/m", messages: HELLO } }));
    expect(error.code).toBe("UNAUTHORIZED");
    expect(error.details?.status).toBe(401);
    expect(error.message).toContain("Incorrect API key provided");
    expect(error.message).not.toContain(KEY);
    expect(JSON.stringify(await ctx.db.calls.toArray())).not.toContain(KEY);
  });

  it("403 is UNAUTHORIZED too, with details.status 403", async () => {
    const ctx = await withStub();
    stub.fail(403, "Project does not have access to model");
    const error = await caught(complete(ctx, { inputs: { model: "stub/m", messages: HELLO } }));
    expect([error.code, error.details?.status]).toEqual(["UNAUTHORIZED", 403]);
  });

  it("429 is RATE_LIMITED", async () => {
    const ctx = await withStub();
    stub.fail(429, "Rate limit reached for requests");
    const error = await caught(complete(ctx, { inputs: { model: "stub/m", messages: HELLO }, track_llm_call: false }));
    expect(error.code).toBe("RATE_LIMITED");
    expect(error.status).toBe(429);
    expect(error.message).toContain("Rate limit reached for requests");
    expect(error.details?.weave_call_id).toBeUndefined();
  });

  it("500 is UPSTREAM carrying the provider's message", async () => {
    const ctx = await withStub();
    stub.fail(500, "The server had an error while processing your request");
    const error = await caught(complete(ctx, { inputs: { model: "stub/m", messages: HELLO } }));
    expect(error.code).toBe("UPSTREAM");
    expect(error.details?.status).toBe(500);
    expect(error.message).toContain("The server had an error while processing your request");
  });

  it("a provider that does not answer within inputs.timeout is UPSTREAM 'timed out'", async () => {
    const ctx = await withStub();
    stub.hang();
    const error = await caught(complete(ctx, { inputs: { model: "stub/m", messages: HELLO, timeout: 0.2 } }));
    expect(error.code).toBe("UPSTREAM");
    expect(error.message).toContain("timed out");
    const [call] = await loggedCalls(ctx);
    expect(call!.exception).toContain("timed out");
  });

  it("inputs weft cannot honour are refused before anything is sent", async () => {
    const ctx = await withStub();
    for (const inputs of [
      { model: "stub/m", messages: HELLO, stream: true },
      { model: "stub/m", messages: HELLO, prompt: `weave:///${P}/object/p:abc` },
      { model: "stub/m", messages: HELLO, timeout: "soon" },
    ]) {
      expect((await caught(complete(ctx, { inputs }))).code).toBe("VALIDATION");
    }
    expect(stub.requests).toEqual([]);
  });
});

describe("provider registry", () => {
  const registry = () => new ProviderRegistry(makeCtx().db);

  it("routes <provider>/<model> and custom::<provider>::<model> to that provider, sending the bare model (§9)", async () => {
    const r = registry();
    await r.set({ name: "a", baseUrl: "https://a.example/v1", apiKey: "k" });
    await r.set({ name: "b", baseUrl: "https://b.example/v1/" });
    expect(providerForModel(r, "b/llama-3")).toMatchObject({ provider: { name: "b", baseUrl: "https://b.example/v1" }, model: "llama-3" });
    expect(providerForModel(r, "custom::a::org/model::x")).toMatchObject({ provider: { name: "a" }, model: "org/model::x" });
    expect(() => providerForModel(r, "custom::nope::m")).toThrow(/custom::nope::m/);
  });

  it("routes a bare name to the provider listing it, else to the default; an org/model id is a bare name", async () => {
    const r = registry();
    await r.set({ name: "a", baseUrl: "https://a.example/v1", models: ["gpt-4o"] });
    await r.set({ name: "b", baseUrl: "https://b.example/v1" });
    expect(providerForModel(r, "gpt-4o").provider.name).toBe("a");
    const error = (() => {
      try {
        providerForModel(r, "meta-llama/Llama-3");
      } catch (e) {
        return e as WeftError;
      }
    })();
    expect([error?.code, error?.message.includes('"meta-llama/Llama-3"')]).toEqual(["VALIDATION", true]);
    await r.set({ name: "b", baseUrl: "https://b.example/v1" }, { default: true });
    expect(providerForModel(r, "meta-llama/Llama-3")).toMatchObject({ provider: { name: "b" }, model: "meta-llama/Llama-3" });
  });

  it("a single provider is the default without being marked", async () => {
    const r = registry();
    await r.set({ name: "only", baseUrl: "https://only.example/v1" });
    expect(providerForModel(r, "anything").provider.name).toBe("only");
    expect(r.get("only")?.isDefault).toBe(true);
  });

  it("list() and get() never return keys or header values", async () => {
    const r = registry();
    await r.set({ name: "a", baseUrl: "https://a.example/v1", apiKey: KEY, headers: { "api-key": "hdr-secret" } });
    await r.set({ name: "b", baseUrl: "https://b.example/v1" });
    expect(r.list()).toEqual([
      { name: "a", baseUrl: "https://a.example/v1", hasKey: true, headerNames: ["api-key"], models: [], persisted: false, isDefault: false },
      { name: "b", baseUrl: "https://b.example/v1", hasKey: false, headerNames: [], models: [], persisted: false, isDefault: false },
    ]);
    const shown = JSON.stringify([r.list(), r.get("a"), r, { ...r }]);
    expect(shown).not.toContain(KEY);
    expect(shown).not.toContain("hdr-secret");
  });

  it("refuses bad names and base URLs with VALIDATION", async () => {
    const r = registry();
    for (const bad of [
      { name: "a/b", baseUrl: "https://x.example/v1" },
      { name: "a", baseUrl: "ftp://x.example" },
      { name: "a", baseUrl: "https://x.example/v1?key=1" },
      { name: "a", baseUrl: "https://x.example/v1", apiKey: "" },
    ]) {
      expect((await caught(r.set(bad))).code).toBe("VALIDATION");
    }
    expect(r.list()).toEqual([]);
  });

  it("without persist the key stays in memory only: no meta value contains it", async () => {
    const ctx = makeCtx();
    await ctx.providers.set({ name: "stub", baseUrl: stub.baseUrl, apiKey: KEY });
    const meta = await ctx.db.meta.toArray();
    expect(meta.filter((row) => JSON.stringify(row).includes(KEY))).toEqual([]);
    expect(ctx.providers.get("stub")?.persisted).toBe(false);
    const restarted = makeCtx(ctx.db);
    expect(await loadPersistedProviders(restarted)).toEqual([]);
  });

  it("with persist the provider is stored under meta provider:<name> and comes back after a restart", async () => {
    const ctx = makeCtx();
    await ctx.providers.set({ name: "stub", baseUrl: stub.baseUrl, apiKey: KEY, models: ["stub-model"] }, { persist: true, default: true });
    expect((await ctx.db.meta.get("provider:stub"))?.value).toMatchObject({ name: "stub", apiKey: KEY });
    const restarted = makeCtx(ctx.db);
    expect(await loadPersistedProviders(restarted)).toEqual(["stub"]);
    expect(restarted.providers.get("stub")).toMatchObject({ hasKey: true, persisted: true, isDefault: true, models: ["stub-model"] });
    await complete(restarted, { inputs: { model: "stub-model", messages: HELLO }, track_llm_call: false });
    expect(stub.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it("setting a persisted provider again without persist, or removing it, deletes the stored copy", async () => {
    const ctx = makeCtx();
    await ctx.providers.set({ name: "p", baseUrl: stub.baseUrl, apiKey: KEY }, { persist: true });
    await ctx.providers.set({ name: "p", baseUrl: stub.baseUrl, apiKey: KEY });
    expect(JSON.stringify(await ctx.db.meta.toArray())).not.toContain(KEY);
    await ctx.providers.set({ name: "q", baseUrl: stub.baseUrl, apiKey: KEY }, { persist: true, default: true });
    expect(await ctx.providers.remove("q")).toBe(true);
    expect(await ctx.db.meta.toArray()).toEqual([]);
    expect(ctx.providers.list().map((p) => p.name)).toEqual(["p"]);
    expect(await ctx.providers.remove("q")).toBe(false);
  });
});
