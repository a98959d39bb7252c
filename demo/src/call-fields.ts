/**
 * Values the viewer derives from a call as weft returns it: the derived summary
 * (`summary.weave.status`, `latency_ms`, weave-semantics.md §2.5), token usage
 * (`summary.usage[model]`), costs (`summary.weave.costs`, §8.5) and feedback (`summary.weave.feedback`, §3.8).
 */
import type { Call } from "./weft-types";

type Dict = Record<string, unknown>;

function asDict(value: unknown): Dict | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Dict) : undefined;
}

function num(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

function weave(call: Call): Dict {
  return asDict(asDict(call.summary)?.weave) ?? {};
}

export type CallStatus = "success" | "error" | "running" | "descendant_error";

export function callStatus(call: Call): CallStatus {
  const s = weave(call).status;
  if (s === "success" || s === "error" || s === "running" || s === "descendant_error") return s;
  if (call.exception != null) return "error";
  return call.ended_at ? "success" : "running";
}

export function latencyMs(call: Call): number | undefined {
  const ms = weave(call).latency_ms;
  return typeof ms === "number" ? ms : undefined;
}

/** Total tokens over every model in `summary.usage` (prompt + completion when total is missing). */
export function totalTokens(call: Call): number | undefined {
  const usage = asDict(asDict(call.summary)?.usage);
  if (!usage) return undefined;
  let total = 0;
  let any = false;
  for (const perModel of Object.values(usage)) {
    const u = asDict(perModel);
    if (!u) continue;
    any = true;
    const t = num(u.total_tokens);
    total += t > 0 ? t : num(u.prompt_tokens) + num(u.input_tokens) + num(u.completion_tokens) + num(u.output_tokens);
  }
  return any ? total : undefined;
}

/** The call's cost in USD over every priced model, or undefined when nothing was priced. */
export function totalCost(call: Call): number | undefined {
  const costs = asDict(weave(call).costs);
  if (!costs) return undefined;
  let total = 0;
  for (const perModel of Object.values(costs)) {
    const c = asDict(perModel);
    if (c) {
      total += num(c.prompt_tokens_total_cost) + num(c.completion_tokens_total_cost);
      total += num(c.cache_read_input_tokens_total_cost) + num(c.cache_creation_input_tokens_total_cost);
    }
  }
  return total;
}

/** One feedback row as `include_feedback` attaches it. */
export interface FeedbackRow {
  id: string;
  feedback_type: string;
  payload: Dict;
  created_at: string;
  wb_user_id?: string;
  creator?: string | null;
}

export function feedbackRows(call: Call): FeedbackRow[] {
  const rows = weave(call).feedback;
  if (!Array.isArray(rows)) return [];
  return rows.filter((row): row is FeedbackRow => asDict(row) !== undefined && typeof (row as Dict).feedback_type === "string");
}

/** Reactions counted by emoji, and the number of notes. */
export function feedbackSummary(rows: readonly FeedbackRow[]): { reactions: Array<[string, number]>; notes: number } {
  const counts = new Map<string, number>();
  let notes = 0;
  for (const row of rows) {
    if (row.feedback_type === "wandb.reaction.1") {
      const emoji = typeof row.payload.emoji === "string" ? row.payload.emoji : "?";
      counts.set(emoji, (counts.get(emoji) ?? 0) + 1);
    } else if (row.feedback_type === "wandb.note.1") notes++;
  }
  return { reactions: [...counts], notes };
}

/** Splits a dotted field path; `\.` keeps a dot inside a key (weave-semantics.md §2.9.2). */
function splitPath(path: string): string[] {
  return path.split(/(?<!\\)\./).map((part) => part.replace(/\\\./g, "."));
}

/** The value at `inputs.question`-style paths of a call; array parts are indexes. */
export function valueAtPath(call: Call, path: string): unknown {
  let value: unknown = call;
  for (const part of splitPath(path)) {
    if (Array.isArray(value)) {
      const i = Number(part);
      value = Number.isInteger(i) ? value.at(i) : undefined;
    } else {
      const d = asDict(value);
      value = d && Object.hasOwn(d, part) ? d[part] : undefined;
    }
    if (value === undefined) return undefined;
  }
  return value;
}
