/**
 * `op(fn)`: the traced version of a function: sync, async, generator, async generator, or a
 * function returning a stream. The wrapper returns what `fn` returns (a sync result stays sync),
 * re-throws what it throws (the same object), and only queues records: it never waits for storage.
 */
import { WeftError } from "../errors";
import { CallRecord } from "./call-record";
import { isDict } from "./serialize";
import { currentFrame, isThenable, runFrame, type Frame } from "./context";
import { getTracer, type Tracer } from "./init";
import { isAsyncGenerator, isAsyncIterable, isGenerator, traceAsyncIterable, traceAsyncIterator, traceIterator, type StreamEnd, type StreamReducer } from "./stream";
import { usageFromOutput, type Summary } from "./summary";

/** Options of `op` (the JS SDK's names). */
export interface OpOptions<Args extends unknown[] = unknown[]> {
  /** The op name stored as `op_name`; default the function's name, else `"anonymous"`. ≤ 128 characters. */
  name?: string;
  /**
   * Input names in order (default `arg0`, `arg1`, …), or `"useParam0Object"` to spread the first
   * argument's fields into the inputs (later arguments stay `arg1`, …).
   */
  parameterNames?: readonly string[] | "useParam0Object";
  /** `display_name` of each call, from its arguments. */
  callDisplayName?: (...args: Args) => string;
  /** Rewrites the named inputs before they are recorded (e.g. to redact); the op still gets the originals. */
  postprocessInputs?: (inputs: Record<string, unknown>) => Record<string, unknown>;
  /** Rewrites the output before it is recorded; the caller still gets the original. */
  postprocessOutput?: (output: unknown) => unknown;
  /** The call's own summary from its (original) output, e.g. `{usage: {[model]: {...}}}`. */
  summarize?: (output: unknown) => Summary;
  /** For ops returning a stream: folds its chunks into the recorded output (default: an array of them). */
  streamReducer?: StreamReducer;
  /** Trace into this tracer instead of the parent call's (or the default one). */
  tracer?: Tracer;
}

/** The marker `isOp` looks for. */
const OP = Symbol.for("weft.op");

/** A traced function: `fn`'s signature plus its op name. */
export type Op<F> = F & { readonly opName: string };

/** True for functions made by `op`. @throws never */
export function isOp(value: unknown): value is Op<(...args: unknown[]) => unknown> {
  return typeof value === "function" && (value as { [OP]?: unknown })[OP] === true;
}

let warnedNoTracer = false;

/** @throws WeftError VALIDATION for an empty, over-long or ref-looking name */
function checkName(name: string): string {
  if (!name || [...name].length > 128 || name.startsWith("weave:") || name.startsWith("weave-trace-internal:")) {
    throw new WeftError("VALIDATION", `Invalid op name ${JSON.stringify(name)}: use 1 to 128 characters, not a ref.`, {
      issues: [{ path: "name", message: "must be 1 to 128 characters and not a weave:/// ref" }],
    });
  }
  return name;
}

/**
 * Wraps `fn` so every call is traced: a call record with its inputs and attributes, nested under the
 * current call (see `context.ts` for what "current" means across `await`), ended with the output or
 * the exception message (Weave's `exception`), and a summary rolled up from its children.
 * Generators and streams end when the consumer finishes or stops. Before `init`, calls run untraced
 * with a one-time warning. A tracing failure (an input that cannot be serialized, a throwing hook)
 * is reported to the tracer's `onError`, never to the caller.
 * @throws WeftError VALIDATION when `fn` is not a function or the name is invalid
 */
export function op<F extends (...args: never[]) => unknown>(fn: F, options: OpOptions<Parameters<F>> = {}): Op<F> {
  if (typeof fn !== "function") throw new WeftError("VALIDATION", "op(fn) needs a function.", { issues: [{ path: "fn", message: "must be a function" }] });
  const opName = checkName(options.name ?? (fn.name || "anonymous"));
  const { parameterNames, callDisplayName, postprocessInputs, postprocessOutput, summarize, streamReducer } = options;

  const hook = <T>(tracer: Tracer, run: () => T, fallback: T): T => {
    try {
      return run();
    } catch (error) {
      tracer.report(error);
      return fallback;
    }
  };

  const inputsOf = (tracer: Tracer, args: unknown[]): Record<string, unknown> => {
    const inputs: Record<string, unknown> = {};
    args.forEach((arg, i) => {
      if (i === 0 && parameterNames === "useParam0Object" && isDict(arg)) Object.assign(inputs, arg);
      else inputs[Array.isArray(parameterNames) ? (parameterNames[i] ?? `arg${i}`) : `arg${i}`] = arg;
    });
    // A throwing redaction hook must not leak the raw inputs: record none.
    return postprocessInputs ? hook(tracer, () => postprocessInputs(inputs), {}) : inputs;
  };

  const traced = function (this: unknown, ...args: Parameters<F>): ReturnType<F> {
    const parentFrame = currentFrame();
    const parentCall = parentFrame?.call;
    const tracer = options.tracer ?? parentCall?.tracer ?? getTracer();
    if (!tracer) {
      if (!warnedNoTracer) {
        warnedNoTracer = true;
        console.warn("weft: op called before init(); calls are not traced. Call init({ project, client }) first.");
      }
      return fn.apply(this, args) as ReturnType<F>;
    }
    let call: CallRecord;
    try {
      call = new CallRecord(tracer, parentCall?.tracer === tracer ? parentCall : undefined, {
        opName,
        displayName: callDisplayName ? hook(tracer, () => callDisplayName(...args), undefined) : undefined,
        inputs: inputsOf(tracer, args),
        scopeAttributes: parentFrame?.attributes,
      });
    } catch (error) {
      tracer.report(error);
      return fn.apply(this, args) as ReturnType<F>;
    }
    const frame: Frame = { call, attributes: parentFrame?.attributes };

    const finishOk = (output: unknown): void => {
      const recorded = postprocessOutput ? hook(tracer, () => postprocessOutput(output), null) : output;
      const own = summarize ? (output != null ? hook(tracer, () => summarize(output), {}) : {}) : call.hasChildren ? {} : usageFromOutput(output);
      call.finish({ ok: true, output: recorded, summary: own ?? {} });
    };
    const end: StreamEnd = (outcome) => (outcome.ok ? finishOk(outcome.output) : call.finish({ ok: false, error: outcome.error }));
    /** A value the op produced: a stream keeps the call open, anything else ends it. */
    const settle = (value: unknown): unknown => {
      if (isGenerator(value)) return traceIterator(value, frame, streamReducer, end);
      if (isAsyncGenerator(value)) return traceAsyncIterator(value, frame, streamReducer, end);
      if (streamReducer && isAsyncIterable(value)) return traceAsyncIterable(value, frame, streamReducer, end);
      finishOk(value);
      return value;
    };

    let result: unknown;
    try {
      result = runFrame(frame, () => fn.apply(this, args));
    } catch (error) {
      call.finish({ ok: false, error });
      throw error;
    }
    if (!isThenable(result) || isGenerator(result) || isAsyncGenerator(result)) return settle(result) as ReturnType<F>;
    return Promise.resolve(result).then(settle, (error: unknown) => {
      call.finish({ ok: false, error });
      throw error;
    }) as ReturnType<F>;
  };
  Object.defineProperties(traced, {
    name: { value: fn.name, configurable: true },
    opName: { value: opName, enumerable: true },
    [OP]: { value: true },
  });
  return traced as unknown as Op<F>;
}
