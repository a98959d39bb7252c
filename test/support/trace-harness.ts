/**
 * Tracing tests in Node: the real worker side (`exposeLocalTraceServer` on fake-indexeddb) behind a
 * real `createClient` over a `MessageChannel`, a tracer on it, and read-back helpers.
 */
import type { Endpoint } from "comlink";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { createClient, type WeftClient } from "../../src/client/index";
import type { MethodRes } from "../../src/interface";
import { init, type InitOptions, type Tracer } from "../../src/trace/index";
import { exposeLocalTraceServer } from "../../src/worker/index";

export const TRACE_PROJECT = "tester/trace";
export type StoredCall = MethodRes<"call_read">["call"] & object;

let counter = 0;

/** A client + tracer pair and ways to read what was stored. */
export interface TraceHarness {
  client: WeftClient;
  tracer: Tracer;
  /** Flushes, then every call of the project, oldest id (uuidv7: start order) first. */
  calls(extra?: Record<string, unknown>): Promise<StoredCall[]>;
  /** The one stored call with this op name (and, when given, `inputs.arg0`); throws when not exactly one. */
  one(calls: StoredCall[], opName: string, arg0?: unknown): StoredCall;
  close(): Promise<void>;
}

/**
 * Opens a fresh database, a client and a default tracer on it.
 * @throws {Error} from `init` for bad options
 */
export function traceHarness(options: Partial<InitOptions> = {}): TraceHarness {
  const { port1, port2 } = new MessageChannel();
  exposeLocalTraceServer({ endpoint: port1 as unknown as Endpoint, dbName: `trace-${++counter}`, indexedDB: new IDBFactory(), IDBKeyRange });
  const client = createClient({ worker: port2 as unknown as Endpoint, batch: { flushIntervalMs: 5 } });
  const tracer = init({ project: TRACE_PROJECT, client, ...options });
  return {
    client,
    tracer,
    async calls(extra = {}) {
      await tracer.flush();
      const res = await client.calls_query({ project_id: tracer.projectId, sort_by: [{ field: "id", direction: "asc" }], ...extra });
      return res.calls as StoredCall[];
    },
    one(calls, opName, ...arg0) {
      const found = calls.filter((c) => c.op_name === opName && (arg0.length === 0 || c.inputs.arg0 === arg0[0]));
      if (found.length !== 1) throw new Error(`expected one ${opName}${arg0.length ? `(${String(arg0[0])})` : ""}, found ${found.length}`);
      return found[0] as StoredCall;
    },
    async close() {
      await client.close();
      port1.close();
    },
  };
}
