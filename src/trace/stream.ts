/**
 * Ops over streams: generators, async generators and async iterables (an LLM SDK's stream). The call
 * stays open while the consumer pulls and ends when the source is done, throws, or the consumer
 * stops early (`break` → `return()`); its output is the values seen so far (an array) or what a
 * `streamReducer` made of them. Each step of a generator body runs with its call current, so ops
 * it calls nest under it.
 */
import { runFrame, type Frame } from "./context";

/** Folds stream chunks into one output, in the JS SDK's shape (`streamReducer`). */
export interface StreamReducer<Chunk = unknown, State = unknown> {
  initialStateFn(): State;
  reduceFn(state: State, chunk: Chunk): State;
  /** Last touch before the state becomes the output (may mutate it, or return a new one). */
  finalizeFn?(state: State): State | void;
}

/** How a stream call ended. */
export type StreamEnd = (outcome: { ok: true; output: unknown } | { ok: false; error: unknown }) => void;

/** Collects chunks (an array) or folds them with a reducer; ends the call once. */
class StreamState {
  private state: unknown;
  private ended = false;

  constructor(
    private readonly reducer: StreamReducer | undefined,
    private readonly end: StreamEnd,
  ) {
    this.state = reducer ? reducer.initialStateFn() : [];
  }

  add(chunk: unknown): void {
    if (this.ended) return;
    if (this.reducer) this.state = this.reducer.reduceFn(this.state, chunk);
    else (this.state as unknown[]).push(chunk);
  }

  finish(error?: { error: unknown }): void {
    if (this.ended) return;
    this.ended = true;
    if (error) return this.end({ ok: false, error: error.error });
    let output = this.state;
    try {
      const finalized = this.reducer?.finalizeFn?.(output);
      if (finalized !== undefined) output = finalized;
    } catch (finalizeError) {
      return this.end({ ok: false, error: finalizeError });
    }
    this.end({ ok: true, output });
  }
}

/** %IteratorPrototype% and %AsyncIteratorPrototype%: our wrappers get the iterator helpers. */
const IteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf(function* () {}.prototype)) as object;
const AsyncIteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf(async function* () {}.prototype)) as object;

/**
 * A generator that forwards to `it`, running each step in `frame` and ending the call when done.
 * @throws never itself; the returned generator throws what `it` throws
 */
export function traceIterator<T>(it: Iterator<T>, frame: Frame, reducer: StreamReducer | undefined, end: StreamEnd): Generator<T> {
  const state = new StreamState(reducer, end);
  const step = (move: () => IteratorResult<T>): IteratorResult<T> => {
    let r: IteratorResult<T>;
    try {
      r = runFrame(frame, move);
    } catch (error) {
      state.finish({ error });
      throw error;
    }
    if (r.done) state.finish();
    else state.add(r.value);
    return r;
  };
  const wrapper = Object.create(IteratorPrototype) as Generator<T>;
  Object.assign(wrapper, {
    // So an op wrapping this op's result still recognises a generator.
    [Symbol.toStringTag]: "Generator",
    next: (value?: unknown) => step(() => it.next(value as never)),
    return: (value?: unknown) => step(() => (it.return ? it.return(value as never) : { done: true, value: value as never })),
    throw: (error?: unknown) =>
      step(() => {
        if (it.throw) return it.throw(error);
        throw error;
      }),
  });
  return wrapper;
}

/**
 * An async generator that forwards to `it`, like `traceIterator`.
 * @throws never itself; the returned iterator rejects with what `it` rejects with
 */
export function traceAsyncIterator<T>(it: AsyncIterator<T>, frame: Frame, reducer: StreamReducer | undefined, end: StreamEnd): AsyncGenerator<T> {
  const state = new StreamState(reducer, end);
  const step = (move: () => Promise<IteratorResult<T>>): Promise<IteratorResult<T>> => {
    let pending: Promise<IteratorResult<T>>;
    try {
      pending = Promise.resolve(runFrame(frame, move));
    } catch (error) {
      state.finish({ error });
      return Promise.reject(error);
    }
    return pending.then(
      (r) => {
        if (r.done) state.finish();
        else state.add(r.value);
        return r;
      },
      (error: unknown) => {
        state.finish({ error });
        throw error;
      },
    );
  };
  const wrapper = Object.create(AsyncIteratorPrototype) as AsyncGenerator<T>;
  Object.assign(wrapper, {
    [Symbol.toStringTag]: "AsyncGenerator",
    next: (value?: unknown) => step(() => it.next(value as never)),
    return: (value?: unknown) => step(() => (it.return ? it.return(value as never) : Promise.resolve({ done: true as const, value: value as never }))),
    throw: (error?: unknown) => step(() => (it.throw ? it.throw(error) : Promise.reject(error))),
  });
  return wrapper;
}

/**
 * `stream` with `[Symbol.asyncIterator]` replaced by `iterate`; other members (e.g. an SDK stream's
 * `controller`) still work, methods bound to the original (private fields need the real `this`).
 * @throws never
 */
export function withAsyncIterator<S extends AsyncIterable<unknown>>(stream: S, iterate: (original: S) => AsyncIterator<unknown>): S {
  return new Proxy(stream, {
    get(target, prop) {
      if (prop === Symbol.asyncIterator) return () => iterate(target);
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * The same object with its `[Symbol.asyncIterator]` traced. Iterating twice ends the call once.
 * @throws never
 */
export function traceAsyncIterable<S extends AsyncIterable<unknown>>(stream: S, frame: Frame, reducer: StreamReducer | undefined, end: StreamEnd): S {
  let ended = false;
  const endOnce: StreamEnd = (outcome) => {
    if (!ended) {
      ended = true;
      end(outcome);
    }
  };
  return withAsyncIterator(stream, (original) => traceAsyncIterator(original[Symbol.asyncIterator](), frame, reducer, endOnce));
}

/** `[object Generator]`: a sync generator object. @throws never */
export function isGenerator(value: unknown): value is Generator {
  return Object.prototype.toString.call(value) === "[object Generator]";
}

/** `[object AsyncGenerator]`: an async generator object. @throws never */
export function isAsyncGenerator(value: unknown): value is AsyncGenerator {
  return Object.prototype.toString.call(value) === "[object AsyncGenerator]";
}

/** Anything `for await` can read. @throws never */
export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function";
}
