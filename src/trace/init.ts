/**
 * `init` and the `Tracer`: where an app's calls go (a project on a weft client), with what global
 * attributes, and what was published. Calls are handed to the client's batcher and never awaited
 * on the op's path; `flush()` is the one place that waits.
 */
import { OWNED_REQUEST } from "../client/call-batcher";
import { createClient } from "../client/index";
import { WeftError, toWeftError } from "../errors";
import type { MethodReq, TraceServerInterface } from "../interface";
import { setPropagation, type PropagationMode } from "./context";
import { Dataset } from "./dataset";
import { publishAny } from "./publish";
import type { RefLookup } from "./serialize";
import { version } from "../../package.json";

/** `attributes.weave`, in the JS SDK's shape (`{client_version, source}`); the source says who wrote it. */
const WEAVE_ATTRIBUTES = Object.freeze({ client_version: version, source: "weft" });

/** What a tracer needs from a client: a `WeftClient` has all of it. */
export type TracerClient = Pick<TraceServerInterface, "call_start" | "call_end" | "obj_create" | "table_create"> & {
  /** Resolves once everything queued before is stored. */
  flush(): Promise<void>;
};

/** Options of `init`. */
export interface InitOptions {
  /** `entity/project`; a bare `project` is stored as `local/project`. */
  project: string;
  /** The client to write through (e.g. `createClient({ worker })`). */
  client?: TracerClient;
  /** Or a Worker running `exposeLocalTraceServer()`: `init` creates the client. */
  worker?: Worker;
  /** Attributes on every call of this tracer (Weave's `globalAttributes`). */
  attributes?: Record<string, unknown>;
  /** How nesting follows async code; default `"auto"` (see `context.ts`). Applies to the whole page. */
  propagation?: PropagationMode;
  /** Where tracing failures go (a call the client refused, an unserializable value); default `console.warn`. */
  onError?: (error: WeftError) => void;
  /** Make this the module-level default tracer used by `op`, `publish`, `flush`. Default true. */
  setDefault?: boolean;
}

/** `entity/project` from what the app gave. */
function projectIdOf(project: string): string {
  const parts = project.split("/");
  const ok = parts.every((p) => p.length > 0 && !/\s/.test(p));
  if (ok && parts.length === 2) return project;
  if (ok && parts.length === 1) return `local/${project}`;
  throw new WeftError("VALIDATION", `init({ project }) must be "entity/project" or "project", not ${JSON.stringify(project)}.`, {
    issues: [{ path: "project", message: 'must look like "entity/project"' }],
  });
}

/**
 * A project to trace into. Create with `init`.
 * @throws WeftError from `publish`/`flush` (see each); recording calls never throws
 */
export class Tracer {
  readonly projectId: string;
  readonly client: TracerClient;
  readonly attributes: Readonly<Record<string, unknown>>;
  /** What a call records as `attributes` outside any `withAttributes` scope. */
  readonly callAttributes: Readonly<Record<string, unknown>>;
  private readonly onError: ((error: WeftError) => void) | undefined;
  /** Published values → their ref (or the publish in progress). */
  private readonly refs = new WeakMap<object, string | Promise<string>>();
  /** Work `flush()` must wait for before flushing the client: publishes, deferred starts/ends. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private warned = false;

  /**
   * The ref of a value published through this tracer; Datasets not yet published are published on
   * first sight, so passing one to an op records its ref.
   */
  readonly refLookup: RefLookup = (value) => this.refs.get(value) ?? (value instanceof Dataset ? this.publish(value) : undefined);

  /**
   * Prefer `init`, which also sets the default tracer and the propagation mode.
   * @throws WeftError VALIDATION for a project that is not `entity/project` or `project`
   */
  constructor(options: { project: string; client: TracerClient; attributes?: Record<string, unknown>; onError?: (error: WeftError) => void }) {
    this.projectId = projectIdOf(options.project);
    this.client = options.client;
    this.attributes = Object.freeze({ ...options.attributes });
    this.callAttributes = this.attributesWith(undefined);
    this.onError = options.onError;
  }

  /**
   * A call's `attributes`: the tracer's, then the scopes' (inner wins), then `weave`, which is
   * reserved as in both SDKs: apps cannot overwrite the client facts.
   */
  attributesWith(scope: Readonly<Record<string, unknown>> | undefined): Readonly<Record<string, unknown>> {
    return Object.freeze({ ...this.attributes, ...scope, weave: WEAVE_ATTRIBUTES });
  }

  /** Keeps internal work (never rejecting) in what `flush()` waits for until it settles. */
  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.then(() => this.inFlight.delete(work));
  }

  /** Reports a tracing failure; the app's own code never sees it. @throws never */
  report(error: unknown): void {
    const weftError = toWeftError(error);
    try {
      if (this.onError) this.onError(weftError);
      else if (!this.warned) {
        this.warned = true;
        console.warn("weft: tracing failed (further failures are not logged; pass onError to see them):", weftError);
      }
    } catch {
      // An onError that throws must not break tracing either.
    }
  }

  private readonly reportError = (error: unknown): void => this.report(error);

  private send(fn: () => Promise<unknown>, pending: Promise<void> | undefined): void {
    if (!pending) {
      try {
        fn().catch(this.reportError);
      } catch (error) {
        // A client that throws instead of rejecting must not break the op either.
        this.report(error);
      }
      return;
    }
    // A ref still being published: the record leaves once it is known (flush waits for it).
    this.track(pending.then(fn).then(() => undefined, this.reportError));
  }

  /** Queues a call start with the client (not awaited). @throws never */
  enqueueStart(build: () => MethodReq<"call_start">, pending?: Promise<void>): void {
    this.send(() => this.client.call_start(owned(build())), pending);
  }

  /** Queues a call end with the client (not awaited). @throws never */
  enqueueEnd(build: () => MethodReq<"call_end">, pending?: Promise<void>): void {
    this.send(() => this.client.call_end(owned(build())), pending);
  }

  /**
   * Publishes `value` as object `name` (a `Dataset` defaults to its own name) and returns its ref,
   * `weave:///entity/project/object/name:digest`. Afterwards the same value (the same object) passed
   * to an op is recorded as that ref string.
   * @throws WeftError VALIDATION for a missing or bad name, or a value the server refuses; any other
   *   code the client raises (WORKER_UNAVAILABLE, STORAGE, …)
   */
  publish(value: unknown, name?: string): Promise<string> {
    const key = typeof value === "object" && value !== null ? value : undefined;
    const known = key ? this.refs.get(key) : undefined;
    if (known !== undefined && name === undefined) return Promise.resolve(known);
    // One chain that the caller gets: a failed publish stays an unhandled rejection if nobody handles it.
    const publishing: Promise<string> = publishAny(this, value, name).then(
      (ref) => {
        this.inFlight.delete(publishing);
        if (key) this.refs.set(key, ref);
        return ref;
      },
      (error: unknown) => {
        this.inFlight.delete(publishing);
        if (key) this.refs.delete(key);
        throw error;
      },
    );
    this.inFlight.add(publishing);
    if (key) this.refs.set(key, publishing);
    return publishing;
  }

  /**
   * Waits for publishes and deferred records, then for the client to store everything queued.
   * @throws WeftError the first failure of a batch (see `WeftClient.flush`)
   */
  async flush(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await this.client.flush();
  }
}

let defaultTracer: Tracer | undefined;

/** The module-level default tracer (the last `init`), if any. @throws never */
export function getTracer(): Tracer | undefined {
  return defaultTracer;
}

/**
 * Starts tracing into `project`. The tracer becomes the module-level default (unless
 * `setDefault: false`), which `op`, `publish` and `flush` use.
 * @throws WeftError VALIDATION for a bad project, no `client`/`worker` (and no earlier tracer to
 *   reuse the client of), or a `propagation` mode this engine lacks or that would switch while calls run
 */
export function init(options: InitOptions): Tracer {
  projectIdOf(options.project); // before a client is created for nothing
  const client = options.client ?? (options.worker ? createClient({ worker: options.worker }) : defaultTracer?.client);
  if (!client) {
    throw new WeftError("VALIDATION", "init needs a client (createClient({ worker })) or a worker running exposeLocalTraceServer().", {
      issues: [{ path: "client", message: "is required" }],
    });
  }
  if (options.propagation) setPropagation(options.propagation);
  const tracer = new Tracer({
    project: options.project,
    client,
    ...(options.attributes ? { attributes: options.attributes } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  });
  if (options.setDefault !== false) defaultTracer = tracer;
  return tracer;
}

/**
 * `tracer.publish` on the default tracer.
 * @throws WeftError VALIDATION when `init` was not called; see `Tracer.publish`
 */
export function publish(value: unknown, name?: string): Promise<string> {
  if (!defaultTracer) return Promise.reject(new WeftError("VALIDATION", "publish() before init(): call init({ project, client }) first."));
  return defaultTracer.publish(value, name);
}

/**
 * `tracer.flush` on the default tracer; resolves at once without one.
 * @throws WeftError see `Tracer.flush`
 */
export function flush(): Promise<void> {
  return defaultTracer ? defaultTracer.flush() : Promise.resolve();
}

/**
 * Marks a start/end the tracer built fresh from serialized values (nothing else holds them), so the
 * client skips its defensive copy: one structured clone per record instead of two.
 */
function owned<T extends object>(req: T): T {
  Object.defineProperty(req, OWNED_REQUEST, { value: true });
  return req;
}
