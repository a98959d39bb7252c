/**
 * Bad input never hurts the store. For every method `LocalTraceServer` implements, thousands of
 * malformed and hostile requests (test/support/hostile-arbitraries.ts: one field of a valid request
 * broken, unknown and prototype-pollution keys, non-objects, server-side rules such as unknown
 * tables, out-of-range indexes, too many digests) must each be refused with a `WeftError` of an
 * expected code and a message that names the problem, within a timeout; and a digest of every
 * IndexedDB record (test/support/store-digest.ts) taken after each batch must equal the one before.
 * The store is seeded first, so refusals are checked against real data. Then fixed lists of big,
 * deeply nested and exotic requests, and a check that nothing reached `Object.prototype`.
 *
 * Prints one summary line: `bad-input: N cases, A accepted, codes {…}`.
 */
import fc from "fast-check";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WeftError } from "../../src/errors";
import { METHODS, type MethodName } from "../../src/interface";
import { createLocalTraceServer, type LocalTraceServer } from "../../src/server";
import {
  ALLOWED_CODES,
  deepAndQuery,
  describeValue,
  type HostileCase,
  hostileCaseArb,
  type Invoke,
  invoker,
  NEEDS_EXTERNAL_SERVICE,
  nested,
  nestedArray,
  type SeedFacts,
  seedStore,
  serverCases,
  validRequest,
  withOwnKey,
} from "../support/hostile-arbitraries";
import { diffSnapshots, snapshotStore, type StoreSnapshot } from "../support/store-digest";

/** Cases per run across all methods (the README quotes the figure printed at the end). */
const TOTAL_RANDOM_CASES = 20_480;
const BATCH = 32;
/** A refusal must come within this; fake-indexeddb on a busy 2-core machine is slow, so generous. */
const CALL_TIMEOUT_MS = 15_000;

const PROTOTYPES = { Object: Object.prototype, Array: Array.prototype, Function: Function.prototype, String: String.prototype };
const PROTOTYPE_KEYS = Object.fromEntries(Object.entries(PROTOTYPES).map(([name, proto]) => [name, Reflect.ownKeys(proto).map(String).sort()]));

// ---------------------------------------------------------------------------------------------
// A seeded server and the bookkeeping of every case run

interface Store {
  server: LocalTraceServer;
  invoke: Invoke;
  factory: IDBFactory;
  dbName: string;
  facts: SeedFacts;
}

let stores = 0;
async function seededStore(): Promise<Store> {
  const factory = new IDBFactory();
  const dbName = `weft-bad-input-${++stores}`;
  let clock = Date.UTC(2025, 0, 1);
  const server = createLocalTraceServer({ dbName, indexedDB: factory, IDBKeyRange, now: () => (clock += 1000) });
  const invoke = invoker(server);
  const facts = await seedStore(invoke, server.implementedMethods);
  return { server, invoke, factory, dbName, facts };
}

function snapshot(store: Store): Promise<StoreSnapshot> {
  return snapshotStore(store.dbName, { indexedDB: store.factory });
}

const stats = {
  cases: 0,
  accepted: 0,
  codes: {} as Record<string, number>,
  perMethod: {} as Record<string, number>,
};

class Hang extends Error {}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Hang(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function clip(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

function show(value: unknown): string {
  try {
    return clip(fc.stringify(value));
  } catch {
    return describeValue(value);
  }
}

/** Whether the issues or the message name what the case broke. */
function namesIt(c: HostileCase, error: WeftError): boolean {
  if (!c.names) return true;
  const issues = error.details?.issues ?? [];
  if ("text" in c.names) {
    const text = c.names.text;
    return error.message.includes(text) || issues.some((i) => i.message.includes(text) || i.path.includes(text));
  }
  const want = c.names.path;
  return issues.some(
    (i) =>
      i.path !== "" &&
      (i.path === want || want.startsWith(`${i.path}.`) || want.startsWith(`${i.path}[`) || i.path.startsWith(`${want}.`) || i.path.startsWith(`${want}[`)),
  );
}

/** What is wrong with how a case was refused, or undefined when the refusal is right. */
function judge(c: HostileCase, error: unknown): string | undefined {
  if (error instanceof Hang) return `hang: ${error.message}`;
  if (!(error instanceof WeftError)) {
    const e = error as { name?: unknown; message?: unknown };
    return `rejected with a non-WeftError ${String(e?.name ?? typeof error)}: ${clip(String(e?.message ?? error))}`;
  }
  if (!(ALLOWED_CODES as readonly string[]).includes(error.code)) return `code ${error.code}: ${clip(error.message)}`;
  if (error.message.trim() === "") return "empty message";
  const issues = error.details?.issues;
  if (c.expect === "schema") {
    if (error.code !== "VALIDATION") return `a schema violation came back as ${error.code}: ${clip(error.message)}`;
    if (!Array.isArray(issues) || issues.length === 0) return `VALIDATION without details.issues: ${clip(error.message)}`;
    if (issues.some((i) => typeof i.path !== "string" || typeof i.message !== "string" || i.message === "")) {
      return `malformed issues ${show(issues)}`;
    }
  } else if (error.code === "VALIDATION") {
    const named = (issues ?? []).some((i) => i.path !== "") || (c.names !== undefined && namesIt(c, error));
    if (!named) return `VALIDATION names no field path or value: ${clip(error.message)} ${show(error.details)}`;
  }
  if (!namesIt(c, error)) return `the error does not name ${show(c.names)}: ${clip(error.message)} ${show(issues)}`;
  return undefined;
}

/** Runs one case; returns what went wrong, or undefined when it was refused properly. */
async function runCase(invoke: Invoke, c: HostileCase, timeoutMs = CALL_TIMEOUT_MS): Promise<string | undefined> {
  stats.cases++;
  stats.perMethod[c.method] = (stats.perMethod[c.method] ?? 0) + 1;
  try {
    const result = await withTimeout(invoke(c.method, c.req), timeoutMs);
    stats.accepted++;
    stats.codes.ACCEPTED = (stats.codes.ACCEPTED ?? 0) + 1;
    return `accepted, answered ${show(result)}`;
  } catch (error) {
    const code = error instanceof WeftError ? error.code : error instanceof Hang ? "HANG" : `non-WeftError ${String((error as { name?: unknown })?.name)}`;
    stats.codes[code] = (stats.codes[code] ?? 0) + 1;
    return judge(c, error);
  }
}

/**
 * Runs cases against `store` and checks the digest afterwards; returns every problem found (case
 * problems, then a changed store with the first differing records).
 */
async function runBatch(store: Store, cases: readonly HostileCase[], before: StoreSnapshot, timeoutMs?: number): Promise<{ problems: string[]; after: StoreSnapshot }> {
  const problems: string[] = [];
  for (const c of cases) {
    const problem = await runCase(store.invoke, c, timeoutMs);
    if (problem) problems.push(`${c.method} [${c.label}]: ${problem}\n    request: ${show(c.req)}`);
  }
  const after = await snapshot(store);
  if (after.hash !== before.hash) problems.push(`the store changed:\n    ${diffSnapshots(before, after).join("\n    ")}`);
  return { problems, after };
}

// ---------------------------------------------------------------------------------------------

let main: Store;
let implemented: readonly MethodName[];

beforeAll(async () => {
  main = await seededStore();
  implemented = main.server.implementedMethods;
});

afterAll(() => {
  const codes = Object.entries(stats.codes)
    .sort((a, b) => b[1] - a[1])
    .map(([code, count]) => `${code}: ${count}`)
    .join(", ");
  const counts = Object.values(stats.perMethod);
  console.log(
    `bad-input: ${stats.cases} cases over ${counts.length} methods (at least ${Math.min(...counts)} each), ${stats.accepted} accepted, codes {${codes}}`,
  );
});

describe("the generator", () => {
  it("builds a valid base request for every implemented method, and server-side cases that pass the schema", async () => {
    const scratch = await seededStore();
    for (const method of scratch.server.implementedMethods) {
      if (NEEDS_EXTERNAL_SERVICE.includes(method)) continue;
      await expect(scratch.invoke(method, validRequest(method, scratch.facts)), method).resolves.toBeDefined();
      for (const c of serverCases(method, scratch.facts)) {
        if (c.expect !== "server") continue;
        const parsed = METHODS[method].req.safeParse(c.req);
        expect(parsed.success, `${method} [${c.label}] should pass the schema: ${parsed.error?.message ?? ""}`).toBe(true);
      }
    }
  });
});

describe("the store digest", () => {
  it("is stable while nothing changes and sees a changed record, a new record and changed bytes", async () => {
    const scratch = await seededStore();
    const first = await snapshot(scratch);
    expect((await snapshot(scratch)).hash).toBe(first.hash);
    expect(Object.values(first.stores).reduce((n, s) => n + s.count, 0)).toBeGreaterThan(10);
    await scratch.invoke("call_update", { project_id: scratch.facts.project, call_id: scratch.facts.rootCallId, display_name: "changed" });
    const second = await snapshot(scratch);
    expect(second.hash).not.toBe(first.hash);
    expect(diffSnapshots(first, second).join("\n")).toContain("changed");
    await scratch.invoke("file_create", { project_id: scratch.facts.project, name: "a", content: new Uint8Array([1, 2, 3]) });
    const third = await snapshot(scratch);
    expect(third.stores.file_chunks?.hash).not.toBe(second.stores.file_chunks?.hash);
    // Same length, other bytes: the digest covers binary contents, not just their size.
    const other = await seededStore();
    await other.invoke("call_update", { project_id: other.facts.project, call_id: other.facts.rootCallId, display_name: "changed" });
    await other.invoke("file_create", { project_id: other.facts.project, name: "a", content: new Uint8Array([1, 2, 4]) });
    const fourth = await snapshot(other);
    expect(fourth.stores.file_chunks?.hash).not.toBe(third.stores.file_chunks?.hash);
  });
});

describe("malformed and hostile requests, every implemented method", () => {
  // One property per method, so a bug in one method does not hide the others; batches of cases
  // share the seeded server and one digest comparison.
  const methods = createLocalTraceServer({ dbName: "weft-bad-input-names", indexedDB: new IDBFactory(), IDBKeyRange }).implementedMethods;
  const runsPerMethod = Math.ceil(TOTAL_RANDOM_CASES / methods.length / BATCH);

  it.each(methods)("%s refuses every case with a WeftError and leaves the store as it was", async (method) => {
    let before = await snapshot(main);
    await fc.assert(
      fc.asyncProperty(fc.array(hostileCaseArb(method, main.facts), { minLength: BATCH, maxLength: BATCH }), async (cases) => {
        const { problems, after } = await runBatch(main, cases, before);
        before = after;
        if (problems.length > 0) throw new Error(`${problems.length} problem(s):\n  ${problems.slice(0, 5).join("\n  ")}`);
      }),
      { numRuns: runsPerMethod },
    );
  }, 300_000);
});

// ---------------------------------------------------------------------------------------------
// Fixed lists: big requests, deep nesting, exotic objects

/** Runs a fixed list on a fresh seeded store; asserts no problem (all reported at once). */
async function expectAllRefused(cases: readonly HostileCase[], timeoutMs = 60_000): Promise<void> {
  const store = await seededStore();
  const usable = cases.filter((c) => store.server.implementedMethods.includes(c.method));
  const before = await snapshot(store);
  const { problems } = await runBatch(store, usable, before, timeoutMs);
  expect(problems, problems.join("\n")).toEqual([]);
}

function over(method: MethodName, facts: SeedFacts, changes: Record<string, unknown>): Record<string, unknown> {
  return { ...(validRequest(method, facts) as Record<string, unknown>), ...changes };
}

function big(facts: SeedFacts): HostileCase[] {
  const P = facts.project;
  const MB = 1024 * 1024;
  const start = (validRequest("call_start", facts) as { start: Record<string, unknown> }).start;
  const validStarts = Array.from({ length: 2000 }, (_, i) => ({ mode: "start", req: { start: { ...start, id: `bulk-${i}` } } }));
  const rows = Array.from({ length: 5000 }, (_, i) => ({ i, text: `row ${i}` }));
  const s = (method: MethodName, label: string, req: unknown): HostileCase => ({ method, req, label, expect: "schema" });
  const v = (method: MethodName, label: string, req: unknown): HostileCase => ({ method, req, label, expect: "server" });
  return [
    s("calls_query", "5 MB project_id", over("calls_query", facts, { project_id: `${P}${"x".repeat(5 * MB)}` })),
    s("calls_query", "10k-character project_id", over("calls_query", facts, { project_id: `e/${"p".repeat(10_000)}` })),
    s("call_start", "2 MB op_name", { start: { ...start, op_name: "o".repeat(2 * MB) } }),
    s("call_start", "5 MB input beside a bad started_at", { start: { ...start, inputs: { big: "i".repeat(5 * MB) }, started_at: "2024-13-45" } }),
    v("obj_create", "1 MB object_id", { obj: { project_id: P, object_id: "n".repeat(MB), val: { a: 1 } } }),
    v("obj_create", "3 MB value, wrong expected_digest", { obj: { project_id: P, object_id: "big", val: { s: "v".repeat(3 * MB) }, expected_digest: "0".repeat(64) } }),
    v("file_create", "5 MB file, wrong expected_digest", { project_id: P, name: "big.bin", content: new Uint8Array(5 * MB).fill(7), expected_digest: "0".repeat(64) }),
    s("table_create", "5000 rows, the last one NaN", { table: { project_id: P, rows: [...rows, { bad: NaN }] } }),
    v("table_create", "5000 rows, wrong expected_digest", { table: { project_id: P, rows, expected_digest: "0".repeat(64) } }),
    s("call_start_batch", "2000 valid starts, then one bad", { batch: [...validStarts, { mode: "start", req: { start: { ...start, started_at: "not a date" } } }] }),
    v("table_update", "1000 appends, then a pop out of range", {
      project_id: P,
      base_digest: facts.tableDigest,
      updates: [...Array.from({ length: 1000 }, (_, i) => ({ append: { row: { i } } })), { pop: { index: 5000 } }],
    }),
    v("calls_delete", "5000 call ids", { project_id: P, call_ids: Array.from({ length: 5000 }, (_, i) => `c${i}`) }),
    v("obj_delete", "1000 digests", { project_id: P, object_id: facts.objectId, digests: Array.from({ length: 1000 }, (_, i) => `d${i}`) }),
    v("refs_read_batch", "10 000 refs", { refs: Array.from({ length: 10_000 }, () => `weave:///${P}/object/${facts.objectId}:${facts.objectDigests[0] ?? ""}`) }),
    v("calls_query", "filter with 100 000 op names", over("calls_query", facts, { filter: { op_names: Array.from({ length: 100_000 }, (_, i) => `op${i}`) } })),
    s("feedback_create", "2 MB payload beside a bad project_id", { ...(validRequest("feedback_create", facts) as object), project_id: "no-slash", payload: { note: "n".repeat(2 * MB) } }),
    v("feedback_create", "payload over 1 MiB", { ...(validRequest("feedback_create", facts) as object), payload: { note: "n".repeat(MB + 10) } }),
  ];
}

function deep(facts: SeedFacts): HostileCase[] {
  const P = facts.project;
  const start = (validRequest("call_start", facts) as { start: Record<string, unknown> }).start;
  const wrap = (depth: number, make: (inner: unknown) => unknown, leaf: unknown): unknown => {
    let v = leaf;
    for (let i = 0; i < depth; i++) v = make(v);
    return v;
  };
  const cmp = { $eq: [{ $getField: "id" }, { $literal: "x" }] };
  const queries: Array<[string, unknown]> = [
    ["10 000 nested $and", deepAndQuery(10_000)],
    ["1000 nested $and", deepAndQuery(1000)],
    ["10 000 nested $not", { $expr: wrap(10_000, (x) => ({ $not: [x] }), cmp) }],
    ["10 000 nested $or", { $expr: wrap(10_000, (x) => ({ $or: [x, cmp] }), cmp) }],
    ["10 000 nested $literal lists", { $expr: { $eq: [{ $getField: "id" }, wrap(10_000, (x) => ({ $literal: [x] }), { $literal: 1 })] } }],
    ["10 000 nested $convert", { $expr: { $eq: [wrap(10_000, (x) => ({ $convert: { input: x, to: "string" } }), { $getField: "id" }), { $literal: "x" }] } }],
    ["10 000 nested $in", { $expr: wrap(10_000, (x) => ({ $in: [{ $getField: "id" }, [x]] }), cmp) }],
  ];
  const cases: HostileCase[] = [];
  for (const method of ["calls_query", "calls_query_stream", "calls_query_stats", "feedback_query", "cost_query"] as const) {
    for (const [label, query] of queries) cases.push({ method, req: over(method, facts, { query }), label, expect: "schema" });
  }
  for (const method of ["feedback_purge", "cost_purge"] as const) cases.push({ method, req: over(method, facts, { query: deepAndQuery(10_000) }), label: "10 000 nested $and", expect: "schema" });
  const s = (method: MethodName, label: string, req: unknown): HostileCase => ({ method, req, label, expect: "schema" });
  cases.push(
    s("call_start", "inputs 10 000 levels deep", { start: { ...start, inputs: nested(10_000, 1) } }),
    s("call_start", "inputs with a list 10 000 levels deep", { start: { ...start, inputs: { l: nestedArray(10_000, 1) } } }),
    s("call_end", "output 10 000 levels deep", { end: { project_id: P, id: "c-root", ended_at: "2025-01-02T00:00:00Z", summary: {}, output: nested(10_000, "x") } }),
    s("obj_create", "val 10 000 levels deep", { obj: { project_id: P, object_id: "deep", val: nested(10_000, 1) } }),
    s("table_create", "a row 10 000 levels deep", { table: { project_id: P, rows: [nested(10_000, 1)] } }),
    s("table_update", "an appended row 10 000 levels deep", { project_id: P, base_digest: facts.tableDigest, updates: [{ append: { row: nested(10_000, 1) } }] }),
    s("feedback_create", "payload 10 000 levels deep", { ...(validRequest("feedback_create", facts) as object), payload: nested(10_000, 1) }),
  );
  return cases;
}

function throwing(): object {
  return Object.defineProperty({}, "x", { enumerable: true, get: () => { throw new Error("getter says no"); } });
}

function exotic(facts: SeedFacts): HostileCase[] {
  const start = (validRequest("call_start", facts) as { start: Record<string, unknown> }).start;
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  const trap = new Proxy({}, { ownKeys: () => { throw new Error("ownKeys trap"); }, get: () => { throw new Error("get trap"); } });
  const getterField = (method: MethodName, key: string) => {
    const req = { ...(validRequest(method, facts) as Record<string, unknown>) };
    delete req[key];
    return Object.defineProperty(req, key, { enumerable: true, get: () => { throw new Error(`getter for ${key}`); } });
  };
  const s = (method: MethodName, label: string, req: unknown): HostileCase => ({ method, req, label, expect: "schema" });
  return [
    s("call_read", "a getter that throws, top level", getterField("call_read", "project_id")),
    s("calls_query", "a getter that throws in filter", { ...(validRequest("calls_query", facts) as object), filter: throwing() }),
    s("call_start", "a getter that throws inside inputs", { start: { ...start, inputs: { ok: 1, bad: throwing() } } }),
    s("obj_create", "a getter that throws inside val", { obj: { project_id: facts.project, object_id: "g", val: { bad: throwing() } } }),
    s("table_create", "a getter that throws inside a row", { table: { project_id: facts.project, rows: [throwing()] } }),
    s("call_read", "the request is a throwing Proxy", trap),
    s("call_start", "inputs is a throwing Proxy", { start: { ...start, inputs: trap } }),
    s("calls_query", "filter is a revoked Proxy", { ...(validRequest("calls_query", facts) as object), filter: revoked.proxy }),
    s("refs_read_batch", "refs is a revoked Proxy", { refs: revoked.proxy }),
  ];
}

describe("fixed lists of hostile requests", () => {
  it("big requests (1–5 MB strings and files, thousands of items) are refused without changing the store", async () => {
    await expectAllRefused(big(main.facts));
  }, 120_000);

  it("deep nesting (10 000 levels, built iteratively) is refused as VALIDATION, not a stack overflow", async () => {
    await expectAllRefused(deep(main.facts));
  }, 120_000);

  it("throwing getters and Proxies in a request become WeftErrors", async () => {
    await expectAllRefused(exotic(main.facts));
  }, 60_000);

  it("a Map, Set, Date or RegExp where an object of fields is expected is refused, not read as {}", async () => {
    const P = main.facts.project;
    const cases: HostileCase[] = [];
    const holders: unknown[] = [new Map([["op_names", ["no-such-op"]]]), new Set(["x"]), new Date(0), /re/, Promise.resolve({})];
    for (const holder of holders) {
      const what = describeValue(holder);
      cases.push(
        { method: "calls_query", req: { project_id: P, filter: holder }, label: `calls_query filter is a ${what}`, expect: "schema", names: { path: "filter" } },
        { method: "calls_query_stats", req: { project_id: P, filter: holder }, label: `calls_query_stats filter is a ${what}`, expect: "schema", names: { path: "filter" } },
        { method: "objs_query", req: { project_id: P, filter: holder }, label: `objs_query filter is a ${what}`, expect: "schema", names: { path: "filter" } },
        { method: "ops_query", req: { project_id: P, filter: holder }, label: `ops_query filter is a ${what}`, expect: "schema", names: { path: "filter" } },
        { method: "table_query", req: { project_id: P, digest: main.facts.tableDigest, filter: holder }, label: `table_query filter is a ${what}`, expect: "schema", names: { path: "filter" } },
      );
    }
    await expectAllRefused(cases);
  }, 60_000);

  it("impossible datetimes (UTC offsets past ±23:59, minutes past 59, year 0) are refused", async () => {
    const start = (validRequest("call_start", main.facts) as { start: Record<string, unknown> }).start;
    const times = [
      "2024-01-01T00:00:00+99:99",
      "2024-01-01T00:00:00+24:00",
      "2024-01-01T00:00:00-25:00",
      "2024-01-01T00:00:00+05:75",
      "0000-01-01T00:00:00Z",
    ];
    const cases: HostileCase[] = times.map((t) => ({
      method: "call_start" as const,
      req: { start: { ...start, id: "c-bad-time", started_at: t } },
      label: `started_at ${t}`,
      expect: "schema" as const,
      names: { path: "start.started_at" },
    }));
    await expectAllRefused(cases);
  }, 60_000);
});

describe("prototype pollution", () => {
  it("keys named __proto__ or constructor in a payload stay data: stored and read back as own keys, never a prototype", async () => {
    const store = await seededStore();
    const P = store.facts.project;
    const payload = (): Record<string, unknown> => withOwnKey(withOwnKey({ a: 1 }, "__proto__", { polluted: "yes", status_counts: { error: 3 } }), "constructor", { prototype: { polluted: "yes" } });
    const start = (validRequest("call_start", store.facts) as { start: Record<string, unknown> }).start;
    await store.invoke("call_start", { start: { ...start, id: "c-proto", parent_id: null, trace_id: "t-proto", inputs: payload(), attributes: payload() } });
    // The end's summary has a __proto__ key holding status_counts: as data, it is no error count.
    await store.invoke("call_end", { end: { project_id: P, id: "c-proto", ended_at: "2025-01-02T00:00:00Z", summary: payload(), output: payload() } });
    const read = (await store.invoke("call_read", { project_id: P, id: "c-proto" })) as { call: Record<string, Record<string, unknown>> };
    const problems: string[] = [];
    for (const column of ["inputs", "attributes", "output", "summary"]) {
      const value = read.call[column] ?? {};
      if (!Object.hasOwn(value, "__proto__") || !Object.hasOwn(value, "constructor")) problems.push(`call ${column} lost a key: ${JSON.stringify(value)}`);
    }
    const status = (read.call.summary?.weave as Record<string, unknown> | undefined)?.status;
    if (status !== "success") problems.push(`call status is ${String(status)}: a __proto__ key in summary was read as status_counts`);
    const table = (await store.invoke("table_create", { table: { project_id: P, rows: [payload()] } })) as { digest: string };
    const rows = (await store.invoke("table_query", { project_id: P, digest: table.digest })) as { rows: Array<{ val: Record<string, unknown> }> };
    const row = rows.rows[0]?.val ?? {};
    if (!Object.hasOwn(row, "__proto__")) problems.push(`table row lost its __proto__ key: ${JSON.stringify(row)}`);
    const obj = (await store.invoke("obj_create", { obj: { project_id: P, object_id: "proto_obj", val: payload() } })) as { digest: string };
    const back = (await store.invoke("obj_read", { project_id: P, object_id: "proto_obj", digest: obj.digest })) as { obj: { val: Record<string, unknown> } };
    if (!Object.hasOwn(back.obj.val, "__proto__")) problems.push(`object val lost its __proto__ key: ${JSON.stringify(back.obj.val)}`);
    // An invalid value under a `__proto__` key is still invalid (and the key still data).
    const hidden = withOwnKey({ a: 1 }, "__proto__", { inner: NaN });
    for (const [method, req] of [
      ["table_create", { table: { project_id: P, rows: [hidden] } }],
      ["table_update", { project_id: P, base_digest: store.facts.tableDigest, updates: [{ append: { row: hidden } }] }],
      ["call_start", { start: { ...start, id: "c-hidden", inputs: hidden } }],
      ["obj_create", { obj: { project_id: P, object_id: "hidden", val: hidden } }],
    ] as const) {
      try {
        const res = await store.invoke(method, req);
        problems.push(`${method} accepted NaN hidden under a __proto__ key: ${JSON.stringify(res)}`);
      } catch (error) {
        if (!(error instanceof WeftError) || error.code !== "VALIDATION") problems.push(`${method} failed with ${String(error)}`);
      }
    }
    if (store.server.implementedMethods.includes("cost_create")) {
      // A price for an LLM called "__proto__": stored under that id, or refused; never dropped silently.
      const costs = withOwnKey({}, "__proto__", { prompt_token_cost: 1, completion_token_cost: 2 });
      try {
        const res = (await store.invoke("cost_create", { project_id: P, costs, wb_user_id: "u" })) as { ids: Array<[string, string]> };
        if (!res.ids.some(([, llm]) => llm === "__proto__")) problems.push(`cost_create accepted a price for llm "__proto__" and stored nothing: ${JSON.stringify(res)}`);
      } catch (error) {
        if (!(error instanceof WeftError) || error.code !== "VALIDATION") problems.push(`cost_create failed with ${String(error)}`);
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(problems, problems.join("\n")).toEqual([]);
  });

  it("after every case above, Object.prototype and friends are untouched", () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(([] as unknown as Record<string, unknown>).polluted).toBeUndefined();
    for (const [name, proto] of Object.entries(PROTOTYPES)) {
      expect(Reflect.ownKeys(proto).map(String).sort(), `${name}.prototype keys`).toEqual(PROTOTYPE_KEYS[name]);
    }
  });
});
