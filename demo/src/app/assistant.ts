/**
 * The LLM app the demo traces: Kestrel's support assistant. One question is one trace:
 *
 *   kestrel_assistant(question, config)      root op; `config` is a published object (a ref in inputs)
 *   ├─ retrieve(query, k, corpus)            BM25 over the docs Dataset (a ref in inputs)
 *   ├─ lookup_order_status / calculator      a tool, when the question needs one (may fail)
 *   └─ chat_completion(model, messages, …)   the stand-in, or an OpenAI-compatible endpoint through
 *      └─ weave.completions_create           weft's `completions_create` (logged by the worker)
 *
 * Tracing is weft's tracing API (`init`, `op`, `withAttributes`, `publish`, `Dataset`): nesting
 * follows the `await`s, and token usage rolls up from the chat completion's `{model, usage}`.
 */
import { Dataset, getCurrentCall, init, op, publish, withAttributes, type Tracer } from "../../../src/index";
import { notifyChanged } from "../live";
import { PROJECT_ID, client } from "../store";
import { DOCS } from "./docs";
import { SIM_MODEL, buildMessages, composeAnswer, simulateChat, type ChatCompletion, type ChatMessage, type EndpointSettings, type ToolOutcome } from "./model";
import { searchPassages, type Passage } from "./retrieval";
import type { SampleOpNames } from "./sample-data";
import { calculate, chooseTool, lookupOrderStatus } from "./tools";

/** The op names of the app; sample data is written under the same ones. */
export const OP_NAMES: SampleOpNames = {
  assistant: "kestrel_assistant",
  retrieve: "retrieve",
  lookup_order_status: "lookup_order_status",
  calculator: "calculator",
  chat: "chat_completion",
};

const APP_VERSION = "1.5.0";

/** What the assistant is configured with; published as an object, so each change is a new version. */
export interface AssistantConfig {
  name: string;
  model: string;
  provider: "builtin" | "endpoint";
  temperature: number;
  top_k: number;
  system_prompt: string;
}

/** The result the UI shows. */
export interface AssistantAnswer {
  /** The answer, or null when the run failed (see `error`). */
  answer: string | null;
  error: string | null;
  sources: string[];
  traceId: string | undefined;
  callId: string | undefined;
}

let tracer: Tracer | undefined;
const corpus = new Dataset({ name: "kestrel-help-centre", description: "Kestrel's help-centre articles, the assistant's retrieval corpus.", rows: DOCS.map((d) => ({ ...d })) });

/** Starts tracing into the demo project (once). */
export function startTracing(): Tracer {
  tracer ??= init({ project: PROJECT_ID, client, attributes: { app: "kestrel-assistant", app_version: APP_VERSION } });
  return tracer;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const retrieve = op(
  async function retrieve(query: string, k: number, docs: Dataset): Promise<Passage[]> {
    void docs; // the corpus is recorded as a ref in the inputs; the index over it is built at load
    return searchPassages(query, k);
  },
  { name: OP_NAMES.retrieve, parameterNames: ["query", "k", "corpus"] },
);

const lookupOrder = op(
  async function lookup_order_status(args: { order_id: string }) {
    await sleep(80 + (Number(args.order_id.replace(/\D/g, "")) % 160)); // the order service is a (fake) network hop
    return lookupOrderStatus(args.order_id);
  },
  { name: OP_NAMES.lookup_order_status, parameterNames: "useParam0Object" },
);

const calculator = op(async (args: { expression: string }) => calculate(args.expression), { name: OP_NAMES.calculator, parameterNames: "useParam0Object" });

/** The provider name the demo registers its endpoint under (`setProvider`, memory only). */
const PROVIDER = "demo-endpoint";
let registered = "";

/**
 * Routes `endpoint.model` to the endpoint in weft's provider registry. The key goes to the worker's
 * memory only (`persist` off), never into IndexedDB or a trace.
 */
async function registerEndpoint(endpoint: EndpointSettings): Promise<void> {
  const signature = JSON.stringify(endpoint);
  if (signature === registered) return;
  await client.setProvider({
    provider: { name: PROVIDER, baseUrl: endpoint.baseUrl, ...(endpoint.apiKey ? { apiKey: endpoint.apiKey } : {}), models: [endpoint.model] },
    default: true,
  });
  registered = signature;
}

/**
 * One completion through weft's `completions_create` (the worker calls the provider and logs the
 * request as `weave.completions_create`, a child of the current call).
 * @throws WeftError UPSTREAM, UNAUTHORIZED, RATE_LIMITED, VALIDATION from the provider call
 */
async function endpointCompletion(endpoint: EndpointSettings, messages: ChatMessage[], temperature: number): Promise<ChatCompletion> {
  await registerEndpoint(endpoint);
  const me = getCurrentCall();
  const res = await client.completions_create({
    project_id: PROJECT_ID,
    inputs: { model: endpoint.model, messages, temperature },
    ...(me ? { trace_id: me.traceId, parent_id: me.id } : {}),
  });
  return res.response as unknown as ChatCompletion;
}

/** The chat completion op: built-in stand-in or endpoint; its `{model, usage}` output becomes `summary.usage`. */
function makeChat(endpoint: EndpointSettings | null) {
  return op(
    async function chat_completion(request: { model: string; messages: ChatMessage[]; temperature: number; draft_answer?: string }): Promise<ChatCompletion> {
      if (endpoint) return endpointCompletion(endpoint, request.messages, request.temperature);
      return simulateChat(request.messages, request.draft_answer ?? "");
    },
    {
      name: OP_NAMES.chat,
      parameterNames: "useParam0Object",
      // The stand-in's draft is an implementation detail, not part of the LLM request.
      postprocessInputs: ({ draft_answer: _draft, ...inputs }) => inputs,
    },
  );
}

const chatBuiltin = makeChat(null);

async function runTool(question: string): Promise<ToolOutcome | null> {
  const choice = chooseTool(question);
  if (!choice) return null;
  try {
    if (choice.tool === "lookup_order_status") return { tool: choice.tool, ok: true, result: await lookupOrder(choice.args) };
    return { tool: choice.tool, ok: true, result: await calculator(choice.args), expression: choice.args.expression };
  } catch (error) {
    // The failed tool call stays in the trace (status error); the assistant still answers.
    return { tool: choice.tool, ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

const SYSTEM_PROMPT = "You are Kestrel's support assistant. Answer from the context below; cite the article title. If the context does not answer, say so.";

const configs = new Map<string, AssistantConfig>();

/** The config object for these settings: the same object for the same settings, so it is published once. */
function configFor(endpoint: EndpointSettings | null): AssistantConfig {
  const model = endpoint ? endpoint.model : SIM_MODEL;
  const key = `${endpoint ? "endpoint" : "builtin"}:${model}`;
  let config = configs.get(key);
  if (!config) {
    config = { name: "assistant-config", model, provider: endpoint ? "endpoint" : "builtin", temperature: 0.2, top_k: 4, system_prompt: SYSTEM_PROMPT };
    configs.set(key, config);
  }
  return config;
}

/** A root call's display name: the question, cut to fit a table cell. */
export function displayNameFor(question: string): string {
  const oneLine = question.replace(/\s+/g, " ").trim();
  return oneLine.length > 80 ? `${oneLine.slice(0, 79)}…` : oneLine;
}

/** The ids of the root call that started last; set synchronously when the op body starts. */
let started: { traceId: string | undefined; callId: string | undefined } = { traceId: undefined, callId: undefined };

const assistant = op(
  async function kestrel_assistant(question: string, config: AssistantConfig, endpoint: EndpointSettings | null) {
    const me = getCurrentCall();
    started = { traceId: me?.traceId, callId: me?.id };
    const passages = await retrieve(question, config.top_k, corpus);
    const tool = await runTool(question);
    const messages = buildMessages(question, passages, tool);
    const chat = endpoint ? makeChat(endpoint) : chatBuiltin;
    const completion = await chat({ model: config.model, messages, temperature: config.temperature, draft_answer: composeAnswer(question, passages, tool) });
    const answer = completion.choices[0]?.message.content ?? "";
    return { answer, sources: [...new Set(passages.slice(0, 2).map((p) => p.title))] };
  },
  {
    name: OP_NAMES.assistant,
    parameterNames: ["question", "config", "endpoint"],
    callDisplayName: (question) => displayNameFor(question),
    // The endpoint's key never reaches the trace.
    postprocessInputs: ({ endpoint, ...inputs }) => ({ ...inputs, endpoint: endpoint ? { baseUrl: (endpoint as EndpointSettings).baseUrl } : null }),
  },
);

/**
 * Answers `question`, traced. The call shows up in the viewer as running at once and ends when the
 * answer is ready; other tabs are told both times. A failed run (the endpoint is down, say) comes
 * back with `error` set; its trace records the exception.
 */
export async function ask(question: string, options: { endpoint: EndpointSettings | null; session: string }): Promise<AssistantAnswer> {
  const t = startTracing();
  const config = configFor(options.endpoint);
  await publish(config, config.name).catch((error: unknown) => t.report(error));
  started = { traceId: undefined, callId: undefined };
  const running = withAttributes({ session_id: options.session, channel: "web" }, () => assistant(question, config, options.endpoint));
  // The op body ran synchronously up to its first await, so `started` is this run's call.
  const ids = started;
  // Show the running call right away: push the queued start now instead of at the next batch tick.
  void t.flush().then(notifyChanged, () => undefined);
  try {
    const result = await running;
    return { ...result, error: null, ...ids };
  } catch (error) {
    return { answer: null, error: error instanceof Error ? error.message : String(error), sources: [], ...ids };
  } finally {
    await t.flush().catch(() => undefined);
    notifyChanged();
  }
}

/**
 * Gives the stand-in model a project-level price, so the cost column shows what a small hosted
 * model would charge (cost_create, weave-semantics.md §8.2). Skipped quietly when this weft build
 * has no costs yet.
 */
export async function ensureSimPrice(): Promise<void> {
  try {
    const existing = await client.cost_query({
      project_id: PROJECT_ID,
      query: { $expr: { $eq: [{ $getField: "llm_id" }, { $literal: SIM_MODEL }] } },
      limit: 1,
    });
    if (existing.results.length > 0) return;
    await client.cost_create({
      project_id: PROJECT_ID,
      costs: { [SIM_MODEL]: { prompt_token_cost: 0.15 / 1e6, completion_token_cost: 0.6 / 1e6, provider_id: "weft-demo", effective_date: "2024-01-01T00:00:00Z" } },
    });
  } catch {
    // No costs in this build (or a transient failure): the cost column stays empty.
  }
}
