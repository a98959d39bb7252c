/**
 * `feedback_query` (weave-semantics.md §3.4): always scoped to the request's project, filtered with the
 * shared `$expr` compiler over the feedback catalog, optionally sorted (ClickHouse rules, NULLs last),
 * paged, and projected onto `fields`. Without `sort_by` rows come in insertion order (created_at, then
 * id), which is what Weave gives in practice.
 */
import { Dexie, type Collection } from "dexie";
import { WeftError } from "../../errors";
import type { FeedbackQueryReq, FeedbackQueryRes } from "../../schema/feedback";
import type { ServerContext } from "../context";
import type { FeedbackRow } from "../db";
import { compileQuery } from "../query/compile-expr";
import { getJsonPath, splitFieldPath } from "../query/field-path";
import { compileSortKey, sortRows } from "../query/sort";
import { jsonToChString } from "../query/values";
import { FEEDBACK_FIELDS, FeedbackView, mapKeyField, normalizeFeedbackField, unknownFieldError } from "./catalog";
import { columnValue, FEEDBACK_COLUMNS, type FeedbackColumn } from "./rows";

const COUNT_FIELD = "count(*)";

/** One output key and how to read it. */
interface Projection {
  key: string;
  read: (view: FeedbackView) => unknown;
}

/**
 * Resolves `fields` into projections: a column, a `payload.<path>` read as the ClickHouse
 * JSON_VALUE string (`''` when missing, minified JSON for objects), or a scorer map key (its value,
 * null when absent), keyed by the requested name.
 * @throws WeftError VALIDATION "Unknown field: …"
 */
function projections(fields: readonly string[] | null | undefined): Projection[] {
  const names = fields && fields.length > 0 ? fields : FEEDBACK_COLUMNS;
  return names.map((name) => {
    const field = normalizeFeedbackField(name);
    if ((FEEDBACK_COLUMNS as readonly string[]).includes(field)) {
      const col = field as FeedbackColumn;
      return { key: field, read: (v) => columnValue(v.row, col, col === "payload" ? v.payload() : undefined) };
    }
    if (field.startsWith("payload.")) {
      const parts = splitFieldPath(field.slice("payload.".length));
      return { key: name, read: (v) => jsonToChString(getJsonPath(v.payload(), parts)) };
    }
    const mapKey = mapKeyField(field);
    if (mapKey) return { key: name, read: (v) => mapKey.get(v) };
    throw unknownFieldError(name, "fields");
  });
}

/** Every row of the project, in insertion order (the `[project_id+created_at]` index). */
function projectFeedback(ctx: ServerContext, projectId: string): Collection<FeedbackRow> {
  return ctx.db.feedback.where("[project_id+created_at]").between([projectId, Dexie.minKey], [projectId, Dexie.maxKey], true, true);
}

/**
 * `feedback_query` (§3.4) → `{result}`: dicts keyed by the requested field names; `count(*)` alone gives
 * `[{"count(*)": n}]`.
 * @throws WeftError VALIDATION for an unknown field in `fields`, `query` or `sort_by` ("Unknown field: …"),
 *   for `count(*)` mixed with other fields, and for malformed query operators; STORAGE.
 */
export async function feedbackQuery(ctx: ServerContext, req: FeedbackQueryReq): Promise<FeedbackQueryRes> {
  const fields = req.fields ?? [];
  const counting = fields.includes(COUNT_FIELD);
  if (counting && fields.length > 1) {
    throw new WeftError("VALIDATION", `${COUNT_FIELD} cannot be combined with other fields; request it alone`, {
      issues: [{ path: "fields", message: `${COUNT_FIELD} must be the only field` }],
    });
  }
  const project = counting ? [] : projections(fields);
  const predicate = req.query ? compileQuery(req.query, FEEDBACK_FIELDS) : undefined;
  const sortKey = req.sort_by && req.sort_by.length > 0 ? compileSortKey(req.sort_by, FEEDBACK_FIELDS) : undefined;
  const offset = req.offset ?? 0;
  const limit = req.limit ?? Infinity;

  let rows = projectFeedback(ctx, req.project_id);
  if (predicate) rows = rows.filter((row) => predicate(new FeedbackView(row)));
  if (counting) return { result: [{ [COUNT_FIELD]: await rows.count() }] };
  if (limit === 0) return { result: [] };

  let page: FeedbackView[];
  if (sortKey) {
    const sorted = sortRows((await rows.toArray()).map((row) => new FeedbackView(row)), sortKey);
    page = sorted.slice(offset, offset + limit);
  } else {
    // Insertion order is the index order, so paging stops reading at offset + limit.
    if (offset > 0) rows = rows.offset(offset);
    if (limit !== Infinity) rows = rows.limit(limit);
    page = (await rows.toArray()).map((row) => new FeedbackView(row));
  }
  return {
    result: page.map((view) => {
      const out: Record<string, unknown> = {};
      for (const p of project) out[p.key] = p.read(view);
      return out;
    }),
  };
}
