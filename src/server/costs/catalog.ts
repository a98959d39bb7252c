/**
 * The columns of a price row that `cost_query` may filter, sort and select (weave-semantics.md §8.1,
 * §8.3), with the same engine and semantics as feedback (§3.4). `pricing_level` and
 * `pricing_level_id` are not stored (a stored row is always project-level) but can be queried.
 */
import { formatDateTime } from "../../schema/common";
import type { CostRow } from "../db";
import { unknownFieldError } from "../feedback/catalog";
import type { FieldCatalog, FieldType, ResolvedField } from "../query/field-catalog";

/** The fields `cost_query` returns (`CostQueryOutput`), in Weave's order: the default `fields`. */
export const COST_OUTPUT_FIELDS = [
  "id",
  "llm_id",
  "prompt_token_cost",
  "completion_token_cost",
  "cache_read_input_token_cost",
  "cache_creation_input_token_cost",
  "prompt_token_cost_unit",
  "completion_token_cost_unit",
  "effective_date",
  "provider_id",
] as const;

type Getter = (row: CostRow) => unknown;

const FIELDS: Record<string, [FieldType, Getter]> = {
  id: ["string", (r) => r.id],
  llm_id: ["string", (r) => r.llm_id],
  provider_id: ["string", (r) => r.provider_id],
  prompt_token_cost: ["number", (r) => r.prompt_token_cost],
  completion_token_cost: ["number", (r) => r.completion_token_cost],
  cache_read_input_token_cost: ["number", (r) => r.cache_read_input_token_cost ?? 0],
  cache_creation_input_token_cost: ["number", (r) => r.cache_creation_input_token_cost ?? 0],
  prompt_token_cost_unit: ["string", (r) => r.prompt_token_cost_unit],
  completion_token_cost_unit: ["string", (r) => r.completion_token_cost_unit],
  effective_date: ["datetime", (r) => r.effective_date],
  created_at: ["datetime", (r) => r.created_at],
  created_by: ["string", (r) => r.created_by],
  pricing_level: ["string", () => "project"],
  pricing_level_id: ["string", (r) => r.project_id],
};

/** The catalog of price-row fields for `compileQuery`/`compileSortKey`. */
export const COST_FIELDS: FieldCatalog<CostRow> = {
  /** @throws WeftError VALIDATION "Unknown field: …" */
  resolve(field: string): ResolvedField<CostRow> {
    const known = FIELDS[field];
    if (!known) throw unknownFieldError(field, "query");
    return { type: known[0], name: field, get: known[1] };
  },
};

/** A column's value as `cost_query` returns it (datetimes as ISO-8601); `field` must be a column. Does not throw. */
export function costColumnValue(row: CostRow, field: string): unknown {
  const value = FIELDS[field]?.[1](row);
  return field === "effective_date" || field === "created_at" ? formatDateTime(value as number) : value;
}

/** Whether `field` names a price-row column (for `fields`). Does not throw. */
export function isCostColumn(field: string): boolean {
  return Object.hasOwn(FIELDS, field);
}
