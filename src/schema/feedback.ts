/**
 * Feedback: `feedback_create`(`_batch`), `feedback_query`, `feedback_purge`, `feedback_replace` and the
 * stored row `Feedback` (weave-semantics.md §3). Payload rules (reaction/note/annotation/runnable
 * types, the 1 MiB cap) are Weave server checks with their own messages, so they live in the server.
 */
import { z } from "zod";
import {
  DateTimeOutSchema,
  EmptyResSchema,
  JsonObjectSchema,
  LimitSchema,
  OffsetSchema,
  OptionalString,
  ProjectIdSchema,
  SortBySchema,
} from "./common";
import { QuerySchema } from "./query";

/**
 * Largest processed payload, in `json.dumps` characters; beyond it the server raises
 * `FEEDBACK_PAYLOAD_TOO_LARGE_MESSAGE` (§3.2).
 */
export const MAX_FEEDBACK_PAYLOAD_CHARS = 1 << 20;
/** Weave's InvalidRequest message for an oversized payload (§3.2, 400). */
export const FEEDBACK_PAYLOAD_TOO_LARGE_MESSAGE = "Feedback payload too large";

const StringMap = z.record(z.string(), z.string());
const NumberMap = z.record(z.string(), z.number());

/**
 * `span_status_code`: the OpenTelemetry status of the scored turn. ClickHouse stores it as
 * `Enum8('UNSET'=0, 'OK'=1, 'ERROR'=2)` and refuses any other value on insert; weft refuses it up front.
 */
export const SpanStatusCodeSchema = z.enum(["UNSET", "OK", "ERROR"]);
export type SpanStatusCode = z.infer<typeof SpanStatusCodeSchema>;

/**
 * The fields a feedback row is made of, shared by the create request and the stored row. The
 * `queue_id`, `scorer_*` and `span_*` fields are HEAD's (annotation queues, agent-monitor scorers);
 * the Python SDK sends them with their defaults (`[]`, `{}`, `""`, `"UNSET"`) on every create. The
 * scorer columns are typed as ClickHouse types them (`Array(String)`, `Map(String, String)`,
 * `Map(String, Float64)`), are allowed only on scorer feedback types (checked by the server, with
 * Weave's message) and are queryable: `$contains` on `scorer_tags` is membership, `scorer_ratings.<key>`
 * a map lookup (conformance FB-10, FB-11).
 */
const feedbackFields = {
  project_id: ProjectIdSchema,
  /** Usually a call ref `weave:///e/p/call/<id>`; not validated beyond being a string (§3.2). */
  weave_ref: z.string(),
  creator: OptionalString,
  feedback_type: z.string(),
  payload: JsonObjectSchema,
  annotation_ref: OptionalString,
  runnable_ref: OptionalString,
  call_ref: OptionalString,
  trigger_ref: OptionalString,
  queue_id: OptionalString,
  scorer_tags: z.array(z.string()).optional(),
  scorer_tag_reasons: StringMap.optional(),
  scorer_tag_confidences: NumberMap.optional(),
  scorer_ratings: NumberMap.optional(),
  scorer_rating_reasons: StringMap.optional(),
  scorer_rating_confidences: NumberMap.optional(),
  span_agent_name: z.string().optional(),
  span_agent_version: z.string().optional(),
  span_status_code: SpanStatusCodeSchema.optional(),
  span_conversation_id: z.string().optional(),
  span_trace_id: z.string().optional(),
  scorer_trace_id: z.string().optional(),
  /** Filled in by the server (§0.3); `feedback_create` requires one to be present by then. */
  wb_user_id: OptionalString,
};

/** `feedback_create` request (§3.2). `id` lets the client choose the row id (HEAD); else uuidv7. */
export const FeedbackCreateReqSchema = z.strictObject({
  id: OptionalString,
  ...feedbackFields,
});
export type FeedbackCreateReq = z.infer<typeof FeedbackCreateReqSchema>;

/** `feedback_create` response: the row's id, time, user and the *processed* payload (§3.2). */
export const FeedbackCreateResSchema = z.object({
  id: z.string(),
  created_at: DateTimeOutSchema,
  wb_user_id: z.string(),
  payload: JsonObjectSchema,
});
export type FeedbackCreateRes = z.infer<typeof FeedbackCreateResSchema>;

/** `feedback_create_batch` request: every item validated; any failure fails the batch (HEAD, §3.3). */
export const FeedbackCreateBatchReqSchema = z.strictObject({
  batch: z.array(FeedbackCreateReqSchema),
});
export type FeedbackCreateBatchReq = z.infer<typeof FeedbackCreateBatchReqSchema>;

/** `feedback_create_batch` response: one create response per item, in order (§3.3). */
export const FeedbackCreateBatchResSchema = z.object({
  res: z.array(FeedbackCreateResSchema),
});
export type FeedbackCreateBatchRes = z.infer<typeof FeedbackCreateBatchResSchema>;

/** A stored feedback row (`Feedback`): the create fields plus a required `id` and `created_at`. */
export const FeedbackSchema = z.object({
  ...feedbackFields,
  id: z.string(),
  created_at: DateTimeOutSchema,
});
export type Feedback = z.infer<typeof FeedbackSchema>;

/**
 * `feedback_query` request (§3.4). `fields` are column names, dotted payload paths (`payload.note`)
 * or `count(*)`; unknown names are the server's `ValueError("Unknown field: …")`.
 */
export const FeedbackQueryReqSchema = z.strictObject({
  project_id: ProjectIdSchema,
  fields: z.array(z.string()).nullish(),
  query: QuerySchema.nullish(),
  sort_by: z.array(SortBySchema).nullish(),
  limit: LimitSchema.nullish(),
  offset: OffsetSchema.nullish(),
});
export type FeedbackQueryReq = z.infer<typeof FeedbackQueryReqSchema>;
export type FeedbackQueryReqInput = z.input<typeof FeedbackQueryReqSchema>;

/**
 * `feedback_query` response: dicts keyed by the requested field names, not `Feedback` rows, since
 * `fields` picks the keys (§3.4). HEAD adds `total_count`; optional so older servers' answers parse.
 */
export const FeedbackQueryResSchema = z.object({
  result: z.array(z.record(z.string(), z.unknown())),
  total_count: z.number().int().nonnegative().nullish(),
});
export type FeedbackQueryRes = z.infer<typeof FeedbackQueryResSchema>;

/**
 * `feedback_purge` request. The query must be an `$eq` on `id` or an `$or` of them; anything else is
 * the server's InvalidRequest "Can only purge feedback by specifying one or more feedback ids" (§3.5).
 */
export const FeedbackPurgeReqSchema = z.strictObject({
  project_id: ProjectIdSchema,
  query: QuerySchema,
});
export type FeedbackPurgeReq = z.infer<typeof FeedbackPurgeReqSchema>;
export type FeedbackPurgeReqInput = z.input<typeof FeedbackPurgeReqSchema>;

/** `feedback_purge` response: `{}`. */
export const FeedbackPurgeResSchema = EmptyResSchema;
export type FeedbackPurgeRes = z.infer<typeof FeedbackPurgeResSchema>;

/** `feedback_replace` request: a create request plus the `feedback_id` of the row it replaces (§3.6). */
export const FeedbackReplaceReqSchema = FeedbackCreateReqSchema.extend({
  feedback_id: z.string(),
});
export type FeedbackReplaceReq = z.infer<typeof FeedbackReplaceReqSchema>;

/** `feedback_replace` response: same shape as the create response, for the new row (§3.6). */
export const FeedbackReplaceResSchema = FeedbackCreateResSchema;
export type FeedbackReplaceRes = z.infer<typeof FeedbackReplaceResSchema>;

/**
 * ClickHouse's defaults for the HEAD feedback columns: what a row that never set them reads back as
 * (the server fills them on read; the exporter leaves them out of requests when they hold them).
 */
export const FEEDBACK_HEAD_DEFAULTS = {
  queue_id: null,
  scorer_tags: [],
  scorer_tag_reasons: {},
  scorer_tag_confidences: {},
  scorer_ratings: {},
  scorer_rating_reasons: {},
  scorer_rating_confidences: {},
  span_agent_name: "",
  span_agent_version: "",
  span_status_code: "UNSET",
  span_conversation_id: "",
  span_trace_id: "",
  scorer_trace_id: "",
} as const;
