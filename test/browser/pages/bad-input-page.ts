/**
 * Page script of `test/browser/bad-input-worker.test.ts`: a real module Worker (the harness's
 * `worker.ts`, database named by `?db=`) behind `createClient`, seeded with `seedStore`. The test
 * generates hostile requests in Node and sends them here encoded as JSON text (see `decode`: tags for
 * what JSON cannot hold: NaN, ±Infinity, -0, undefined, bigint, Dates, RegExps, Maps, Sets, binary,
 * boxed primitives, own `__proto__` keys, run-length-compressed huge strings); each one is rebuilt,
 * sent through `client[method](req)` (streams iterated) and its outcome returned as plain data, with
 * `instanceof WeftError` checked here. `digest()` hashes the worker's database through raw IndexedDB.
 */
import { createClient, type WeftClient } from "../../../src/client/index";
import { WeftError } from "../../../src/errors";
import { METHODS, type MethodName } from "../../../src/interface";
import { ALLOWED_CODES, invoker, seedStore, SEED_PROJECT, type SeedFacts } from "../../support/hostile-arbitraries";
import { digestStore } from "../../support/store-digest";
import type { HarnessPageGlobals } from "../harness";

const params = new URLSearchParams(location.search);
const dbName = params.get("db") ?? "weft-bad-input";

const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module", name: dbName });
const client: WeftClient = createClient({ worker, batch: { flushIntervalMs: 2 } });

// ---------------------------------------------------------------------------------------------
// Decoding (the inverse of `encode` in the test file)

type Tagged = { $w: string; [key: string]: unknown };

function bytesOf(list: unknown): Uint8Array {
  return Uint8Array.from(list as number[]);
}

const TYPED: Record<string, new (buffer: ArrayBuffer) => ArrayBufferView> = {
  Uint8Array,
  Int8Array,
  Uint8ClampedArray,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Int32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
};

export function decode(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const item of v) out.push(decode(item));
    return out;
  }
  const t = v as Tagged;
  switch (t.$w) {
    case "obj": {
      const out: Record<string, unknown> = t.np ? (Object.create(null) as Record<string, unknown>) : {};
      // defineProperty: an own `__proto__` key stays data, as JSON.parse would make it.
      for (const [k, val] of t.e as Array<[string, unknown]>) Object.defineProperty(out, k, { value: decode(val), enumerable: true, writable: true, configurable: true });
      return out;
    }
    case "arr": {
      const out: unknown[] = new Array((t.v as unknown[]).length);
      (t.v as unknown[]).forEach((item, i) => {
        if (!(item && typeof item === "object" && (item as Tagged).$w === "hole")) out[i] = decode(item);
      });
      return out;
    }
    case "num":
      return Number(t.v); // "NaN", "Infinity", "-Infinity", "-0"
    case "undef":
      return undefined;
    case "big":
      return BigInt(t.v as string);
    case "str":
      return (t.parts as Array<string | [string, number]>).map((p) => (typeof p === "string" ? p : p[0].repeat(p[1]))).join("");
    case "date":
      return new Date(decode(t.t) as number);
    case "re":
      return new RegExp(t.source as string, t.flags as string);
    case "map":
      return new Map((t.e as Array<[unknown, unknown]>).map(([k, val]) => [decode(k), decode(val)]));
    case "set":
      return new Set((t.v as unknown[]).map(decode));
    case "ab":
      return bytesOf(t.b).buffer;
    case "ta": {
      const Ctor = TYPED[t.k as string];
      if (!Ctor) throw new Error(`unknown typed array ${String(t.k)}`);
      return new Ctor(bytesOf(t.b).buffer as ArrayBuffer);
    }
    case "dv":
      return new DataView(bytesOf(t.b).buffer);
    case "box":
      return t.t === "string" ? new String(t.v) : t.t === "number" ? new Number(decode(t.v)) : new Boolean(t.v);
    default:
      throw new Error(`unknown tag ${String(t.$w)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Running cases

/** What happened to one case, as plain data. */
export interface Outcome {
  /** "weft" (a WeftError), "accepted", "hang", or "other" (anything else thrown). */
  kind: "weft" | "accepted" | "hang" | "other";
  code?: string;
  message: string;
  /** Whether the worker answered a simple query right after the case. */
  alive: boolean;
}

async function call(method: MethodName, req: unknown): Promise<unknown> {
  const fn = (client as unknown as Record<string, (r: unknown) => unknown>)[method];
  if (typeof fn !== "function") throw new Error(`client has no method ${method}`);
  if (METHODS[method].stream) {
    const items: unknown[] = [];
    for await (const item of fn.call(client, req) as AsyncIterable<unknown>) items.push(item);
    return items;
  }
  return await fn.call(client, req);
}

const HANG = Symbol("hang");

function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof HANG> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([promise, new Promise<typeof HANG>((resolve) => (timer = setTimeout(() => resolve(HANG), ms)))]).finally(() => clearTimeout(timer));
}

async function alive(): Promise<boolean> {
  try {
    const res = await within(client.calls_query({ project_id: SEED_PROJECT, limit: 1 }), 5000);
    return res !== HANG && Array.isArray(res.calls) && res.calls.length === 1;
  } catch {
    return false;
  }
}

async function outcome(method: MethodName, req: unknown, timeoutMs: number): Promise<Outcome> {
  let out: Outcome;
  try {
    const res = await within(call(method, req), timeoutMs);
    if (res === HANG) out = { kind: "hang", message: `no answer within ${timeoutMs} ms`, alive: false };
    else out = { kind: "accepted", message: clip(safeJson(res)), alive: false };
  } catch (error) {
    if (error instanceof WeftError) out = { kind: "weft", code: error.code, message: error.message, alive: false };
    else out = { kind: "other", code: String((error as { name?: unknown })?.name ?? typeof error), message: clip(String((error as { message?: unknown })?.message ?? error)), alive: false };
  }
  out.alive = await alive();
  return out;
}

function clip(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Requests that cannot cross `postMessage`: the client must refuse them as VALIDATION, not throw DataCloneError. */
function unclonables(f: SeedFacts): Array<{ method: MethodName; label: string; req: unknown }> {
  const P = f.project;
  const start = { project_id: P, id: "c-unclonable", op_name: "op", started_at: "2025-01-02T00:00:00Z", attributes: {}, inputs: {} as Record<string, unknown> };
  return [
    { method: "calls_query", label: "a function in filter", req: { project_id: P, filter: { op_names: () => ["x"] } } },
    { method: "calls_query_stream", label: "a symbol in filter", req: { project_id: P, filter: { op_names: [Symbol("s")] } } },
    { method: "obj_read", label: "the request is a Proxy", req: new Proxy({ project_id: P, object_id: f.objectId, digest: f.objectDigests[0] }, {}) },
    { method: "call_read", label: "a function-valued own property (toJSON)", req: { project_id: P, id: "c-root", toJSON: () => "x" } },
    { method: "obj_create", label: "a Promise inside val", req: { obj: { project_id: P, object_id: "unclonable", val: { p: Promise.resolve(1) } } } },
    { method: "table_create", label: "a function in a row", req: { table: { project_id: P, rows: [{ f: () => 1 }] } } },
    { method: "call_start", label: "a function in inputs (batched)", req: { start: { ...start, inputs: { f: () => 1 } } } },
    { method: "call_end", label: "a symbol in output (batched)", req: { end: { project_id: P, id: "c-running", ended_at: "2025-01-02T00:00:00Z", summary: {}, output: Symbol("o") } } },
    { method: "feedback_create", label: "a WeakMap in payload", req: { project_id: P, weave_ref: `weave:///${P}/call/c-root`, feedback_type: "custom", payload: { w: new WeakMap() }, wb_user_id: "u" } },
  ];
}

/**
 * Requests whose own code throws while structured clone copies them (a throwing getter, a Proxy
 * whose traps throw): not a DataCloneError, the caller's exception itself.
 */
function throwingDuringClone(f: SeedFacts): Array<{ method: MethodName; label: string; req: unknown }> {
  const P = f.project;
  const start = { project_id: P, id: "c-throwing", op_name: "op", started_at: "2025-01-02T00:00:00Z", attributes: {}, inputs: {} as Record<string, unknown> };
  const getter = () => Object.defineProperty({}, "x", { enumerable: true, get: () => { throw new Error("getter says no"); } });
  const trap = new Proxy({}, { ownKeys: () => { throw new Error("ownKeys trap"); }, get: () => { throw new Error("get trap"); } });
  return [
    { method: "call_read", label: "a getter that throws, top level", req: Object.defineProperty({ project_id: P }, "id", { enumerable: true, get: () => { throw new Error("getter says no"); } }) },
    { method: "calls_query", label: "a getter that throws in filter", req: { project_id: P, filter: getter() } },
    { method: "call_read", label: "the request is a throwing Proxy", req: trap },
    { method: "call_start", label: "a getter that throws inside inputs (batched)", req: { start: { ...start, inputs: { bad: getter() } } } },
  ];
}

const api = {
  dbName,
  allowedCodes: [...ALLOWED_CODES] as string[],
  /** Writes the seed store through the client; returns its facts. */
  async seed(implemented: readonly string[]): Promise<SeedFacts> {
    const facts = await seedStore(invoker(client), implemented);
    await client.flush();
    return facts;
  },
  async digest(): Promise<string> {
    await client.flush();
    return digestStore(dbName);
  },
  /** Decodes and runs a JSON list of `{ method, req }` cases, one after the other. */
  async run(json: string, timeoutMs: number): Promise<Outcome[]> {
    const cases = JSON.parse(json) as Array<{ method: MethodName; req: unknown }>;
    const outcomes: Outcome[] = [];
    for (const c of cases) {
      let req: unknown;
      try {
        req = decode(c.req);
      } catch (error) {
        outcomes.push({ kind: "other", code: "DECODE", message: String(error), alive: true });
        continue;
      }
      outcomes.push(await outcome(c.method, req, timeoutMs));
    }
    return outcomes;
  },
  /** The requests structured clone refuses, each with its outcome. */
  async runUnclonable(facts: SeedFacts, timeoutMs: number): Promise<Array<{ method: string; label: string } & Outcome>> {
    const results: Array<{ method: string; label: string } & Outcome> = [];
    for (const c of unclonables(facts)) results.push({ method: c.method, label: c.label, ...(await outcome(c.method, c.req, timeoutMs)) });
    return results;
  },
  /** Requests that throw while being copied, each with its outcome. */
  async runThrowing(facts: SeedFacts, timeoutMs: number): Promise<Array<{ method: string; label: string } & Outcome>> {
    const results: Array<{ method: string; label: string } & Outcome> = [];
    for (const c of throwingDuringClone(facts)) results.push({ method: c.method, label: c.label, ...(await outcome(c.method, c.req, timeoutMs)) });
    return results;
  },
  /** What `decode` rebuilt from the encoding test's sample value (see the test). */
  probeDecode(json: string): Record<string, boolean> {
    const v = decode(JSON.parse(json)) as Record<string, unknown>;
    const proto = Object.getOwnPropertyDescriptor(v, "__proto__");
    return {
      nan: Number.isNaN(v.nan),
      inf: v.inf === Infinity && v.ninf === -Infinity,
      negZero: Object.is(v.negZero, -0),
      undef: Object.hasOwn(v, "undef") && v.undef === undefined,
      big: v.big === 10n,
      date: v.date instanceof Date && v.date.getTime() === 0 && v.badDate instanceof Date && Number.isNaN(v.badDate.getTime()),
      map: v.map instanceof Map && v.map.get("a") === 1,
      set: v.set instanceof Set && v.set.has("s"),
      re: v.re instanceof RegExp && v.re.source === "re" && v.re.flags === "gi",
      bytes: v.bytes instanceof Uint8Array && [...v.bytes].join() === "1,2,3" && v.u16 instanceof Uint16Array && v.ab instanceof ArrayBuffer && v.dv instanceof DataView,
      boxed: v.boxed instanceof String && String(v.boxed) === "boxed",
      ownProto: proto !== undefined && "value" in proto && (proto.value as { polluted?: unknown }).polluted === true && Object.getPrototypeOf(v) === Object.prototype,
      nullProto: Object.getPrototypeOf(v.nullProto) === null,
      huge: typeof v.huge === "string" && v.huge.length === 5 * 1024 * 1024 + 3 && v.huge.startsWith("e/p") && v.huge.endsWith("pz"),
      surrogate: v.surrogate === "\ud800",
      holes: Array.isArray(v.holes) && v.holes.length === 3 && !(1 in v.holes),
    };
  },
  alive,
  async ready(): Promise<boolean> {
    const res = await within(client.ready(), 5000);
    return res !== HANG;
  },
};

export type BadInputPageApi = typeof api;
export interface BadInputPageGlobals extends HarnessPageGlobals {
  badInputPage: BadInputPageApi;
}

const globals = globalThis as unknown as BadInputPageGlobals;
globals.badInputPage = api;
globals.harnessReady = client.ready();
