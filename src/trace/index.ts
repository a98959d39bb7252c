/**
 * The tracing API for apps: `init`, `op`, scoped attributes, the current call, publishing objects
 * and Datasets, and `wrapOpenAI`. How nesting follows async code, and what it guarantees, is in
 * `context.ts`.
 */
export { init, getTracer, publish, flush, Tracer } from "./init";
export type { InitOptions, TracerClient } from "./init";
export { op, isOp } from "./op";
export type { Op, OpOptions } from "./op";
export { withAttributes, withCall, getCurrentCall } from "./scope";
export type { TraceCall } from "./call-record";
export { bindContext, getPropagation, setPropagation } from "./context";
export type { PropagationMode } from "./context";
export { Dataset } from "./dataset";
export type { DatasetOptions } from "./dataset";
export type { StreamReducer } from "./stream";
export { wrapOpenAI, chatCompletionStreamReducer, summarizeChatCompletion } from "./openai";
export type { OpenAILike, WrapOpenAIOptions } from "./openai";
