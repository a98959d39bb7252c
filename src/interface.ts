/**
 * The one contract. For every method of Weave's `TraceServerInterface`: its request schema, its
 * response schema (for streaming methods: the schema of one streamed item), whether it streams,
 * Weave's HTTP route, and for the requests sent most (call starts and ends, calls reads) a
 * validation fast path that only ever accepts. The TypeScript interface, the worker's validation,
 * the client's proxy and the HTTP routes are all derived from this table; nothing here is written
 * twice.
 */
import type { z } from "zod";
import * as actions from "./schema/actions";
import * as calls from "./schema/calls";
import { fastCallCreateBatchReq, fastCallEndReq, fastCallStartReq } from "./schema/calls-fast-path";
import { fastCallsQueryReq, fastCallsQueryStatsReq } from "./schema/calls-query-fast-path";
import * as completions from "./schema/completions";
import * as costs from "./schema/costs";
import * as feedback from "./schema/feedback";
import * as files from "./schema/files";
import * as objects from "./schema/objects";
import * as projects from "./schema/projects";
import * as refs from "./schema/refs";
import * as tables from "./schema/tables";

/** How a method travels over HTTP (weave-semantics.md §13). */
export type HttpBody = "json" | "multipart";
export type HttpResponse = "json" | "jsonl" | "bytes";

/** One row of the method table. */
export interface MethodSpec {
  readonly req: z.ZodType;
  readonly res: z.ZodType;
  readonly stream: boolean;
  /** Weave's route, or null when Weave has no HTTP route for it (ensure_project_exists, §11). */
  readonly path: string | null;
  /** Other paths Weave also serves for it (e.g. `/files/create` beside `/file/create`). */
  readonly aliases?: readonly string[];
  readonly body?: HttpBody;
  readonly response?: HttpResponse;
  /**
   * A quicker reading of the request for the methods sent most (call starts and ends, calls reads):
   * what `req` parses to, or undefined to leave it to `req`'s schema, which alone decides what is
   * refused (`src/schema/calls-fast-path.ts`, `src/schema/calls-query-fast-path.ts`).
   */
  readonly fastParse?: (req: unknown) => unknown;
}

function unary<Req extends z.ZodType, Res extends z.ZodType>(req: Req, res: Res, path: string | null) {
  return { req, res, stream: false as const, path };
}
function streaming<Req extends z.ZodType, Item extends z.ZodType>(req: Req, item: Item, path: string) {
  return { req, res: item, stream: true as const, path, response: "jsonl" as const };
}

/** The method table: every method weft serves, in Weave's names. */
export const METHODS = {
  ensure_project_exists: unary(projects.EnsureProjectExistsReqSchema, projects.EnsureProjectExistsResSchema, null),

  call_start: { ...unary(calls.CallStartReqSchema, calls.CallStartResSchema, "/call/start"), fastParse: fastCallStartReq },
  call_end: { ...unary(calls.CallEndReqSchema, calls.CallEndResSchema, "/call/end"), fastParse: fastCallEndReq },
  call_start_batch: {
    ...unary(calls.CallCreateBatchReqSchema, calls.CallCreateBatchResSchema, "/call/upsert_batch"),
    fastParse: fastCallCreateBatchReq,
  },
  call_read: unary(calls.CallReadReqSchema, calls.CallReadResSchema, "/call/read"),
  calls_query: { ...unary(calls.CallsQueryReqSchema, calls.CallsQueryResSchema, "/calls/query"), fastParse: fastCallsQueryReq },
  calls_query_stream: { ...streaming(calls.CallsQueryReqSchema, calls.CallSchemaSchema, "/calls/stream_query"), fastParse: fastCallsQueryReq },
  calls_query_stats: {
    ...unary(calls.CallsQueryStatsReqSchema, calls.CallsQueryStatsResSchema, "/calls/query_stats"),
    fastParse: fastCallsQueryStatsReq,
  },
  calls_delete: unary(calls.CallsDeleteReqSchema, calls.CallsDeleteResSchema, "/calls/delete"),
  call_update: unary(calls.CallUpdateReqSchema, calls.CallUpdateResSchema, "/call/update"),

  obj_create: unary(objects.ObjCreateReqSchema, objects.ObjCreateResSchema, "/obj/create"),
  obj_read: unary(objects.ObjReadReqSchema, objects.ObjReadResSchema, "/obj/read"),
  objs_query: unary(objects.ObjQueryReqSchema, objects.ObjQueryResSchema, "/objs/query"),
  obj_delete: unary(objects.ObjDeleteReqSchema, objects.ObjDeleteResSchema, "/obj/delete"),
  op_create: unary(objects.OpCreateReqSchema, objects.OpCreateResSchema, "/op/create"),
  op_read: unary(objects.OpReadReqSchema, objects.OpReadResSchema, "/op/read"),
  ops_query: unary(objects.OpQueryReqSchema, objects.OpQueryResSchema, "/ops/query"),

  table_create: unary(tables.TableCreateReqSchema, tables.TableCreateResSchema, "/table/create"),
  table_create_from_digests: unary(
    tables.TableCreateFromDigestsReqSchema,
    tables.TableCreateFromDigestsResSchema,
    "/table/create_from_digests",
  ),
  table_update: unary(tables.TableUpdateReqSchema, tables.TableUpdateResSchema, "/table/update"),
  table_query: unary(tables.TableQueryReqSchema, tables.TableQueryResSchema, "/table/query"),
  table_query_stream: streaming(tables.TableQueryReqSchema, tables.TableRowSchemaSchema, "/table/query_stream"),
  table_query_stats: unary(tables.TableQueryStatsReqSchema, tables.TableQueryStatsResSchema, "/table/query_stats"),
  table_query_stats_batch: unary(
    tables.TableQueryStatsBatchReqSchema,
    tables.TableQueryStatsBatchResSchema,
    "/table/query_stats_batch",
  ),

  refs_read_batch: unary(refs.RefsReadBatchReqSchema, refs.RefsReadBatchResSchema, "/refs/read_batch"),

  file_create: {
    ...unary(files.FileCreateReqSchema, files.FileCreateResSchema, "/file/create"),
    aliases: ["/files/create"],
    body: "multipart" as const,
  },
  file_content_read: {
    ...unary(files.FileContentReadReqSchema, files.FileContentReadResSchema, "/file/content"),
    aliases: ["/files/content"],
    response: "bytes" as const,
  },
  files_stats: unary(files.FilesStatsReqSchema, files.FilesStatsResSchema, "/files/stats"),

  feedback_create: unary(feedback.FeedbackCreateReqSchema, feedback.FeedbackCreateResSchema, "/feedback/create"),
  feedback_create_batch: unary(
    feedback.FeedbackCreateBatchReqSchema,
    feedback.FeedbackCreateBatchResSchema,
    "/feedback/batch/create",
  ),
  feedback_query: unary(feedback.FeedbackQueryReqSchema, feedback.FeedbackQueryResSchema, "/feedback/query"),
  feedback_purge: unary(feedback.FeedbackPurgeReqSchema, feedback.FeedbackPurgeResSchema, "/feedback/purge"),
  feedback_replace: unary(feedback.FeedbackReplaceReqSchema, feedback.FeedbackReplaceResSchema, "/feedback/replace"),

  cost_create: unary(costs.CostCreateReqSchema, costs.CostCreateResSchema, "/cost/create"),
  cost_query: unary(costs.CostQueryReqSchema, costs.CostQueryResSchema, "/cost/query"),
  cost_purge: unary(costs.CostPurgeReqSchema, costs.CostPurgeResSchema, "/cost/purge"),

  completions_create: unary(
    completions.CompletionsCreateReqSchema,
    completions.CompletionsCreateResSchema,
    "/completions/create",
  ),
  actions_execute_batch: unary(
    actions.ActionsExecuteBatchReqSchema,
    actions.ActionsExecuteBatchResSchema,
    "/actions/execute_batch",
  ),
} as const satisfies Record<string, MethodSpec>;

export type Methods = typeof METHODS;
/** Every method name. */
export type MethodName = keyof Methods;
/** Methods whose response is a stream of items. */
export type StreamMethodName = { [M in MethodName]: Methods[M]["stream"] extends true ? M : never }[MethodName];
/** Methods with one response. */
export type UnaryMethodName = Exclude<MethodName, StreamMethodName>;
/** What a caller passes (before validation: datetimes may be `Date`s, buffers `ArrayBuffer`s). */
export type MethodReq<M extends MethodName> = z.input<Methods[M]["req"]>;
/** A request after validation. */
export type ParsedReq<M extends MethodName> = z.output<Methods[M]["req"]>;
/** A response (for streaming methods: one item). */
export type MethodRes<M extends MethodName> = z.output<Methods[M]["res"]>;

/** Weave's `TraceServerInterface`, derived from the method table. */
export type TraceServerInterface = {
  [M in UnaryMethodName]: (req: MethodReq<M>) => Promise<MethodRes<M>>;
} & {
  [M in StreamMethodName]: (req: MethodReq<M>) => AsyncIterable<MethodRes<M>>;
};

/** The names in table order. */
export const METHOD_NAMES = Object.keys(METHODS) as MethodName[];

/** True for methods that answer with a stream. */
export function isStreamMethod(name: MethodName): name is StreamMethodName {
  return METHODS[name].stream;
}
