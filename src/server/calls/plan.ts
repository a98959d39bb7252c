/**
 * The calls query planner: picks the index ranges that hold every row a request can match, so reads
 * never scan a project when an index can answer. Ranges only narrow the candidates: the full filter
 * and query are still applied to each row unless the plan is `exact` (every condition is encoded in
 * the ranges), in which case counts come from native `count()` and pages from the index directly.
 */
import { Dexie } from "dexie";
import { parseIsoDateTime } from "../../schema/common";
import type { CallsFilter } from "../../schema/calls";
import type { Query } from "../../schema/query";
import type { CallRow } from "../db";
import { matchSimpleComparison, splitConjuncts } from "../query/analyze";
import { activeList, splitWildcards } from "./filter";

/** One contiguous range of one index. `keyPath` lists the index's key parts, in order. */
export interface IndexRange {
  index: string;
  keyPath: readonly (keyof CallRow)[];
  /** Index keys: arrays for compound indexes, a string for the multi-entry ref indexes. */
  lower: unknown;
  upper: unknown;
  /** True when rows come out ordered by (started_at, id) — every range except op-name prefixes and refs. */
  tsOrdered: boolean;
  /** A multi-entry index: one row may appear several times in one range. */
  multiEntry?: boolean;
}

export type CallsPlan =
  | { kind: "ids"; keys: Array<[string, string]>; exact: false }
  | { kind: "ranges"; ranges: IndexRange[]; exact: boolean };

const MIN = Dexie.minKey;
const MAX = Dexie.maxKey;

interface TimeBounds {
  lower?: { ts: number; inclusive: boolean };
  upper?: { ts: number; inclusive: boolean };
}

const IDX = {
  live: { index: "[project_id+live_ts+id]", keyPath: ["project_id", "live_ts", "id"] },
  root: { index: "[project_id+root_ts+id]", keyPath: ["project_id", "root_ts", "id"] },
  trace: { index: "[project_id+trace_id+live_ts+id]", keyPath: ["project_id", "trace_id", "live_ts", "id"] },
  parent: { index: "[project_id+parent_id+live_ts+id]", keyPath: ["project_id", "parent_id", "live_ts", "id"] },
  op: { index: "[project_id+op_name+live_ts+id]", keyPath: ["project_id", "op_name", "live_ts", "id"] },
  opStatus: {
    index: "[project_id+op_name+status+live_ts+id]",
    keyPath: ["project_id", "op_name", "status", "live_ts", "id"],
  },
  status: { index: "[project_id+status+live_ts+id]", keyPath: ["project_id", "status", "live_ts", "id"] },
} as const satisfies Record<string, { index: string; keyPath: readonly (keyof CallRow)[] }>;

/** A range over `prefix` values with started_at limited to `time`, ordered by (started_at, id). */
function tsRange(idx: { index: string; keyPath: readonly (keyof CallRow)[] }, prefix: unknown[], time: TimeBounds): IndexRange {
  const lower = time.lower ? [...prefix, time.lower.ts, time.lower.inclusive ? MIN : MAX] : [...prefix, MIN];
  const upper = time.upper ? [...prefix, time.upper.ts, time.upper.inclusive ? MAX : MIN] : [...prefix, MAX];
  return { index: idx.index, keyPath: idx.keyPath, lower, upper, tsOrdered: true };
}

function datetimeLiteral(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value * 1000;
  if (typeof value === "string") return parseIsoDateTime(value);
  return undefined;
}

/** What the top-level conjuncts of a query tell the planner. */
interface QueryHints {
  time: TimeBounds;
  statuses?: string[];
  opName?: string;
  /** How many conjuncts each hint came from (all understood = the query adds no residual check). */
  timeTaken: number;
  statusTaken: number;
  opNameTaken: number;
  total: number;
}

function analyzeQuery(query: Query | null | undefined): QueryHints {
  const hints: QueryHints = { time: {}, timeTaken: 0, statusTaken: 0, opNameTaken: 0, total: 0 };
  if (!query) return hints;
  const conjuncts = splitConjuncts(query);
  hints.total = conjuncts.length;
  for (const op of conjuncts) {
    const cmp = matchSimpleComparison(op);
    if (!cmp) continue;
    if (cmp.field === "started_at" && cmp.op !== "$in") {
      const ts = datetimeLiteral(cmp.literal);
      if (ts === undefined) continue;
      if (cmp.op === "$gt" || cmp.op === "$gte") {
        if (hints.time.lower && hints.time.lower.ts >= ts) continue;
        hints.time.lower = { ts, inclusive: cmp.op === "$gte" };
      } else if (cmp.op === "$lt" || cmp.op === "$lte") {
        if (hints.time.upper && hints.time.upper.ts <= ts) continue;
        hints.time.upper = { ts, inclusive: cmp.op === "$lte" };
      } else {
        if (hints.time.lower || hints.time.upper) continue;
        hints.time.lower = { ts, inclusive: true };
        hints.time.upper = { ts, inclusive: true };
      }
      // A replaced bound was strictly looser, so the tighter one still implies it.
      hints.timeTaken++;
    } else if (cmp.field === "summary.weave.status" && hints.statuses === undefined) {
      const values = cmp.op === "$in" ? cmp.literals : cmp.op === "$eq" ? [cmp.literal] : undefined;
      if (values && values.every((v): v is string => typeof v === "string")) {
        hints.statuses = [...new Set(values)];
        hints.statusTaken++;
      }
    } else if (cmp.field === "op_name" && cmp.op === "$eq" && typeof cmp.literal === "string" && hints.opName === undefined) {
      hints.opName = cmp.literal;
      hints.opNameTaken++;
    }
  }
  return hints;
}

/** The clauses of a filter that restrict rows (so the planner knows what a range leaves out). */
function activeFilterClauses(filter: CallsFilter | null | undefined): Set<string> {
  const out = new Set<string>();
  if (!filter) return out;
  for (const key of ["op_names", "input_refs", "output_refs", "parent_ids", "trace_ids", "call_ids", "wb_user_ids", "wb_run_ids"] as const) {
    if (activeList(filter[key])) out.add(key);
  }
  if (filter.thread_ids !== null && filter.thread_ids !== undefined) out.add("thread_ids");
  if (filter.turn_ids !== null && filter.turn_ids !== undefined) out.add("turn_ids");
  if (filter.trace_roots_only === true) out.add("trace_roots_only");
  return out;
}

function unique(list: readonly string[]): string[] {
  return [...new Set(list)].sort();
}

/** Chooses the index ranges for a calls request. */
export function planCalls(projectId: string, filter: CallsFilter | null | undefined, query: Query | null | undefined): CallsPlan {
  const clauses = activeFilterClauses(filter);
  const callIds = activeList(filter?.call_ids);
  if (callIds) {
    return { kind: "ids", keys: unique(callIds).map((id) => [projectId, id]), exact: false };
  }
  const hints = analyzeQuery(query);
  let ranges: IndexRange[];
  const used = new Set<string>();
  let usedStatus = false;
  let usedOpName = false;

  const inputRefs = activeList(filter?.input_refs);
  const outputRefs = activeList(filter?.output_refs);
  const traceIds = activeList(filter?.trace_ids);
  const parentIds = activeList(filter?.parent_ids);
  const filterOps = activeList(filter?.op_names);
  if (inputRefs || outputRefs) {
    // Refs name one object version (or, with `:*`, one object): usually the most selective filter.
    ranges = refRanges(projectId, inputRefs ? "in_refs" : "out_refs", (inputRefs ?? outputRefs) as readonly string[]);
    used.add(inputRefs ? "input_refs" : "output_refs");
  } else if (traceIds) {
    ranges = unique(traceIds).map((t) => tsRange(IDX.trace, [projectId, t], hints.time));
    used.add("trace_ids");
  } else if (parentIds) {
    ranges = unique(parentIds).map((p) => tsRange(IDX.parent, [projectId, p], hints.time));
    used.add("parent_ids");
  } else if (filterOps || hints.opName !== undefined) {
    // A query's `op_name == X` is a literal match: never a wildcard, even when X ends in ":*".
    const split = filterOps ? splitWildcards(filterOps) : { exact: new Set([hints.opName as string]), prefixes: [] };
    // Keep the ranges disjoint (so counts can add up): drop names and prefixes a shorter prefix covers.
    const prefixes = [...new Set(split.prefixes)].sort().filter((p, i, all) => !all.slice(0, i).some((q) => p.startsWith(q)));
    const exact = [...split.exact].filter((name) => !prefixes.some((p) => name.startsWith(p)));
    ranges = [];
    for (const op of exact.sort()) {
      if (hints.statuses) {
        for (const s of hints.statuses) ranges.push(tsRange(IDX.opStatus, [projectId, op, s], hints.time));
      } else {
        ranges.push(tsRange(IDX.op, [projectId, op], hints.time));
      }
    }
    for (const prefix of prefixes) {
      // Any version of an op: a range over op names, ordered by name first (not by time).
      ranges.push({
        index: IDX.op.index,
        keyPath: IDX.op.keyPath,
        lower: [projectId, prefix, MIN],
        upper: [projectId, `${prefix}\uffff`, MAX],
        tsOrdered: false,
      });
    }
    if (filterOps) used.add("op_names");
    else usedOpName = true;
    usedStatus = hints.statuses !== undefined && prefixes.length === 0;
  } else if (hints.statuses) {
    ranges = hints.statuses.map((s) => tsRange(IDX.status, [projectId, s], hints.time));
    usedStatus = true;
  } else if (filter?.trace_roots_only === true) {
    ranges = [tsRange(IDX.root, [projectId], hints.time)];
    used.add("trace_roots_only");
  } else {
    ranges = [tsRange(IDX.live, [projectId], hints.time)];
  }
  // Time bounds apply to every ts-ordered range; prefix ranges leave them to the residual check.
  const timeEncoded = hints.timeTaken === 0 || ranges.every((r) => r.tsOrdered);
  const allUnderstood = hints.timeTaken + hints.statusTaken + hints.opNameTaken === hints.total;
  const exact =
    !ranges.some((r) => r.multiEntry) &&
    [...clauses].every((c) => used.has(c)) &&
    allUnderstood &&
    timeEncoded &&
    (hints.statusTaken === 0 || usedStatus) &&
    (hints.opNameTaken === 0 || usedOpName);
  return { kind: "ranges", ranges, exact };
}

/** Ranges of the project-scoped multi-entry ref index (`project_id + "\n" + ref`), `:*` as a prefix. */
function refRanges(projectId: string, index: "in_refs" | "out_refs", refs: readonly string[]): IndexRange[] {
  const { exact, prefixes } = splitWildcards(refs);
  const key = (ref: string): string => `${projectId}\n${ref}`;
  const ranges: IndexRange[] = [];
  for (const ref of [...exact].sort()) {
    ranges.push({ index, keyPath: [index], lower: key(ref), upper: key(ref), tsOrdered: false, multiEntry: true });
  }
  for (const prefix of prefixes) {
    ranges.push({ index, keyPath: [index], lower: key(prefix), upper: `${key(prefix)}\uffff`, tsOrdered: false, multiEntry: true });
  }
  return ranges;
}

/** The index key of `row` in `range`'s index (for keyset continuation). */
export function keyOf(range: IndexRange, row: CallRow): unknown[] {
  return range.keyPath.map((k) => row[k]);
}
