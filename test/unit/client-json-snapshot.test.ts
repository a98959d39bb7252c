/**
 * The call batcher's JSON snapshots (src/client/json-snapshot.ts) and how they travel
 * (src/transport/batch-wire.ts): JSON text only where it is exact, structured clone otherwise, and
 * a worker that parses JSON items only when the batcher says it sent them.
 */
import fc from "fast-check";
import { wrap } from "comlink";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { afterEach, describe, expect, it } from "vitest";
import { createClient, type WeftClient } from "../../src/client";
import { jsonSnapshot } from "../../src/client/json-snapshot";
import type { MethodReq } from "../../src/interface";
import { batchJson } from "../../src/transport/batch-wire";
import type { WorkerApi } from "../../src/transport/protocol";
import { exposeLocalTraceServer } from "../../src/worker";
import { PROJECT } from "./support/server";
import { caught } from "./support/fixtures";

type Start = MethodReq<"call_start">["start"];
const start = (fields: Record<string, unknown> = {}): Start =>
  ({ project_id: PROJECT, id: "c1", trace_id: "t1", op_name: "op", started_at: "2025-01-02T03:04:05.678Z", attributes: {}, inputs: {}, ...fields }) as Start;
const item = (fields: Record<string, unknown> = {}) => ({ mode: "start" as const, req: { start: start(fields) } });

describe("jsonSnapshot: JSON text only where it says what structured clone says", () => {
  it("gives the JSON text of plain items", () => {
    const plain = item({ inputs: { messages: [{ role: "user", content: "hi \ud800 é" }], n: 1.5, ok: true, none: null }, parent_id: null });
    const text = jsonSnapshot(plain);
    expect(text).toBe(JSON.stringify(plain));
    expect(JSON.parse(text as string)).toStrictEqual(structuredClone(plain));
  });

  it("keeps an own __proto__ key and reads a null-prototype object like a plain one", () => {
    const inputs = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    const bare = Object.assign(Object.create(null) as object, { a: 1 });
    const text = jsonSnapshot(item({ inputs, attributes: bare })) as string;
    const back = JSON.parse(text) as { req: { start: { inputs: object; attributes: object } } };
    expect(Object.getOwnPropertyDescriptor(back.req.start.inputs, "__proto__")?.value).toEqual({ polluted: true });
    expect(back.req.start.attributes).toEqual({ a: 1 });
  });

  it("writes a Date in started_at / ended_at as its ISO text, the same instant", () => {
    const at = new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 678));
    const text = jsonSnapshot(item({ started_at: at })) as string;
    expect((JSON.parse(text) as { req: { start: { started_at: string } } }).req.start.started_at).toBe("2025-01-02T03:04:05.678Z");
  });

  it("drops undefined fields of the start or end (they read as absent) and inside payloads", () => {
    const text = jsonSnapshot(item({ parent_id: undefined, inputs: { a: undefined, b: 1 } })) as string;
    expect(JSON.parse(text)).toEqual({ mode: "start", req: { start: { ...start({ inputs: { b: 1 } }) } } });
  });

  const fallbacks: Array<[string, unknown]> = [
    ["NaN in inputs", item({ inputs: { x: NaN } })],
    ["Infinity in the summary", { mode: "end", req: { end: { project_id: PROJECT, id: "c1", ended_at: "2025-01-02T00:00:00Z", summary: { t: -Infinity } } } }],
    ["-0 in inputs", item({ inputs: { x: -0 } })],
    ["a Date in inputs", item({ inputs: { when: new Date(0) } })],
    ["a Date in display_name", item({ display_name: new Date(0) })],
    ["an invalid Date in started_at", item({ started_at: new Date(NaN) })],
    ["a Date past year 9999 in started_at", item({ started_at: new Date(Date.UTC(10000, 0, 1)) })],
    ["a Map in inputs", item({ inputs: { m: new Map([["a", 1]]) } })],
    ["a typed array in inputs", item({ inputs: { b: new Uint8Array([1]) } })],
    ["a class instance in attributes", item({ attributes: { x: new (class Point { x = 1 })() } })],
    ["a hole in an array", item({ inputs: { list: [1, , 3] } })],
    ["undefined in an array", item({ inputs: { list: [1, undefined] } })],
    ["a function in inputs", item({ inputs: { f: () => 1 } })],
    ["a bigint in inputs", item({ inputs: { n: 10n } })],
    ["a symbol in inputs", item({ inputs: { s: Symbol("s") } })],
    ["an undefined key on the request (a strict object)", { mode: "start", req: { start: start(), extra: undefined } }],
    ["an undefined mode", { mode: undefined, req: { start: start() } }],
  ];
  it.each(fallbacks)("falls back to structured clone for %s", (_label, value) => {
    expect(jsonSnapshot(value)).toBeUndefined();
  });

  it("falls back for nesting deeper than 64 levels and for cycles", () => {
    let deep: unknown = "leaf";
    for (let i = 0; i < 70; i++) deep = { d: deep };
    expect(jsonSnapshot(item({ inputs: { deep } }))).toBeUndefined();
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(jsonSnapshot(item({ inputs: cycle }))).toBeUndefined();
  });

  it("falls back, quickly, for a value that shares subtrees exponentially", () => {
    let shared: unknown = { leaf: 1 };
    for (let i = 0; i < 40; i++) shared = [shared, shared];
    expect(jsonSnapshot(item({ inputs: { shared } }))).toBeUndefined();
  });

  it("passes on what a getter or Proxy trap throws (the client reports it as input)", () => {
    const inputs = Object.defineProperty({}, "x", { enumerable: true, get: () => { throw new Error("getter says no"); } });
    expect(() => jsonSnapshot(item({ inputs }))).toThrow("getter says no");
  });

  it("property: whenever it gives text, parsing it gives what structured clone gives", () => {
    const leaf = fc.oneof(fc.string(), fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.date(), fc.bigInt());
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, fc.array(tie("node")), fc.sparseArray(tie("node")), fc.dictionary(fc.string(), tie("node"))),
    })).node;
    fc.assert(
      fc.property(value, value, fc.oneof(fc.date(), fc.string()), (inputs, output, startedAt) => {
        const candidate = item({ inputs: { v: inputs }, attributes: { o: output }, started_at: startedAt });
        const text = jsonSnapshot(candidate);
        if (text === undefined) return;
        const parsed = JSON.parse(text) as { req: { start: Record<string, unknown> } };
        const cloned = structuredClone(candidate) as { req: { start: Record<string, unknown> } };
        // The one intended difference: a Date in started_at arrives as its ISO text.
        if (cloned.req.start.started_at instanceof Date) cloned.req.start.started_at = cloned.req.start.started_at.toISOString();
        expect(parsed).toEqual(cloned);
        // Payloads are stored as JSON text: identical either way.
        expect(JSON.stringify(parsed.req.start.inputs)).toBe(JSON.stringify(cloned.req.start.inputs));
      }),
      { numRuns: 300 },
    );
  });
});

describe("batch wire: JSON items between the batcher and the worker", () => {
  const open: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const c of open.splice(0)) await c.close();
  });

  function setup(): { client: WeftClient; api: ReturnType<typeof wrap<WorkerApi>>; sent: unknown[] } {
    const server = new MessageChannel();
    exposeLocalTraceServer({ endpoint: server.port1, dbName: `wire-${Math.random()}`, indexedDB: new IDBFactory(), IDBKeyRange });
    const sent: unknown[] = [];
    const port = server.port2;
    const endpoint = {
      postMessage: (message: unknown, transfer?: Transferable[]) => {
        sent.push(message);
        port.postMessage(message, transfer ?? []);
      },
      addEventListener: port.addEventListener.bind(port),
      removeEventListener: port.removeEventListener.bind(port),
      start: () => port.start(),
    };
    const client = createClient({ worker: endpoint });
    open.push(client);
    return { client, api: wrap<WorkerApi>(endpoint), sent };
  }
  const batchesSent = (sent: unknown[]) =>
    sent
      .map((m) => m as { path?: string[]; argumentList?: Array<{ value?: unknown }> })
      .filter((m) => m.path?.[0] === "call" && m.argumentList?.[0]?.value === "call_start_batch")
      .map((m) => ({ items: (m.argumentList?.[1]?.value as { batch: unknown[] }).batch, options: m.argumentList?.[2]?.value }));

  it("sends plain items as JSON text, others as objects, and stores both", async () => {
    const { client, sent } = setup();
    const a = client.call_start({ start: start({ id: "a", inputs: { q: "plain" } }) });
    const b = caught(client.call_start({ start: start({ id: "b", inputs: { raw: new Uint8Array([1]) } }) }));
    const c = client.call_start({ start: start({ id: "c", started_at: new Date(Date.UTC(2025, 0, 1)) }) });
    expect(await a).toEqual({ id: "a", trace_id: "t1" });
    expect((await b).details?.issues).toEqual([{ path: "start.inputs.raw", message: "a Uint8Array is not plain JSON (convert it to an object, array or string first)" }]);
    await c;
    const [first] = batchesSent(sent);
    expect(first?.options).toEqual({ jsonItems: true });
    expect(first?.items.map((i) => typeof i)).toEqual(["string", "object", "string"]);
    const read = await client.calls_query({ project_id: PROJECT, sort_by: [{ field: "id", direction: "asc" }] });
    expect(read.calls.map((call) => [call.id, call.started_at, call.inputs])).toEqual([
      ["a", "2025-01-02T03:04:05.678000Z", { q: "plain" }],
      ["c", "2025-01-01T00:00:00Z", {}],
    ]);
  });

  it("ends that arrive after their start's batch merge into the stored row, beside new calls in one batch", async () => {
    const { client } = setup();
    await client.call_start({ start: start({ id: "early", inputs: { x: 1 } }) });
    const parts = [
      client.call_end({ end: { project_id: PROJECT, id: "early", ended_at: "2025-01-02T03:04:06Z", summary: {}, output: "done" } }),
      client.call_start({ start: start({ id: "late" }) }),
      client.call_end({ end: { project_id: PROJECT, id: "late", ended_at: "2025-01-02T03:04:07Z", summary: {}, output: 2 } }),
    ];
    await Promise.all(parts);
    const read = await client.calls_query({ project_id: PROJECT, sort_by: [{ field: "id", direction: "asc" }] });
    expect(read.calls.map((call) => [call.id, call.inputs, call.output, call.ended_at])).toEqual([
      ["early", { x: 1 }, "done", "2025-01-02T03:04:06Z"],
      ["late", {}, 2, "2025-01-02T03:04:07Z"],
    ]);
  });

  it("parses JSON items only when told: otherwise a string item is an invalid mode", async () => {
    const { client, api } = setup();
    const text = JSON.stringify(item({ id: "s" }));
    const refused = await caught(client.call_start_batch({ batch: [text] } as never));
    expect(refused.code).toBe("VALIDATION");
    expect(refused.details?.issues?.[0]?.path).toBe("batch[0]");
    expect(await api.call("call_start_batch", { batch: [text] }, { jsonItems: true })).toEqual({ res: [{ id: "s", trace_id: "t1" }] });
  });

  it("refuses JSON items that do not parse, naming the item, and jsonItems on other methods", async () => {
    const { api } = setup();
    const broken = await caught(api.call("call_start_batch", { batch: [JSON.stringify(item({ id: "ok" })), "{oops"] }, { jsonItems: true }));
    expect(broken.code).toBe("VALIDATION");
    expect(broken.details?.issues).toEqual([{ path: "batch[1]", message: "is not valid JSON text" }]);
    const wrongMethod = await caught(api.call("calls_query", { project_id: PROJECT }, { jsonItems: true }));
    expect(wrongMethod).toMatchObject({ code: "VALIDATION", message: "jsonItems applies to call_start_batch only, not calls_query." });
  });

  it("batchJson: the outbox text of mixed items parses to the batch", () => {
    const objectItem = { mode: "start", req: { start: start({ id: "o", started_at: new Date(Date.UTC(2025, 0, 1)) }) } } as const;
    const jsonItem = JSON.stringify(item({ id: "j" }));
    expect(JSON.parse(batchJson([jsonItem, objectItem]))).toEqual({ batch: [item({ id: "j" }), item({ id: "o", started_at: "2025-01-01T00:00:00.000Z" })] });
  });
});
