/**
 * The current call and scoped attributes ("the frame"), and how they follow async code.
 *
 * Four mechanisms, picked once per realm (`setPropagation`, or `init({ propagation })`; default `"auto"`):
 * - `"async-context"`: the TC39 `AsyncContext.Variable`, when the engine has it (none ships yet).
 * - `"async-local-storage"`: Node's `AsyncLocalStorage` (through `process.getBuiltinModule`).
 * - `"promise-patch"`: a synchronous frame stack, carried across native `await` by two accessors on
 *   `Promise.prototype` (`promise-patch.ts`, which says why they work). `"auto"` picks it in browsers.
 * - `"sync-only"`: the synchronous stack alone; only the explicit forms cross an `await`.
 *
 * What `"promise-patch"` guarantees, for code running inside a traced op (or a `withAttributes` /
 * `withCall` / `bindContext` scope). Each row is a scenario of `test/support/trace-scenarios.ts`,
 * run in Chromium 156 (`test/browser/trace.test.ts`) and in Node 20, alone and all concurrently:
 *
 * | code inside a traced op                                                   | nests right |
 * |---------------------------------------------------------------------------|-------------|
 * | ops called synchronously (also sync ops inside sync ops)                  | yes         |
 * | after `await op()`, `await asyncFn()`, `await fetch()`, `await sleep(ms)` | yes         |
 * | `Promise.all`/`allSettled` of ops that each await and then call ops      | yes         |
 * | `.then`/`.catch`/`.finally` callbacks                                     | yes         |
 * | after a caught failure (`try { await failing() } catch {}`, `.catch`)     | yes         |
 * | generator and async generator op bodies, each step, also after awaits     | yes         |
 * | the loop body consuming such a generator (`for await … of stream()`)      | yes         |
 * | after `await` of a Promise subclass that keeps the native `then`          | yes         |
 * | after `await 5` / `await null` (a value that is not a promise)            | no: root    |
 * | after `await` of a foreign thenable, or of a Promise subclass whose own   | no: root    |
 * | `then` defers to a native one later (the `openai` package's `APIPromise`) |             |
 * | callbacks of `setTimeout`, events, `requestAnimationFrame`, `MessagePort` | no: root    |
 *
 * "no: root" means the op becomes the root of a new trace, never a child of the wrong call. Those
 * rows need the explicit form: `bindContext(fn)` captures the frame for a callback, and
 * `withCall(getCurrentCall(), fn)` runs code under a call you hold. (Op results are native promises,
 * so awaiting an op, `wrapOpenAI`'s included, is always followed.) With `"async-local-storage"` and
 * `"async-context"` every row is "yes". With `"sync-only"` only the first row is.
 *
 * Why not something simpler (also measured in Chromium 156): a sync stack alone loses the parent
 * after the first `await`; a patched `Promise.prototype.then` (data property) is never called by
 * `await` on a native promise; ops returning a thenable fix `await op()` but not `await sleep()`.
 * Costs: an `await` takes ~2 µs instead of ~0.25 µs while a traced scope is open (only then), and
 * while one is open, `promise.constructor` is a marker subclass and `Promise.resolve(p) !== p`.
 */
import { WeftError } from "../errors";
import type { CallRecord } from "./call-record";
import { installPromisePatch } from "./promise-patch";

/** How the current call follows async code; see the module comment. */
export type PropagationMode = "auto" | "async-context" | "async-local-storage" | "promise-patch" | "sync-only";

/** What is current: the innermost call and the attributes of enclosing `withAttributes` scopes. */
export interface Frame {
  readonly call: CallRecord | undefined;
  readonly attributes: Readonly<Record<string, unknown>> | undefined;
}

interface Store {
  readonly mode: Exclude<PropagationMode, "auto">;
  get(): Frame | undefined;
  run<T>(frame: Frame | undefined, fn: () => T): T;
}

interface ContextVariable {
  get(): unknown;
  run<T>(value: unknown, fn: () => T): T;
}
type VariableConstructor = new () => ContextVariable;

/** `AsyncContext.Variable` where the engine has it. */
function asyncContextVariable(): VariableConstructor | undefined {
  const ac = (globalThis as { AsyncContext?: { Variable?: VariableConstructor } }).AsyncContext;
  return typeof ac?.Variable === "function" ? ac.Variable : undefined;
}

/** Node's `AsyncLocalStorage`, without a static import a browser bundle would choke on. */
function asyncLocalStorage(): VariableConstructor | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const mod = proc?.getBuiltinModule?.("node:async_hooks") as { AsyncLocalStorage?: new () => { getStore(): unknown; run<T>(v: unknown, fn: () => T): T } } | undefined;
  const Als = mod?.AsyncLocalStorage;
  if (typeof Als !== "function") return undefined;
  const Storage = Als;
  return class {
    private readonly als = new Storage();
    get(): unknown {
      return this.als.getStore();
    }
    run<T>(value: unknown, fn: () => T): T {
      return this.als.run(value, fn);
    }
  };
}

function variableStore(mode: "async-context" | "async-local-storage", Variable: VariableConstructor): Store {
  const variable = new Variable();
  return { mode, get: () => variable.get() as Frame | undefined, run: (frame, fn) => variable.run(frame, fn) };
}

let current: Frame | undefined;
/** Open traced scopes (calls, attribute and call scopes): the promise patch is active while > 0. */
let openScopes = 0;

function stackStore(mode: "promise-patch" | "sync-only"): Store {
  if (mode === "promise-patch") {
    installPromisePatch({
      active: () => openScopes > 0 && store?.mode === "promise-patch",
      get: () => current,
      set: (frame) => {
        current = frame as Frame | undefined;
      },
    });
  }
  return {
    mode,
    get: () => current,
    run(frame, fn) {
      const prev = current;
      current = frame;
      try {
        return fn();
      } finally {
        current = prev;
      }
    },
  };
}

let store: Store | undefined;

function makeStore(mode: PropagationMode): Store {
  if (mode === "sync-only" || mode === "promise-patch") return stackStore(mode);
  const native = asyncContextVariable();
  if (mode === "async-context" || (mode === "auto" && native)) {
    if (!native) throw new WeftError("VALIDATION", 'propagation "async-context" needs an engine with AsyncContext; use "auto".');
    return variableStore("async-context", native);
  }
  const als = asyncLocalStorage();
  if (mode === "async-local-storage" || (mode === "auto" && als)) {
    if (!als) throw new WeftError("VALIDATION", 'propagation "async-local-storage" needs Node\'s AsyncLocalStorage; use "auto".');
    return variableStore("async-local-storage", als);
  }
  return stackStore("promise-patch");
}

function activeStore(): Store {
  return (store ??= makeStore("auto"));
}

/**
 * Chooses how the current call follows async code (see the module comment); `init` calls it with
 * its `propagation` option. Switching while traced scopes are open would orphan them.
 * @returns the mode in effect (`"auto"` resolved)
 * @throws WeftError VALIDATION when the mode is unavailable here, or scopes are open and the mode differs
 */
export function setPropagation(mode: PropagationMode): Exclude<PropagationMode, "auto"> {
  const next = makeStore(mode);
  if (store && store.mode !== next.mode && openScopes > 0) {
    throw new WeftError("VALIDATION", `Cannot switch propagation to "${next.mode}" while ${openScopes} traced scope(s) are open; switch before tracing.`);
  }
  store = next;
  return next.mode;
}

/** The mechanism in effect (choosing the default on first use). @throws never */
export function getPropagation(): Exclude<PropagationMode, "auto"> {
  return activeStore().mode;
}

/** The current frame, if any. @throws never */
export function currentFrame(): Frame | undefined {
  return activeStore().get();
}

/** Marks a traced scope open until `close()` (keeps the promise patch active). @throws never */
export function openScope(): () => void {
  openScopes++;
  let closed = false;
  return () => {
    if (!closed) {
      closed = true;
      openScopes--;
    }
  };
}

/** True for anything `await` would call `then` on. @throws never */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/**
 * Runs `fn` with `frame` current; the scope stays open until a returned promise settles (then the
 * result is a new promise settling the same way, so an unhandled rejection stays unhandled).
 * @throws whatever `fn` throws, unchanged
 */
export function runInFrame<T>(frame: Frame | undefined, fn: () => T): T {
  const close = openScope();
  let result: T;
  try {
    result = activeStore().run(frame, fn);
  } catch (error) {
    close();
    throw error;
  }
  if (!isThenable(result)) {
    close();
    return result;
  }
  return Promise.resolve(result).then(
    (value) => (close(), value),
    (error: unknown) => {
      close();
      throw error;
    },
  ) as T;
}

/**
 * Runs `fn` with `frame` current, without opening a scope (the caller keeps one open).
 * @throws whatever `fn` throws, unchanged
 */
export function runFrame<T>(frame: Frame | undefined, fn: () => T): T {
  return activeStore().run(frame, fn);
}

/**
 * Returns `fn` bound to the frame current now: ops it calls later (from a timer, an event listener,
 * a `MessagePort` handler) nest under today's call with today's attributes. The explicit form for
 * what automatic propagation cannot see.
 * @throws never (the returned function throws what `fn` throws)
 */
export function bindContext<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  const frame = currentFrame();
  return function (this: unknown, ...args: A): R {
    return runInFrame(frame, () => fn.apply(this, args));
  };
}
