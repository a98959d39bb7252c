/**
 * Turns the viewer's state into a `calls_query` / `calls_query_stats` request: `filter` for what
 * weft's indexes serve directly (roots, op names), `query.$expr` for the rest (status, time range,
 * text search, the advanced expression), all ANDed. Field names are Weave's (weave-semantics.md §2.9).
 */
import { PROJECT_ID } from "./store";
import type { ViewState } from "./url-state";
import type { CallsFilter, CallsQueryReq, Operation, Query } from "./weft-types";
import { columnSpec } from "./columns";

const RANGE_MS: Record<string, number> = { "1h": 3_600_000, "24h": 86_400_000, "7d": 7 * 86_400_000, "30d": 30 * 86_400_000 };

/** The parsed advanced expression, or why it cannot be used. */
export type ExprParse = { ok: true; op: Operation | null } | { ok: false; error: string };

/**
 * Parses the advanced filter text: `{"$expr": {…}}` or a bare operation `{"$eq": […]}`. Only JSON
 * shape is checked here; weft validates the operators and fields and its message is shown as is.
 */
export function parseExpr(text: string): ExprParse {
  if (!text.trim()) return { ok: true, op: null };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `Not valid JSON: ${(error as Error).message}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, error: 'The filter must be a JSON object such as {"$expr": {"$eq": [{"$getField": "op_name"}, {"$literal": "x"}]}}' };
  }
  const op = "$expr" in value ? (value as { $expr: unknown }).$expr : value;
  if (typeof op !== "object" || op === null || Array.isArray(op) || Object.keys(op).length !== 1) {
    return { ok: false, error: "$expr must hold exactly one operation, e.g. {\"$and\": [...]} or {\"$eq\": [a, b]}" };
  }
  return { ok: true, op: op as Operation };
}

/** `datetime-local` text (local time) or ISO text → ISO-8601 UTC, or undefined when empty/invalid. */
export function toIso(value: string): string | undefined {
  if (!value) return undefined;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

const field = (path: string) => ({ $getField: path });
const literal = (value: string | number | boolean) => ({ $literal: value });

/** The text search: a case-insensitive substring of the inputs' or the output's JSON text. */
export function textSearch(text: string): Operation {
  const contains = (path: string): Operation => ({
    $contains: { input: field(path), substr: literal(text), case_insensitive: true },
  });
  return { $or: [contains("inputs"), contains("output")] };
}

/** The `filter` and `query` for the state (shared by the table, its count, and the chart). */
export function buildSelection(state: ViewState, now = Date.now()): { filter: CallsFilter; query: Query | null; exprError: string | null } {
  const filter: CallsFilter = {};
  if (state.rootsOnly) filter.trace_roots_only = true;
  if (state.ops.length > 0) filter.op_names = state.ops;

  const conds: Operation[] = [];
  if (state.status) conds.push({ $eq: [field("summary.weave.status"), literal(state.status)] });
  let from: string | undefined;
  let to: string | undefined;
  if (state.range === "custom") {
    from = toIso(state.from);
    to = toIso(state.to);
  } else if (state.range) {
    const span = RANGE_MS[state.range];
    if (span !== undefined) from = new Date(now - span).toISOString();
  }
  if (from) conds.push({ $gte: [field("started_at"), literal(from)] });
  if (to) conds.push({ $lt: [field("started_at"), literal(to)] });
  if (state.text.trim()) conds.push(textSearch(state.text.trim()));
  const expr = parseExpr(state.expr);
  if (expr.ok && expr.op) conds.push(expr.op);

  const first = conds[0];
  const query: Query | null = first === undefined ? null : { $expr: conds.length === 1 ? first : { $and: conds } };
  return { filter, query, exprError: expr.ok ? null : expr.error };
}

/**
 * The top-level columns a page needs: always the light ones the built-in columns read (status and
 * latency come from `summary`), plus `inputs`/`output`/`attributes` only when a visible column
 * reads inside them, so 1 MB payloads are not shipped for a table that never shows them.
 */
export function columnsFor(columns: readonly string[]): string[] {
  const wanted = new Set(["id", "trace_id", "parent_id", "op_name", "display_name", "started_at", "ended_at", "exception", "summary"]);
  for (const id of columns) {
    const spec = columnSpec(id);
    if (spec.kind === "path") wanted.add(id.split(".")[0] ?? id);
  }
  return [...wanted];
}

/** A `calls_query` request for rows [offset, offset + limit) of the view. */
export function pageRequest(state: ViewState, offset: number, limit: number, now?: number): CallsQueryReq {
  const { filter, query } = buildSelection(state, now);
  const req: CallsQueryReq = {
    project_id: PROJECT_ID,
    filter,
    sort_by: [{ field: state.sort.field, direction: state.sort.dir }],
    offset,
    limit,
    columns: columnsFor(state.columns),
    include_costs: state.columns.includes("cost"),
    include_feedback: state.columns.includes("feedback"),
  };
  if (query) req.query = query;
  return req;
}

/**
 * A key that changes whenever the rows of the view change: filters, sort and columns (not the open
 * trace or the tab). Relative time ranges are resolved when a page is fetched, not part of the key.
 */
export function viewKey(state: ViewState): string {
  return JSON.stringify([state.rootsOnly, state.ops, state.status, state.range, state.from, state.to, state.text, state.expr, state.sort, state.columns]);
}
