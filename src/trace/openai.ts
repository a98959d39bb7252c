/**
 * `wrapOpenAI`: traces `chat.completions.create` of the official `openai` client, as Weave's JS SDK
 * does: op `openai.chat.completions.create`, the request's fields as inputs, the response (for a
 * stream: the chunks folded into a `chat.completion`) as output, and
 * `summary.usage[model] = {requests: 1, prompt_tokens, completion_tokens, total_tokens, …}` so
 * `include_costs` can price it. Streams are sent with `stream_options.include_usage: true` so
 * usage is known; when the app did not ask for it, the extra usage-only chunk is kept from it.
 * Only types of our own are used: the package stays an optional peer of the app.
 */
import { op, type Op } from "./op";
import type { Tracer } from "./init";
import { isDict } from "./serialize";
import { withAsyncIterator, type StreamReducer } from "./stream";
import type { Summary } from "./summary";

/** The part of an `OpenAI` client that is wrapped. */
export interface OpenAILike {
  chat: { completions: { create(...args: never[]): unknown } };
}

/** Options of `wrapOpenAI`. */
export interface WrapOpenAIOptions {
  /** Trace into this tracer (default: the parent call's, else the default tracer). */
  tracer?: Tracer;
}

type Dict = Record<string, unknown>;

function text(current: unknown, delta: unknown): unknown {
  return typeof delta === "string" ? (typeof current === "string" ? current : "") + delta : current;
}

/** Adds one tool-call (or legacy function-call) delta to what was gathered. */
function mergeCall(into: Dict, delta: Dict): void {
  if (typeof delta.id === "string") into.id = delta.id;
  if (typeof delta.type === "string") into.type = delta.type;
  const fn = isDict(delta.function) ? delta.function : delta;
  const target = isDict(into.function) ? into.function : into;
  if (typeof fn.name === "string") target.name = fn.name;
  target.arguments = text(target.arguments, fn.arguments);
}

/** Folds `chat.completion.chunk`s into the `chat.completion` they add up to. @throws never */
export const chatCompletionStreamReducer: StreamReducer<unknown, Dict> = {
  initialStateFn: () => ({ id: "", object: "chat.completion", created: 0, model: "", choices: [], usage: null }),
  reduceFn(state, chunk) {
    if (!isDict(chunk)) return state;
    for (const key of ["id", "created", "model", "system_fingerprint", "service_tier"]) if (chunk[key] != null) state[key] = chunk[key];
    if (isDict(chunk.usage)) state.usage = chunk.usage;
    const choices = state.choices as Dict[];
    for (const choice of Array.isArray(chunk.choices) ? (chunk.choices as unknown[]) : []) {
      if (!isDict(choice)) continue;
      const index = typeof choice.index === "number" ? choice.index : 0;
      const into = (choices[index] ??= { index, message: { role: "assistant", content: null, refusal: null }, finish_reason: null, logprobs: null });
      const message = into.message as Dict;
      const delta = isDict(choice.delta) ? choice.delta : {};
      if (typeof delta.role === "string") message.role = delta.role;
      message.content = text(message.content, delta.content);
      message.refusal = text(message.refusal, delta.refusal);
      if (Array.isArray(delta.tool_calls)) {
        const calls = (message.tool_calls ??= []) as Dict[];
        for (const tc of delta.tool_calls as unknown[]) {
          if (!isDict(tc)) continue;
          const at = typeof tc.index === "number" ? tc.index : calls.length;
          mergeCall((calls[at] ??= { id: "", type: "function", function: { name: "", arguments: "" } }), tc);
        }
      }
      if (isDict(delta.function_call)) mergeCall((message.function_call ??= { name: "", arguments: "" }) as Dict, delta.function_call);
      if (choice.finish_reason != null) into.finish_reason = choice.finish_reason;
    }
    return state;
  },
  finalizeFn(state) {
    state.choices = (state.choices as Array<Dict | undefined>).filter((c): c is Dict => c !== undefined);
  },
};

/** `summary.usage[model]` from a `chat.completion` (plain or folded from a stream). @throws never */
export function summarizeChatCompletion(output: unknown): Summary {
  if (!isDict(output) || typeof output.model !== "string" || !isDict(output.usage)) return {};
  return { usage: { [output.model]: { requests: 1, ...output.usage } } };
}

/** The final chunk `include_usage` adds: no choices, only usage. */
function isUsageOnly(chunk: unknown): boolean {
  return isDict(chunk) && Array.isArray(chunk.choices) && chunk.choices.length === 0 && isDict(chunk.usage);
}

/** The stream without its usage-only chunk (the app did not ask for it). */
function withoutUsageChunk<S extends AsyncIterable<unknown>>(stream: S): S {
  return withAsyncIterator(stream, async function* (original) {
    for await (const chunk of original) if (!isUsageOnly(chunk)) yield chunk;
  });
}

type Create = (body?: unknown, requestOptions?: unknown) => unknown;

function tracedCreate(original: Create, tracer: Tracer | undefined): Create {
  const traced: Op<Create> = op(
    function create(body?: unknown, requestOptions?: unknown): unknown {
      if (isDict(body) && body.stream === true) {
        const streamOptions = isDict(body.stream_options) ? body.stream_options : {};
        return original({ ...body, stream_options: { ...streamOptions, include_usage: true } }, requestOptions);
      }
      return original(body, requestOptions);
    },
    {
      name: "openai.chat.completions.create",
      parameterNames: "useParam0Object",
      // Request options (headers, an AbortSignal) are transport, not inputs: the JS SDK drops them too.
      postprocessInputs: ({ arg1: _requestOptions, ...inputs }) => inputs,
      summarize: summarizeChatCompletion,
      streamReducer: chatCompletionStreamReducer as StreamReducer,
      ...(tracer ? { tracer } : {}),
    },
  );
  return function create(body?: unknown, requestOptions?: unknown): unknown {
    const result = traced(body, requestOptions);
    const asked = isDict(body) && isDict(body.stream_options) && body.stream_options.include_usage === true;
    if (!isDict(body) || body.stream !== true || asked) return result;
    return (result as Promise<unknown>).then((stream) => (stream && typeof stream === "object" && Symbol.asyncIterator in stream ? withoutUsageChunk(stream as AsyncIterable<unknown>) : stream));
  };
}

/** A proxy of `target` whose `key` reads `replacement()` instead. */
function override<T extends object>(target: T, key: PropertyKey, replacement: () => unknown): T {
  return new Proxy(target, {
    get: (t, p, receiver) => (p === key ? replacement() : Reflect.get(t, p, receiver)),
  });
}

/**
 * Returns `client` with `chat.completions.create` traced (plain and `stream: true`); everything else
 * is the client's own. The traced `create` returns a plain Promise: the `openai` package's
 * `APIPromise` extras (`withResponse()`, `asResponse()`) are not available on it, as with Weave's
 * wrapper. A stream's call ends when the app finishes or stops iterating it (`tee()` and
 * `toReadableStream()` read the untraced stream).
 * @throws never (calls through the wrapper throw what the client throws, unchanged)
 */
export function wrapOpenAI<T extends OpenAILike>(client: T, options: WrapOpenAIOptions = {}): T {
  const completions = client.chat.completions;
  const create = tracedCreate((completions.create as Create).bind(completions), options.tracer);
  const completionsProxy = override(completions, "create", () => create);
  const chatProxy = override(client.chat, "completions", () => completionsProxy);
  return override(client, "chat", () => chatProxy);
}
