/**
 * Running a planned calls query: candidates from the planner's index ranges, the residual filter and
 * `$expr` predicate, then the sort, offset and limit (weave-semantics.md §2.9). When the sort is the
 * index order (started_at), rows stream from the index and reading stops at `offset + limit`;
 * other sorts keep a bounded top-k instead of sorting everything.
 */
import type { CallsFilter } from "../../schema/calls";
import type { SortBy } from "../../schema/common";
import type { Query } from "../../schema/query";
import type { CallRow, WeftDb } from "../db";
import { compileQuery } from "../query/compile-expr";
import { compileSort } from "../query/sort";
import { topK } from "../query/top-k";
import { CALL_FIELDS, CallView } from "./catalog";
import { compileFilter } from "./filter";
import { type CallsPlan, type IndexRange, keyOf, planCalls } from "./plan";
import { isVisible } from "./rows";

/** The parts of a request that select and order rows. */
export interface CallsSelection {
  project_id: string;
  filter?: CallsFilter | null | undefined;
  query?: Query | null | undefined;
  sort_by?: SortBy[] | null | undefined;
  limit?: number | null | undefined;
  offset?: number | null | undefined;
}

type Predicate = (row: CallRow) => boolean;

/** The filter and query as one row predicate (visibility included). Resolves every field up front. */
export function compileSelection(sel: CallsSelection): Predicate {
  const filter = compileFilter(sel.filter);
  const query = sel.query ? compileQuery(sel.query, CALL_FIELDS) : undefined;
  return (row) => isVisible(row) && row.project_id === sel.project_id && (!filter || filter(row)) && (!query || query(new CallView(row)));
}

/**
 * The effective sort: default `started_at ASC`; an explicit `[]` orders by `id` only (ClickHouse);
 * a trailing `started_at` key takes an `id` tie-break in its own direction (HEAD-mem's rule, which
 * keeps the order equal to the index order), any other sort gets `id ASC` (§2.9.3).
 */
export function effectiveSort(sortBy: SortBy[] | null | undefined): { keys: SortBy[]; tiebreak: SortBy } {
  const keys = sortBy ?? [{ field: "started_at", direction: "asc" }];
  const last = keys[keys.length - 1];
  const tiebreak: SortBy = last && last.field === "started_at" ? { field: "id", direction: last.direction } : { field: "id", direction: "asc" };
  return { keys, tiebreak };
}

/** `asc`/`desc` when the sort is exactly the index order (started_at, id), else undefined. */
function indexOrder(keys: SortBy[]): "asc" | "desc" | undefined {
  const [first, second] = keys;
  if (!first || first.field !== "started_at") return undefined;
  if (keys.length === 1) return first.direction;
  if (keys.length === 2 && second?.field === "id" && second.direction === first.direction) return first.direction;
  return undefined;
}

/** Reads one index range in order, in growing chunks, continuing from the last key (no offsets). */
async function* scanRange(db: WeftDb, range: IndexRange, dir: "asc" | "desc", firstChunk: number): AsyncGenerator<CallRow> {
  let lower = range.lower;
  let upper = range.upper;
  let lowerOpen = false;
  let upperOpen = false;
  let chunk = Math.max(16, Math.min(firstChunk, 2000));
  for (;;) {
    let coll = db.calls.where(range.index).between(lower, upper, !lowerOpen, !upperOpen);
    if (dir === "desc") coll = coll.reverse();
    const rows = await coll.limit(chunk).toArray();
    for (const row of rows) yield row;
    if (rows.length < chunk) return;
    const key = keyOf(range, rows[rows.length - 1] as CallRow);
    if (dir === "asc") {
      lower = key;
      lowerOpen = true;
    } else {
      upper = key;
      upperOpen = true;
    }
    chunk = Math.min(chunk * 2, 5000);
  }
}

async function candidateRows(db: WeftDb, plan: CallsPlan): Promise<CallRow[]> {
  if (plan.kind === "ids") {
    const rows = await db.calls.bulkGet(plan.keys);
    return rows.filter((r): r is CallRow => r !== undefined);
  }
  const parts = await Promise.all(plan.ranges.map((r) => db.calls.where(r.index).between(r.lower, r.upper, true, true).toArray()));
  return parts.length === 1 ? (parts[0] as CallRow[]) : dedupe(parts.flat());
}

/** The planner keeps ranges disjoint; this guards the merge anyway (a row must never appear twice). */
function dedupe(rows: CallRow[]): CallRow[] {
  const seen = new Set<string>();
  return rows.filter((row) => (seen.has(row.id) ? false : (seen.add(row.id), true)));
}

/**
 * Rows selected by `sel`, in order, after offset and limit.
 * @throws WeftError VALIDATION / INVALID_FIELD for bad queries or sorts
 */
export async function selectCalls(db: WeftDb, sel: CallsSelection): Promise<CallRow[]> {
  const predicate = compileSelection(sel);
  const { keys, tiebreak } = effectiveSort(sel.sort_by);
  const compare = compileSort(keys, CALL_FIELDS, { tiebreak });
  const offset = sel.offset ?? 0;
  const limit = sel.limit ?? Infinity;
  if (limit === 0) return [];
  const plan = planCalls(sel.project_id, sel.filter, sel.query);
  const need = offset + limit;
  const dir = indexOrder([...keys, tiebreak]) ?? indexOrder(keys);

  if (plan.kind === "ranges" && dir && plan.ranges.every((r) => r.tsOrdered)) {
    if (plan.exact && plan.ranges.length === 1) {
      // Every condition is in the range: page straight from the index.
      const range = plan.ranges[0] as IndexRange;
      let coll = db.calls.where(range.index).between(range.lower, range.upper, true, true);
      if (dir === "desc") coll = coll.reverse();
      if (offset > 0) coll = coll.offset(offset);
      if (Number.isFinite(limit)) coll = coll.limit(limit);
      return coll.toArray();
    }
    // Each range is already in order: take at most `need` matches from each, then merge.
    const perRange = await Promise.all(
      plan.ranges.map(async (range) => {
        const out: CallRow[] = [];
        for await (const row of scanRange(db, range, dir, Number.isFinite(need) ? need + 1 : 2000)) {
          if (!predicate(row)) continue;
          out.push(row);
          if (out.length >= need) break;
        }
        return out;
      }),
    );
    const merged = perRange.length === 1 ? (perRange[0] as CallRow[]) : dedupe(perRange.flat());
    if (perRange.length > 1) sortRows(merged, compare);
    return merged.slice(offset, Number.isFinite(limit) ? need : undefined);
  }

  const candidates = (await candidateRows(db, plan)).filter(predicate);
  const views = candidates.map((row) => new CallView(row));
  const ordered = Number.isFinite(need) && need < views.length ? topK(views, need, compare) : views.sort(compare);
  return ordered.slice(offset, Number.isFinite(limit) ? need : undefined).map((v) => v.row);
}

function sortRows(rows: CallRow[], compare: (a: CallView, b: CallView) => number): void {
  const views = rows.map((r) => new CallView(r)).sort(compare);
  for (let i = 0; i < views.length; i++) rows[i] = (views[i] as CallView).row;
}

/**
 * Number of rows `sel` matches. Exact single-index plans use native `count()` per range; anything
 * else counts matches over the candidate rows.
 */
export async function countCalls(db: WeftDb, sel: CallsSelection): Promise<number> {
  const predicate = compileSelection(sel);
  const plan = planCalls(sel.project_id, sel.filter, sel.query);
  if (plan.kind === "ranges" && plan.exact) {
    const counts = await Promise.all(plan.ranges.map((r) => db.calls.where(r.index).between(r.lower, r.upper, true, true).count()));
    return counts.reduce((a, b) => a + b, 0);
  }
  const rows = await candidateRows(db, plan);
  let n = 0;
  for (const row of rows) if (predicate(row)) n++;
  return n;
}
