/**
 * `LocalTraceServer`: Weave's trace server on IndexedDB, realm-agnostic (a Worker, the main thread,
 * or Node with fake-indexeddb). Every public method validates its request against the method
 * table's schema and throws only `WeftError`s.
 */
import type { z } from "zod";
import { fromZodError, toWeftError } from "../errors";
import { METHODS, type MethodName, type TraceServerInterface } from "../interface";
import type { ServerContext } from "./context";
import { WeftDb } from "./db";
import { HANDLERS, type ImplementedMethod } from "./handlers";

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

/** The methods weft serves today, as Weave's interface types them, plus lifecycle. */
export type LocalTraceServer = Pick<TraceServerInterface, ImplementedMethod> & {
  /** Names of the methods this server implements. */
  readonly implementedMethods: readonly ImplementedMethod[];
  /** Closes the database connection. Further calls fail with `STORAGE`. */
  close(): Promise<void>;
};

function parseRequest(method: MethodName, schema: z.ZodType, req: unknown): unknown {
  const result = schema.safeParse(req);
  if (!result.success) throw fromZodError(result.error, `${method} request`);
  return result.data;
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
  const ctx: ServerContext = { db, userId: options.userId ?? "local", now: options.now ?? Date.now };
  const implemented = Object.keys(HANDLERS) as ImplementedMethod[];
  const server: Record<string, unknown> = {
    implementedMethods: implemented,
    close: async () => {
      db.close();
    },
  };
  for (const name of implemented) {
    const spec = METHODS[name];
    const handler = HANDLERS[name] as (ctx: ServerContext, req: unknown) => unknown;
    if (spec.stream) {
      server[name] = (req: unknown): AsyncIterable<unknown> => ({
        async *[Symbol.asyncIterator]() {
          const parsed = parseRequest(name, spec.req, req);
          try {
            yield* handler(ctx, parsed) as AsyncIterable<unknown>;
          } catch (error) {
            throw toWeftError(error);
          }
        },
      });
    } else {
      server[name] = async (req: unknown): Promise<unknown> => {
        const parsed = parseRequest(name, spec.req, req);
        try {
          return await (handler(ctx, parsed) as Promise<unknown>);
        } catch (error) {
          throw toWeftError(error);
        }
      };
    }
  }
  return server as unknown as LocalTraceServer;
}
