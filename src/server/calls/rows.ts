/**
 * Merging the parts of a call (start, end, update, delete) into one stored row, and keeping the row's
 * index keys true to what reads may see. Parts may arrive in any order (weave-semantics.md §2.2):
 * every function here is an upsert that never rejects for order.
 */
import type { EndedCallSchemaForInsert, StartedCallSchemaForInsert } from "../../schema/calls";
import type { CallRow } from "../db";
import { extractRefs } from "../ref-extract";

/** An empty row for a call id we have not seen: invisible until a start arrives. */
export function emptyCallRow(projectId: string, id: string): CallRow {
  return { project_id: projectId, id, has_start: 0, has_end: 0 };
}

/** The start part, with ids already filled in. */
export type StartPart = StartedCallSchemaForInsert & { id: string; trace_id: string };

/** What storing a start costs to compute: its payloads' JSON text and the refs in its inputs. */
export interface StartDumps {
  attributes_dump: string;
  inputs_dump: string;
  input_refs: string[];
}

/** The dumps of a start, computed once (a writer computes them before its transaction opens). */
export function startDumps(start: StartedCallSchemaForInsert): StartDumps {
  const inputs_dump = JSON.stringify(start.inputs);
  return { attributes_dump: JSON.stringify(start.attributes), inputs_dump, input_refs: refsIn(start.inputs, inputs_dump) };
}

/** Applies a start part. A repeated start overwrites the start columns (HEAD-mem behaviour). */
export function applyStart(row: CallRow, start: StartPart, dumps: StartDumps = startDumps(start)): void {
  row.has_start = 1;
  row.trace_id = start.trace_id;
  if (start.parent_id) row.parent_id = start.parent_id;
  else delete row.parent_id;
  row.op_name = start.op_name;
  row.display_name = start.display_name ?? null;
  row.thread_id = start.thread_id ?? null;
  row.turn_id = start.turn_id ?? null;
  row.started_at = start.started_at;
  row.wb_user_id = start.wb_user_id ?? null;
  row.wb_run_id = start.wb_run_id ?? null;
  row.wb_run_step = start.wb_run_step ?? null;
  row.attributes_dump = dumps.attributes_dump;
  row.inputs_dump = dumps.inputs_dump;
  row.input_refs = dumps.input_refs;
}

/**
 * The refs in `value`, whose JSON text is `dump`. JSON writes a ref string's `weave:///` as it is,
 * so a payload whose text lacks it (almost every one) holds no ref and needs no walk.
 */
function refsIn(value: unknown, dump: string | undefined): string[] {
  return dump !== undefined && dump.includes("weave:///") ? extractRefs(value) : [];
}

/** What storing an end costs to compute: its output's and summary's JSON text, the refs in its output. */
export interface EndDumps {
  output_dump: string;
  output_refs: string[];
  summary_dump: string;
}

/** The dumps of an end, computed once (a writer computes them before its transaction opens). */
export function endDumps(end: EndedCallSchemaForInsert): EndDumps {
  const output = end.output === undefined ? null : end.output;
  const output_dump = JSON.stringify(output);
  return { output_dump, output_refs: refsIn(output, output_dump), summary_dump: JSON.stringify(end.summary) };
}

/** Applies an end part. A repeated end overwrites (HEAD-mem; ClickHouse keeps an arbitrary one). */
export function applyEnd(row: CallRow, end: EndedCallSchemaForInsert, dumps: EndDumps = endDumps(end)): void {
  row.has_end = 1;
  row.ended_at = end.ended_at;
  row.exception = end.exception ?? null;
  row.output_dump = dumps.output_dump;
  row.output_refs = dumps.output_refs;
  row.summary_dump = dumps.summary_dump;
  const counts = end.summary["status_counts"];
  const errors =
    counts !== null && typeof counts === "object" && !Array.isArray(counts)
      ? Number((counts as Record<string, unknown>)["error"])
      : 0;
  // Only the count matters for `descendant_error` (§2.5), so keep it instead of re-parsing summaries.
  if (Number.isFinite(errors) && errors > 0) row.descendant_errors = errors;
  else delete row.descendant_errors;
  row.wb_run_step_end = end.wb_run_step_end ?? null;
}

/** The ClickHouse status expression used by queries and the status index (§2.5). */
export function queryStatus(row: CallRow): string {
  if (row.exception !== undefined && row.exception !== null) return "error";
  if ((row.descendant_errors ?? 0) > 0) return "descendant_error";
  if (row.ended_at === undefined) return "running";
  return "success";
}

/** True when reads may see the call: started and not deleted. */
export function isVisible(row: CallRow): boolean {
  return row.has_start === 1 && row.deleted_at === undefined;
}

/**
 * Recomputes the index-only keys after any change. They exist only on visible rows, so each
 * index holds exactly the calls a read may return (a missing key part keeps a row out of an index).
 */
export function refreshIndexKeys(row: CallRow): void {
  if (isVisible(row) && row.started_at !== undefined) {
    row.live_ts = row.started_at;
    if (row.parent_id === undefined) row.root_ts = row.started_at;
    else delete row.root_ts;
    row.status = queryStatus(row);
    const prefix = `${row.project_id}\n`;
    if (row.input_refs?.length) row.in_refs = row.input_refs.map((r) => prefix + r);
    else delete row.in_refs;
    if (row.output_refs?.length) row.out_refs = row.output_refs.map((r) => prefix + r);
    else delete row.out_refs;
  } else {
    delete row.live_ts;
    delete row.root_ts;
    delete row.status;
    delete row.in_refs;
    delete row.out_refs;
  }
}

/** The display name reads show: the latest update wins over the start's; `""` reads as null (§2.5, §2.8). */
export function effectiveDisplayName(row: CallRow): string | null {
  const name = row.display_name_update !== undefined ? row.display_name_update : row.display_name;
  return name ? name : null;
}
