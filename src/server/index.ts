/** The server layer's public surface: `createLocalTraceServer` and its types. */
export { createLocalTraceServer } from "./local-trace-server";
export type { LocalTraceServer, LocalTraceServerOptions, ProviderAdmin } from "./local-trace-server";
export type { ProviderConfigInput, ProviderInfo } from "./providers";
export type { ImplementedMethod } from "./handlers";
