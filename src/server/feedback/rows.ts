/**
 * Feedback rows: from a validated create request to the stored `FeedbackRow`, and from a stored row to
 * the dict `feedback_query` returns (weave-semantics.md §3.1, §3.4). HEAD's queue/scorer/span columns
 * are stored only when set and read back with ClickHouse's column defaults (conformance §18 header).
 */
import { v7 as uuidv7 } from "uuid";
import { formatDateTime } from "../../schema/common";
import { FEEDBACK_HEAD_DEFAULTS as HEAD_DEFAULTS, type Feedback, type FeedbackCreateReq } from "../../schema/feedback";
import type { ServerContext } from "../context";
import type { FeedbackRow } from "../db";

/**
 * One `summary.weave.feedback` entry of a call (§3.8): the columns Weave's hydration query selects,
 * with `payload` parsed and `created_at` as ISO-8601. HEAD's `FEEDBACK_QUERY_FIELDS` also selects the
 * six `scorer_*` columns; they are not added here yet because the calls read path owns this shape.
 */
export type FeedbackOut = Pick<
  Feedback,
  "id" | "feedback_type" | "weave_ref" | "payload" | "creator" | "created_at" | "wb_user_id" | "annotation_ref" | "runnable_ref" | "call_ref" | "trigger_ref"
>;

type HeadColumn = keyof typeof HEAD_DEFAULTS;
const HEAD_COLUMNS = Object.keys(HEAD_DEFAULTS) as HeadColumn[];

/** Every column of `TABLE_FEEDBACK`, in Weave's order: the default `fields` of `feedback_query`. */
export const FEEDBACK_COLUMNS = [
  "id",
  "project_id",
  "weave_ref",
  "wb_user_id",
  "creator",
  "created_at",
  "feedback_type",
  "payload",
  "annotation_ref",
  "runnable_ref",
  "call_ref",
  "trigger_ref",
  ...HEAD_COLUMNS,
] as const;
/** One column name of `FEEDBACK_COLUMNS`. */
export type FeedbackColumn = (typeof FEEDBACK_COLUMNS)[number];

function isDefault(column: HeadColumn, value: unknown): boolean {
  if (value === undefined || value === null) return true;
  const fallback = HEAD_DEFAULTS[column];
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === "object") return Object.keys(value).length === 0;
  return value === fallback;
}

/**
 * The row to store for a validated request: the client's `id` or a new uuidv7, `created_at = now`,
 * `wb_user_id` filled with the local user when absent (§0.3). Does not throw.
 */
export function toFeedbackRow(ctx: ServerContext, req: FeedbackCreateReq, payload: Record<string, unknown>): FeedbackRow {
  const row: FeedbackRow = {
    project_id: req.project_id,
    id: req.id ?? uuidv7(),
    weave_ref: req.weave_ref,
    wb_user_id: req.wb_user_id ?? ctx.userId,
    creator: req.creator ?? null,
    created_at: ctx.now(),
    feedback_type: req.feedback_type,
    payload_dump: JSON.stringify(payload),
    annotation_ref: req.annotation_ref ?? null,
    runnable_ref: req.runnable_ref ?? null,
    call_ref: req.call_ref ?? null,
    trigger_ref: req.trigger_ref ?? null,
  };
  const target = row as unknown as Record<string, unknown>;
  for (const column of HEAD_COLUMNS) {
    const value = req[column];
    if (!isDefault(column, value)) target[column] = value;
  }
  return row;
}

/**
 * A column's value as `feedback_query` returns it: payload parsed (or `payload` when the caller has
 * parsed it already), datetimes ISO, HEAD defaults filled. Does not throw for rows weft wrote.
 */
export function columnValue(row: FeedbackRow, column: FeedbackColumn, payload?: unknown): unknown {
  switch (column) {
    case "created_at":
      return formatDateTime(row.created_at);
    case "payload":
      return payload ?? (JSON.parse(row.payload_dump) as unknown);
    default: {
      const value = (row as unknown as Record<string, unknown>)[column];
      if (value !== undefined) return value;
      const fallback = HEAD_DEFAULTS[column as HeadColumn];
      // Fresh containers, so a caller mutating one result cannot change another's.
      return Array.isArray(fallback) ? [] : typeof fallback === "object" && fallback !== null ? {} : fallback;
    }
  }
}

/** The §3.8 entry of a row. Does not throw for rows weft wrote. */
export function feedbackOut(row: FeedbackRow): FeedbackOut {
  return {
    id: row.id,
    feedback_type: row.feedback_type,
    weave_ref: row.weave_ref,
    payload: JSON.parse(row.payload_dump) as Record<string, unknown>,
    creator: row.creator,
    created_at: formatDateTime(row.created_at),
    wb_user_id: row.wb_user_id,
    annotation_ref: row.annotation_ref,
    runnable_ref: row.runnable_ref,
    call_ref: row.call_ref,
    trigger_ref: row.trigger_ref,
  };
}
