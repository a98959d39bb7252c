/**
 * The call methods of the interface (weave-semantics.md §2): each takes a validated request.
 */
import { WeftError } from "../../errors";
import type {
  CallEndReq,
  CallEndRes,
  CallReadReq,
  CallReadRes,
  CallSchema,
  CallStartReq,
  CallStartRes,
  CallsDeleteReq,
  CallsDeleteRes,
  CallsQueryReq,
  CallsQueryRes,
  CallsQueryStatsReq,
  CallsQueryStatsRes,
  CallUpdateReq,
  CallUpdateRes,
} from "../../schema/calls";
import { MAX_FILTER_LIST_LENGTH } from "../../schema/calls";
import { formatDateTime } from "../../schema/common";
import type { ServerContext } from "../context";
import type { CallRow } from "../db";
import { attachCostsAndFeedback } from "./attachments";
import { countCalls, selectCalls, selectCallsInPages } from "./execute";
import { orderExpandColumns, RefExpander } from "./expand";
import { checkFilterLimits } from "./filter";
import { emptyCallRow, isVisible, refreshIndexKeys } from "./rows";
import { callStorageSize, callSummary, resolveColumns, rowToCall, writeCallJson, type CallExtras } from "./shape";
import { writeCallParts } from "./write";

export { callStartBatch } from "./write";

/** `call_start` (§2.2). */
export async function callStart(ctx: ServerContext, req: CallStartReq): Promise<CallStartRes> {
  const [res] = await writeCallParts(ctx, [{ kind: "start", start: req.start }]);
  return res as CallStartRes;
}

/** `call_end` (§2.3): accepted even before the start; the call stays invisible until it starts. */
export async function callEnd(ctx: ServerContext, req: CallEndReq): Promise<CallEndRes> {
  await writeCallParts(ctx, [{ kind: "end", end: req.end }]);
  return {};
}

/** The request fields that decide how selected rows are shaped (also what the bench's read splits pass). */
export type ShapeOptions = Pick<
  CallsQueryReq,
  "columns" | "include_costs" | "include_storage_size" | "include_total_storage_size" | "expand_columns" | "return_expanded_column_values"
> & { include_feedback?: boolean | null | undefined };

/** Whether `req` asks for refs in the calls to be expanded (§2.9.6), which only the object shape does. */
function expandsRefs(req: ShapeOptions): boolean {
  return (req.expand_columns?.length ?? 0) > 0 && req.return_expanded_column_values !== false;
}

/**
 * What the options add to each row's call, after the page is chosen: its summary with costs and
 * feedback (§2.9), its storage sizes (§2.9.7). Undefined when no option asks for any.
 */
async function callExtras(ctx: ServerContext, rows: CallRow[], req: ShapeOptions, cols: Set<string> | undefined): Promise<CallExtras[] | undefined> {
  if (!req.include_costs && !req.include_feedback && !req.include_storage_size && !req.include_total_storage_size) return undefined;
  const extras: CallExtras[] = rows.map(() => ({}));
  if (req.include_costs || req.include_feedback) {
    const summaries = rows.map((row) => ({
      id: row.id,
      project_id: row.project_id,
      started_at: formatDateTime(row.started_at ?? 0),
      summary: callSummary(row, cols),
    }));
    await attachCostsAndFeedback(ctx, summaries, req);
    summaries.forEach((call, i) => ((extras[i] as CallExtras).summary = call.summary));
  }
  if (req.include_storage_size) {
    rows.forEach((row, i) => ((extras[i] as CallExtras).storage_size_bytes = callStorageSize(row)));
  }
  if (req.include_total_storage_size) {
    await Promise.all(
      rows.map(async (row, i) => {
        if (row.parent_id !== undefined || row.trace_id === undefined) return;
        (extras[i] as CallExtras).total_storage_size_bytes = await traceStorageSize(ctx, row.project_id, row.trace_id);
      }),
    );
  }
  return extras;
}

/** Shapes selected rows: projection, costs and feedback, storage sizes, expanded refs (§2.9.6). */
export async function shapeCalls(ctx: ServerContext, rows: CallRow[], req: ShapeOptions): Promise<CallSchema[]> {
  const cols = resolveColumns(req.columns, req.include_costs === true);
  const extras = await callExtras(ctx, rows, req, cols);
  const calls = rows.map((row, i) => rowToCall(row, cols, extras?.[i]));
  if (expandsRefs(req)) {
    const expand = orderExpandColumns(req.expand_columns ?? []);
    const expander = new RefExpander(ctx);
    await Promise.all(calls.map((call) => expander.expandInto(call.project_id, call as unknown as Record<string, unknown>, expand)));
  }
  return calls;
}

async function traceStorageSize(ctx: ServerContext, projectId: string, traceId: string): Promise<number> {
  let total = 0;
  await ctx.db.calls
    .where("[project_id+trace_id+live_ts+id]")
    .between([projectId, traceId, -Infinity], [projectId, traceId, [[]]], true, true)
    .each((row) => {
      total += callStorageSize(row);
    });
  return total;
}

/** The rows `calls_query` answers with, before shaping. */
async function queriedRows(ctx: ServerContext, req: CallsQueryReq): Promise<CallRow[]> {
  checkFilterLimits(req.filter);
  return selectCalls(ctx, req);
}

/** The row `call_read` answers with: undefined when missing or deleted. */
async function readRow(ctx: ServerContext, req: CallReadReq): Promise<CallRow | undefined> {
  const row = await ctx.db.calls.get([req.project_id, req.id]);
  return row && isVisible(row) ? row : undefined;
}

/** `calls_query` (§2.9). */
export async function callsQuery(ctx: ServerContext, req: CallsQueryReq): Promise<CallsQueryRes> {
  return { calls: await shapeCalls(ctx, await queriedRows(ctx, req), req) };
}

/** Appends the JSON text of row `i` to `out`. */
type CallJsonWriter = (out: string[], i: number) => void;

/**
 * How each shaped row becomes JSON text: the pieces of `rowToCallJson`, with the stored payload
 * texts spliced in; with refs to expand, the shaped objects stringified.
 */
async function callJsonWriter(ctx: ServerContext, rows: CallRow[], req: ShapeOptions): Promise<CallJsonWriter> {
  if (expandsRefs(req)) {
    const calls = await shapeCalls(ctx, rows, req);
    return (out, i) => out.push(JSON.stringify(calls[i]));
  }
  const cols = resolveColumns(req.columns, req.include_costs === true);
  const extras = await callExtras(ctx, rows, req, cols);
  return (out, i) => writeCallJson(out, rows[i] as CallRow, cols, extras?.[i]);
}

/** The JSON text of each shaped row (see `callJsonWriter`). */
async function shapeCallsJson(ctx: ServerContext, rows: CallRow[], req: ShapeOptions): Promise<string[]> {
  const write = await callJsonWriter(ctx, rows, req);
  return rows.map((_, i) => {
    const out: string[] = [];
    write(out, i);
    return out.join("");
  });
}

/** `calls_query` answered as the JSON text of its `CallsQueryRes`, joined once from every row's pieces. */
export async function callsQueryJson(ctx: ServerContext, req: CallsQueryReq): Promise<string> {
  const rows = await queriedRows(ctx, req);
  const write = await callJsonWriter(ctx, rows, req);
  const out = ['{"calls":['];
  for (let i = 0; i < rows.length; i++) {
    if (i > 0) out.push(",");
    write(out, i);
  }
  out.push("]}");
  return out.join("");
}

/** `call_read` answered as the JSON text of its `CallReadRes`. */
export async function callReadJson(ctx: ServerContext, req: CallReadReq): Promise<string> {
  const row = await readRow(ctx, req);
  if (!row) return `{"call":null}`;
  const [call] = await shapeCallsJson(ctx, [row], req);
  return `{"call":${call ?? "null"}}`;
}

/** Rows read and shaped at a time by `calls_query_stream`. */
const STREAM_PAGE = 500;

/**
 * `calls_query_stream`'s rows, read lazily where the order is an index's (`selectCallsInPages`),
 * each page shaped by `shape`.
 */
async function* streamCalls<T>(ctx: ServerContext, req: CallsQueryReq, shape: (ctx: ServerContext, rows: CallRow[], req: CallsQueryReq) => Promise<T[]>): AsyncGenerator<T> {
  checkFilterLimits(req.filter);
  // Bad column names fail before the first row, even when no row matches (as calls_query does).
  resolveColumns(req.columns, req.include_costs === true);
  for await (const rows of selectCallsInPages(ctx, req, STREAM_PAGE)) yield* await shape(ctx, rows, req);
}

/** `calls_query_stream`: the same rows as `calls_query`, yielded in pages (§2.9.8). */
export function callsQueryStream(ctx: ServerContext, req: CallsQueryReq): AsyncGenerator<CallSchema> {
  return streamCalls(ctx, req, shapeCalls);
}

/** `calls_query_stream` as the JSON text of each call, as `callsQueryJson` builds it (`callJsonWriter`). */
export function callsQueryStreamJson(ctx: ServerContext, req: CallsQueryReq): AsyncGenerator<string> {
  return streamCalls(ctx, req, shapeCallsJson);
}

/** `call_read` (§2.6): `{call: null}` when missing or deleted. */
export async function callRead(ctx: ServerContext, req: CallReadReq): Promise<CallReadRes> {
  const row = await readRow(ctx, req);
  if (!row) return { call: null };
  const [call] = await shapeCalls(ctx, [row], req);
  return { call: call ?? null };
}

/** `calls_query_stats` (§2.10): the count of matching calls, capped by `limit`. */
export async function callsQueryStats(ctx: ServerContext, req: CallsQueryStatsReq): Promise<CallsQueryStatsRes> {
  checkFilterLimits(req.filter);
  if (req.limit !== undefined && req.limit !== null && req.limit < 1) {
    throw new WeftError("VALIDATION", "Limit must be a positive integer", { issues: [{ path: "limit", message: "must be ≥ 1" }] });
  }
  let count = await countCalls(ctx, req, req.limit ?? Infinity);
  if (req.limit !== undefined && req.limit !== null) count = Math.min(count, req.limit);
  const res: CallsQueryStatsRes = { count };
  if (req.include_total_storage_size) {
    const roots = await selectCalls(ctx, { ...req, filter: { ...(req.filter ?? {}), trace_roots_only: true }, limit: null });
    let total = 0;
    for (const root of roots) if (root.trace_id) total += await traceStorageSize(ctx, root.project_id, root.trace_id);
    res.total_storage_size_bytes = total;
  }
  return res;
}

/**
 * `calls_delete` (§2.7): soft delete cascading to every descendant within the calls' traces.
 * `num_deleted` counts the closure including requested ids that do not exist (ClickHouse).
 * @throws WeftError REQUEST_TOO_LARGE over 1000 ids
 */
export async function callsDelete(ctx: ServerContext, req: CallsDeleteReq): Promise<CallsDeleteRes> {
  if (req.call_ids.length > MAX_FILTER_LIST_LENGTH) {
    throw new WeftError("REQUEST_TOO_LARGE", `Cannot delete more than ${MAX_FILTER_LIST_LENGTH} calls at once (got ${req.call_ids.length})`);
  }
  const db = ctx.db;
  const now = ctx.now();
  const requested = [...new Set(req.call_ids)];
  return db.transaction("rw", db.calls, async () => {
    const found = (await db.calls.bulkGet(requested.map((id) => [req.project_id, id] as [string, string]))).filter(
      (r): r is CallRow => r !== undefined && isVisible(r),
    );
    const traceIds = [...new Set(found.map((r) => r.trace_id).filter((t): t is string => t !== undefined))];
    const children = new Map<string, CallRow[]>();
    const byId = new Map<string, CallRow>();
    for (const traceId of traceIds) {
      const rows = await db.calls
        .where("[project_id+trace_id+live_ts+id]")
        .between([req.project_id, traceId, -Infinity], [req.project_id, traceId, [[]]], true, true)
        .toArray();
      for (const row of rows) {
        byId.set(row.id, row);
        if (row.parent_id === undefined) continue;
        const list = children.get(row.parent_id);
        if (list) list.push(row);
        else children.set(row.parent_id, [row]);
      }
    }
    const closure = new Set<string>(requested);
    const stack = [...requested];
    while (stack.length > 0) {
      const id = stack.pop() as string;
      for (const child of children.get(id) ?? []) {
        if (!closure.has(child.id)) {
          closure.add(child.id);
          stack.push(child.id);
        }
      }
    }
    const updates: CallRow[] = [];
    for (const id of closure) {
      const row = byId.get(id) ?? found.find((r) => r.id === id);
      if (!row) continue;
      const next = { ...row, deleted_at: now };
      refreshIndexKeys(next);
      updates.push(next);
    }
    await db.calls.bulkPut(updates);
    return { num_deleted: closure.size };
  });
}

/**
 * `call_update` (§2.8): sets the display name; an update may precede the start and is kept for it.
 * @throws WeftError VALIDATION when no display_name is given
 */
export async function callUpdate(ctx: ServerContext, req: CallUpdateReq): Promise<CallUpdateRes> {
  if (req.display_name === undefined || req.display_name === null) {
    throw new WeftError("VALIDATION", "One of [display_name] is required for call update", {
      issues: [{ path: "display_name", message: "required" }],
    });
  }
  const db = ctx.db;
  const displayName = req.display_name;
  await db.transaction("rw", db.calls, async () => {
    const stored = await db.calls.get([req.project_id, req.call_id]);
    const row = stored ? { ...stored } : emptyCallRow(req.project_id, req.call_id);
    row.display_name_update = displayName;
    refreshIndexKeys(row);
    await db.calls.put(row);
  });
  return {};
}
