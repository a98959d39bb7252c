/**
 * The client's link to the worker: the Comlink proxy of the narrow `WorkerApi`, with every call
 * tracked so that a dead worker rejects it with `WORKER_UNAVAILABLE` instead of leaving it pending
 * forever (Comlink itself never times out). Death is noticed three ways: the Worker's `error`
 * event before it ever answered (failed to load), the port's `close` event, and a watchdog that
 * pings while calls are pending and gives up after `livenessTimeoutMs` of silence.
 */
import { wrap, type Endpoint, type Remote } from "comlink";
import { WeftError, toWeftError } from "../errors";
import { PROTOCOL_VERSION, type WorkerApi, type WorkerHello } from "../transport/protocol";

/** Default silence (ms) after which a worker with pending calls is declared dead. */
export const DEFAULT_LIVENESS_TIMEOUT_MS = 10_000;
/**
 * Default time (ms) a worker may take to answer for the first time. Loading a module worker means
 * fetching and compiling its code (seconds on a slow network or a dev server): a worker that is
 * still loading must not be judged by the running worker's `livenessTimeoutMs`. A script that fails
 * to load fires `error` and is caught at once, without waiting for this.
 */
export const DEFAULT_STARTUP_TIMEOUT_MS = 30_000;

/** Timeouts of `connect`. */
export interface LivenessOptions {
  livenessTimeoutMs?: number;
  startupTimeoutMs?: number;
}

type ApiName = Exclude<keyof WorkerApi, "ping">;
type ApiResult<K extends ApiName> = Awaited<ReturnType<WorkerApi[K]>>;

/** A tracked connection to one worker. */
export interface Connection {
  /** Calls `name` on the worker. Rejects with a `WeftError`; `WORKER_UNAVAILABLE` once dead. */
  invoke<K extends ApiName>(name: K, ...args: Parameters<WorkerApi[K]>): Promise<ApiResult<K>>;
  /** The worker's hello (protocol, database name); rejects if it never answers. */
  readonly hello: Promise<WorkerHello>;
  /** The error every call gets once the worker is considered dead, else undefined. */
  deadError(): WeftError | undefined;
  /** Registers a callback run once, when the connection dies. */
  onDead(listener: (error: WeftError) => void): void;
  /** Marks the worker dead: rejects pending calls, stops listening, terminates a `Worker`. */
  kill(error: WeftError): void;
}

interface PendingCall {
  reject: (error: WeftError) => void;
}

function isWorker(target: Worker | Endpoint): target is Worker {
  return typeof (target as Partial<Worker>).terminate === "function";
}

function unavailable(message: string): WeftError {
  return new WeftError("WORKER_UNAVAILABLE", message);
}

/** A request that cannot be cloned never reached the worker: that is the caller's input, not storage. */
function sendError(error: unknown): WeftError {
  // The worker's own errors arrive as WeftErrors (error-transfer.ts), and so do ours
  // (WORKER_UNAVAILABLE). Anything else was thrown while copying the request for postMessage: a
  // value that cannot be cloned, or the caller's getter or Proxy trap throwing. That is the input.
  if (error instanceof WeftError || WeftError.isWire(error)) return toWeftError(error);
  return requestCopyError(error);
}

/** The request could not be copied (structured clone): a `VALIDATION` error naming why. */
export function requestCopyError(error: unknown): WeftError {
  const message = typeof error === "object" && error !== null ? String((error as { message?: unknown }).message) : String(error);
  return new WeftError(
    "VALIDATION",
    `Invalid request: it cannot be sent to the worker (${message}). Pass plain JSON values, Dates and ArrayBuffers only.`,
  );
}

/**
 * Connects to a worker (or any Comlink endpoint running `exposeLocalTraceServer`).
 * @throws never; failures surface through `hello` and the calls
 */
export function connect(target: Worker | Endpoint, timeouts: LivenessOptions = {}): Connection {
  const runningLimit = timeouts.livenessTimeoutMs ?? DEFAULT_LIVENESS_TIMEOUT_MS;
  const startupLimit = Math.max(runningLimit, timeouts.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS);
  const endpoint: Endpoint = target;
  const remote: Remote<WorkerApi> = wrap<WorkerApi>(endpoint);
  const pending = new Set<PendingCall>();
  const deathListeners: Array<(error: WeftError) => void> = [];
  let dead: WeftError | undefined;
  let answered = false; // the worker has answered at least once, so it did load
  let lastHeard = Date.now();
  let busySince = 0;
  let pingSentAt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let tickDueAt = 0;

  // Any message at all proves the worker alive; Comlink's own listener does the routing.
  const onMessage = (): void => {
    lastHeard = Date.now();
    answered = true;
  };
  const onError = (event: Event): void => {
    if (!answered) {
      const detail = (event as Partial<ErrorEvent>).message;
      kill(unavailable(`The weft worker failed to load or start${detail ? `: ${detail}` : ""}. Check the worker URL and its console.`));
    } else {
      // An uncaught error inside a running worker need not be fatal: ask now, and let the watchdog
      // judge the silence if calls are pending.
      probe();
    }
  };
  const onMessageError = (): void => {
    // Comlink cannot tell which call a broken message answered, so no pending call would ever settle.
    const error = unavailable("A message from the weft worker could not be deserialized (messageerror); pending calls were rejected.");
    for (const call of [...pending]) call.reject(error);
    pending.clear();
  };
  const onClose = (): void => kill(unavailable("The weft worker's port was closed."));
  endpoint.addEventListener("message", onMessage);
  endpoint.addEventListener("error" as "message", onError as unknown as EventListener);
  endpoint.addEventListener("messageerror" as "message", onMessageError);
  endpoint.addEventListener("close" as "message", onClose);

  const schedule = (delay: number): void => {
    if (timer === undefined && !dead) {
      tickDueAt = Date.now() + delay;
      timer = setTimeout(tick, delay);
    }
  };
  const probe = (): void => {
    pingSentAt = Date.now();
    // Untracked on purpose: its answer (any message) moves `lastHeard`; its silence is the signal.
    remote.ping().catch(() => undefined);
    schedule(Math.max(1, runningLimit / 4));
  };
  function tick(): void {
    timer = undefined;
    if (dead || pending.size === 0) return;
    const limit = answered ? runningLimit : startupLimit;
    const now = Date.now();
    // A tick that fires long after it was due means this thread was blocked (a long task) or
    // throttled: the worker's answer may be waiting in our own message queue, behind this timer.
    // Judge nothing then; ask again, and judge the silence after a tick that ran on time.
    if (now - tickDueAt > Math.max(1_000, runningLimit / 4)) {
      probe();
      return;
    }
    const silent = now - Math.max(lastHeard, busySince);
    const pingUnanswered = pingSentAt > lastHeard;
    // Only an unanswered ping condemns the worker: in a background tab our own timers may fire
    // late, and a late tick alone must not kill a worker that is merely busy.
    if (pingUnanswered && silent >= limit && now - pingSentAt >= limit / 2) {
      const what = answered ? "did not answer" : "did not start";
      kill(unavailable(`The weft worker ${what} for ${limit} ms (terminated, crashed or stuck); pending calls were rejected.`));
    } else if (!pingUnanswered && silent >= limit / 3) {
      probe();
    } else {
      schedule(Math.max(1, runningLimit / 4));
    }
  }

  function kill(error: WeftError): void {
    if (dead) return;
    dead = error;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    for (const call of [...pending]) call.reject(error);
    pending.clear();
    endpoint.removeEventListener("message", onMessage);
    endpoint.removeEventListener("error" as "message", onError as unknown as EventListener);
    endpoint.removeEventListener("messageerror" as "message", onMessageError);
    endpoint.removeEventListener("close" as "message", onClose);
    if (isWorker(target)) target.terminate();
    else (target as Partial<MessagePort>).close?.();
    for (const listener of deathListeners.splice(0)) listener(error);
  }

  // Each property read on a Comlink proxy builds a new proxy (and registers it for finalization).
  const methods = new Map<string, unknown>();
  const methodOf = (name: ApiName): unknown => {
    let method = methods.get(name);
    if (method === undefined) methods.set(name, (method = remote[name]));
    return method;
  };

  function invoke<K extends ApiName>(name: K, ...args: Parameters<WorkerApi[K]>): Promise<ApiResult<K>> {
    if (dead) return Promise.reject(dead);
    return new Promise<ApiResult<K>>((resolve, reject) => {
      const call: PendingCall = { reject };
      if (pending.size === 0) busySince = Date.now();
      pending.add(call);
      schedule(Math.max(1, runningLimit / 4));
      const method = methodOf(name) as (...a: unknown[]) => Promise<ApiResult<K>>;
      let sent: Promise<ApiResult<K>>;
      try {
        sent = method(...args);
      } catch (error) {
        sent = Promise.reject(error);
      }
      sent.then(
        (value) => {
          if (pending.delete(call)) resolve(value);
        },
        (error: unknown) => {
          if (pending.delete(call)) reject(sendError(error));
        },
      );
    });
  }

  const hello = invoke("hello").then((info) => {
    if (info.protocol !== PROTOCOL_VERSION) {
      const error = unavailable(`The weft worker speaks protocol ${info.protocol}, this client ${PROTOCOL_VERSION}: build both from the same weft version.`);
      kill(error);
      throw error;
    }
    return info;
  });
  // Callers that care await `hello`; an unobserved failure must not become an unhandled rejection.
  hello.catch(() => undefined);

  return {
    invoke,
    hello,
    deadError: () => dead,
    onDead: (listener) => {
      if (dead) listener(dead);
      else deathListeners.push(listener);
    },
    kill,
  };
}
