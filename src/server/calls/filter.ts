/**
 * `CallsFilter` (weave-semantics.md §2.9.1): the list limits and the row predicate. Every clause is
 * ANDed; an empty or null list means "no filter", except `thread_ids`/`turn_ids`, where `[]` matches
 * nothing (C-14).
 */
import { WeftError } from "../../errors";
import type { CallsFilter } from "../../schema/calls";
import { MAX_FILTER_LIST_LENGTH } from "../../schema/calls";
import type { CallRow } from "../db";

const LIMITED_LISTS = [
  "op_names",
  "input_refs",
  "output_refs",
  "parent_ids",
  "trace_ids",
  "call_ids",
  "thread_ids",
  "turn_ids",
  "wb_run_ids",
] as const;

/**
 * Enforces the 1000-entry limit with Weave's exact message (§14).
 * @throws WeftError VALIDATION
 */
export function checkFilterLimits(filter: CallsFilter | null | undefined): void {
  if (!filter) return;
  for (const name of LIMITED_LISTS) {
    const list = filter[name];
    if (list && list.length > MAX_FILTER_LIST_LENGTH) {
      const message = `Parameter: '${name}' request length is greater than max length (${MAX_FILTER_LIST_LENGTH}). Actual length: ${list.length}`;
      throw new WeftError("VALIDATION", message, { issues: [{ path: `filter.${name}`, message }] });
    }
  }
}

/** A non-empty list, or undefined for "no filter". */
export function activeList(list: readonly string[] | null | undefined): readonly string[] | undefined {
  return list && list.length > 0 ? list : undefined;
}

/** `op_names`/`*_refs` entries ending in `:*` match any version: a prefix up to and including the colon. */
export function splitWildcards(list: readonly string[]): { exact: Set<string>; prefixes: string[] } {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const entry of list) {
    if (entry.endsWith(":*")) prefixes.push(entry.slice(0, -1));
    else exact.add(entry);
  }
  return { exact, prefixes };
}

function matcher(list: readonly string[]): (value: string) => boolean {
  const { exact, prefixes } = splitWildcards(list);
  if (prefixes.length === 0) return (value) => exact.has(value);
  return (value) => exact.has(value) || prefixes.some((p) => value.startsWith(p));
}

function member(list: readonly string[]): (value: string | null | undefined) => boolean {
  const set = new Set(list);
  return (value) => value !== null && value !== undefined && set.has(value);
}

/** Compiles the filter into a predicate over visible rows (visibility itself is checked by the caller). */
export function compileFilter(filter: CallsFilter | null | undefined): ((row: CallRow) => boolean) | undefined {
  if (!filter) return undefined;
  const tests: Array<(row: CallRow) => boolean> = [];
  const opNames = activeList(filter.op_names);
  if (opNames) {
    const match = matcher(opNames);
    tests.push((row) => match(row.op_name ?? ""));
  }
  const inputRefs = activeList(filter.input_refs);
  if (inputRefs) {
    const match = matcher(inputRefs);
    tests.push((row) => (row.input_refs ?? []).some(match));
  }
  const outputRefs = activeList(filter.output_refs);
  if (outputRefs) {
    const match = matcher(outputRefs);
    tests.push((row) => (row.output_refs ?? []).some(match));
  }
  for (const [name, key] of [
    ["parent_ids", "parent_id"],
    ["trace_ids", "trace_id"],
    ["call_ids", "id"],
    ["wb_user_ids", "wb_user_id"],
  ] as const) {
    const list = activeList(filter[name]);
    if (list) {
      const isMember = member(list);
      tests.push((row) => isMember(row[key]));
    }
  }
  const runIds = activeList(filter.wb_run_ids);
  if (runIds) {
    // Run ids are stored as `entity/project/run`; a bare run name matches within the project (F-07).
    const sets = new Set(runIds);
    tests.push((row) => {
      const run = row.wb_run_id;
      if (!run) return false;
      if (sets.has(run)) return true;
      const prefix = `${row.project_id}/`;
      return run.startsWith(prefix) && sets.has(run.slice(prefix.length));
    });
  }
  for (const [name, key] of [
    ["thread_ids", "thread_id"],
    ["turn_ids", "turn_id"],
  ] as const) {
    const list = filter[name];
    if (list !== null && list !== undefined) {
      const isMember = member(list);
      tests.push((row) => isMember(row[key]));
    }
  }
  if (filter.trace_roots_only === true) tests.push((row) => row.parent_id === undefined);
  if (tests.length === 0) return undefined;
  if (tests.length === 1) return tests[0];
  return (row) => tests.every((t) => t(row));
}
