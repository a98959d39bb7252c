/**
 * The price-table methods (weave-semantics.md §8.2–8.4): `cost_create`, `cost_query`, `cost_purge`, plus
 * `costsForCalls` for the calls read path (§8.5). weft implements them on every backend, unlike
 * Weave's SQLite server (where they are no-ops).
 *
 * One deliberate difference: Weave's `cost_query` lets a `query` *replace* the project restriction
 * (only `pricing_level = 'project'` stays forced, §8.3), so a query can read other projects' prices.
 * weft always scopes to the request's `project_id`: every read goes through a `[project_id+…]` index
 * range, and no request may see another project's rows (ARCHITECTURE.md "Storage design").
 */
import { Dexie } from "dexie";
import { v7 as uuidv7 } from "uuid";
import type { CostCreateReq, CostCreateRes, CostPurgeReq, CostPurgeRes, CostQueryReq, CostQueryRes } from "../../schema/costs";
import type { ServerContext } from "../context";
import type { CostRow } from "../db";
import { purgeIds } from "../feedback/purge-query";
import { compileQuery } from "../query/compile-expr";
import { compileSortKey, sortRows } from "../query/sort";
import { unknownFieldError } from "../feedback/catalog";
import { COST_FIELDS, COST_OUTPUT_FIELDS, costColumnValue, isCostColumn } from "./catalog";

export { costsForCalls, type CallForCosts } from "./for-calls";

/** Weave's InvalidRequest message for a purge query that is not id-only (§8.4). */
export const COST_PURGE_MESSAGE = "Can only purge costs by specifying one or more cost ids";

/**
 * `cost_create` (§8.2) → `{ids: [[cost_id, llm_id], …]}`: one project-level row per llm_id, each with a
 * new uuidv7 id; units default to `USD`, `provider_id` to `default`, `effective_date` to now, the
 * cache-token prices to 0; `created_by` is `wb_user_id` (the local user when absent, §0.3). All rows are
 * written in one transaction.
 * @throws WeftError STORAGE / QUOTA_EXCEEDED from IndexedDB.
 */
export async function costCreate(ctx: ServerContext, req: CostCreateReq): Promise<CostCreateRes> {
  const now = ctx.now();
  const createdBy = req.wb_user_id ?? ctx.userId;
  const rows: CostRow[] = Object.entries(req.costs).map(([llmId, cost]) => {
    const row: CostRow = {
      project_id: req.project_id,
      id: uuidv7(),
      llm_id: llmId,
      prompt_token_cost: cost.prompt_token_cost,
      completion_token_cost: cost.completion_token_cost,
      prompt_token_cost_unit: cost.prompt_token_cost_unit ?? "USD",
      completion_token_cost_unit: cost.completion_token_cost_unit ?? "USD",
      effective_date: cost.effective_date ?? now,
      provider_id: cost.provider_id ?? "default",
      created_by: createdBy,
      created_at: now,
    };
    // Zero is the default, so only real cache prices are stored.
    if (cost.cache_read_input_token_cost) row.cache_read_input_token_cost = cost.cache_read_input_token_cost;
    if (cost.cache_creation_input_token_cost) row.cache_creation_input_token_cost = cost.cache_creation_input_token_cost;
    return row;
  });
  if (rows.length > 0) await ctx.db.costs.bulkAdd(rows);
  return { ids: rows.map((row) => [row.id, row.llm_id] as [string, string]) };
}

/**
 * `cost_query` (§8.3) → `{results}`: the project's own prices (never the defaults, never another
 * project's), filtered by `query`, sorted by `sort_by` (NULLs last), paged, projected onto `fields`
 * (of `CostQueryOutput`'s fields; other price columns may be named but are not returned, as in Weave).
 * Without `sort_by`, rows come in creation order.
 * @throws WeftError VALIDATION for an unknown field ("Unknown field: …") or a malformed query; STORAGE.
 */
export async function costQuery(ctx: ServerContext, req: CostQueryReq): Promise<CostQueryRes> {
  const requested = req.fields && req.fields.length > 0 ? req.fields : COST_OUTPUT_FIELDS;
  for (const field of requested) if (!isCostColumn(field)) throw unknownFieldError(field, "fields");
  const output = requested.filter((f) => (COST_OUTPUT_FIELDS as readonly string[]).includes(f));
  const predicate = req.query ? compileQuery(req.query, COST_FIELDS) : undefined;
  const sortKey = req.sort_by && req.sort_by.length > 0 ? compileSortKey(req.sort_by, COST_FIELDS) : undefined;
  const offset = req.offset ?? 0;
  const limit = req.limit ?? Infinity;
  if (limit === 0) return { results: [] };

  let rows = ctx.db.costs.where("[project_id+id]").between([req.project_id, Dexie.minKey], [req.project_id, Dexie.maxKey], true, true);
  if (predicate) rows = rows.filter(predicate);
  let page: CostRow[];
  if (sortKey) {
    page = sortRows(await rows.toArray(), sortKey).slice(offset, offset + limit);
  } else {
    if (offset > 0) rows = rows.offset(offset);
    if (limit !== Infinity) rows = rows.limit(limit);
    page = await rows.toArray();
  }
  return {
    results: page.map((row) => Object.fromEntries(output.map((field) => [field, costColumnValue(row, field)]))),
  };
}

/**
 * `cost_purge` (§8.4) → `{}`: deletes the named price rows of the project; unknown ids are ignored.
 * @throws WeftError VALIDATION "Can only purge costs by specifying one or more cost ids" for a query
 *   other than `$eq`/`$in` on `id` or an `$or` of `$eq`s; STORAGE.
 */
export async function costPurge(ctx: ServerContext, req: CostPurgeReq): Promise<CostPurgeRes> {
  const ids = purgeIds(req.query, COST_PURGE_MESSAGE, { allowIn: true });
  await ctx.db.costs.bulkDelete(ids.map((id) => [req.project_id, id] as [string, string]));
  return {};
}
