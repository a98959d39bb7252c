/**
 * Objects and ops: request and response shapes of `obj_create`, `obj_read`, `objs_query`, `obj_delete`
 * and the seed-era `op_create`/`op_read`/`ops_query` (trace_server_interface.md, weave-semantics.md §4).
 *
 * Strictness follows Weave HEAD model by model: the top-level requests and the filters are
 * `BaseModelStrict` (unknown keys rejected), while the nested `ObjSchemaForInsert` is a plain pydantic
 * `BaseModel`, which ignores unknown keys. The Python SDK sends every field of its own model version
 * (`model_dump_json` without `exclude_none`), so HEAD-only fields it sends (`include_tags_and_aliases`,
 * filter `tags`/`aliases`) are accepted here even where weft has no tags or aliases.
 */
import { z } from "zod";
import {
  DateTimeOutSchema,
  JsonValueSchema,
  LimitSchema,
  OffsetSchema,
  OptionalBool,
  OptionalString,
  ProjectIdSchema,
  SortBySchema,
} from "./common";

/** Most distinct digests one `obj_delete` may name; the server enforces it over *distinct* digests (§4.7). */
export const MAX_OBJ_DELETE_DIGESTS = 100;
/** Weave's ValueError message when `obj_delete` names too many digests (§4.7, 400). */
export const OBJ_DELETE_TOO_MANY_MESSAGE = "Please delete 100 or fewer objects at a time";

const OptionalStringList = z.array(z.string()).nullish();

/**
 * An object version to write (`ObjSchemaForInsert`). `object_id` is a plain string here: Weave checks
 * its characters and length in the server (InvalidFieldError 422 / 400, §4.4), so the server does too.
 * The deprecated `set_base_object_class` is folded into `builtin_object_class`, as pydantic's
 * `model_post_init` does (§4.2), so the server only reads the latter.
 */
export const ObjSchemaForInsertSchema = z
  .object({
    project_id: ProjectIdSchema,
    object_id: z.string(),
    val: JsonValueSchema,
    builtin_object_class: OptionalString,
    set_base_object_class: OptionalString,
    /** Client-computed digest; a mismatch is DIGEST_MISMATCH 409 (HEAD, §1.5). */
    expected_digest: OptionalString,
    wb_user_id: OptionalString,
  })
  .transform(({ set_base_object_class, ...rest }) => ({
    ...rest,
    builtin_object_class: rest.builtin_object_class ?? set_base_object_class,
  }));
export type ObjSchemaForInsert = z.infer<typeof ObjSchemaForInsertSchema>;
export type ObjSchemaForInsertInput = z.input<typeof ObjSchemaForInsertSchema>;

/** `obj_create` request: `{obj}` (§4.4). */
export const ObjCreateReqSchema = z.strictObject({ obj: ObjSchemaForInsertSchema });
export type ObjCreateReq = z.infer<typeof ObjCreateReqSchema>;
export type ObjCreateReqInput = z.input<typeof ObjCreateReqSchema>;

/** `obj_create` response: the version's digest and (HEAD) the object id (§4.4). */
export const ObjCreateResSchema = z.object({
  digest: z.string(),
  object_id: OptionalString,
});
export type ObjCreateRes = z.infer<typeof ObjCreateResSchema>;

/**
 * `obj_read` request. `digest` is a content digest, `latest` or `v<N>` (§4.5); `metadata_only`
 * returns `val: {}` (HEAD). `include_tags_and_aliases` is accepted because HEAD SDKs always send it.
 */
export const ObjReadReqSchema = z.strictObject({
  project_id: ProjectIdSchema,
  object_id: z.string(),
  digest: z.string(),
  metadata_only: OptionalBool,
  include_tags_and_aliases: OptionalBool,
});
export type ObjReadReq = z.infer<typeof ObjReadReqSchema>;

/**
 * An object version as read (`ObjSchema`, §4.1). `is_latest` is Weave's 0/1 integer, not a boolean;
 * `leaf_object_class`, `wb_user_id`, `size_bytes`, `tags` and `aliases` are HEAD additions.
 */
export const ObjSchemaSchema = z.object({
  project_id: ProjectIdSchema,
  object_id: z.string(),
  created_at: DateTimeOutSchema,
  deleted_at: DateTimeOutSchema.nullish(),
  digest: z.string(),
  version_index: z.number().int().nonnegative(),
  is_latest: z.number().int().min(0).max(1),
  kind: z.enum(["object", "op"]),
  base_object_class: z.string().nullish(),
  leaf_object_class: z.string().nullish(),
  val: JsonValueSchema,
  wb_user_id: OptionalString,
  size_bytes: z.number().int().nonnegative().nullish(),
  tags: OptionalStringList,
  aliases: OptionalStringList,
});
export type ObjSchema = z.infer<typeof ObjSchemaSchema>;

/** `obj_read` response: `{obj}`. */
export const ObjReadResSchema = z.object({ obj: ObjSchemaSchema });
export type ObjReadRes = z.infer<typeof ObjReadResSchema>;

/**
 * `objs_query` filter (`ObjectVersionFilter`), all clauses ANDed (§4.6). `tags`/`aliases` exist at
 * HEAD only; weft accepts them so the SDK's `null`s validate.
 */
export const ObjectVersionFilterSchema = z.strictObject({
  base_object_classes: OptionalStringList,
  exclude_base_object_classes: OptionalStringList,
  leaf_object_classes: OptionalStringList,
  object_ids: OptionalStringList,
  is_op: OptionalBool,
  latest_only: OptionalBool,
  tags: OptionalStringList,
  aliases: OptionalStringList,
});
export type ObjectVersionFilter = z.infer<typeof ObjectVersionFilterSchema>;

/** `objs_query` request (§4.6). Only `object_id` and `created_at` sort fields are honoured (server). */
export const ObjQueryReqSchema = z.strictObject({
  project_id: ProjectIdSchema,
  filter: ObjectVersionFilterSchema.nullish(),
  limit: LimitSchema.nullish(),
  offset: OffsetSchema.nullish(),
  sort_by: z.array(SortBySchema).nullish(),
  metadata_only: OptionalBool,
  include_storage_size: OptionalBool,
  include_tags_and_aliases: OptionalBool,
});
export type ObjQueryReq = z.infer<typeof ObjQueryReqSchema>;
export type ObjQueryReqInput = z.input<typeof ObjQueryReqSchema>;

/** `objs_query` response: `{objs}`. */
export const ObjQueryResSchema = z.object({ objs: z.array(ObjSchemaSchema) });
export type ObjQueryRes = z.infer<typeof ObjQueryResSchema>;

/**
 * `obj_delete` request (HEAD, §4.7). `digests` absent = every live version; entries may be digests,
 * `latest` or `v<N>`. The 100-digest cap counts *distinct* digests, so it lives in the server with
 * Weave's message (`MAX_OBJ_DELETE_DIGESTS`, `OBJ_DELETE_TOO_MANY_MESSAGE`), not in this schema.
 */
export const ObjDeleteReqSchema = z.strictObject({
  project_id: ProjectIdSchema,
  object_id: z.string(),
  digests: OptionalStringList,
});
export type ObjDeleteReq = z.infer<typeof ObjDeleteReqSchema>;

/** One deleted version as HEAD reports it (§4.7). */
export const DeletedObjVersionSchema = z.object({
  digest: z.string(),
  base_object_class: OptionalString,
  leaf_object_class: OptionalString,
});
export type DeletedObjVersion = z.infer<typeof DeletedObjVersionSchema>;

/** `obj_delete` response: how many versions were soft-deleted, and (HEAD) which (§4.7). */
export const ObjDeleteResSchema = z.object({
  num_deleted: z.number().int().nonnegative(),
  deleted_versions: z.array(DeletedObjVersionSchema).nullish(),
});
export type ObjDeleteRes = z.infer<typeof ObjDeleteResSchema>;

/** Seed-era `op_create` request: `{op_obj}`; ops are objects whose value is an Op (§4.3, §4.8). */
export const OpCreateReqSchema = z.strictObject({ op_obj: ObjSchemaForInsertSchema });
export type OpCreateReq = z.infer<typeof OpCreateReqSchema>;
export type OpCreateReqInput = z.input<typeof OpCreateReqSchema>;

/** Seed-era `op_create` response: `{digest}` (§4.8). */
export const OpCreateResSchema = z.object({ digest: z.string() });
export type OpCreateRes = z.infer<typeof OpCreateResSchema>;

/** Seed-era `op_read` request: the op's `name` and `digest` (§4.8). */
export const OpReadReqSchema = z.strictObject({
  project_id: ProjectIdSchema,
  name: z.string(),
  digest: z.string(),
});
export type OpReadReq = z.infer<typeof OpReadReqSchema>;

/** Seed-era `op_read` response: `{op_obj}` (§4.8). */
export const OpReadResSchema = z.object({ op_obj: ObjSchemaSchema });
export type OpReadRes = z.infer<typeof OpReadResSchema>;

/** Seed-era `ops_query` filter (`OpVersionFilter`, §4.8). */
export const OpVersionFilterSchema = z.strictObject({
  op_names: OptionalStringList,
  latest_only: OptionalBool,
});
export type OpVersionFilter = z.infer<typeof OpVersionFilterSchema>;

/** Seed-era `ops_query` request (§4.8). */
export const OpQueryReqSchema = z.strictObject({
  project_id: ProjectIdSchema,
  filter: OpVersionFilterSchema.nullish(),
});
export type OpQueryReq = z.infer<typeof OpQueryReqSchema>;

/** Seed-era `ops_query` response: `{op_objs}` (§4.8). */
export const OpQueryResSchema = z.object({ op_objs: z.array(ObjSchemaSchema) });
export type OpQueryRes = z.infer<typeof OpQueryResSchema>;
