/**
 * `wrapOpenAI` with the official `openai` client against the stub server (`test/support/openai-stub.ts`):
 * the request actually sent, what the app gets back, and the call recorded (inputs, output,
 * `summary.usage[model]`, costs), for plain and streaming completions, early stops and API errors.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatCompletionStreamReducer, op, wrapOpenAI } from "../../src/trace/index";
import { startOpenAIStub, STUB_REPLY, STUB_USAGE, type OpenAIStub } from "../support/openai-stub";
import { traceHarness, type TraceHarness } from "../support/trace-harness";

let h: TraceHarness;
let stub: OpenAIStub;
let openai: OpenAI;
const OP = "openai.chat.completions.create";
const messages = [{ role: "user" as const, content: "Say hello" }];

beforeAll(async () => {
  h = traceHarness();
  stub = await startOpenAIStub();
  openai = wrapOpenAI(new OpenAI({ apiKey: "sk-test", baseURL: stub.baseURL, maxRetries: 0 }));
});
afterAll(async () => {
  await h.close();
  await stub.close();
});

const lastCall = async () => (await h.calls({ include_costs: true })).filter((c) => c.op_name === OP).at(-1);

describe("wrapOpenAI", () => {
  it("traces a plain completion: response unchanged, usage in the summary, costs priced", async () => {
    const res = await openai.chat.completions.create({ model: "gpt-4o-mini", messages, temperature: 0 });
    expect(res.choices[0]?.message.content).toBe(STUB_REPLY);
    expect(stub.requests.at(-1)?.body).toEqual({ model: "gpt-4o-mini", messages, temperature: 0 });
    const call = await lastCall();
    expect(call).toMatchObject({ inputs: { model: "gpt-4o-mini", messages, temperature: 0 }, output: { object: "chat.completion", model: "gpt-4o-mini", usage: STUB_USAGE } });
    expect(call?.summary).toMatchObject({
      usage: { "gpt-4o-mini": { requests: 1, ...STUB_USAGE } },
      status_counts: { success: 1, error: 0 },
      weave: { status: "success", trace_name: OP, costs: { "gpt-4o-mini": { requests: 1, prompt_tokens: 12, completion_tokens: 5 } } },
    });
  });

  it("streams: forces include_usage, hides the usage chunk, records the folded completion", async () => {
    const stream = await openai.chat.completions.create({ model: "gpt-4o", messages, stream: true });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(stub.requests.at(-1)?.body).toEqual({ model: "gpt-4o", messages, stream: true, stream_options: { include_usage: true } });
    expect(chunks.every((c) => c.choices.length === 1)).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe(STUB_REPLY);
    const call = await lastCall();
    expect(call?.inputs).toEqual({ model: "gpt-4o", messages, stream: true });
    expect(call?.output).toEqual({
      id: expect.stringMatching(/^chatcmpl-stub-/),
      object: "chat.completion",
      created: expect.any(Number),
      model: "gpt-4o",
      system_fingerprint: "fp_stub",
      choices: [{ index: 0, message: { role: "assistant", content: STUB_REPLY, refusal: null }, finish_reason: "stop", logprobs: null }],
      usage: STUB_USAGE,
    });
    expect(call?.summary).toMatchObject({ usage: { "gpt-4o": { requests: 1, ...STUB_USAGE } } });
  });

  it("passes the usage chunk through when the app asked for it", async () => {
    const stream = await openai.chat.completions.create({ model: "gpt-4o", messages, stream: true, stream_options: { include_usage: true } });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: STUB_USAGE });
    expect((await lastCall())?.inputs).toMatchObject({ stream_options: { include_usage: true } });
  });

  it("ends the call when the app stops reading early", async () => {
    const stream = await openai.chat.completions.create({ model: "gpt-4o", messages, stream: true });
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content === "Hello") break;
    const call = await lastCall();
    expect(call?.ended_at).toBeTruthy();
    expect(call?.output).toMatchObject({ choices: [{ message: { content: "Hello" }, finish_reason: null }], usage: null });
    expect(call?.summary).toMatchObject({ status_counts: { success: 1, error: 0 } });
    expect(call?.summary).not.toHaveProperty("usage");
  });

  it("records an API error and re-throws the client's own error object", async () => {
    const error = await openai.chat.completions.create({ model: "stub-error", messages }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const call = await lastCall();
    expect(call?.exception).toBe((error as Error).message);
    expect(call?.summary).toMatchObject({ weave: { status: "error" } });
  });

  it("nests under the app's ops and rolls usage up per model", async () => {
    const answer = op(async (q: string) => {
      const a = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: q }] });
      const stream = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: q }], stream: true });
      let text = "";
      for await (const c of stream) text += c.choices[0]?.delta.content ?? "";
      return `${a.choices[0]?.message.content ?? ""}|${text}`;
    }, { name: "answer" });
    expect(await answer("q1")).toBe(`${STUB_REPLY}|${STUB_REPLY}`);
    const calls = await h.calls();
    const parent = h.one(calls, "answer");
    expect(calls.filter((c) => c.parent_id === parent.id).map((c) => c.op_name)).toEqual([OP, OP]);
    expect(parent.summary).toMatchObject({ usage: { "gpt-4o-mini": { requests: 2, prompt_tokens: 24, completion_tokens: 10, total_tokens: 34 } }, status_counts: { success: 3, error: 0 } });
  });

  it("folds tool-call deltas and several choices", () => {
    const r = chatCompletionStreamReducer;
    let s = r.initialStateFn();
    const chunk = (choices: unknown[]) => ({ id: "c1", model: "m", created: 1, choices });
    s = r.reduceFn(s, chunk([{ index: 1, delta: { role: "assistant", content: "B" } }, { index: 0, delta: { role: "assistant", tool_calls: [{ index: 0, id: "t1", type: "function", function: { name: "get_weather", arguments: '{"ci' } }] } }]));
    s = r.reduceFn(s, chunk([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: 'ty":"Oslo"}' } }] }, finish_reason: "tool_calls" }]));
    r.finalizeFn?.(s);
    expect(s.choices).toEqual([
      { index: 0, message: { role: "assistant", content: null, refusal: null, tool_calls: [{ id: "t1", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } }] }, finish_reason: "tool_calls", logprobs: null },
      { index: 1, message: { role: "assistant", content: "B", refusal: null }, finish_reason: null, logprobs: null },
    ]);
  });
});
