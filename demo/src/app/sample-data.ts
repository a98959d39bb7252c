/**
 * "Generate sample data": N traces shaped exactly like the assistant's own (root → retrieve →
 * optional tool → chat completion), spread over the last two weeks, written straight to weft with
 * `call_start_batch` in large batches (each call's start and end travel together, so weft stores
 * each call with one write). Inputs and outputs come from the real retrieval, tools and model
 * stand-in, so search and filters find realistic text; a seeded PRNG makes runs repeatable.
 */
import { PROJECT_ID, client } from "../store";
import type { BatchItem } from "../weft-types";
import { SAMPLE_QUESTIONS } from "./docs";
import { buildMessages, composeAnswer, simulatedCompletion, simulatedLatencyMs, type ToolOutcome } from "./model";
import { searchPassages } from "./retrieval";
import { calculate, chooseTool, lookupOrderStatus } from "./tools";

/** The op names sample traces are written under: the same ones the live assistant uses. */
export interface SampleOpNames {
  assistant: string;
  retrieve: string;
  lookup_order_status: string;
  calculator: string;
  chat: string;
}

export interface SampleProgress {
  traces: number;
  calls: number;
  total: number;
}

/** Items (start + end = 2 per call) per `call_start_batch`. */
const BATCH_ITEMS = 4000;
const DAY_MS = 86_400_000;

/** mulberry32: a tiny seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uuidv7 for time `ms` (Weave's SDKs use v7 ids: time-ordered, 74 random bits). */
function uuidv7At(ms: number, rand: () => number): string {
  const hex = (n: number, width: number): string => Math.floor(n).toString(16).padStart(width, "0");
  const time = hex(ms, 12);
  const r = (bits: number): number => Math.floor(rand() * 2 ** bits);
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${hex(r(12), 3)}-${hex(0x8000 | r(14), 4)}-${hex(r(24), 6)}${hex(r(24), 6)}`;
}

const ORDER_IDS = ["KS-10231", "KS-10488", "KS-10502", "KS-10777", "KS-11003", "KS-12001", "KS-99999"];
const PLANS = ["Team", "Business"];

/** A question: a bundled one, or a template filled with random numbers and order ids. */
function pickQuestion(rand: () => number): string {
  const roll = rand();
  if (roll < 0.55) return SAMPLE_QUESTIONS[Math.floor(rand() * SAMPLE_QUESTIONS.length)] ?? "Can I use Kestrel offline?";
  if (roll < 0.75) {
    const seats = 2 + Math.floor(rand() * 60);
    const plan = PLANS[Math.floor(rand() * PLANS.length)] ?? "Team";
    const period = rand() < 0.7 ? "per year" : "per month";
    return `How much is the ${plan} plan for ${seats} members ${period}?`;
  }
  if (roll < 0.92) return `Where is my order ${ORDER_IDS[Math.floor(rand() * ORDER_IDS.length)] ?? "KS-10231"}?`;
  return `What is ${5 + Math.floor(rand() * 30)}% of ${100 + Math.floor(rand() * 900)}?`;
}

/** Start time of trace `i` of `n`: spread over 14 days, busier in working hours, newest last. */
function traceStart(i: number, n: number, now: number, rand: () => number): number {
  const span = 14 * DAY_MS;
  let t = now - span + (span * (i + rand())) / n;
  const hour = new Date(t).getHours();
  // Both numbers are drawn whatever the hour: the hour depends on the clock, and a draw skipped at
  // some times of day would change every trace after it (the same seed must give the same traces).
  const [night, shift] = [rand(), rand()];
  if ((hour < 7 || hour > 21) && night < 0.5) t -= (hour < 7 ? hour + 3 : hour - 18) * 3_600_000 * shift;
  return Math.min(t, now - 2000);
}

interface SampleCall {
  id: string;
  displayName?: string;
  op: string;
  parent: string | null;
  start: number;
  end: number;
  inputs: Record<string, unknown>;
  output: unknown;
  exception?: string;
  summary: Record<string, unknown>;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** One trace's calls, children first in time order, with summaries rolled up as the tracer does. */
function sampleTrace(i: number, n: number, now: number, rand: () => number, ops: SampleOpNames, displayName: (question: string) => string): { calls: SampleCall[]; attributes: Record<string, unknown> } {
  const question = pickQuestion(rand);
  const t0 = traceStart(i, n, now, rand);
  const traceId = uuidv7At(t0, rand);
  const rootId = uuidv7At(t0, rand);
  const calls: SampleCall[] = [];
  let t = t0 + 1 + rand() * 3;

  const passages = searchPassages(question, 4);
  const retrieveEnd = t + 4 + rand() * 30;
  calls.push({ id: uuidv7At(t, rand), op: ops.retrieve, parent: rootId, start: t, end: retrieveEnd, inputs: { query: question, k: 4 }, output: passages, summary: {} });
  t = retrieveEnd + 1;

  const choice = chooseTool(question);
  let outcome: ToolOutcome | null = null;
  if (choice) {
    const toolEnd = t + (choice.tool === "lookup_order_status" ? 60 + rand() * 250 : 1 + rand() * 4);
    const call: SampleCall = { id: uuidv7At(t, rand), op: ops[choice.tool], parent: rootId, start: t, end: toolEnd, inputs: { ...choice.args }, output: null, summary: {} };
    try {
      if (choice.tool === "lookup_order_status") {
        const result = lookupOrderStatus(choice.args.order_id);
        outcome = { tool: choice.tool, ok: true, result };
        call.output = result;
      } else {
        const result = calculate(choice.args.expression);
        outcome = { tool: choice.tool, ok: true, result, expression: choice.args.expression };
        call.output = result;
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      outcome = { tool: choice.tool, ok: false, error: message };
      call.exception = message;
    }
    calls.push(call);
    t = toolEnd + 1;
  }

  const messages = buildMessages(question, passages, outcome);
  const answer = composeAnswer(question, passages, outcome);
  const completion = simulatedCompletion(messages, answer, t);
  const chatEnd = t + simulatedLatencyMs(messages, completion.usage.completion_tokens) * (0.6 + rand() * 1.2);
  // ~3% of traces hit the provider's rate limit, plus every 40th from the 18th on: the panel seeds
  // each run from the clock, and about one seed in twenty drew no failure in 100 traces, leaving
  // the status filter's "Error" with nothing to show. The draw is taken either way (same stream).
  const rateLimited = rand() < 0.03 || i % 40 === 17;
  const usage = { [completion.model]: { requests: 1, ...completion.usage } };
  const chat: SampleCall = {
    id: uuidv7At(t, rand),
    op: ops.chat,
    parent: rootId,
    start: t,
    end: rateLimited ? t + 40 + rand() * 80 : chatEnd,
    inputs: { model: completion.model, messages, temperature: 0.2 },
    output: rateLimited ? null : completion,
    summary: rateLimited ? {} : { usage },
  };
  if (rateLimited) chat.exception = "RateLimitError: 429 Too Many Requests: the model is overloaded, retry in 2s";
  calls.push(chat);

  const failed = calls.filter((c) => c.exception !== undefined).length;
  const root: SampleCall = {
    id: rootId,
    op: ops.assistant,
    displayName: displayName(question),
    parent: null,
    start: t0,
    end: chat.end + 1 + rand() * 5,
    inputs: { question },
    output: rateLimited ? null : { answer, sources: [...new Set(passages.slice(0, 2).map((p) => p.title))] },
    summary: rateLimited ? {} : { usage },
  };
  if (rateLimited) root.exception = chat.exception ?? "error";
  for (const c of calls) c.summary = { ...c.summary, status_counts: { success: c.exception ? 0 : 1, error: c.exception ? 1 : 0 } };
  root.summary = { ...root.summary, status_counts: { success: calls.length - failed + (root.exception ? 0 : 1), error: failed + (root.exception ? 1 : 0) } };
  const attributes = {
    weave: { client_version: "sample-data", source: "weft-demo" },
    session_id: `s-${(Math.floor(i / 4) % 5000).toString(36)}`,
    user: `user-${1 + Math.floor(rand() * 240)}`,
    channel: rand() < 0.7 ? "web" : "mobile",
    app_version: t0 > now - 4 * DAY_MS ? "1.5.0" : "1.4.2",
    sample: true,
  };
  return { calls: [root, ...calls].map((c) => ({ ...c, traceId })) as Array<SampleCall & { traceId: string }>, attributes };
}

function toItems(calls: Array<SampleCall & { traceId?: string }>, traceId: string, attributes: Record<string, unknown>): BatchItem[] {
  const items: BatchItem[] = [];
  for (const c of calls) {
    items.push({
      mode: "start",
      req: {
        start: {
          project_id: PROJECT_ID,
          id: c.id,
          trace_id: traceId,
          parent_id: c.parent,
          op_name: c.op,
          display_name: c.displayName ?? null,
          started_at: iso(c.start),
          attributes,
          inputs: c.inputs,
        },
      },
    });
    items.push({
      mode: "end",
      req: { end: { project_id: PROJECT_ID, id: c.id, ended_at: iso(c.end), output: c.output, summary: c.summary, exception: c.exception ?? null } },
    });
  }
  return items;
}

/**
 * Writes `n` sample traces. Progress is reported after every batch; `signal` stops between batches
 * (what was written stays).
 * @throws WeftError from the store (QUOTA_EXCEEDED when the disk is full), or the abort reason
 */
export async function generateSampleData(n: number, ops: SampleOpNames, displayName: (question: string) => string, options: { signal?: AbortSignal; onProgress?: (p: SampleProgress) => void; seed?: number } = {}): Promise<SampleProgress> {
  const rand = prng(options.seed ?? 42);
  const now = Date.now();
  let items: BatchItem[] = [];
  const progress: SampleProgress = { traces: 0, calls: 0, total: n };
  const flush = async (): Promise<void> => {
    if (items.length === 0) return;
    const batch = items;
    items = [];
    await client.call_start_batch({ batch });
    options.onProgress?.({ ...progress });
  };
  for (let i = 0; i < n; i++) {
    options.signal?.throwIfAborted();
    const { calls, attributes } = sampleTrace(i, n, now, rand, ops, displayName);
    const traceId = (calls[0] as SampleCall & { traceId: string }).traceId;
    items.push(...toItems(calls, traceId, attributes));
    progress.traces++;
    progress.calls += calls.length;
    if (items.length >= BATCH_ITEMS) await flush();
  }
  await flush();
  return progress;
}
