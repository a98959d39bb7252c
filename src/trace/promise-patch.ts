/**
 * Context propagation across native `await` in engines without `AsyncContext` or
 * `AsyncLocalStorage` (every shipping browser): two accessors on `Promise.prototype`.
 *
 * Why this works (ECMA-262, checked in Chromium 156 and Node 20, see `test/browser/trace.test.ts`):
 * - `await p` runs `PromiseResolve(%Promise%, p)`, which reads `p.constructor`. While a traced scope
 *   is open our `constructor` getter answers `AwaitMarker` (not `%Promise%`), so the engine takes
 *   the spec's slow path: a wrapper promise resolved with `p`, which reads `p.then` *synchronously,
 *   at the await*, and later calls it. Our `then` getter captures the current frame right there.
 * - When `p` settles, our wrapped resolver runs. Resolving the wrapper enqueues exactly one job: the
 *   await's continuation. We enqueue "enter frame" just before and "leave frame" just after it, so
 *   the three jobs are adjacent in the FIFO microtask queue and the continuation, and nothing else,
 *   runs in the captured frame, even when many traced branches interleave.
 * - An explicit `p.then(cb)` gets `cb` run in the frame current when `.then` was read.
 * - A Promise subclass instance has its own `constructor`, so an `await` of it reads only our
 *   `then`; its reactions are always bracketed.
 *
 * Without the getters V8 skips both lookups (its species/then protectors), which is why nothing
 * weaker (patching `then` alone, or a Promise subclass) sees native `await`. Only scopes opened by
 * weft turn the instrumentation on (`hooks.active()`); otherwise both getters return the originals.
 * What it cannot see: `await` of a non-promise value (`await 5`), of a foreign thenable, or of a
 * subclass whose own `then` defers to a native one later; callbacks of timers, events and other host
 * APIs (use `bindContext`).
 */

/** What the patch needs from the context store. */
export interface PatchHooks {
  /** True while a traced scope is open; only then are continuations instrumented. */
  active(): boolean;
  get(): unknown;
  set(frame: unknown): void;
}

let hooks: PatchHooks | undefined;
/** The promise whose `constructor` was just read while active: an `await` or `Promise.resolve`. */
let marked: object | undefined;

type Callback = ((value: unknown) => unknown) | null | undefined;

/**
 * Wraps a reaction so it runs in `frame`; with `bracket`, also the job it enqueues (an await's
 * continuation) through enter/leave jobs placed right before and after it.
 */
function inFrame(fn: Callback, frame: unknown, bracket: boolean, enqueue: (job: () => void) => void): Callback {
  if (typeof fn !== "function") return fn;
  const h = hooks as PatchHooks;
  return function (this: unknown, value: unknown): unknown {
    let saved: unknown;
    if (bracket) {
      enqueue(() => {
        saved = h.get();
        h.set(frame);
      });
    }
    const prev = h.get();
    h.set(frame);
    try {
      return fn.call(this, value);
    } finally {
      h.set(prev);
      if (bracket) enqueue(() => h.set(saved));
    }
  };
}

/**
 * Installs the accessors once per realm (later calls only replace the hooks). Assignments to
 * `Promise.prototype.then`/`.constructor` (Zone.js, polyfills) still work: they replace what the
 * getters hand out when inactive.
 * @throws never
 */
export function installPromisePatch(next: PatchHooks): void {
  if (hooks) {
    hooks = next;
    return;
  }
  hooks = next;
  const NativePromise = Promise;
  const proto = NativePromise.prototype;
  const enqueue = globalThis.queueMicrotask.bind(globalThis);
  let baseThen: typeof proto.then = proto.then;
  let baseConstructor: unknown = proto.constructor;

  // Any constructor but %Promise% forces the slow path; its species keeps `then()`'s derived
  // promises native.
  class AwaitMarker<T> extends NativePromise<T> {}
  Object.defineProperty(AwaitMarker, Symbol.species, { get: () => NativePromise });

  /** An assignment on an instance creates an own property, as it would without the accessor. */
  const ownValue = (target: object, key: string, value: unknown): void => {
    Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: true });
  };

  Object.defineProperty(proto, "constructor", {
    configurable: true,
    enumerable: false,
    get(this: object): unknown {
      if (this === proto || !hooks?.active()) return baseConstructor;
      marked = this;
      return AwaitMarker;
    },
    set(this: object, value: unknown) {
      if (this === proto) baseConstructor = value;
      else ownValue(this, "constructor", value);
    },
  });

  Object.defineProperty(proto, "then", {
    configurable: true,
    enumerable: false,
    get(this: object): unknown {
      const h = hooks;
      // An await reads `constructor` (our getter marks the promise) and then `then`. A subclass
      // instance has its own `constructor`, so its awaits are not marked: bracket all its reactions.
      const awaiting = marked === this || Object.getPrototypeOf(this) !== proto;
      marked = undefined;
      if (this === proto || !h?.active()) return baseThen;
      const frame = h.get();
      const then = baseThen;
      return function then_(this: Promise<unknown>, onFulfilled?: Callback, onRejected?: Callback): Promise<unknown> {
        const derived = then.call(
          this,
          inFrame(onFulfilled, frame, awaiting, enqueue),
          inFrame(onRejected, frame, awaiting, enqueue),
        );
        // `then` read `constructor` again (SpeciesConstructor): that read is not an await.
        marked = undefined;
        return derived;
      };
    },
    set(this: object, value: typeof proto.then) {
      if (this === proto) baseThen = value;
      else ownValue(this, "then", value);
    },
  });
}
