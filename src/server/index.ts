/** The server layer's public surface: `createLocalTraceServer` and its types. */
export { createLocalTraceServer } from "./local-trace-server";
export type { LocalTraceServer, LocalTraceServerOptions } from "./local-trace-server";
export type { ImplementedMethod } from "./handlers";
