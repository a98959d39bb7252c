/**
 * Tables: request and response shapes of `table_create`, `table_create_from_digests`, `table_update`,
 * `table_query`(`_stream`), `table_query_stats` and `table_query_stats_batch` (weave-semantics.md §5).
 *
 * Strictness follows Weave HEAD model by model: top-level requests and `TableRowFilter` reject unknown
 * keys; the nested `TableSchemaForInsert` and the update specs are plain pydantic models that ignore
 * them.
 */
import { z } from "zod";
import {
  jsonObjectSchema,
  JsonValueSchema,
  LimitSchema,
  OffsetSchema,
  OptionalBool,
  OptionalString,
  ProjectIdSchema,
  SortBySchema,
} from "./common";

/** Weave's message for a table row that is not a JSON object (§1.3). */
export const NON_DICT_ROW_MESSAGE = "All rows must be dictionaries";

/**
 * One table row to store: a JSON object. Anything else (array, string, `Date`, …) fails with Weave's
 * message (§1.3; Weave answers 500 there, weft a validation error, since it is the caller's mistake).
 */
// Passed through, not copied key by key: a row may have any key, `__proto__` included (§1.3).
export const TableRowValSchema = jsonObjectSchema(NON_DICT_ROW_MESSAGE);
export type TableRowVal = z.infer<typeof TableRowValSchema>;

/** A table to create (`TableSchemaForInsert`): rows in order, duplicates kept (§5.1). */
export const TableSchemaForInsertSchema = z.object({
  project_id: ProjectIdSchema,
  rows: z.array(TableRowValSchema),
  /** Client-computed table digest; a mismatch is DIGEST_MISMATCH 409 (HEAD, §1.5). */
  expected_digest: OptionalString,
});
export type TableSchemaForInsert = z.infer<typeof TableSchemaForInsertSchema>;

/** `table_create` request: `{table}` (§5.1). */
export const TableCreateReqSchema = z.strictObject({ table: TableSchemaForInsertSchema });
export type TableCreateReq = z.infer<typeof TableCreateReqSchema>;

/**
 * `table_create` response: the table digest (64 hex) and each row's digest in input order (§5.1).
 * `row_digests` defaults to `[]` like Weave's `default_factory`, for older servers that omit it.
 */
export const TableCreateResSchema = z.object({
  digest: z.string(),
  row_digests: z.array(z.string()).default([]),
});
export type TableCreateRes = z.infer<typeof TableCreateResSchema>;

/** `table_create_from_digests` request: a table built from stored row digests, unchecked (HEAD, §5.2). */
export const TableCreateFromDigestsReqSchema = z.strictObject({
  project_id: ProjectIdSchema,
  row_digests: z.array(z.string()),
  expected_digest: OptionalString,
});
export type TableCreateFromDigestsReq = z.infer<typeof TableCreateFromDigestsReqSchema>;

/** `table_create_from_digests` response: `{digest}` (§5.2). */
export const TableCreateFromDigestsResSchema = z.object({ digest: z.string() });
export type TableCreateFromDigestsRes = z.infer<typeof TableCreateFromDigestsResSchema>;

/** Payload of an append: the row to add at the end (§5.3). */
export const TableAppendSpecPayloadSchema = z.object({ row: TableRowValSchema });
export type TableAppendSpecPayload = z.infer<typeof TableAppendSpecPayloadSchema>;
/** `{"append": {"row": {...}}}` (§5.3). */
export const TableAppendSpecSchema = z.object({ append: TableAppendSpecPayloadSchema });
export type TableAppendSpec = z.infer<typeof TableAppendSpecSchema>;

/**
 * Payload of a pop: the index to remove. Any integer here: an index out of range is Weave's
 * `ValueError("Index out of range")`, raised by the server against the current row count (§5.3).
 */
export const TablePopSpecPayloadSchema = z.object({ index: z.number().int() });
export type TablePopSpecPayload = z.infer<typeof TablePopSpecPayloadSchema>;
/** `{"pop": {"index": i}}` (§5.3). */
export const TablePopSpecSchema = z.object({ pop: TablePopSpecPayloadSchema });
export type TablePopSpec = z.infer<typeof TablePopSpecSchema>;

/** Payload of an insert: position (range checked by the server, §5.3) and row. */
export const TableInsertSpecPayloadSchema = z.object({ index: z.number().int(), row: TableRowValSchema });
export type TableInsertSpecPayload = z.infer<typeof TableInsertSpecPayloadSchema>;
/** `{"insert": {"index": i, "row": {...}}}` (§5.3). */
export const TableInsertSpecSchema = z.object({ insert: TableInsertSpecPayloadSchema });
export type TableInsertSpec = z.infer<typeof TableInsertSpecSchema>;

/**
 * One update: exactly one of `append`, `pop`, `insert` (Weave's `TableUpdateSpec` union). Parsed as one
 * object with three optional keys rather than a `z.union`, so that a bad row inside an update reports
 * its own path and message (`updates.0.append.row`: "All rows must be dictionaries") instead of a
 * generic "invalid union"; the result is narrowed to the union.
 */
export const TableUpdateSpecSchema = z
  .object({
    append: TableAppendSpecPayloadSchema.optional(),
    pop: TablePopSpecPayloadSchema.optional(),
    insert: TableInsertSpecPayloadSchema.optional(),
  })
  .transform((spec, ctx): TableAppendSpec | TablePopSpec | TableInsertSpec => {
    const count = Number(spec.append !== undefined) + Number(spec.pop !== undefined) + Number(spec.insert !== undefined);
    if (count === 1) {
      if (spec.append) return { append: spec.append };
      if (spec.pop) return { pop: spec.pop };
      if (spec.insert) return { insert: spec.insert };
    }
    ctx.addIssue({
      code: "custom",
      message: 'each update must have exactly one of "append", "pop" or "insert"',
    });
    return z.NEVER;
  });
export type TableUpdateSpec = z.infer<typeof TableUpdateSpecSchema>;
export type TableUpdateSpecInput = z.input<typeof TableUpdateSpecSchema>;

/** `table_update` request: updates applied in order to a copy of the base table (§5.3). */
export const TableUpdateReqSchema = z.strictObject({
  project_id: ProjectIdSchema,
  base_digest: z.string(),
  updates: z.array(TableUpdateSpecSchema),
});
export type TableUpdateReq = z.infer<typeof TableUpdateReqSchema>;
export type TableUpdateReqInput = z.input<typeof TableUpdateReqSchema>;

/**
 * `table_update` response: the new table digest and, per update, the row digest added or popped
 * (§5.3). `updated_row_digests` defaults to `[]` for older servers, as in Weave.
 */
export const TableUpdateResSchema = z.object({
  digest: z.string(),
  updated_row_digests: z.array(z.string()).default([]),
});
export type TableUpdateRes = z.infer<typeof TableUpdateResSchema>;

/** `table_query` filter: keep only rows with these digests, positions preserved (§5.4). */
export const TableRowFilterSchema = z.strictObject({
  row_digests: z.array(z.string()).nullish(),
});
export type TableRowFilter = z.infer<typeof TableRowFilterSchema>;

/**
 * `table_query` request (§5.4). Sort fields are dotted paths into the row; their syntax is checked by
 * the server (InvalidRequest 400), like Weave.
 */
export const TableQueryReqSchema = z.strictObject({
  project_id: ProjectIdSchema,
  digest: z.string(),
  filter: TableRowFilterSchema.nullish(),
  limit: LimitSchema.nullish(),
  offset: OffsetSchema.nullish(),
  sort_by: z.array(SortBySchema).nullish(),
});
export type TableQueryReq = z.infer<typeof TableQueryReqSchema>;
export type TableQueryReqInput = z.input<typeof TableQueryReqSchema>;

/** One row as read (`TableRowSchema`): digest, value and (HEAD) 0-based position in the table (§5.4). */
export const TableRowSchemaSchema = z.object({
  digest: z.string(),
  val: JsonValueSchema,
  original_index: z.number().int().nonnegative().nullish(),
});
export type TableRowSchema = z.infer<typeof TableRowSchemaSchema>;

/** `table_query` response: `{rows}`. `table_query_stream` yields the same rows one by one. */
export const TableQueryResSchema = z.object({ rows: z.array(TableRowSchemaSchema) });
export type TableQueryRes = z.infer<typeof TableQueryResSchema>;

/** `table_query_stats` request (§5.5). */
export const TableQueryStatsReqSchema = z.strictObject({
  project_id: ProjectIdSchema,
  digest: z.string(),
});
export type TableQueryStatsReq = z.infer<typeof TableQueryStatsReqSchema>;

/** `table_query_stats` response: the table's row count (§5.5). */
export const TableQueryStatsResSchema = z.object({ count: z.number().int().nonnegative() });
export type TableQueryStatsRes = z.infer<typeof TableQueryStatsResSchema>;

/** `table_query_stats_batch` request (HEAD, §5.5); `digests` defaults to none. */
export const TableQueryStatsBatchReqSchema = z.strictObject({
  project_id: ProjectIdSchema,
  digests: z.array(z.string()).nullish(),
  include_storage_size: OptionalBool,
});
export type TableQueryStatsBatchReq = z.infer<typeof TableQueryStatsBatchReqSchema>;

/** One table in a stats batch (`TableStatsRow`); `storage_size_bytes` only when asked for (§5.5). */
export const TableStatsRowSchema = z.object({
  count: z.number().int().nonnegative(),
  digest: z.string(),
  storage_size_bytes: z.number().int().nonnegative().nullish(),
});
export type TableStatsRow = z.infer<typeof TableStatsRowSchema>;

/** `table_query_stats_batch` response: entries only for tables that exist, order not promised (§5.5). */
export const TableQueryStatsBatchResSchema = z.object({ tables: z.array(TableStatsRowSchema) });
export type TableQueryStatsBatchRes = z.infer<typeof TableQueryStatsBatchResSchema>;
