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

/** What a field's value is computed from: the row, and the columns asked for. */
interface FieldInput {
  row: CallRow;
  has: (column: string) => boolean;
  cols: Set<string> | undefined;
}

/**
 * One field of `CallSchema`: its value, and its JSON text when that is cheaper than
 * `JSON.stringify(value)` (payloads are stored as JSON text already, see `rows.ts`).
 */
interface CallField {
  name: keyof CallSchema;
  value(input: FieldInput): unknown;
  json?(input: FieldInput): string;
}

/** A stored payload's text, or `fallback` when absent or not asked for; parsed for the object answer. */
function payloadField(name: "attributes" | "inputs" | "output", dump: (row: CallRow) => string | undefined, fallback: string): CallField {
  const text = ({ row, has }: FieldInput): string => (has(name) ? (dump(row) ?? fallback) : fallback);
  return { name, value: (input) => JSON.parse(text(input)) as unknown, json: text };
}

/** A column that reads as null unless asked for (and present). */
function optionalField(name: keyof CallSchema & keyof CallRow): CallField {
  return { name, value: ({ row, has }) => (has(name) ? (row[name] ?? null) : null) };
}

const nullField = (name: keyof CallSchema): CallField => ({ name, value: () => null, json: () => "null" });

/** The stored summary, parsed, when asked for. */
function storedSummary({ row, has }: FieldInput): Record<string, unknown> | null {
  return has("summary") ? (parseDump(row.summary_dump, null) as Record<string, unknown> | null) : null;
}

/**
 * The summary's JSON text. When the stored text is an object's with no `"weave"` anywhere, the
 * derived `summary.weave` is appended to it as it is (where `derivedSummary` puts it: last);
 * otherwise the summary is merged as objects.
 */
function summaryJson(input: FieldInput): string {
  const { row, has, cols } = input;
  const dump = has("summary") ? row.summary_dump : undefined;
  if (dump !== undefined && (!dump.startsWith("{") || dump.includes('"weave"'))) {
    return JSON.stringify(derivedSummary(row, storedSummary(input), cols));
  }
  const weave = JSON.stringify(derivedSummary(row, null, cols)["weave"]);
  if (dump === undefined || dump === "null" || dump === "{}") return `{"weave":${weave}}`;
  return `${dump.slice(0, -1)},"weave":${weave}}`;
}

/** Every field of `CallSchema`, in its order: the one list both the object and the text answers follow. */
const CALL_FIELDS: readonly CallField[] = [
  { name: "id", value: ({ row }) => row.id },
  { name: "project_id", value: ({ row }) => row.project_id },
  { name: "op_name", value: ({ row }) => row.op_name ?? "" },
  { name: "display_name", value: ({ row, has }) => (has("display_name") ? effectiveDisplayName(row) : null) },
  { name: "trace_id", value: ({ row }) => row.trace_id ?? "" },
  optionalField("parent_id"),
  optionalField("thread_id"),
  optionalField("turn_id"),
  { name: "started_at", value: ({ row }) => formatDateTime(row.started_at ?? 0) },
  payloadField("attributes", (row) => row.attributes_dump, "{}"),
  payloadField("inputs", (row) => row.inputs_dump, "{}"),
  { name: "ended_at", value: ({ row, has }) => (has("ended_at") && row.ended_at !== undefined ? formatDateTime(row.ended_at) : null) },
  optionalField("exception"),
  payloadField("output", (row) => row.output_dump, "null"),
  { name: "summary", value: (input) => derivedSummary(input.row, storedSummary(input), input.cols), json: summaryJson },
  optionalField("wb_user_id"),
  optionalField("wb_run_id"),
  optionalField("wb_run_step"),
  optionalField("wb_run_step_end"),
  nullField("deleted_at"),
  nullField("storage_size_bytes"),
  nullField("total_storage_size_bytes"),
];

/** `"name":` before each field's text, the first without the comma. */
const FIELD_PREFIXES = CALL_FIELDS.map((field, i) => `${i === 0 ? "" : ","}${JSON.stringify(field.name)}:`);

const columnTest =
  (cols: Set<string> | undefined) =>
  (c: string): boolean =>
    !cols || cols.has(c);

/** Fields a request's options set after the row is read: costs and feedback in the summary, storage sizes. */
export type CallExtras = Partial<Pick<CallSchema, "summary" | "storage_size_bytes" | "total_storage_size_bytes">>;

/** The `summary` of `rowToCall(row, cols)`: the stored one with the derived `summary.weave` fields. */
export function callSummary(row: CallRow, cols?: Set<string>): Record<string, unknown> {
  const input: FieldInput = { row, has: columnTest(cols), cols };
  return derivedSummary(row, storedSummary(input), cols);
}

/**
 * Builds the `CallSchema` for a visible row, filling only `cols` (undefined = all columns), with
 * `extras` in place of the fields they name.
 */
export function rowToCall(row: CallRow, cols?: Set<string>, extras?: CallExtras): CallSchema {
  const input: FieldInput = { row, has: columnTest(cols), cols };
  const call: Record<string, unknown> = {};
  for (const field of CALL_FIELDS) {
    call[field.name] = extras && field.name in extras ? extras[field.name as keyof CallExtras] : field.value(input);
  }
  return call as CallSchema;
}

/**
 * The JSON text of `rowToCall(row, cols, extras)`, field by field, with the stored payload texts
 * spliced in as they are instead of parsed and written again: what a page of calls costs to answer
 * is mostly its payloads. Equal, byte for byte, to `JSON.stringify(rowToCall(row, cols, extras))`
 * (the stored texts are `JSON.stringify`'s own).
 */
export function rowToCallJson(row: CallRow, cols?: Set<string>, extras?: CallExtras): string {
  const out: string[] = [];
  writeCallJson(out, row, cols, extras);
  return out.join("");
}

/**
 * Appends the pieces of `rowToCallJson(row, cols, extras)` to `out`, for a caller that joins a
 * whole answer once. Why pieces: text built with `+=` is a tree of string pieces that every later
 * use flattens into a copy (joining the page, then posting it). Joined once instead, a 10-call trace
 * read allocated 64 KB in Chromium's worker instead of 82 KB (heap sampling, 400 reads).
 */
export function writeCallJson(out: string[], row: CallRow, cols?: Set<string>, extras?: CallExtras): void {
  if (cols === undefined && extras === undefined) {
    writeWholeCallJson(out, row);
    return;
  }
  const input: FieldInput = { row, has: columnTest(cols), cols };
  out.push("{");
  for (let i = 0; i < CALL_FIELDS.length; i++) {
    const field = CALL_FIELDS[i] as CallField;
    out.push(FIELD_PREFIXES[i] as string);
    if (extras && field.name in extras) {
      out.push(JSON.stringify(extras[field.name as keyof CallExtras]) ?? "null");
    } else if (field.json) {
      out.push(field.json(input));
    } else {
      const value = field.value(input);
      // Most fields of most calls are null: skip the stringify call for them.
      out.push(value === null || value === undefined ? "null" : JSON.stringify(value));
    }
  }
  out.push("}");
}

/** JSON text of an optional column's value: null when absent. */
function nullableJson(value: unknown): string {
  return value === null || value === undefined ? "null" : JSON.stringify(value);
}

const WHOLE_ROW: FieldInput["has"] = () => true;

/**
 * `writeCallJson` for every column and no extras (what a page, a trace or a stream without
 * `columns` asks for), written out field by field instead of walking `CALL_FIELDS`.
 *
 * Why: a read's worker code seldom runs often enough to be optimized, and walking the field list
 * (a closure call or two per field, 22 fields) cost ~12 µs a row in Chromium's worker, 0.12 ms of
 * a 10-call trace read taking ~1.4 ms in all (timestamps in the worker, 60 reads). Written out, a
 * page of 50 took 0.26 ms over its read to answer instead of 0.44 (the bench's in-worker splits,
 * one run each). The test in calls-json-answer.test.ts holds both to
 * `JSON.stringify(rowToCall(row))`, byte for byte, so a field added to `CALL_FIELDS` and not here
 * fails it.
 */
function writeWholeCallJson(out: string[], row: CallRow): void {
  const displayName = effectiveDisplayName(row);
  out.push(
    '{"id":',
    JSON.stringify(row.id),
    ',"project_id":',
    JSON.stringify(row.project_id),
    ',"op_name":',
    JSON.stringify(row.op_name ?? ""),
    ',"display_name":',
    displayName === null ? "null" : JSON.stringify(displayName),
    ',"trace_id":',
    JSON.stringify(row.trace_id ?? ""),
    ',"parent_id":',
    nullableJson(row.parent_id),
    ',"thread_id":',
    nullableJson(row.thread_id),
    ',"turn_id":',
    nullableJson(row.turn_id),
    ',"started_at":',
    JSON.stringify(formatDateTime(row.started_at ?? 0)),
    ',"attributes":',
    row.attributes_dump ?? "{}",
    ',"inputs":',
    row.inputs_dump ?? "{}",
    ',"ended_at":',
    row.ended_at === undefined ? "null" : JSON.stringify(formatDateTime(row.ended_at)),
    ',"exception":',
    nullableJson(row.exception),
    ',"output":',
    row.output_dump ?? "null",
    ',"summary":',
    summaryJson({ row, has: WHOLE_ROW, cols: undefined }),
    ',"wb_user_id":',
    nullableJson(row.wb_user_id),
    ',"wb_run_id":',
    nullableJson(row.wb_run_id),
    ',"wb_run_step":',
    nullableJson(row.wb_run_step),
    ',"wb_run_step_end":',
    nullableJson(row.wb_run_step_end),
    ',"deleted_at":null,"storage_size_bytes":null,"total_storage_size_bytes":null}',
  );
}
