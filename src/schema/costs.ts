/**
 * Costs: `cost_create`, `cost_query`, `cost_purge` (weave-semantics.md §8). Prices are per single
 * token; defaults (`USD` units, provider `default`, effective now) are applied by the server, as in
 * Weave, so a stored row records what was actually used.
 */
import { z } from "zod";
import {
  DateTimeOutSchema,
  DateTimeSchema,
  EmptyResSchema,
  isPlainObject,
  LimitSchema,
  OffsetSchema,
  OptionalString,
  ProjectIdSchema,
  SortBySchema,
} from "./common";
import { QuerySchema } from "./query";

/**
 * One LLM's price (`CostCreateInput`, §8.2). The cache-token prices are HEAD's; pydantic gives them
 * `0` as default and no `None`, so they are optional but not nullable. `effective_date` becomes epoch
 * ms.
 */
export const CostCreateInputSchema = z.strictObject({
  prompt_token_cost: z.number(),
  completion_token_cost: z.number(),
  cache_read_input_token_cost: z.number().optional(),
  cache_creation_input_token_cost: z.number().optional(),
  prompt_token_cost_unit: OptionalString,
  completion_token_cost_unit: OptionalString,
  effective_date: DateTimeSchema.nullish(),
  provider_id: OptionalString,
});
export type CostCreateInput = z.infer<typeof CostCreateInputSchema>;
export type CostCreateInputInput = z.input<typeof CostCreateInputSchema>;

/** `cost_create` request: prices keyed by `llm_id`; the server requires `wb_user_id` (§0.3, §8.2). */
export const CostCreateReqSchema = z.strictObject({
  project_id: ProjectIdSchema,
  // The own-key check first: z.record copies by assignment, and a `__proto__` llm id would vanish.
  costs: z
    .custom<Record<string, CostCreateInputInput>>((v) => isPlainObject(v) && !Object.hasOwn(v, "__proto__"), {
      message: "must be an object of prices keyed by llm_id (and no llm_id may be __proto__)",
    })
    .pipe(z.record(z.string(), CostCreateInputSchema)),
  wb_user_id: OptionalString,
});
export type CostCreateReq = z.infer<typeof CostCreateReqSchema>;
export type CostCreateReqInput = z.input<typeof CostCreateReqSchema>;

/**
 * `cost_create` response: `[cost_id, llm_id]` pairs. Weave's model comment says `(llm_id, cost_id)`,
 * but every implementation emits `(cost_id, llm_id)`, and so do we (§8.2).
 */
export const CostCreateResSchema = z.object({
  ids: z.array(z.tuple([z.string(), z.string()])),
});
export type CostCreateRes = z.infer<typeof CostCreateResSchema>;

/**
 * `cost_query` request (§8.3). A `query` *replaces* the project-id restriction (only
 * `pricing_level = 'project'` stays forced); that is server logic, noted here because it surprises.
 */
export const CostQueryReqSchema = z.strictObject({
  project_id: ProjectIdSchema,
  fields: z.array(z.string()).nullish(),
  query: QuerySchema.nullish(),
  sort_by: z.array(SortBySchema).nullish(),
  limit: LimitSchema.nullish(),
  offset: OffsetSchema.nullish(),
});
export type CostQueryReq = z.infer<typeof CostQueryReqSchema>;
export type CostQueryReqInput = z.input<typeof CostQueryReqSchema>;

/** One price row as queried (`CostQueryOutput`); every field optional because `fields` picks them (§8.3). */
export const CostQueryOutputSchema = z.object({
  id: OptionalString,
  llm_id: OptionalString,
  prompt_token_cost: z.number().nullish(),
  completion_token_cost: z.number().nullish(),
  cache_read_input_token_cost: z.number().nullish(),
  cache_creation_input_token_cost: z.number().nullish(),
  prompt_token_cost_unit: OptionalString,
  completion_token_cost_unit: OptionalString,
  effective_date: DateTimeOutSchema.nullish(),
  provider_id: OptionalString,
});
export type CostQueryOutput = z.infer<typeof CostQueryOutputSchema>;

/** `cost_query` response: `{results}` (§8.3). */
export const CostQueryResSchema = z.object({ results: z.array(CostQueryOutputSchema) });
export type CostQueryRes = z.infer<typeof CostQueryResSchema>;

/**
 * `cost_purge` request. The query must select ids only (`$eq`/`$in` on `id`, or `$or` of `$eq`);
 * otherwise the server raises "Can only purge costs by specifying one or more cost ids" (§8.4).
 */
export const CostPurgeReqSchema = z.strictObject({
  project_id: ProjectIdSchema,
  query: QuerySchema,
});
export type CostPurgeReq = z.infer<typeof CostPurgeReqSchema>;
export type CostPurgeReqInput = z.input<typeof CostPurgeReqSchema>;

/** `cost_purge` response: `{}`. */
export const CostPurgeResSchema = EmptyResSchema;
export type CostPurgeRes = z.infer<typeof CostPurgeResSchema>;
