/** The server layer's public surface: `createLocalTraceServer` and its types. */
export { createLocalTraceServer, JSON_ANSWER_METHODS, JSON_STREAM_METHODS } from "./local-trace-server";
export type { LocalTraceServer, LocalTraceServerOptions, ProviderAdmin } from "./local-trace-server";
export type { ProviderConfigInput, ProviderInfo } from "./providers";
export type { ImplementedMethod, JsonAnswerMethod, JsonStreamMethod } from "./handlers";
