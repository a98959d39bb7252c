/**
 * The scoped parts of the tracing API: attributes for a block of code, the current call, and the
 * explicit form of nesting (`withCall`) for code that automatic propagation cannot follow.
 */
import { WeftError } from "../errors";
import { CallRecord, type TraceCall } from "./call-record";
import { currentFrame, runInFrame } from "./context";

/**
 * Runs `fn` with `attributes` added to every call started inside it (also after `await`s, as far as
 * the propagation mode reaches; see `context.ts`). Inner scopes win over outer ones, and both over
 * the tracer's `attributes`. Returns what `fn` returns.
 * @throws whatever `fn` throws, unchanged
 */
export function withAttributes<T>(attributes: Record<string, unknown>, fn: () => T): T {
  const frame = currentFrame();
  return runInFrame({ call: frame?.call, attributes: { ...frame?.attributes, ...attributes } }, fn);
}

/**
 * The call running here (the innermost op on the current frame), or undefined outside any op.
 * @throws never
 */
export function getCurrentCall(): TraceCall | undefined {
  return currentFrame()?.call;
}

/**
 * Runs `fn` with `call` current, so ops it calls become `call`'s children: the explicit form for
 * callbacks of timers, events or workers, and for `await`s the automatic propagation misses.
 * Keeps the current `withAttributes` scope.
 * @throws WeftError VALIDATION when `call` did not come from `getCurrentCall()`; else what `fn` throws
 */
export function withCall<T>(call: TraceCall, fn: () => T): T {
  if (!(call instanceof CallRecord)) {
    throw new WeftError("VALIDATION", "withCall(call, fn) needs a call from getCurrentCall().", { issues: [{ path: "call", message: "is not a weft call" }] });
  }
  return runInFrame({ call, attributes: currentFrame()?.attributes }, fn);
}
