/**
 * Weave's HTTP API, both ways (weave-semantics.md §13): `createFetchHandler` serves it from any
 * (partial) `TraceServerInterface`; `createRemoteTraceServer` speaks it to a Weave server.
 */
export {
  createFetchHandler,
  toCustomFetch,
  toNodeListener,
  type FetchHandler,
  type FetchHandlerOptions,
  type NodeRequestLike,
  type NodeResponseLike,
} from "./fetch-handler";
export { createRemoteTraceServer, type RemoteTraceServer, type RemoteTraceServerOptions } from "./remote-trace-server";
export { parseJsonl } from "./jsonl";
export { CONTENT_TYPE, GET_PATHS, METHOD_ROUTES, POST_ROUTES, type MethodRoute } from "./route-table";
