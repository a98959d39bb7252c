/**
 * The calls table's columns: the built-in ones and user-typed field paths (`inputs.question`,
 * `output.answer`, `attributes.session`, `summary.usage…`). Each says how the server sorts by it:
 * a column without a sort field cannot be sorted server-side (costs and feedback are attached at
 * read time, weave-semantics.md §8.5 and §3.8, so Weave cannot order by them either).
 */
import type { BuiltinColumn } from "./url-state";

export interface ColumnSpec {
  id: string;
  label: string;
  kind: "builtin" | "path";
  /** The `sort_by.field`, or null when the column cannot be sorted. */
  sortField: string | null;
  /** Width in CSS pixels. */
  width: number;
  /** Why it cannot be sorted (tooltip), when it cannot. */
  note?: string;
}

const BUILTIN: Record<BuiltinColumn, ColumnSpec> = {
  op: { id: "op", label: "Op", kind: "builtin", sortField: "op_name", width: 160 },
  name: { id: "name", label: "Name", kind: "builtin", sortField: "display_name", width: 300 },
  status: { id: "status", label: "Status", kind: "builtin", sortField: "summary.weave.status", width: 116 },
  started: { id: "started", label: "Started", kind: "builtin", sortField: "started_at", width: 150 },
  latency: { id: "latency", label: "Latency", kind: "builtin", sortField: "summary.weave.latency_ms", width: 88 },
  tokens: { id: "tokens", label: "Tokens", kind: "builtin", sortField: null, width: 80, note: "Token counts are per model; sort by a summary.usage.<model>.total_tokens column instead." },
  cost: { id: "cost", label: "Cost", kind: "builtin", sortField: null, width: 84, note: "Costs are computed when calls are read, so the server cannot sort by them." },
  feedback: { id: "feedback", label: "Feedback", kind: "builtin", sortField: null, width: 110, note: "Feedback is attached when calls are read; filter on it with the advanced filter." },
};

/** A field path a user may add as a column: under one of the call's JSON fields. */
export const PATH_COLUMN = /^(inputs|output|attributes|summary)(\.[^.\s][^\s]*)?$/;

export function isBuiltin(id: string): id is BuiltinColumn {
  return Object.hasOwn(BUILTIN, id);
}

/** The spec of a column id (a built-in id or a field path). */
export function columnSpec(id: string): ColumnSpec {
  if (isBuiltin(id)) return BUILTIN[id];
  return { id, label: id, kind: "path", sortField: id, width: 200 };
}

/** Every built-in column, for the column chooser. */
export const BUILTIN_SPECS: readonly ColumnSpec[] = Object.values(BUILTIN);
