/**
 * Turning a stored call row into Weave's `CallSchema`: the derived `summary.weave` fields
 * (weave-semantics.md §2.5) and the `columns` projection (§2.9.5).
 */
import { WeftError } from "../../errors";
import type { CallSchema } from "../../schema/calls";
import { formatDateTime } from "../../schema/common";
import type { CallRow } from "../db";
import { effectiveDisplayName } from "./rows";

/** Columns that are always returned, whatever `columns` asks for (§2.9.5). */
const REQUIRED_COLUMNS = ["id", "trace_id", "project_id", "op_name", "started_at"] as const;

/** Every top-level column a caller may name in `columns`. */
const KNOWN_COLUMNS = new Set([
  "id",
  "project_id",
  "op_name",
  "display_name",
  "trace_id",
  "parent_id",
  "thread_id",
  "turn_id",
  "started_at",
  "attributes",
  "inputs",
  "ended_at",
  "exception",
  "output",
  "summary",
  "wb_user_id",
  "wb_run_id",
  "wb_run_step",
  "wb_run_step_end",
  "deleted_at",
  "storage_size_bytes",
  "total_storage_size_bytes",
]);

/**
 * Resolves a `columns` list to the set of top-level columns to fill, or `undefined` for "all".
 * Entries are reduced to their top-level name (`inputs.x` → `inputs`, `summary_dump` → `summary`);
 * unknown names are an `INVALID_FIELD` error, as on ClickHouse.
 * @throws WeftError INVALID_FIELD
 */
export function resolveColumns(columns: readonly string[] | null | undefined, includeCosts: boolean): Set<string> | undefined {
  if (!columns || columns.length === 0) return undefined;
  const out = new Set<string>(REQUIRED_COLUMNS);
  for (const column of columns) {
    let top = column.split(".")[0] ?? column;
    if (top.endsWith("_dump")) top = top.slice(0, -"_dump".length);
    if (!KNOWN_COLUMNS.has(top)) {
      throw new WeftError("INVALID_FIELD", `Unknown column "${column}" in columns`, { field: column });
    }
    out.add(top);
  }
  if (out.has("summary") || includeCosts) {
    // The derived summary fields need these (§2.9.5).
    out.add("ended_at");
    out.add("exception");
    out.add("display_name");
  }
  if (includeCosts) out.add("summary");
  return out;
}

function parseDump(dump: string | undefined, fallback: unknown): unknown {
  return dump === undefined ? fallback : (JSON.parse(dump) as unknown);
}

function opNameToTraceName(opName: string): string {
  if (opName.startsWith("weave:///") || opName.startsWith("weave-trace-internal:///")) {
    const tail = opName.slice(opName.lastIndexOf("/") + 1);
    const colon = tail.indexOf(":");
    return colon >= 0 ? tail.slice(0, colon) : tail;
  }
  return opName;
}

/**
 * Computes `summary.weave` as Weave's read path does (§2.5): status (error, running,
 * descendant_error, success — the Python order), latency_ms, and display_name or trace_name.
 * Client-provided `summary.weave` keys are kept unless overwritten.
 */
export function derivedSummary(row: CallRow, stored: Record<string, unknown> | null, cols?: Set<string>): Record<string, unknown> {
  const summary: Record<string, unknown> = { ...(stored ?? {}) };
  const prior = summary["weave"];
  const weave: Record<string, unknown> =
    prior !== null && typeof prior === "object" && !Array.isArray(prior) ? { ...(prior as Record<string, unknown>) } : {};
  delete summary["weave"];
  const has = (c: string): boolean => !cols || cols.has(c);
  const exception = has("exception") ? row.exception : undefined;
  const endedAt = has("ended_at") ? row.ended_at : undefined;
  if (exception !== undefined && exception !== null) weave["status"] = "error";
  else if (endedAt === undefined) weave["status"] = "running";
  else if ((row.descendant_errors ?? 0) > 0) weave["status"] = "descendant_error";
  else weave["status"] = "success";
  if (endedAt !== undefined && row.started_at !== undefined) {
    weave["latency_ms"] = Math.floor(Math.round((endedAt - row.started_at) * 1000) / 1000);
  } else {
    delete weave["latency_ms"];
  }
  const displayName = has("display_name") ? effectiveDisplayName(row) : null;
  if (displayName) {
    weave["display_name"] = displayName;
    delete weave["trace_name"];
  } else {
    weave["trace_name"] = opNameToTraceName(row.op_name ?? "");
  }
  summary["weave"] = weave;
  return summary;
}

/** UTF-8 byte length without allocating (storage sizes count bytes, §2.9.7). */
export function utf8Length(s: string | undefined): number {
  if (!s) return 0;
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** `storage_size_bytes`: bytes of the stored attributes, inputs, output and summary (§2.9.7). */
export function callStorageSize(row: CallRow): number {
  return utf8Length(row.attributes_dump) + utf8Length(row.inputs_dump) + utf8Length(row.output_dump) + utf8Length(row.summary_dump);
}

/** The fields of a call before its payloads (`attributes`, `inputs`), in `CallSchema` order. */
function headFields(row: CallRow, has: (c: string) => boolean) {
  return {
    id: row.id,
    project_id: row.project_id,
    op_name: row.op_name ?? "",
    display_name: has("display_name") ? effectiveDisplayName(row) : null,
    trace_id: row.trace_id ?? "",
    parent_id: has("parent_id") ? (row.parent_id ?? null) : null,
    thread_id: has("thread_id") ? (row.thread_id ?? null) : null,
    turn_id: has("turn_id") ? (row.turn_id ?? null) : null,
    started_at: formatDateTime(row.started_at ?? 0),
  };
}

/** The fields between `inputs` and `output`. */
function middleFields(row: CallRow, has: (c: string) => boolean) {
  return {
    ended_at: has("ended_at") && row.ended_at !== undefined ? formatDateTime(row.ended_at) : null,
    exception: has("exception") ? (row.exception ?? null) : null,
  };
}

/** The fields after `output`, from `summary` on. */
function tailFields(row: CallRow, has: (c: string) => boolean, cols: Set<string> | undefined) {
  const storedSummary = has("summary") ? (parseDump(row.summary_dump, null) as Record<string, unknown> | null) : null;
  return {
    summary: derivedSummary(row, storedSummary, cols),
    wb_user_id: has("wb_user_id") ? (row.wb_user_id ?? null) : null,
    wb_run_id: has("wb_run_id") ? (row.wb_run_id ?? null) : null,
    wb_run_step: has("wb_run_step") ? (row.wb_run_step ?? null) : null,
    wb_run_step_end: has("wb_run_step_end") ? (row.wb_run_step_end ?? null) : null,
    deleted_at: null,
    storage_size_bytes: null,
    total_storage_size_bytes: null,
  };
}

const columnTest =
  (cols: Set<string> | undefined) =>
  (c: string): boolean =>
    !cols || cols.has(c);

/** Builds the `CallSchema` for a visible row, filling only `cols` (undefined = all columns). */
export function rowToCall(row: CallRow, cols?: Set<string>): CallSchema {
  const has = columnTest(cols);
  return {
    ...headFields(row, has),
    attributes: has("attributes") ? (parseDump(row.attributes_dump, {}) as Record<string, unknown>) : {},
    inputs: has("inputs") ? (parseDump(row.inputs_dump, {}) as Record<string, unknown>) : {},
    ...middleFields(row, has),
    output: has("output") ? parseDump(row.output_dump, null) : null,
    ...tailFields(row, has, cols),
  };
}

/** `{…}` of `fields` without its braces, for splicing. */
function innerJson(fields: object): string {
  return JSON.stringify(fields).slice(1, -1);
}

/**
 * The JSON text of `rowToCall(row, cols)`, with the stored payload texts spliced in as they are
 * instead of parsed and written again: what a page of calls costs to answer is mostly its payloads,
 * and they were stored as JSON text (`rows.ts`). `JSON.parse` of the result equals the object.
 */
export function rowToCallJson(row: CallRow, cols?: Set<string>): string {
  const has = columnTest(cols);
  const attributes = has("attributes") ? (row.attributes_dump ?? "{}") : "{}";
  const inputs = has("inputs") ? (row.inputs_dump ?? "{}") : "{}";
  const output = has("output") ? (row.output_dump ?? "null") : "null";
  return (
    `{${innerJson(headFields(row, has))},"attributes":${attributes},"inputs":${inputs},` +
    `${innerJson(middleFields(row, has))},"output":${output},${innerJson(tailFields(row, has, cols))}}`
  );
}
