/**
 * The fields a calls query or sort may name (weave-semantics.md §2.9.2 "Field catalogue"), and how
 * each is read from a stored row. JSON columns are parsed lazily, once per row, and only when a
 * predicate or sort actually touches them.
 */
import { WeftError } from "../../errors";
import type { CallRow, FeedbackRow } from "../db";
import type { FieldCatalog, FieldType, ResolvedField } from "../query/field-catalog";
import { getJsonPath, splitFieldPath } from "../query/field-path";
import { effectiveDisplayName, queryStatus } from "./rows";

/** A stored row plus its lazily parsed JSON columns: what predicates and sorts evaluate. */
export class CallView {
  private parsed: Partial<Record<JsonRoot, unknown>> = {};
  /** The call's feedback rows, oldest first, when a query or sort needs them (`prefetchFeedback`). */
  feedback: FeedbackRow[] | undefined;
  constructor(readonly row: CallRow) {}

  /** The JSON value of a column; `undefined` when the column has not been written (e.g. no end yet). */
  json(root: JsonRoot): unknown {
    if (root in this.parsed) return this.parsed[root];
    const dump = this.row[DUMP_OF[root]];
    const value = dump === undefined ? undefined : (JSON.parse(dump) as unknown);
    this.parsed[root] = value;
    return value;
  }

  /** Replaces a column's value for predicates and sorts (refs expanded by `expand_columns`). */
  override(root: JsonRoot, value: unknown): void {
    this.parsed[root] = value;
  }
}

export type JsonRoot = "inputs" | "output" | "attributes" | "summary";
const DUMP_OF = {
  inputs: "inputs_dump",
  output: "output_dump",
  attributes: "attributes_dump",
  summary: "summary_dump",
} as const satisfies Record<JsonRoot, keyof CallRow>;
export const JSON_ROOTS = Object.keys(DUMP_OF) as JsonRoot[];

type Getter = (v: CallView) => unknown;

function plain(type: FieldType, name: string, get: Getter): ResolvedField<CallView> {
  return { type, name, get };
}

const str =
  (key: keyof CallRow): Getter =>
  (v) => {
    const value = v.row[key];
    return value === undefined ? null : value;
  };

/** Whole-millisecond truncation, as ClickHouse's latency expression does (§2.5). */
function latencyMs(row: CallRow): number | null {
  if (row.ended_at === undefined || row.started_at === undefined) return null;
  return Math.floor(row.ended_at) - Math.floor(row.started_at);
}

function traceName(row: CallRow): string {
  const display = effectiveDisplayName(row);
  if (display) return display;
  const op = row.op_name ?? "";
  if (op.startsWith("weave-trace-internal:///") || op.startsWith("weave:///")) {
    const tail = op.slice(op.lastIndexOf("/") + 1);
    const colon = tail.indexOf(":");
    return colon >= 0 ? tail.slice(0, colon) : "";
  }
  return op;
}

const PLAIN_FIELDS: Record<string, ResolvedField<CallView>> = {
  id: plain("string", "id", (v) => v.row.id),
  project_id: plain("string", "project_id", (v) => v.row.project_id),
  trace_id: plain("string", "trace_id", str("trace_id")),
  parent_id: plain("string", "parent_id", str("parent_id")),
  thread_id: plain("string", "thread_id", str("thread_id")),
  turn_id: plain("string", "turn_id", str("turn_id")),
  op_name: plain("string", "op_name", str("op_name")),
  display_name: plain("string", "display_name", (v) => effectiveDisplayName(v.row)),
  exception: plain("string", "exception", str("exception")),
  wb_user_id: plain("string", "wb_user_id", str("wb_user_id")),
  wb_run_id: plain("string", "wb_run_id", str("wb_run_id")),
  started_at: plain("datetime", "started_at", str("started_at")),
  ended_at: plain("datetime", "ended_at", str("ended_at")),
  deleted_at: plain("datetime", "deleted_at", str("deleted_at")),
  wb_run_step: plain("number", "wb_run_step", str("wb_run_step")),
  wb_run_step_end: plain("number", "wb_run_step_end", str("wb_run_step_end")),
  input_refs: plain("string_list", "input_refs", (v) => v.row.input_refs ?? []),
  output_refs: plain("string_list", "output_refs", (v) => v.row.output_refs ?? []),
  "summary.weave.status": plain("string", "summary.weave.status", (v) => v.row.status ?? queryStatus(v.row)),
  "summary.weave.latency_ms": plain("number", "summary.weave.latency_ms", (v) => latencyMs(v.row)),
  "summary.weave.trace_name": plain("string", "summary.weave.trace_name", (v) => traceName(v.row)),
};

const NOT_QUERYABLE = new Set(["storage_size_bytes", "total_storage_size_bytes"]);

function jsonField(root: JsonRoot, field: string): ResolvedField<CallView> {
  if (field === root) return { type: "json", name: field, get: (v) => v.json(root) };
  const parts = splitFieldPath(field.slice(root.length + 1));
  return { type: "json", name: field, get: (v) => getJsonPath(v.json(root), parts) };
}

const payloads = new WeakMap<FeedbackRow, unknown>();
function payloadOf(row: FeedbackRow): unknown {
  if (!payloads.has(row)) payloads.set(row, JSON.parse(row.payload_dump) as unknown);
  return payloads.get(row);
}

/**
 * `feedback.[<type>].payload.<path>`, `.runnable_ref`, `.trigger_ref` (`<type>` may be `*`): a list
 * with one value per feedback row of that type on the call, so a comparison matches when any row
 * does — the multi-valued semantics HEAD uses, which lets a minority reaction still match (§2.9.2).
 */
function feedbackField(field: string): ResolvedField<CallView> | undefined {
  const close = field.indexOf("]");
  if (!field.startsWith("feedback.[") || close < 0) return undefined;
  const type = field.slice("feedback.[".length, close);
  const rest = field.slice(close + 1);
  const ofType = (v: CallView): FeedbackRow[] => (v.feedback ?? []).filter((r) => type === "*" || r.feedback_type === type);
  if (rest === ".runnable_ref" || rest === ".trigger_ref") {
    const key = rest.slice(1) as "runnable_ref" | "trigger_ref";
    return { type: "json_list", name: field, get: (v) => ofType(v).map((r) => r[key]).filter((x) => x !== null) };
  }
  if (rest === ".payload" || rest.startsWith(".payload.")) {
    const parts = rest === ".payload" ? [] : splitFieldPath(rest.slice(".payload.".length));
    return {
      type: "json_list",
      name: field,
      get: (v) => ofType(v).map((r) => getJsonPath(payloadOf(r), parts)).filter((x) => x !== undefined),
    };
  }
  return undefined;
}

/** True when a field reads feedback rows (the executor then loads them for every candidate). */
export function isFeedbackField(field: string): boolean {
  return field.startsWith("feedback.");
}

/** The catalog of call fields for `compileQuery`/`compileSort`. */
export const CALL_FIELDS: FieldCatalog<CallView> = {
  resolve(field: string): ResolvedField<CallView> {
    const known = PLAIN_FIELDS[field];
    if (known) return known;
    if (field.startsWith("summary.weave.") || field === "summary.weave") {
      throw new WeftError(
        "INVALID_FIELD",
        `Invalid field "${field}": only summary.weave.status, summary.weave.latency_ms and summary.weave.trace_name can be queried`,
        { field },
      );
    }
    if (isFeedbackField(field)) {
      const resolved = feedbackField(field);
      if (resolved) return resolved;
      throw new WeftError(
        "INVALID_FIELD",
        `Invalid feedback field "${field}": use feedback.[<type>].payload.<path>, .runnable_ref or .trigger_ref`,
        { field },
      );
    }
    if (NOT_QUERYABLE.has(field)) {
      throw new WeftError("INVALID_FIELD", `Field "${field}" cannot be used in a query or sort`, { field });
    }
    for (const root of JSON_ROOTS) {
      if (field === root || field.startsWith(`${root}.`)) return jsonField(root, field);
    }
    throw new WeftError("INVALID_FIELD", `Unknown field "${field}" for calls`, { field });
  },
};
