/**
 * Calls: the request and response shapes of Weave's call methods (trace_server_interface.md,
 * weave-semantics.md §2), plus `CallCreateBatchReq` (Weave's `/call/upsert_batch`).
 */
import { z } from "zod";
import {
  DateTimeOutSchema,
  DateTimeSchema,
  JsonObjectSchema,
  JsonValueSchema,
  LimitSchema,
  OffsetSchema,
  OptionalBool,
  OptionalString,
  ProjectIdSchema,
  SortBySchema,
} from "./common";
import { QuerySchema } from "./query";

/** Longest op name that is not a ref (ClickHouse validation, §2.2). */
export const MAX_OP_NAME_LENGTH = 128;
/** Longest display name (§2.2, U-04). */
export const MAX_DISPLAY_NAME_LENGTH = 1024;
/** Most entries in one `CallsFilter` list, and most ids in one `calls_delete` (§14). */
export const MAX_FILTER_LIST_LENGTH = 1000;

/** Longest call, trace or parent id. */
export const MAX_CALL_ID_LENGTH = 128;
/** What a call id may not contain: it sits inside a ref path (`…/call/<id>`). */
const CALL_ID_PATTERN = /^[^/\s]+$/;

/**
 * A call, trace or parent id. Weave's SDKs send uuidv7 (or 16/32-hex OTel ids); the fake and SQLite
 * servers accept any string. We accept any short id that can sit inside a ref path (`…/call/<id>`),
 * so no `/`, no whitespace.
 */
export const CallIdSchema = z
  .string()
  .min(1, "must not be empty")
  .max(MAX_CALL_ID_LENGTH, `must be at most ${MAX_CALL_ID_LENGTH} characters`)
  .regex(CALL_ID_PATTERN, "must not contain '/' or whitespace");

/** True when `CallIdSchema` accepts `value` (the rules above, for the call-parts fast path). */
export function isCallId(value: unknown): value is string {
  return typeof value === "string" && value.length >= 1 && value.length <= MAX_CALL_ID_LENGTH && CALL_ID_PATTERN.test(value);
}

const OP_REF = /^(weave|weave-trace-internal):\/\/\/[^/]+(\/[^/]+)?\/op\/[^/:]+:[^/:]+$/;

/** What is wrong with a non-empty `op_name`, or undefined when it is fine. */
export function opNameProblem(name: string): string | undefined {
  if (name.startsWith("weave:///") || name.startsWith("weave-trace-internal:///")) {
    return OP_REF.test(name) ? undefined : "a ref op_name must look like weave:///entity/project/op/name:digest";
  }
  return name.length > MAX_OP_NAME_LENGTH ? `must be at most ${MAX_OP_NAME_LENGTH} characters` : undefined;
}

/** `op_name`: a plain name (≤ 128 chars) or an op ref `weave:///entity/project/op/name:digest` (§2.2). */
export const OpNameSchema = z
  .string()
  .min(1, "must not be empty")
  .superRefine((name, ctx) => {
    const problem = opNameProblem(name);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

const DisplayNameSchema = z
  .string()
  .max(MAX_DISPLAY_NAME_LENGTH, `display_name must be at most ${MAX_DISPLAY_NAME_LENGTH} characters`)
  .nullish();

/**
 * The start half of a call (`StartedCallSchemaForInsert`). `id`/`trace_id` default to uuidv7 (§2.2).
 * Not strict: at HEAD this nested model drops unknown keys (e.g. `otel_dump` from newer SDKs).
 */
export const StartedCallSchemaForInsertSchema = z.object({
  project_id: ProjectIdSchema,
  id: CallIdSchema.nullish(),
  op_name: OpNameSchema,
  display_name: DisplayNameSchema,
  trace_id: CallIdSchema.nullish(),
  parent_id: CallIdSchema.nullish(),
  thread_id: OptionalString,
  turn_id: OptionalString,
  started_at: DateTimeSchema,
  attributes: JsonObjectSchema,
  inputs: JsonObjectSchema,
  wb_user_id: OptionalString,
  wb_run_id: OptionalString,
  wb_run_step: z.number().int().nonnegative().nullish(),
});
export type StartedCallSchemaForInsert = z.infer<typeof StartedCallSchemaForInsertSchema>;

/** The end half of a call (`EndedCallSchemaForInsert`). `summary` is stored verbatim (§2.3). Not strict, as at HEAD. */
export const EndedCallSchemaForInsertSchema = z.object({
  project_id: ProjectIdSchema,
  id: CallIdSchema,
  ended_at: DateTimeSchema,
  exception: OptionalString,
  output: JsonValueSchema.optional(),
  summary: JsonObjectSchema,
  wb_run_step_end: z.number().int().nonnegative().nullish(),
});
export type EndedCallSchemaForInsert = z.infer<typeof EndedCallSchemaForInsertSchema>;

/** `CallStartReq`. */
export const CallStartReqSchema = z.strictObject({ start: StartedCallSchemaForInsertSchema });
export type CallStartReq = z.infer<typeof CallStartReqSchema>;
export type CallStartReqInput = z.input<typeof CallStartReqSchema>;
/** `CallStartRes`. */
export const CallStartResSchema = z.object({ id: z.string(), trace_id: z.string() });
export type CallStartRes = z.infer<typeof CallStartResSchema>;

/** `CallEndReq`. */
export const CallEndReqSchema = z.strictObject({ end: EndedCallSchemaForInsertSchema });
export type CallEndReq = z.infer<typeof CallEndReqSchema>;
export type CallEndReqInput = z.input<typeof CallEndReqSchema>;
/** `CallEndRes` (`{}`). */
export const CallEndResSchema = z.object({});
export type CallEndRes = z.infer<typeof CallEndResSchema>;

/** One item of `/call/upsert_batch`. Any mode other than start/end is "Invalid mode" (§2.4). */
export const CallBatchItemSchema = z.discriminatedUnion(
  "mode",
  [
    z.strictObject({ mode: z.literal("start"), req: CallStartReqSchema }),
    z.strictObject({ mode: z.literal("end"), req: CallEndReqSchema }),
  ],
  { message: 'Invalid mode: each batch item needs mode "start" or "end"' },
);
export type CallBatchItem = z.infer<typeof CallBatchItemSchema>;

/** `CallCreateBatchReq`: starts and ends in order, stored in one transaction (§2.4). */
export const CallCreateBatchReqSchema = z.strictObject({ batch: z.array(CallBatchItemSchema) });
export type CallCreateBatchReq = z.infer<typeof CallCreateBatchReqSchema>;
export type CallCreateBatchReqInput = z.input<typeof CallCreateBatchReqSchema>;
/** `CallCreateBatchRes`: `{id, trace_id}` per start, `{}` per end. */
export const CallCreateBatchResSchema = z.object({
  res: z.array(z.union([CallStartResSchema, CallEndResSchema])),
});
export type CallCreateBatchRes = z.infer<typeof CallCreateBatchResSchema>;

/** `CallSchema`: a call as reads return it (§2.1). */
export const CallSchemaSchema = z.object({
  id: z.string(),
  project_id: z.string(),
  op_name: z.string(),
  display_name: z.string().nullish(),
  trace_id: z.string(),
  parent_id: z.string().nullish(),
  thread_id: z.string().nullish(),
  turn_id: z.string().nullish(),
  started_at: DateTimeOutSchema,
  attributes: z.record(z.string(), z.unknown()),
  inputs: z.record(z.string(), z.unknown()),
  ended_at: DateTimeOutSchema.nullish(),
  exception: z.string().nullish(),
  output: z.unknown().optional(),
  summary: z.record(z.string(), z.unknown()).nullish(),
  wb_user_id: z.string().nullish(),
  wb_run_id: z.string().nullish(),
  wb_run_step: z.number().nullish(),
  wb_run_step_end: z.number().nullish(),
  deleted_at: DateTimeOutSchema.nullish(),
  storage_size_bytes: z.number().nullish(),
  total_storage_size_bytes: z.number().nullish(),
});
export type CallSchema = z.infer<typeof CallSchemaSchema>;

/** `CallReadReq`. */
export const CallReadReqSchema = z.strictObject({
  project_id: ProjectIdSchema,
  id: CallIdSchema,
  include_costs: OptionalBool,
  include_storage_size: OptionalBool,
  include_total_storage_size: OptionalBool,
});
export type CallReadReq = z.infer<typeof CallReadReqSchema>;
/** `CallReadRes`: `call` is null when missing or deleted (§2.6). */
export const CallReadResSchema = z.object({ call: CallSchemaSchema.nullable() });
export type CallReadRes = z.infer<typeof CallReadResSchema>;

const IdList = z.array(z.string()).nullish();

/** `CallsFilter`: every clause ANDed; `null` and `[]` mean "no filter" except thread/turn ids (§2.9.1). */
export const CallsFilterSchema = z.strictObject({
  op_names: IdList,
  input_refs: IdList,
  output_refs: IdList,
  parent_ids: IdList,
  trace_ids: IdList,
  call_ids: IdList,
  thread_ids: IdList,
  turn_ids: IdList,
  trace_roots_only: OptionalBool,
  wb_user_ids: IdList,
  wb_run_ids: IdList,
});
export type CallsFilter = z.infer<typeof CallsFilterSchema>;

/** `CallsQueryReq` (also the request of `calls_query_stream`). */
export const CallsQueryReqSchema = z.strictObject({
  project_id: ProjectIdSchema,
  filter: CallsFilterSchema.nullish(),
  limit: LimitSchema.nullish(),
  offset: OffsetSchema.nullish(),
  sort_by: z.array(SortBySchema).nullish(),
  query: QuerySchema.nullish(),
  include_costs: OptionalBool,
  include_feedback: OptionalBool,
  include_storage_size: OptionalBool,
  include_total_storage_size: OptionalBool,
  columns: z.array(z.string()).nullish(),
  expand_columns: z.array(z.string()).nullish(),
  return_expanded_column_values: OptionalBool,
});
export type CallsQueryReq = z.infer<typeof CallsQueryReqSchema>;
export type CallsQueryReqInput = z.input<typeof CallsQueryReqSchema>;
/** `CallsQueryRes`. */
export const CallsQueryResSchema = z.object({ calls: z.array(CallSchemaSchema) });
export type CallsQueryRes = z.infer<typeof CallsQueryResSchema>;

/** `CallsQueryStatsReq`. `limit` caps the count (§2.10). */
export const CallsQueryStatsReqSchema = z.strictObject({
  project_id: ProjectIdSchema,
  filter: CallsFilterSchema.nullish(),
  query: QuerySchema.nullish(),
  limit: LimitSchema.nullish(),
  include_total_storage_size: OptionalBool,
  expand_columns: z.array(z.string()).nullish(),
});
export type CallsQueryStatsReq = z.infer<typeof CallsQueryStatsReqSchema>;
/** `CallsQueryStatsRes`. */
export const CallsQueryStatsResSchema = z.object({
  count: z.number(),
  total_storage_size_bytes: z.number().nullish(),
});
export type CallsQueryStatsRes = z.infer<typeof CallsQueryStatsResSchema>;

/** `CallsDeleteReq`: soft delete, cascading to descendants (§2.7). */
export const CallsDeleteReqSchema = z.strictObject({
  project_id: ProjectIdSchema,
  call_ids: z.array(z.string()),
  wb_user_id: OptionalString,
});
export type CallsDeleteReq = z.infer<typeof CallsDeleteReqSchema>;
/** `CallsDeleteRes`. */
export const CallsDeleteResSchema = z.object({ num_deleted: z.number() });
export type CallsDeleteRes = z.infer<typeof CallsDeleteResSchema>;

/** `CallUpdateReq`: only `display_name` is updatable (§2.8). */
export const CallUpdateReqSchema = z.strictObject({
  project_id: ProjectIdSchema,
  call_id: CallIdSchema,
  display_name: DisplayNameSchema,
  wb_user_id: OptionalString,
});
export type CallUpdateReq = z.infer<typeof CallUpdateReqSchema>;
/** `CallUpdateRes` (`{}`). */
export const CallUpdateResSchema = z.object({});
export type CallUpdateRes = z.infer<typeof CallUpdateResSchema>;
