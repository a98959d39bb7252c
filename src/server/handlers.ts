/**
 * Which module serves which method. Each handler takes a validated request; validation, error
 * conversion and the public method surface are done once, in `local-trace-server.ts`.
 */
import type { MethodName, MethodRes, ParsedReq, StreamMethodName, UnaryMethodName } from "../interface";
import * as calls from "./calls/handlers";
import * as actions from "./actions/handlers";
import * as completions from "./completions/handlers";
import * as costs from "./costs/handlers";
import * as feedback from "./feedback/handlers";
import * as files from "./files/handlers";
import * as objects from "./objects/handlers";
import { ensureProjectExists } from "./projects";
import type { ProviderContext } from "./providers";
import { refsReadBatch } from "./refs/read-batch";
import * as tables from "./tables/handlers";

/** What handlers get: the server context plus the LLM provider registry (completions, actions). */
export type HandlerContext = ProviderContext;
export type UnaryHandler<M extends UnaryMethodName> = (ctx: HandlerContext, req: ParsedReq<M>) => Promise<MethodRes<M>>;
export type StreamHandler<M extends StreamMethodName> = (ctx: HandlerContext, req: ParsedReq<M>) => AsyncIterable<MethodRes<M>>;
export type Handler<M extends MethodName> = M extends StreamMethodName
  ? StreamHandler<M>
  : M extends UnaryMethodName
    ? UnaryHandler<M>
    : never;

/**
 * The handler of every method weft serves today. Methods of the table that are missing here are
 * not offered by `LocalTraceServer` (its type and `implementedMethods` say so).
 */
export const HANDLERS = {
  ensure_project_exists: ensureProjectExists,
  call_start: calls.callStart,
  call_end: calls.callEnd,
  call_start_batch: calls.callStartBatch,
  call_read: calls.callRead,
  calls_query: calls.callsQuery,
  calls_query_stream: calls.callsQueryStream,
  calls_query_stats: calls.callsQueryStats,
  calls_delete: calls.callsDelete,
  call_update: calls.callUpdate,
  obj_create: objects.objCreate,
  obj_read: objects.objRead,
  objs_query: objects.objsQuery,
  obj_delete: objects.objDelete,
  op_create: objects.opCreate,
  op_read: objects.opRead,
  ops_query: objects.opsQuery,
  table_create: tables.tableCreate,
  table_create_from_digests: tables.tableCreateFromDigests,
  table_update: tables.tableUpdate,
  table_query: tables.tableQuery,
  table_query_stream: tables.tableQueryStream,
  table_query_stats: tables.tableQueryStats,
  table_query_stats_batch: tables.tableQueryStatsBatch,
  refs_read_batch: refsReadBatch,
  file_create: files.fileCreate,
  file_content_read: files.fileContentRead,
  files_stats: files.filesStats,
  feedback_create: feedback.feedbackCreate,
  feedback_create_batch: feedback.feedbackCreateBatch,
  feedback_query: feedback.feedbackQuery,
  feedback_purge: feedback.feedbackPurge,
  feedback_replace: feedback.feedbackReplace,
  cost_create: costs.costCreate,
  cost_query: costs.costQuery,
  cost_purge: costs.costPurge,
  completions_create: completions.completionsCreate,
  actions_execute_batch: actions.actionsExecuteBatch,
} satisfies { [M in MethodName]?: Handler<M> };

/**
 * Methods whose answer `LocalTraceServer.answerJson` gives as JSON text: answers made of JSON data
 * throughout, built from the stored text (a worker sends its client text for a fraction of what
 * structured-cloning the objects costs). Each gives the JSON text of what its `HANDLERS` entry returns.
 */
export const JSON_HANDLERS = {
  calls_query: calls.callsQueryJson,
  call_read: calls.callReadJson,
} satisfies { [M in UnaryMethodName]?: (ctx: HandlerContext, req: ParsedReq<M>) => Promise<string> };

/** A method `LocalTraceServer.answerJson` serves. */
export type JsonAnswerMethod = keyof typeof JSON_HANDLERS;

/**
 * Streaming methods `LocalTraceServer.streamJson` gives item by item as JSON text, for the same
 * reason: each item is the JSON text of what its `HANDLERS` entry yields.
 */
export const JSON_STREAM_HANDLERS = {
  calls_query_stream: calls.callsQueryStreamJson,
} satisfies { [M in StreamMethodName]?: (ctx: HandlerContext, req: ParsedReq<M>) => AsyncIterable<string> };

/** A method `LocalTraceServer.streamJson` serves. */
export type JsonStreamMethod = keyof typeof JSON_STREAM_HANDLERS;

/** The methods `LocalTraceServer` implements. */
export type ImplementedMethod = keyof typeof HANDLERS;
