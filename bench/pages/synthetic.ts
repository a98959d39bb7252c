/**
 * Deterministic synthetic traces for the benchmarks, the same for the raw-IndexedDB baselines and for
 * weft: 10-call traces shaped like an LLM app (a pipeline root, retrieval, three chat completions,
 * tools), ~1 KB per call (inputs ~400 characters of JSON, output ~300). Text is drawn from a word list
 * by a seeded PRNG, so it compresses like prose rather than like a repeated string.
 */

export const BENCH_PROJECT = "bench-entity/bench-project";
export const CALLS_PER_TRACE = 10;

/** The op the filtered-page workload (B3) asks for, with status `error`. */
export const FILTER_OP = `weave:///${BENCH_PROJECT}/op/openai.chat.completions.create:3Xz8dQ0ppFkXkWDpm9ybnP`;
export const FILTER_STATUS = "error";

/** A call as the app saw it: Weave's fields, before either store adds its own. */
export interface SyntheticCall {
  id: string;
  trace_id: string;
  parent_id: string | null;
  op_name: string;
  display_name: string | null;
  started_at: string;
  ended_at: string;
  status: "success" | "error";
  inputs: Record<string, unknown>;
  output: Record<string, unknown> | null;
  exception: string | null;
  attributes: Record<string, unknown>;
  summary: Record<string, unknown>;
  wb_user_id: string;
  wb_run_id: string | null;
}

const op = (name: string, digest: string): string => `weave:///${BENCH_PROJECT}/op/${name}:${digest}`;

/** The 10 calls of a trace: [op, index of the parent in this list (-1 for the root)]. */
const TRACE_SHAPE: ReadonlyArray<readonly [string, number]> = [
  [op("rag_pipeline", "q0Bv3WfYtK2aJ8hVn1LxRc"), -1],
  [op("retrieve", "Gd7sPq2LmN4kR9tXw1ZcYb"), 0],
  [op("embed", "Hh3kL8mQ2pN5rT7vW9xZa1"), 1],
  [op("rerank", "Jm4nP6qR8sT1uV3wX5yZb7"), 0],
  [FILTER_OP, 0],
  [op("tool.web_search", "Kp9rS2tU4vW6xY8zA1bC3d"), 0],
  [FILTER_OP, 0],
  [op("tool.calculator", "Lq1sT3uV5wX7yZ9aB2cD4e"), 0],
  [FILTER_OP, 0],
  [op("format_answer", "Mr2tU4vW6xY8zA1bC3dE5f"), 0],
];

const WORDS = (
  "the of and to in is that for it as was with be by on not he this are or his from at which but have an they " +
  "you were her she there been one all we their has would when if so what out up into more no some them time " +
  "trace model token prompt answer context retrieval vector latency evaluation dataset score agent tool call " +
  "system user assistant function result query document chunk embedding rank summary quality cost span"
).split(" ");

/** mulberry32: small, fast, good enough to make text that does not repeat. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function text(rand: () => number, chars: number): string {
  let out = "";
  while (out.length < chars) out += `${WORDS[Math.floor(rand() * WORDS.length)] ?? "x"} `;
  return out.slice(0, chars);
}

export function hex(rand: () => number, digits: number): string {
  let out = "";
  while (out.length < digits) out += Math.floor(rand() * 0x100000000).toString(16).padStart(8, "0");
  return out.slice(0, digits);
}

/** A UUID-shaped id whose first 12 hex digits are the time, like the v7 ids Weave clients send. */
function uuid(rand: () => number, ms: number): string {
  const h = ms.toString(16).padStart(12, "0") + hex(rand, 20);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-7${h.slice(13, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** First trace's start; traces start 2 s apart, calls within a trace 100 ms apart. */
const T0 = Date.UTC(2025, 0, 1);

/** Trace number `index` (0-based): its 10 calls, root first, deterministic. */
export function syntheticTrace(index: number): SyntheticCall[] {
  const rand = prng(index + 1);
  const traceStart = T0 + index * 2000;
  const ids = TRACE_SHAPE.map((_, j) => uuid(rand, traceStart + j * 100));
  const traceId = uuid(rand, traceStart);
  return TRACE_SHAPE.map(([opName, parent], j) => {
    const started = traceStart + j * 100;
    const isRoot = parent === -1;
    const isLlm = opName === FILTER_OP;
    // ~5% of chat completions fail, so the op+status filter (B3) matches ~1.5% of calls.
    const failed = isLlm && rand() < 0.05;
    return {
      id: ids[j] ?? "",
      trace_id: traceId,
      parent_id: isRoot ? null : (ids[parent] ?? null),
      op_name: opName,
      display_name: null,
      started_at: new Date(started).toISOString(),
      ended_at: new Date(isRoot ? started + 1500 : started + 80).toISOString(),
      status: failed ? "error" : "success",
      inputs: {
        model: "gpt-4o-mini",
        temperature: 0.2,
        messages: [
          { role: "system", content: text(rand, 80) },
          { role: "user", content: text(rand, 230) },
        ],
      },
      output: failed
        ? null
        : {
            id: `chatcmpl-${hex(rand, 24)}`,
            choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: text(rand, 100) } }],
            usage: { prompt_tokens: 95, completion_tokens: 41, total_tokens: 136 },
          },
      exception: failed ? `RateLimitError: ${text(rand, 60)}` : null,
      attributes: { weave: { client_version: "0.51.0", source: "python-sdk", os_name: "Linux" } },
      summary: isLlm ? { usage: { "gpt-4o-mini": { requests: 1, prompt_tokens: 95, completion_tokens: 41 } } } : {},
      wb_user_id: "VXNlcjoxMjM0NQ==",
      wb_run_id: null,
    };
  });
}

/** The first `count` calls (whole traces; `count` is a multiple of 10 in every workload). */
export function syntheticCalls(count: number): SyntheticCall[] {
  const calls: SyntheticCall[] = [];
  for (let t = 0; calls.length < count; t++) calls.push(...syntheticTrace(t));
  calls.length = count;
  return calls;
}
