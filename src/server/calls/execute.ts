/**
 * Running a planned calls query: candidates from the planner's index ranges, the residual filter and
 * `$expr` predicate, then the sort, offset and limit (weave-semantics.md §2.9). When the sort is the
 * index order (started_at), rows stream from the index and reading stops at `offset + limit`;
 * other sorts keep a bounded top-k instead of sorting everything.
 */
import type { CallsFilter } from "../../schema/calls";
import type { SortBy } from "../../schema/common";
import type { Query } from "../../schema/query";
import type { ServerContext } from "../context";
import type { CallRow, WeftDb } from "../db";
import { referencedFields } from "../query/analyze";
import { compileQuery } from "../query/compile-expr";
import { compileSort } from "../query/sort";
import { topK } from "../query/top-k";
import { prefetchFeedback } from "./attachments";
import { CALL_FIELDS, CallView, isFeedbackField, JSON_ROOTS, type JsonRoot } from "./catalog";
import { orderExpandColumns, RefExpander } from "./expand";
import { compileFilter } from "./filter";
import { readIndexRange } from "./index-read";
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
  expand_columns?: string[] | null | undefined;
}

type Predicate = (view: CallView) => boolean;

/** The filter and query as one predicate over views (visibility included). Resolves every field up front. */
export function compileSelection(sel: CallsSelection): Predicate {
  const filter = compileFilter(sel.filter);
  const query = sel.query ? compileQuery(sel.query, CALL_FIELDS) : undefined;
  const project = sel.project_id;
  return (view) => {
    const row = view.row;
    return isVisible(row) && row.project_id === project && (!filter || filter(row)) && (!query || query(view));
  };
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

/**
 * The expand columns (ordered shallowest first) under which a query or sort field lies, grouped by
 * top-level column. Such fields are evaluated on the expanded value (§2.9.6).
 */
function expansionsNeeded(sel: CallsSelection, keys: SortBy[]): Map<JsonRoot, string[][]> {
  const needed = new Map<JsonRoot, string[][]>();
  if (!sel.expand_columns || sel.expand_columns.length === 0) return needed;
  const fields = [...(sel.query ? referencedFields(sel.query) : []), ...keys.map((k) => k.field)];
  const paths = orderExpandColumns(sel.expand_columns);
  for (const path of paths) {
    const prefix = path.join(".");
    if (!fields.some((f) => f === prefix || f.startsWith(`${prefix}.`))) continue;
    const root = path[0] as JsonRoot;
    if (!JSON_ROOTS.includes(root)) continue;
    const list = needed.get(root) ?? [];
    list.push(path);
    needed.set(root, list);
  }
  return needed;
}

/** True when the query or sort reads `feedback.[…]` fields (§2.9.2). */
function needsFeedback(sel: CallsSelection, keys: SortBy[]): boolean {
  const fields = [...(sel.query ? referencedFields(sel.query) : []), ...keys.map((k) => k.field)];
  return fields.some(isFeedbackField);
}

async function expandViews(ctx: ServerContext, views: CallView[], needed: Map<JsonRoot, string[][]>): Promise<void> {
  const expander = new RefExpander(ctx);
  await Promise.all(
    views.map(async (view) => {
      for (const [root, paths] of needed) {
        const holder: Record<string, unknown> = { [root]: structuredClone(view.json(root)) };
        await expander.expandInto(view.row.project_id, holder, paths);
        view.override(root, holder[root]);
      }
    }),
  );
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

/**
 * A page straight from one index range (every condition is in the range). Continues from the nearest
 * remembered checkpoint at or before `offset` (keyset paging) and skips only the rest, then remembers
 * where this page ended.
 */
async function pageFromIndex(ctx: ServerContext, range: IndexRange, dir: "asc" | "desc", offset: number, limit: number): Promise<CallRow[]> {
  // An unbounded read from the start (a whole trace, every child of a call) has no checkpoint to
  // use and leaves none a later page could use: that page would start past its last row, and any
  // write in between clears checkpoints. It skips the bookkeeping.
  const cursors = offset > 0 || Number.isFinite(limit) ? ctx.pageCursors : undefined;
  const generation = cursors?.current() ?? 0;
  const query = cursors ? JSON.stringify([range.index, range.lower, range.upper, dir]) : "";
  const from = offset > 0 ? cursors?.nearest(query, offset) : undefined;
  let lower = range.lower;
  let upper = range.upper;
  let lowerOpen = false;
  let upperOpen = false;
  if (from) {
    if (dir === "asc") [lower, lowerOpen] = [from.key, !from.inclusive];
    else [upper, upperOpen] = [from.key, !from.inclusive];
  }
  const skip = offset - (from?.offset ?? 0);
  const rows = await readIndexRange(ctx.db, { index: range.index, lower, upper, lowerOpen, upperOpen, dir, offset: skip, limit });
  const [first, last] = [rows[0], rows[rows.length - 1]];
  if (cursors && first && last) {
    // Where this page starts (the same page again) and where the next one starts.
    cursors.remember(query, generation, { offset, key: keyOf(range, first), inclusive: true });
    cursors.remember(query, generation, { offset: offset + rows.length, key: keyOf(range, last), inclusive: false });
  }
  return rows;
}

/** The planner keeps ranges disjoint; multi-entry indexes and merges are deduplicated anyway. */
function dedupe(rows: CallRow[]): CallRow[] {
  const seen = new Set<string>();
  return rows.filter((row) => (seen.has(row.id) ? false : (seen.add(row.id), true)));
}

async function candidateRows(db: WeftDb, plan: CallsPlan): Promise<CallRow[]> {
  if (plan.kind === "ids") {
    const rows = await db.calls.bulkGet(plan.keys);
    return rows.filter((r): r is CallRow => r !== undefined);
  }
  const parts = await Promise.all(plan.ranges.map((r) => db.calls.where(r.index).between(r.lower, r.upper, true, true).toArray()));
  if (parts.length === 1 && !plan.ranges[0]?.multiEntry) return parts[0] as CallRow[];
  return dedupe(parts.flat());
}

/** A selection compiled once: what `selectCalls` and `selectCallsInPages` both decide from. */
interface PreparedSelection {
  predicate: Predicate;
  compare: (a: CallView, b: CallView) => number;
  plan: CallsPlan;
  expansions: Map<JsonRoot, string[][]>;
  feedback: boolean;
  /**
   * The direction to read the plan's ranges in when each is already in the sort's order (the sort is
   * the index order, every range is time-ordered, nothing to expand or prefetch); else undefined.
   */
  indexDir: "asc" | "desc" | undefined;
}

/** Compiles `sel`. @throws WeftError VALIDATION / INVALID_FIELD for bad queries or sorts */
function prepareSelection(sel: CallsSelection): PreparedSelection {
  const predicate = compileSelection(sel);
  const { keys, tiebreak } = effectiveSort(sel.sort_by);
  const compare = compileSort(keys, CALL_FIELDS, { tiebreak });
  const plan = planCalls(sel.project_id, sel.filter, sel.query);
  const dir = indexOrder([...keys, tiebreak]) ?? indexOrder(keys);
  const expansions = expansionsNeeded(sel, keys);
  const feedback = needsFeedback(sel, keys);
  const ordered = expansions.size === 0 && !feedback && plan.kind === "ranges" && plan.ranges.every((r) => r.tsOrdered);
  return { predicate, compare, plan, expansions, feedback, indexDir: ordered ? dir : undefined };
}

/**
 * Rows selected by `sel`, in order, after offset and limit.
 * @throws WeftError VALIDATION / INVALID_FIELD for bad queries or sorts
 */
export function selectCalls(ctx: ServerContext, sel: CallsSelection): Promise<CallRow[]> {
  return selectPrepared(ctx, sel, prepareSelection(sel));
}

async function selectPrepared(ctx: ServerContext, sel: CallsSelection, prepared: PreparedSelection): Promise<CallRow[]> {
  const db = ctx.db;
  const { predicate, compare, plan, expansions, feedback, indexDir: dir } = prepared;
  const offset = sel.offset ?? 0;
  const limit = sel.limit ?? Infinity;
  if (limit === 0) return [];
  const need = offset + limit;

  if (dir && plan.kind === "ranges") {
    if (plan.exact && plan.ranges.length === 1) {
      return pageFromIndex(ctx, plan.ranges[0] as IndexRange, dir, offset, limit);
    }
    // Each range is already in order: take at most `need` matches from each, then merge.
    const perRange = await Promise.all(
      plan.ranges.map(async (range) => {
        const out: CallView[] = [];
        for await (const row of scanRange(db, range, dir, Number.isFinite(need) ? need + 1 : 2000)) {
          const view = new CallView(row);
          if (!predicate(view)) continue;
          out.push(view);
          if (out.length >= need) break;
        }
        return out;
      }),
    );
    let merged = perRange.length === 1 ? (perRange[0] as CallView[]) : perRange.flat();
    if (perRange.length > 1) {
      const rows = dedupe(merged.map((v) => v.row));
      merged = rows.map((r) => new CallView(r)).sort(compare);
    }
    return merged.slice(offset, Number.isFinite(limit) ? need : undefined).map((v) => v.row);
  }

  const views = (await candidateRows(db, plan)).map((row) => new CallView(row));
  if (expansions.size > 0) await expandViews(ctx, views, expansions);
  if (feedback) await prefetchFeedback(ctx, sel.project_id, views);
  const matching = views.filter(predicate);
  const ordered = Number.isFinite(need) && need < matching.length ? topK(matching, need, compare) : matching.sort(compare);
  return ordered.slice(offset, Number.isFinite(limit) ? need : undefined).map((v) => v.row);
}

/**
 * The rows of `selectCalls(ctx, sel)` in order, in pages of at most `pageSize` (for
 * `calls_query_stream`). Where that order is the order of one index range (the roots, a trace, an op,
 * the whole project by time: what an export streams), the range is read lazily, in chunks that
 * continue from the last key, so a stream over a large project holds a chunk at a time instead of
 * every row, and its first page comes after one chunk instead of the whole read. The far end of the
 * range is fixed when the stream starts: calls written afterwards at that end (the newest, ascending)
 * are not streamed, as a single read would not have seen them; a call deleted before its chunk is
 * read is left out (and one whose start time is rewritten meanwhile may show at its old place, its
 * new one, both or neither). Any other order needs every match first (a sort, a merge of ranges), so
 * it is read whole, as `selectCalls` reads it.
 * @throws WeftError VALIDATION / INVALID_FIELD for bad queries or sorts (before the first page)
 */
export async function* selectCallsInPages(ctx: ServerContext, sel: CallsSelection, pageSize: number): AsyncGenerator<CallRow[]> {
  const prepared = prepareSelection(sel);
  const { plan, indexDir: dir, predicate } = prepared;
  const range = plan.kind === "ranges" && plan.ranges.length === 1 ? plan.ranges[0] : undefined;
  if (!dir || !range || range.multiEntry) {
    const rows = await selectPrepared(ctx, sel, prepared);
    for (let i = 0; i < rows.length; i += pageSize) yield rows.slice(i, i + pageSize);
    return;
  }
  const offset = sel.offset ?? 0;
  const limit = sel.limit ?? Infinity;
  if (limit === 0) return;
  // Fix the far end at its current key: ascending, that is where new calls land.
  let far = ctx.db.calls.where(range.index).between(range.lower, range.upper, true, true);
  if (dir === "asc") far = far.reverse();
  const [farKey] = await far.limit(1).keys();
  if (farKey === undefined) return;
  const bounded: IndexRange = dir === "asc" ? { ...range, upper: farKey } : { ...range, lower: farKey };
  let skipped = 0;
  let taken = 0;
  let page: CallRow[] = [];
  for await (const row of scanRange(ctx.db, bounded, dir, Math.min(pageSize, offset + limit + 1))) {
    if (!predicate(new CallView(row))) continue;
    if (skipped < offset) {
      skipped++;
      continue;
    }
    page.push(row);
    taken++;
    if (page.length >= pageSize) {
      yield page;
      page = [];
    }
    if (taken >= limit) break;
  }
  if (page.length > 0) yield page;
}

/**
 * Number of rows `sel` matches. Exact single-index plans use native `count()` per range; anything
 * else counts matches over the candidate rows.
 */
export async function countCalls(ctx: ServerContext, sel: CallsSelection, cap = Infinity): Promise<number> {
  const db = ctx.db;
  const predicate = compileSelection(sel);
  const plan = planCalls(sel.project_id, sel.filter, sel.query);
  const expansions = expansionsNeeded(sel, []);
  const feedback = needsFeedback(sel, []);
  if (plan.kind === "ranges" && plan.exact && expansions.size === 0 && !feedback) {
    if (Number.isFinite(cap)) {
      // "Are there at least N?" needs at most N keys: Chromium's count() walks every entry of a range.
      let total = 0;
      for (const r of plan.ranges) {
        if (total >= cap) break;
        total += (await db.calls.where(r.index).between(r.lower, r.upper, true, true).limit(cap - total).primaryKeys()).length;
      }
      return total;
    }
    const counts = await Promise.all(plan.ranges.map((r) => db.calls.where(r.index).between(r.lower, r.upper, true, true).count()));
    return counts.reduce((a, b) => a + b, 0);
  }
  const views = (await candidateRows(db, plan)).map((row) => new CallView(row));
  if (expansions.size > 0) await expandViews(ctx, views, expansions);
  if (feedback) await prefetchFeedback(ctx, sel.project_id, views);
  let n = 0;
  for (const view of views) if (predicate(view)) n++;
  return n;
}
