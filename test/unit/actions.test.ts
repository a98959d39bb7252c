/**
 * `actions_execute_batch` (weave-semantics.md §10): ActionSpec objects run over real calls, results
 * written as `wandb.runnable.<name>` feedback; `llm_judge` goes through the stand-in provider on
 * 127.0.0.1. Handlers are called directly with requests parsed by the method table's schemas.
 */
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { METHODS } from "../../src/interface";
import { actionsExecuteBatch } from "../../src/server/actions/handlers";
import { callsQuery, callStartBatch } from "../../src/server/calls/handlers";
import { WeftDb } from "../../src/server/db";
import { feedbackQuery } from "../../src/server/feedback/handlers";
import { objCreate } from "../../src/server/objects/handlers";
import { ProviderRegistry, type ProviderContext } from "../../src/server/providers";
import { startLlmStub, type LlmStub } from "../support/llm-stub-server";
import { caught } from "./support/fixtures";

const P = "entity/project";
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

async function setup(): Promise<ProviderContext> {
  const db = new WeftDb(`actions-test-${++dbCount}`, { indexedDB: new IDBFactory(), IDBKeyRange });
  let t = T0;
  const ctx: ProviderContext = { db, userId: "local", now: () => (t += 1000), providers: new ProviderRegistry(db) };
  await ctx.providers.set({ name: "stub", baseUrl: stub.baseUrl, apiKey: "sk-judge", models: ["gpt-4o-mini"] });
  return ctx;
}

/** Publishes an ActionSpec as the SDK would and returns its external ref. */
async function publishAction(ctx: ProviderContext, name: string, config: Record<string, unknown>, project = P): Promise<string> {
  const val = { _type: "ActionSpec", _class_name: "ActionSpec", _bases: ["BaseObject", "BaseModel"], name, description: null, config };
  const { digest } = await objCreate(ctx, METHODS.obj_create.req.parse({ obj: { project_id: project, object_id: name, val, builtin_object_class: "ActionSpec" } }));
  return `weave:///${project}/object/${name}:${digest}`;
}

/** Logs finished calls with the given inputs and outputs. */
async function logCalls(ctx: ProviderContext, calls: Array<{ id: string; inputs?: Record<string, unknown>; output: unknown }>): Promise<void> {
  const at = new Date(T0).toISOString();
  const batch = calls.flatMap((c) => [
    { mode: "start", req: { start: { project_id: P, id: c.id, trace_id: c.id, op_name: "answer", started_at: at, attributes: {}, inputs: c.inputs ?? {} } } },
    { mode: "end", req: { end: { project_id: P, id: c.id, ended_at: at, output: c.output, summary: {} } } },
  ]);
  await callStartBatch(ctx, METHODS.call_start_batch.req.parse({ batch }));
}

function execute(ctx: ProviderContext, req: { action_ref: string; call_ids: string[]; wb_user_id?: string }) {
  return actionsExecuteBatch(ctx, METHODS.actions_execute_batch.req.parse({ project_id: P, ...req }));
}

async function feedbackRows(ctx: ProviderContext) {
  const fields = ["weave_ref", "feedback_type", "runnable_ref", "payload", "wb_user_id"];
  const { result } = await feedbackQuery(ctx, METHODS.feedback_query.req.parse({ project_id: P, fields, sort_by: [{ field: "weave_ref", direction: "asc" }] }));
  return result;
}

describe("actions_execute_batch: contains_words (§10)", () => {
  it("writes wandb.runnable.<name> feedback on each call: true iff a target word is in json.dumps(output)", async () => {
    const ctx = await setup();
    await logCalls(ctx, [
      { id: "c1", output: { text: "Thank you kindly" } },
      { id: "c2", output: "Go away" },
    ]);
    const ref = await publishAction(ctx, "is_polite", { action_type: "contains_words", target_words: ["please", "Thank you"] });
    expect(await execute(ctx, { action_ref: ref, call_ids: ["c1", "c2"], wb_user_id: "alice" })).toEqual({});
    expect(await feedbackRows(ctx)).toEqual([
      { weave_ref: `weave:///${P}/call/c1`, feedback_type: "wandb.runnable.is_polite", runnable_ref: ref, payload: { output: true }, wb_user_id: "alice" },
      { weave_ref: `weave:///${P}/call/c2`, feedback_type: "wandb.runnable.is_polite", runnable_ref: ref, payload: { output: false }, wb_user_id: "alice" },
    ]);
  });

  it("matches against Python's json.dumps text: ', '/': ' separators and ensure_ascii escapes (§10)", async () => {
    const ctx = await setup();
    await logCalls(ctx, [{ id: "c1", output: { score: 1, word: "café" } }]);
    const spaced = await publishAction(ctx, "spaced", { action_type: "contains_words", target_words: ['"score": 1'] });
    const accented = await publishAction(ctx, "accented", { action_type: "contains_words", target_words: ["café"] });
    const escaped = await publishAction(ctx, "escaped", { action_type: "contains_words", target_words: ["caf\\u00e9"] });
    for (const ref of [spaced, accented, escaped]) await execute(ctx, { action_ref: ref, call_ids: ["c1"] });
    const byType = Object.fromEntries((await feedbackRows(ctx)).map((row) => [row.feedback_type, (row.payload as { output: unknown }).output]));
    expect(byType).toEqual({ "wandb.runnable.spaced": true, "wandb.runnable.accented": false, "wandb.runnable.escaped": true });
  });

  it("uses the local user when the request has no wb_user_id, and runs a repeated call id once", async () => {
    const ctx = await setup();
    await logCalls(ctx, [{ id: "c1", output: "yes" }]);
    const ref = await publishAction(ctx, "says_yes", { action_type: "contains_words", target_words: ["yes"] });
    await execute(ctx, { action_ref: ref, call_ids: ["c1", "c1"] });
    expect((await feedbackRows(ctx)).map((row) => row.wb_user_id)).toEqual(["local"]);
  });

  it("0 call ids is a no-op, even before the action is looked at (§10)", async () => {
    const ctx = await setup();
    expect(await execute(ctx, { action_ref: "not a ref", call_ids: [] })).toEqual({});
    expect(await feedbackRows(ctx)).toEqual([]);
  });
});

describe("actions_execute_batch: llm_judge through the provider (§10)", () => {
  const prompt = "Rate the answer from 1 to 5.";

  it("asks the model with the prompt and json.dumps({inputs, output}), an object schema as is, and stores the parsed answer", async () => {
    const ctx = await setup();
    await logCalls(ctx, [{ id: "c1", inputs: { question: "2+2?" }, output: { answer: 4 } }]);
    const schema = { type: "object", properties: { score: { type: "integer" } }, required: ["score"] };
    const ref = await publishAction(ctx, "rater", { action_type: "llm_judge", model: "gpt-4o-mini", prompt, response_schema: schema });
    stub.complete('{"score": 4}');
    await execute(ctx, { action_ref: ref, call_ids: ["c1"] });
    expect(stub.requests).toHaveLength(1);
    const sent = stub.requests[0]!;
    expect(sent.headers.authorization).toBe("Bearer sk-judge");
    expect(sent.body).toEqual({
      model: "gpt-4o-mini",
      messages: [
        { role: "system", content: prompt },
        { role: "user", content: '{"inputs": {"question": "2+2?"}, "output": {"answer": 4}}' },
      ],
      response_format: { type: "json_schema", json_schema: { name: "response_format", schema } },
    });
    expect(await feedbackRows(ctx)).toEqual([
      { weave_ref: `weave:///${P}/call/c1`, feedback_type: "wandb.runnable.rater", runnable_ref: ref, payload: { output: { score: 4 } }, wb_user_id: "local" },
    ]);
    // The judge's own completion is not logged (track_llm_call false).
    const logged = await callsQuery(ctx, METHODS.calls_query.req.parse({ project_id: P, filter: { op_names: ["weave.completions_create"] } }));
    expect(logged.calls).toEqual([]);
  });

  it("wraps a non-object schema under 'response' and unwraps the answer (§10)", async () => {
    const ctx = await setup();
    await logCalls(ctx, [{ id: "c1", output: "fine" }]);
    const ref = await publishAction(ctx, "is_ok", { action_type: "llm_judge", model: "gpt-4o-mini", prompt, response_schema: { type: "boolean" } });
    stub.complete('{"response": true}');
    await execute(ctx, { action_ref: ref, call_ids: ["c1"] });
    expect((stub.requests[0]!.body as { response_format: unknown }).response_format).toEqual({
      type: "json_schema",
      json_schema: {
        name: "response_format",
        schema: { type: "object", properties: { response: { type: "boolean" } }, additionalProperties: false },
      },
    });
    expect((await feedbackRows(ctx))[0]?.payload).toEqual({ output: true });
  });

  it("a model answer without content is a null result", async () => {
    const ctx = await setup();
    await logCalls(ctx, [{ id: "c1", output: "fine" }]);
    const ref = await publishAction(ctx, "judge", { action_type: "llm_judge", model: "gpt-4o-mini", prompt, response_schema: { type: "object" } });
    stub.complete(null);
    await execute(ctx, { action_ref: ref, call_ids: ["c1"] });
    expect((await feedbackRows(ctx))[0]?.payload).toEqual({ output: null });
  });

  it("a provider failure is thrown with its code and no feedback is written for any call", async () => {
    const ctx = await setup();
    await logCalls(ctx, [
      { id: "c1", output: "a" },
      { id: "c2", output: "b" },
    ]);
    const ref = await publishAction(ctx, "judge", { action_type: "llm_judge", model: "gpt-4o-mini", prompt, response_schema: { type: "object" } });
    stub.fail(429, "Slow down");
    expect((await caught(execute(ctx, { action_ref: ref, call_ids: ["c1", "c2"] }))).code).toBe("RATE_LIMITED");
    expect(await feedbackRows(ctx)).toEqual([]);
  });
});

describe("actions_execute_batch: refusals (§10)", () => {
  it("a missing call is NOT_FOUND and nothing is written", async () => {
    const ctx = await setup();
    await logCalls(ctx, [{ id: "c1", output: "yes" }]);
    const ref = await publishAction(ctx, "says_yes", { action_type: "contains_words", target_words: ["yes"] });
    const error = await caught(execute(ctx, { action_ref: ref, call_ids: ["c1", "nope"] }));
    expect(error.code).toBe("NOT_FOUND");
    expect(error.message).toContain("nope");
    expect(await feedbackRows(ctx)).toEqual([]);
  });

  it("action_ref must be an object ref of the same project pointing to an ActionSpec", async () => {
    const ctx = await setup();
    await logCalls(ctx, [{ id: "c1", output: "yes" }]);
    const elsewhere = await publishAction(ctx, "says_yes", { action_type: "contains_words", target_words: ["yes"] }, "other/project");
    const { digest } = await objCreate(ctx, METHODS.obj_create.req.parse({ obj: { project_id: P, object_id: "plain", val: { a: 1 } } }));
    for (const actionRef of [elsewhere, `weave:///${P}/call/c1`, `weave:///${P}/object/plain:${digest}`, "not a ref"]) {
      const error = await caught(execute(ctx, { action_ref: actionRef, call_ids: ["c1"] }));
      expect([actionRef, error.code]).toEqual([actionRef, "VALIDATION"]);
    }
    const missing = await caught(execute(ctx, { action_ref: `weave:///${P}/object/ghost:abc`, call_ids: ["c1"] }));
    expect(missing.code).toBe("NOT_FOUND");
  });
});
