/**
 * `LocalTraceServer`: Weave's trace server on IndexedDB, realm-agnostic (a Worker, the main thread,
 * or Node with fake-indexeddb). Every public method validates its request against the method
 * table's schema and throws only `WeftError`s.
 */
import type { z } from "zod";
import { fromZodError, toWeftError, validationError, WeftError } from "../errors";
import { EXTENSION_NAMES, EXTENSIONS, type WeftExtensions } from "../extensions";
import { METHODS, type MethodSpec, type TraceServerInterface } from "../interface";
import { isPlainObject } from "../schema/common";
import { Dexie } from "dexie";
import { PageCursors } from "./calls/page-cursors";
import { WeftDb } from "./db";
import { EXTENSION_HANDLERS, PROVIDER_EXTENSIONS, type ExtensionContext } from "./extension-handlers";
import {
  HANDLERS,
  JSON_HANDLERS,
  JSON_STREAM_HANDLERS,
  type HandlerContext,
  type ImplementedMethod,
  type JsonAnswerMethod,
  type JsonStreamMethod,
} from "./handlers";
import { loadPersistedProviders, ProviderRegistry } from "./providers";
import { Retention } from "./retention";

/** Options of `createLocalTraceServer`. */
export interface LocalTraceServerOptions {
  /** IndexedDB database name; one database holds any number of projects. */
  dbName: string;
  /** An `IDBFactory` (e.g. fake-indexeddb's in Node); defaults to the realm's `indexedDB`. */
  indexedDB?: IDBFactory;
  /** The `IDBKeyRange` matching `indexedDB`. */
  IDBKeyRange?: typeof IDBKeyRange;
  /** User id written where Weave requires `wb_user_id` and the request has none (default `"local"`). */
  userId?: string;
  /** Clock, epoch ms (tests pin it). */
  now?: () => number;
}

/**
 * weft's own LLM provider configuration for `completions_create` (the provider rows of the extension
 * table), kept as a name for code written before the table.
 */
export type ProviderAdmin = Pick<WeftExtensions, "setProvider" | "removeProvider" | "listProviders">;

/**
 * The methods weft serves, as Weave's interface types them, plus weft's own operations (the
 * extension table: providers, retention, storage) and lifecycle.
 */
export type LocalTraceServer = Pick<TraceServerInterface, ImplementedMethod> &
  WeftExtensions & {
    /** Names of the methods this server implements. */
    readonly implementedMethods: readonly ImplementedMethod[];
    /** Closes the database connection. Further calls fail with `STORAGE`. */
    close(): Promise<void>;
    /**
     * The answer of `method` as its JSON text: `JSON.parse` of it equals what the method itself
     * returns, for a fraction of the cost of building objects and copying them (a page's payloads
     * are spliced in as stored). What weft's worker sends its client for these methods.
     * @throws WeftError VALIDATION for a method not in `JSON_ANSWER_METHODS`, else as the method
     */
    answerJson(method: JsonAnswerMethod, req: unknown): Promise<string>;
    /**
     * The items of streaming `method`, each as its JSON text (`JSON.parse` of each equals the item
     * the method itself yields), built as `answerJson` builds a page. What weft's worker streams to
     * its client for these methods.
     * @throws WeftError (from the iteration) VALIDATION for a method not in `JSON_STREAM_METHODS`,
     *   else as the method
     */
    streamJson(method: JsonStreamMethod, req: unknown): AsyncIterable<string>;
    /** The methods `answerJson` serves (for servers of this one, e.g. the HTTP handler). */
    readonly jsonAnswers: readonly JsonAnswerMethod[];
    /** The methods `streamJson` serves. */
    readonly jsonStreams: readonly JsonStreamMethod[];
  };

/** The methods `answerJson` serves. */
export const JSON_ANSWER_METHODS = Object.keys(JSON_HANDLERS) as readonly JsonAnswerMethod[];
/** The methods `streamJson` serves. */
export const JSON_STREAM_METHODS = Object.keys(JSON_STREAM_HANDLERS) as readonly JsonStreamMethod[];

/** The error a caller sees; a database upgraded by a newer weft in another tab gets its own message. */
function storageError(db: WeftDb, error: unknown): WeftError {
  if (db.upgradedElsewhere) {
    return new WeftError(
      "STORAGE",
      "The weft database was upgraded by a newer version of weft (another tab or window): reload this page to continue.",
    );
  }
  return toWeftError(error);
}

/** Methods that call LLM providers: they wait for persisted providers to load. */
const NEEDS_PROVIDERS = new Set<string>(["completions_create", "actions_execute_batch"]);

/** How deep the structural part of a request is checked for non-plain objects (payloads are checked by their schemas). */
const SKELETON_DEPTH = 6;
const DATETIME_KEY = /(_at|_date|olderThan)$/;

/**
 * Refuses what a schema would silently misread: a Map, Set, class instance or Proxy where an
 * object of fields belongs (zod reads any object's own keys, so a Map would pass as `{}`). Binary
 * buffers, and Dates in datetime fields, are legitimate values. Depth-bounded, so recursion stays
 * shallow; the path is spelled only for the value that fails (a batch of 1000 calls has tens of
 * thousands of nodes above that depth). Visits last children first, as the stack walk it replaces
 * did, so the same offence is named.
 */
function checkSkeleton(req: unknown): void {
  const trail = skeletonOffence(req, 0);
  if (!trail) return;
  const [kind, ...steps] = trail;
  let path = "";
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i] as string | number;
    path = typeof step === "number" ? `${path}[${step}]` : path ? `${path}.${step}` : step;
  }
  throw validationError(path, `expected a plain object, got a ${String(kind)}`);
}

/** The offending value's kind, then the keys and indexes leading to it innermost first; undefined when fine. */
function skeletonOffence(value: unknown, depth: number, key?: string): Array<string | number> | undefined {
  if (typeof value !== "object" || value === null || depth > SKELETON_DEPTH) return undefined;
  if (Array.isArray(value)) {
    for (let i = value.length - 1; i >= 0; i--) {
      const bad = skeletonOffence(value[i], depth + 1);
      if (bad) {
        bad.push(i);
        return bad;
      }
    }
    return undefined;
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return undefined;
  // A Date is a datetime value, and every datetime field is named so (`started_at`, `effective_date`).
  if (value instanceof Date && key !== undefined && DATETIME_KEY.test(key)) return undefined;
  if (!isPlainObject(value)) return [(value as { constructor?: { name?: string } }).constructor?.name ?? "object"];
  const keys = Object.keys(value);
  for (let i = keys.length - 1; i >= 0; i--) {
    const name = keys[i] as string;
    const bad = skeletonOffence(value[name], depth + 1, name);
    if (bad) {
      bad.push(name);
      return bad;
    }
  }
  return undefined;
}

/**
 * Validates a request. Anything that goes wrong while reading it — a getter that throws, a revoked
 * Proxy, nesting deep enough to exhaust the stack — is the caller's input, so it is `VALIDATION`.
 */
function parseRequest(method: string, spec: Pick<MethodSpec, "req" | "fastParse">, req: unknown): unknown {
  let result: ReturnType<z.ZodType["safeParse"]>;
  try {
    // Call parts, the bulk of all requests, are first offered to a path that only accepts (and
    // gives what the schema would); whatever it does not accept gets the full check below.
    const fast = spec.fastParse?.(req);
    if (fast !== undefined) return fast;
    checkSkeleton(req);
    result = spec.req.safeParse(req);
  } catch (error) {
    if (error instanceof WeftError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    const why = error instanceof RangeError ? "it is nested too deeply" : `reading it failed (${message})`;
    throw new WeftError("VALIDATION", `Invalid ${method} request: ${why}`, { issues: [{ path: "", message: why }] });
  }
  if (!result.success) throw fromZodError(result.error, `${method} request`);
  return result.data;
}

/** `method` as a key of `table`. @throws WeftError VALIDATION naming what `entry` serves instead */
function servedBy<T extends object>(table: T, entry: string, method: string): keyof T & string {
  if (!Object.hasOwn(table, method)) {
    throw new WeftError("VALIDATION", `${entry} serves ${Object.keys(table).join(", ")}, not ${JSON.stringify(method)}.`, { method });
  }
  return method as keyof T & string;
}

/**
 * Creates a `LocalTraceServer` over the IndexedDB database `dbName` (created on first use).
 * @throws WeftError VALIDATION (bad request), NOT_FOUND, INVALID_FIELD, REQUEST_TOO_LARGE,
 *   QUOTA_EXCEEDED, STORAGE, INTERNAL — from each method
 */
export function createLocalTraceServer(options: LocalTraceServerOptions): LocalTraceServer {
  const dbOptions: { indexedDB?: IDBFactory; IDBKeyRange?: typeof IDBKeyRange } = {};
  if (options.indexedDB) dbOptions.indexedDB = options.indexedDB;
  if (options.IDBKeyRange) dbOptions.IDBKeyRange = options.IDBKeyRange;
  const db = new WeftDb(options.dbName, dbOptions);
  const pageCursors = new PageCursors();
  const retention = new Retention();
  const ctx: ExtensionContext = {
    db,
    userId: options.userId ?? "local",
    now: options.now ?? Date.now,
    providers: new ProviderRegistry(db),
    pageCursors,
    retention,
  };
  const { journal } = retention;
  // Any committed write to calls, here or in another tab's worker (Dexie relays those over a
  // BroadcastChannel), moves rows between pages: forget where pages ended.
  const callsPrefix = `idb://${options.dbName}/calls/`;
  const onMutated = (parts: Record<string, unknown>): void => {
    for (const part in parts) {
      if (part.startsWith(callsPrefix)) {
        pageCursors.clear();
        return;
      }
    }
  };
  Dexie.on("storagemutated", onMutated);
  // Providers persisted by an earlier session (only those the user asked to keep) load once, lazily.
  let providersLoaded: Promise<unknown> | undefined;
  const withProviders = (): Promise<unknown> => (providersLoaded ??= loadPersistedProviders(ctx));
  const implemented = Object.keys(HANDLERS) as ImplementedMethod[];
  const server: Record<string, unknown> = {
    implementedMethods: implemented,
    jsonAnswers: JSON_ANSWER_METHODS,
    jsonStreams: JSON_STREAM_METHODS,
    close: async () => {
      Dexie.on("storagemutated").unsubscribe(onMutated);
      db.close();
    },
  };
  for (const name of EXTENSION_NAMES) {
    const handler = EXTENSION_HANDLERS[name] as (ctx: ExtensionContext, req: unknown) => Promise<unknown>;
    server[name] = async (req: unknown): Promise<unknown> => {
      const parsed = parseRequest(name, EXTENSIONS[name], req);
      try {
        if (PROVIDER_EXTENSIONS.has(name)) await withProviders();
        return await handler(ctx, parsed);
      } catch (error) {
        throw storageError(db, error);
      }
    };
  }
  for (const name of implemented) {
    const spec = METHODS[name];
    const handler = HANDLERS[name] as (ctx: HandlerContext, req: unknown) => unknown;
    if (spec.stream) {
      server[name] = (req: unknown): AsyncIterable<unknown> => ({
        async *[Symbol.asyncIterator]() {
          const parsed = parseRequest(name, spec, req);
          try {
            yield* handler(ctx, parsed) as AsyncIterable<unknown>;
          } catch (error) {
            throw storageError(db, error);
          }
        },
      });
    } else {
      server[name] = async (req: unknown): Promise<unknown> => {
        const parsed = parseRequest(name, spec, req);
        try {
          if (NEEDS_PROVIDERS.has(name)) await withProviders();
          // While a purge runs, what each request carries and each write stored is noted, so the
          // purge keeps it (retention/journal.ts); otherwise both calls return at once.
          journal.noteRequest(name, parsed);
          const res = await (handler(ctx, parsed) as Promise<unknown>);
          journal.noteResponse(name, parsed, res);
          return res;
        } catch (error) {
          throw storageError(db, error);
        }
      };
    }
  }
  server["answerJson"] = async (method: string, req: unknown): Promise<string> => {
    const name = servedBy(JSON_HANDLERS, "answerJson", method);
    const handler = JSON_HANDLERS[name] as (ctx: HandlerContext, req: unknown) => Promise<string>;
    const parsed = parseRequest(name, METHODS[name], req);
    try {
      journal.noteRequest(name, parsed);
      return await handler(ctx, parsed);
    } catch (error) {
      throw storageError(db, error);
    }
  };
  server["streamJson"] = (method: string, req: unknown): AsyncIterable<string> => ({
    async *[Symbol.asyncIterator]() {
      const name = servedBy(JSON_STREAM_HANDLERS, "streamJson", method);
      const handler = JSON_STREAM_HANDLERS[name] as (ctx: HandlerContext, req: unknown) => AsyncIterable<string>;
      const parsed = parseRequest(name, METHODS[name], req);
      try {
        yield* handler(ctx, parsed);
      } catch (error) {
        throw storageError(db, error);
      }
    },
  });
  return server as unknown as LocalTraceServer;
}
