/**
 * The assistant's language model. By default a deterministic in-page stand-in (`kestrel-sim-1`):
 * it composes an answer from the retrieved passages and the tool result, reports realistic token
 * usage, and takes a realistic while, so the demo works offline and in tests. Its responses have
 * OpenAI's `chat.completion` shape, so the tracer records `summary.usage[model]` from `{model, usage}`
 * exactly as it does for a real provider. Optionally any OpenAI-compatible endpoint instead, through
 * weft's `completions_create` (see `assistant.ts`).
 */
import type { OrderRecord } from "./docs";
import type { Passage } from "./retrieval";

export const SIM_MODEL = "kestrel-sim-1";

export interface ChatMessage {
  role: "system" | "user" | "assistant" | "tool";
  content: string;
}

/** The part of an OpenAI chat completion the app reads (and the tracer stores as the output). */
export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: Array<{ index: number; message: { role: "assistant"; content: string }; finish_reason: string }>;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

/** What a tool produced, as the prompt carries it. */
export type ToolOutcome =
  | { tool: "lookup_order_status"; ok: true; result: OrderRecord }
  | { tool: "calculator"; ok: true; result: number; expression: string }
  | { tool: string; ok: false; error: string };

/** FNV-1a: a small stable hash, so the stand-in's timings and ids are the same for the same input. */
export function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** About four characters per token, plus a few per message, like OpenAI's tokenizers on English. */
function countTokens(messages: readonly ChatMessage[]): number {
  return messages.reduce((sum, m) => sum + 4 + Math.ceil(m.content.length / 4), 2);
}

function toolSentence(outcome: ToolOutcome, question: string): string {
  if (!outcome.ok) return `I could not complete that: ${outcome.error}`;
  if (outcome.tool === "lookup_order_status") {
    const o = outcome.result;
    const where = o.status === "shipped" ? ` via ${o.carrier ?? "the carrier"} and should arrive by ${o.eta ?? "next week"}` : "";
    const verb = { processing: "is being prepared", shipped: "has shipped", delivered: "was delivered", returned: "was returned and refunded" }[o.status];
    return `Order ${o.id} (${o.item}, placed ${o.placed}) ${verb}${where}.`;
  }
  const money = /cost|price|much|\$|plan/i.test(question);
  const value = money ? `$${outcome.result.toLocaleString("en-US", { maximumFractionDigits: 2 })}` : outcome.result.toLocaleString("en-US");
  return `That comes to ${value} (${outcome.expression}).`;
}

/** The stand-in's answer: the tool's result first, then the best-matching passages, quoted. */
export function composeAnswer(question: string, passages: readonly Passage[], tool: ToolOutcome | null): string {
  const parts: string[] = [];
  if (tool) parts.push(toolSentence(tool, question));
  const best = passages.slice(0, tool ? 1 : 2);
  if (best.length === 0 && !tool) return "I could not find anything about that in the Kestrel help centre. Could you rephrase the question?";
  for (const p of best) parts.push(`${p.text} (from "${p.title}")`);
  return parts.join(" ");
}

/** The prompt the assistant sends: instructions, numbered passages, the tool result, the question. */
export function buildMessages(question: string, passages: readonly Passage[], tool: ToolOutcome | null): ChatMessage[] {
  const context = passages.map((p, i) => `[${i + 1}] ${p.title}: ${p.text}`).join("\n");
  const toolText = tool ? `\nTool result (${tool.tool}): ${JSON.stringify(tool.ok ? tool.result : { error: tool.error })}` : "";
  return [
    { role: "system", content: "You are Kestrel's support assistant. Answer from the context below; cite the article title. If the context does not answer, say so." },
    { role: "user", content: `Context:\n${context || "(none)"}${toolText}\n\nQuestion: ${question}` },
  ];
}

/** How long the stand-in "thinks": 180–700 ms plus 2 ms per output token, stable per prompt. */
export function simulatedLatencyMs(messages: readonly ChatMessage[], completionTokens: number): number {
  return 180 + (hash(messages.map((m) => m.content).join("\n")) % 520) + completionTokens * 2;
}

/**
 * The stand-in's chat completion for a prompt built by `buildMessages`. `answer` is what
 * `composeAnswer` made; the stand-in only wraps it with ids and usage (see `simulateChat`).
 */
export function simulatedCompletion(messages: readonly ChatMessage[], answer: string, createdMs: number): ChatCompletion {
  const prompt = countTokens(messages);
  const completion = Math.ceil(answer.length / 4) + 1;
  return {
    id: `chatcmpl-sim-${hash(answer + createdMs).toString(16)}`,
    object: "chat.completion",
    created: Math.floor(createdMs / 1000),
    model: SIM_MODEL,
    choices: [{ index: 0, message: { role: "assistant", content: answer }, finish_reason: "stop" }],
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The stand-in, taking its simulated time. */
export async function simulateChat(messages: readonly ChatMessage[], answer: string, options: { fast?: boolean } = {}): Promise<ChatCompletion> {
  const response = simulatedCompletion(messages, answer, Date.now());
  await sleep(options.fast ? 5 : simulatedLatencyMs(messages, response.usage.completion_tokens));
  return response;
}

/** An OpenAI-compatible endpoint: `baseUrl` like `http://127.0.0.1:11434/v1`. */
export interface EndpointSettings {
  baseUrl: string;
  model: string;
  apiKey: string;
}
