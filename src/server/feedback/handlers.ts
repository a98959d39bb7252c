/**
 * The feedback methods (weave-semantics.md §3): `feedback_create`, `feedback_create_batch`,
 * `feedback_query`, `feedback_purge`, `feedback_replace`, plus `feedbackForCalls` for the calls read
 * path. Every write validates everything first and then writes in one transaction, so a failed
 * request leaves the store as it was.
 */
import { formatDateTime } from "../../schema/common";
import type {
  FeedbackCreateBatchReq,
  FeedbackCreateBatchRes,
  FeedbackCreateReq,
  FeedbackCreateRes,
  FeedbackPurgeReq,
  FeedbackPurgeRes,
  FeedbackReplaceReq,
  FeedbackReplaceRes,
} from "../../schema/feedback";
import type { ServerContext } from "../context";
import type { FeedbackRow } from "../db";
import { purgeIds } from "./purge-query";
import { toFeedbackRow } from "./rows";
import { validateFeedbackCreate } from "./validate";

export { feedbackForCalls } from "./for-calls";
export { feedbackQuery } from "./query";
export type { FeedbackOut } from "./rows";

/** Weave's InvalidRequest message for a purge query that is not id-only (§3.5). */
export const FEEDBACK_PURGE_MESSAGE = "Can only purge feedback by specifying one or more feedback ids";

/** Validates one request and builds its row (nothing is written). */
async function prepare(ctx: ServerContext, req: FeedbackCreateReq): Promise<FeedbackRow> {
  const payload = await validateFeedbackCreate(ctx, req);
  return toFeedbackRow(ctx, req, payload);
}

function createRes(row: FeedbackRow): FeedbackCreateRes {
  return {
    id: row.id,
    created_at: formatDateTime(row.created_at),
    wb_user_id: row.wb_user_id,
    payload: JSON.parse(row.payload_dump) as Record<string, unknown>,
  };
}

/**
 * `feedback_create` (§3.2) → `{id, created_at, wb_user_id, payload}` with the processed payload. A
 * client-chosen `id` that already exists in the project replaces that row (IndexedDB keys are unique;
 * ClickHouse would keep both).
 * @throws WeftError VALIDATION for every rule of §3.2 (see `validateFeedbackCreate`); NOT_FOUND for an
 *   `annotation_ref` version that does not exist; STORAGE / QUOTA_EXCEEDED from IndexedDB.
 */
export async function feedbackCreate(ctx: ServerContext, req: FeedbackCreateReq): Promise<FeedbackCreateRes> {
  const row = await prepare(ctx, req);
  await ctx.db.feedback.put(row);
  return createRes(row);
}

/**
 * `feedback_create_batch` (§3.3) → `{res}`, one create response per item, in order. Every item is
 * validated before any is written; then all rows go in one transaction.
 * @throws WeftError as `feedbackCreate`, for the first invalid item; nothing is written then.
 */
export async function feedbackCreateBatch(ctx: ServerContext, req: FeedbackCreateBatchReq): Promise<FeedbackCreateBatchRes> {
  const rows: FeedbackRow[] = [];
  // Sequential: annotation specs are read one at a time, and the first failure stops the batch.
  for (const item of req.batch) rows.push(await prepare(ctx, item));
  if (rows.length > 0) await ctx.db.feedback.bulkPut(rows);
  return { res: rows.map(createRes) };
}

/**
 * `feedback_purge` (§3.5) → `{}`: hard-deletes the named rows of the project; unknown ids are ignored.
 * @throws WeftError VALIDATION "Can only purge feedback by specifying one or more feedback ids" for a
 *   query other than `$eq` on `id` or an `$or` of those; STORAGE.
 */
export async function feedbackPurge(ctx: ServerContext, req: FeedbackPurgeReq): Promise<FeedbackPurgeRes> {
  const ids = purgeIds(req.query, FEEDBACK_PURGE_MESSAGE);
  await ctx.db.feedback.bulkDelete(ids.map((id) => [req.project_id, id] as [string, string]));
  return {};
}

/**
 * `feedback_replace` (§3.6): validates the new row first (HEAD; an invalid replacement leaves the old
 * row alone, FB-14), then deletes `feedback_id` and writes the new row (a new id unless `id` is given)
 * in one transaction (FB-13).
 * @throws WeftError as `feedbackCreate`; nothing is deleted when validation fails.
 */
export async function feedbackReplace(ctx: ServerContext, req: FeedbackReplaceReq): Promise<FeedbackReplaceRes> {
  const { feedback_id: feedbackId, ...create } = req;
  const row = await prepare(ctx, create);
  await ctx.db.transaction("rw", ctx.db.feedback, async () => {
    await ctx.db.feedback.delete([req.project_id, feedbackId]);
    await ctx.db.feedback.put(row);
  });
  return createRes(row);
}
