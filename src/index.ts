/**
 * weft's public API. Everything promised is exported here by name (and from `weft/worker`);
 * nothing else is.
 */

// The contract: Weave's trace-server interface, as a table and as types.
export { METHODS, METHOD_NAMES, isStreamMethod } from "./interface";
export type {
  MethodName,
  MethodReq,
  MethodRes,
  MethodSpec,
  StreamMethodName,
  TraceServerInterface,
  UnaryMethodName,
} from "./interface";

// Errors.
export { ERROR_STATUS, WeftError } from "./errors";
export type { ValidationIssue, WeftErrorCode, WeftErrorDetails } from "./errors";

// weft's own operations beyond Weave's interface (providers, retention, storage), as a table.
export { EXTENSIONS, EXTENSION_NAMES, isExtensionName } from "./extensions";
export type { ExtensionName, ExtensionReq, ExtensionRes, ExtensionSpec, WeftExtensions } from "./extensions";
export type { DeleteProjectRes, ProviderConfigInput, ProviderInfo, PurgeRes, SetProviderReq, StorageInfoRes } from "./schema/extensions";

// The main-thread client of a weft worker.
export { createClient } from "./client/index";
export type { BatchOptions, ClientOptions, WeftClient } from "./client/index";

// Weave's HTTP API: serve it (the official SDK's customFetch, a Service Worker, node:http) and speak it.
export { createFetchHandler, createRemoteTraceServer, parseJsonl, toCustomFetch, toNodeListener } from "./http/index";
export type {
  FetchHandler,
  FetchHandlerOptions,
  NodeRequestLike,
  NodeResponseLike,
  RemoteTraceServer,
  RemoteTraceServerOptions,
} from "./http/index";

// The server, in-process (Node with fake-indexeddb, or any realm with IndexedDB).
export { createLocalTraceServer } from "./server/index";
export type { ImplementedMethod, LocalTraceServer, LocalTraceServerOptions } from "./server/index";

// Request and response types of the calls API (the rest are in `MethodReq`/`MethodRes`).
export type {
  CallSchema,
  CallsFilter,
  CallsQueryReq,
  CallsQueryReqInput,
  CallsQueryRes,
  EndedCallSchemaForInsert,
  StartedCallSchemaForInsert,
} from "./schema/calls";
export type { Query, Operation, Operand } from "./schema/query";
export type { SortBy } from "./schema/common";

// The tracing API for in-browser apps: ops, nesting across await, attributes, publishing, OpenAI.
export {
  Dataset,
  Tracer,
  bindContext,
  chatCompletionStreamReducer,
  flush,
  getCurrentCall,
  getPropagation,
  getTracer,
  init,
  isOp,
  op,
  publish,
  setPropagation,
  summarizeChatCompletion,
  withAttributes,
  withCall,
  wrapOpenAI,
} from "./trace/index";
export type {
  DatasetOptions,
  InitOptions,
  OpenAILike,
  Op,
  OpOptions,
  PropagationMode,
  StreamReducer,
  TraceCall,
  TracerClient,
  WrapOpenAIOptions,
} from "./trace/index";

// Export to a Weave server, import from one, and portable bundles.
export {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  DEFAULT_BATCH_LIMITS,
  EXPORT_KINDS,
  exportBundle,
  exportProject,
  importBundle,
  importProject,
  indexedDbStateStore,
  memoryStateStore,
  readBundle,
} from "./export/index";
export type {
  BatchLimits,
  BundleCounts,
  ExportBundleOptions,
  ExportKind,
  ExportProgress,
  ExportProjectOptions,
  ExportResult,
  ExportStateStore,
  ExportTarget,
  ImportBundleOptions,
  ImportBundleResult,
  ImportProjectOptions,
  ReplicateResult,
} from "./export/index";
