/**
 * The client over a Node `MessageChannel`: the real worker side (`exposeLocalTraceServer` with
 * fake-indexeddb) on one port, `createClient` on the other. Messages are counted on the client's
 * side of the channel to check batching and chunking. Transfer-handler cases the server cannot
 * raise use a tiny throwing endpoint instead.
 */
import { expose, type Endpoint } from "comlink";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { afterEach, describe, expect, it } from "vitest";
import { createClient, type ClientOptions, type WeftClient } from "../../src/client";
import { ERROR_STATUS, WeftError, type WeftErrorCode } from "../../src/errors";
import { METHOD_NAMES, type MethodReq } from "../../src/interface";
import { installErrorTransfer } from "../../src/transport/error-transfer";
import { openOutbox, outboxDbName, saveToOutbox, toPieces } from "../../src/transport/outbox";
import { PROTOCOL_VERSION, STREAM_CHUNK_MAX_BYTES, estimateBytes, type StreamChunk, type WorkerApi } from "../../src/transport/protocol";
import { exposeLocalTraceServer } from "../../src/worker";
import { PROJECT } from "./support/server";
import { caught } from "./support/fixtures";

type Start = MethodReq<"call_start">["start"];
type End = MethodReq<"call_end">["end"];
const start = (fields: Partial<Start> = {}): Start => ({
  project_id: PROJECT,
  op_name: "test_op",
  started_at: new Date().toISOString(),
  attributes: {},
  inputs: {},
  ...fields,
});
const end = (id: string, fields: Partial<End> = {}): End => ({ project_id: PROJECT, id, ended_at: new Date().toISOString(), summary: {}, ...fields });

interface Sent {
  path?: string[];
  argumentList?: Array<{ value?: unknown }>;
}

/** A client-side endpoint that records what the client sends and receives, and can go silent. */
function relay(port: MessagePort): Endpoint & { sent: Sent[]; received: Array<{ id?: string; value?: unknown }>; silent: boolean; close(): void } {
  const ep = {
    sent: [] as Sent[],
    received: [] as Array<{ id?: string; value?: unknown }>,
    silent: false,
    postMessage(message: unknown, transfer?: Transferable[]) {
      ep.sent.push(message as Sent);
      if (!ep.silent) port.postMessage(message, transfer ?? []);
    },
    addEventListener: port.addEventListener.bind(port),
    removeEventListener: port.removeEventListener.bind(port),
    start: () => port.start(),
    close: () => port.close(),
  };
  port.addEventListener("message", (event) => ep.received.push(event.data as { id?: string; value?: unknown }));
  return ep as typeof ep & Endpoint;
}

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
});

function setup(options: Omit<ClientOptions, "worker"> = {}, factory = new IDBFactory()) {
  const { port1, port2 } = new MessageChannel();
  const server = exposeLocalTraceServer({ endpoint: port1, dbName: "client-test", indexedDB: factory, IDBKeyRange });
  const endpoint = relay(port2);
  const client = createClient({ worker: endpoint, ...options });
  open.push(client);
  const calls = (method: string) => endpoint.sent.filter((m) => m.path?.[0] === "call" && m.argumentList?.[0]?.value === method);
  const messages = (name: string) => endpoint.sent.filter((m) => m.path?.[0] === name);
  /** The chunks the worker answered `nextChunk` with, in order. */
  const chunks = () => {
    const ids = new Set(messages("nextChunk").map((m) => (m as { id?: string }).id));
    return endpoint.received.filter((r) => ids.has(r.id)).map((r) => r.value as StreamChunk);
  };
  return { client, server, endpoint, calls, messages, chunks, port1 };
}

const query = (client: WeftClient, extra: Record<string, unknown> = {}) =>
  client.calls_query({ project_id: PROJECT, sort_by: [{ field: "started_at", direction: "asc" }], ...extra });

describe("client: surface", () => {
  it("has a function for every method of the table, plus ready/flush/close", async () => {
    const { client } = setup();
    for (const name of [...METHOD_NAMES, "ready", "flush", "close"]) expect(typeof (client as unknown as Record<string, unknown>)[name]).toBe("function");
    await client.ready();
  });
});

describe("client: call batching", () => {
  it("sends 50 call_starts as one call_start_batch and resolves each with its ids", async () => {
    const { client, calls } = setup();
    const ids = await Promise.all(Array.from({ length: 50 }, (_, i) => client.call_start({ start: start(i === 0 ? { id: "given", trace_id: "t0" } : {}) })));
    expect(calls("call_start_batch")).toHaveLength(1);
    expect(calls("call_start")).toHaveLength(0);
    expect(ids[0]).toEqual({ id: "given", trace_id: "t0" });
    // Absent ids become uuidv7s generated on the client (version nibble 7).
    expect(ids[1]?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    const stored = await query(client);
    expect(stored.calls.map((c) => c.id).sort()).toEqual(ids.map((r) => r.id).sort());
  });

  it("merges a start and its end sent in one batch into one finished call", async () => {
    const { client, calls } = setup();
    const started = client.call_start({ start: start({ id: "c1", op_name: "adder", inputs: { a: 1 } }) });
    const ended = client.call_end({ end: end("c1", { output: 3 }) });
    expect(await started).toEqual({ id: "c1", trace_id: expect.any(String) });
    expect(await ended).toEqual({});
    expect(calls("call_start_batch")).toHaveLength(1);
    const { call } = await client.call_read({ project_id: PROJECT, id: "c1" });
    expect(call).toMatchObject({ id: "c1", op_name: "adder", inputs: { a: 1 }, output: 3 });
    expect(call?.ended_at).toEqual(expect.any(String));
  });

  it("splits at maxItems and at maxBytes", async () => {
    const byItems = setup({ batch: { maxItems: 10 } });
    await Promise.all(Array.from({ length: 25 }, () => byItems.client.call_start({ start: start() })));
    expect(byItems.calls("call_start_batch").map((m) => (m.argumentList?.[1]?.value as { batch: unknown[] }).batch.length)).toEqual([10, 10, 5]);

    const byBytes = setup({ batch: { maxBytes: 10_000 } });
    await Promise.all(Array.from({ length: 4 }, () => byBytes.client.call_start({ start: start({ inputs: { text: "x".repeat(3000) } }) })));
    // ~3.1 KB an item: three fit under 10 000 bytes, the fourth starts a new batch.
    expect(byBytes.calls("call_start_batch").map((m) => (m.argumentList?.[1]?.value as { batch: unknown[] }).batch.length)).toEqual([3, 1]);
  });

  it("holds items until flush() and resolves flush once they are stored", async () => {
    const { client, calls } = setup({ batch: { flushIntervalMs: 60_000 } });
    const pending = [client.call_start({ start: start({ id: "a" }) }), client.call_start({ start: start({ id: "b" }) })];
    await new Promise((r) => setTimeout(r, 30));
    expect(calls("call_start_batch")).toHaveLength(0);
    await client.flush();
    expect(calls("call_start_batch")).toHaveLength(1);
    expect((await query(client)).calls.map((c) => c.id)).toEqual(["a", "b"]);
    await Promise.all(pending);
  });

  it("rejects a bad item alone; the good items of the same tick are stored together", async () => {
    const { client, calls } = setup();
    const good1 = client.call_start({ start: start({ id: "g1" }) });
    const bad = client.call_start({ start: start({ id: "bad", project_id: "no-slash" }) });
    const good2 = client.call_end({ end: end("g1") });
    const error = await caught(bad);
    expect(error.code).toBe("VALIDATION");
    expect(error.details?.issues).toEqual([{ path: "start.project_id", message: 'project_id must look like "entity/project"' }]);
    await Promise.all([good1, good2]);
    // The worker refuses the first batch whole; the good items go again without the bad one.
    expect(calls("call_start_batch")).toHaveLength(2);
    expect((await query(client)).calls.map((c) => c.id)).toEqual(["g1"]);
  });

  it("sends a direct call_start_batch straight through; the worker rejects a bad one whole", async () => {
    const { client } = setup();
    const error = await caught(
      client.call_start_batch({ batch: [{ mode: "start", req: { start: start({ id: "ok" }) } }, { mode: "start", req: { start: start({ op_name: "" }) } }] }),
    );
    expect(error.code).toBe("VALIDATION");
    expect(error.details?.issues?.[0]?.path).toBe("batch[1].req.start.op_name");
    expect((await query(client)).calls).toEqual([]);
  });

  it("stores what was traced, not what the caller mutated afterwards", async () => {
    const { client } = setup();
    const messages = [{ role: "user", content: "hi" }];
    const done = client.call_start({ start: start({ id: "m", inputs: { messages } }) });
    messages.push({ role: "assistant", content: "hello" });
    await done;
    expect((await client.call_read({ project_id: PROJECT, id: "m" })).call?.inputs).toEqual({ messages: [{ role: "user", content: "hi" }] });
  });
});

describe("client: streams", () => {
  it("pulls calls_query_stream in chunks of at most 500 and closes the stream on an early break", async () => {
    const { client, messages, chunks } = setup({ batch: { maxItems: 5000 } });
    await Promise.all(Array.from({ length: 1200 }, (_, i) => client.call_start({ start: start({ id: `c${String(i).padStart(4, "0")}` }) })));
    const ids: string[] = [];
    for await (const call of client.calls_query_stream({ project_id: PROJECT, sort_by: [{ field: "id", direction: "asc" }] })) ids.push(call.id);
    expect(ids).toHaveLength(1200);
    expect(ids[1199]).toBe("c1199");
    // Every chunk but the last is full: 500 items, or the byte budget reached (calls are ~0.5 KB).
    const sizes = chunks().map((c) => c.items.length);
    expect(sizes.reduce((a, b) => a + b)).toBe(1200);
    expect(chunks().map((c) => c.done)).toEqual([...sizes.slice(1).map(() => false), true]);
    for (const c of chunks().slice(0, -1)) expect(c.items.length === 500 || estimateBytes(c.items) >= STREAM_CHUNK_MAX_BYTES).toBe(true);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(500);
    expect(messages("nextChunk")).toHaveLength(sizes.length);
    expect(messages("closeStream")).toHaveLength(0);

    let seen = 0;
    for await (const _ of client.calls_query_stream({ project_id: PROJECT })) if (++seen === 10) break;
    expect(messages("closeStream")).toHaveLength(1);
    expect(messages("nextChunk")).toHaveLength(sizes.length + 1);
  });

  it("cuts chunks at the byte budget when items are large", async () => {
    const { client, messages } = setup();
    await Promise.all(Array.from({ length: 40 }, () => client.call_start({ start: start({ inputs: { text: "x".repeat(20_000) } }) })));
    let count = 0;
    for await (const _ of client.calls_query_stream({ project_id: PROJECT })) count++;
    expect(count).toBe(40);
    // ~20 KB an item against a 256 KB budget: 13 items a chunk, so 4 chunks.
    expect(messages("nextChunk")).toHaveLength(4);
  });

  it("rejects the iteration with the server's error", async () => {
    const { client } = setup();
    const iterate = async () => {
      for await (const _ of client.calls_query_stream({ project_id: PROJECT, sort_by: [{ field: "no_such_field", direction: "asc" }] }));
    };
    const error = await caught(iterate());
    expect(error.code).toBe("INVALID_FIELD");
    expect(error.details).toEqual({ field: "no_such_field" });
  });

  it("forgets a closed stream in the worker (NOT_FOUND on a later pull)", async () => {
    const { port1, port2 } = new MessageChannel();
    exposeLocalTraceServer({ endpoint: port1, indexedDB: new IDBFactory(), IDBKeyRange });
    const { wrap } = await import("comlink");
    const api = wrap<WorkerApi>(port2);
    const id = await api.openStream("calls_query_stream", { project_id: PROJECT });
    await api.closeStream(id);
    const error = await caught(api.nextChunk(id));
    expect(error.code).toBe("NOT_FOUND");
    expect((await caught(api.call("no_such_method", {}))).message).toBe('Unknown method: "no_such_method". Use one of the names in METHODS (interface.ts).');
    expect((await caught(api.call("calls_query_stream", {}))).code).toBe("VALIDATION");
    await api.close();
    port2.close();
  });
});

describe("client: errors cross the boundary as WeftError", () => {
  it("keeps code, message and details of the real server's errors", async () => {
    const { client } = setup();
    const bad = await caught(client.calls_query({ project_id: "nope" }));
    expect(bad).toMatchObject({ code: "VALIDATION", message: 'Invalid calls_query request: project_id: project_id must look like "entity/project"' });
    expect(bad.details).toEqual({ issues: [{ path: "project_id", message: 'project_id must look like "entity/project"' }] });
    expect(bad.status).toBe(400);

    const tooMany = await caught(client.calls_delete({ project_id: PROJECT, call_ids: Array.from({ length: 1001 }, (_, i) => `c${i}`) }));
    expect(tooMany.code).toBe("REQUEST_TOO_LARGE");

    const notCloneable = await caught(client.calls_query({ project_id: PROJECT, filter: { op_names: [() => "x"] } } as never));
    expect(notCloneable.code).toBe("VALIDATION");
    expect(notCloneable.message).toMatch(/cannot be sent to the worker/);
  });

  it("rejects a method the server does not implement yet with VALIDATION", async () => {
    const { client, server } = setup();
    const missing = METHOD_NAMES.find((m) => !(server.implementedMethods as readonly string[]).includes(m) && m !== "table_query_stream");
    if (!missing) return; // every method is implemented: nothing to check
    const error = await caught((client as unknown as Record<string, (r: unknown) => Promise<unknown>>)[missing]!({}));
    expect(error).toMatchObject({ code: "VALIDATION", details: { method: missing, implemented: false } });
  });

  /** A worker whose every call throws `thrown`. */
  function throwing(thrown: () => unknown) {
    installErrorTransfer();
    const { port1, port2 } = new MessageChannel();
    expose(
      {
        hello: async () => ({ protocol: PROTOCOL_VERSION, dbName: "x", implementedMethods: [] }),
        ping: async () => "pong",
        call: async () => {
          throw thrown();
        },
      },
      port1,
    );
    const client = createClient({ worker: port2 });
    open.push(client);
    return client;
  }

  it.each(Object.keys(ERROR_STATUS) as WeftErrorCode[])("round-trips %s with its details", async (code) => {
    const client = throwing(() => new WeftError(code, `boom ${code}`, { field: "f", nested: { n: [1, "two"] } }));
    const error = await caught(client.calls_query({ project_id: PROJECT }));
    expect(error.code).toBe(code);
    expect(error.message).toBe(`boom ${code}`);
    expect(error.details).toEqual({ field: "f", nested: { n: [1, "two"] } });
    expect(error.status).toBe(ERROR_STATUS[code]);
  });

  it("turns anything else thrown into a WeftError (INTERNAL, QUOTA_EXCEEDED, unclonable details dropped)", async () => {
    expect(await caught(throwing(() => new TypeError("oops")).calls_query({ project_id: PROJECT }))).toMatchObject({
      code: "INTERNAL",
      message: "Internal error: oops",
    });
    expect((await caught(throwing(() => "a string").calls_query({ project_id: PROJECT }))).message).toBe("Internal error: a string");
    const quota = new DOMException("disk full", "QuotaExceededError");
    expect((await caught(throwing(() => quota).calls_query({ project_id: PROJECT }))).code).toBe("QUOTA_EXCEEDED");
    const odd = await caught(throwing(() => new WeftError("CONFLICT", "odd", { fn: () => 1 })).calls_query({ project_id: PROJECT }));
    expect(odd).toMatchObject({ code: "CONFLICT", message: "odd", details: undefined });
  });
});

describe("client: dead worker", () => {
  it("after close(): queued work was stored first, then everything rejects WORKER_UNAVAILABLE", async () => {
    const { client, server } = setup({ batch: { flushIntervalMs: 60_000 } });
    const started = client.call_start({ start: start({ id: "before-close" }) });
    await client.close();
    expect(await started).toEqual({ id: "before-close", trace_id: expect.any(String) });
    for (const attempt of [query(client), client.call_start({ start: start() }), client.flush()]) {
      expect((await caught(attempt)).code).toBe("WORKER_UNAVAILABLE");
    }
    const iterate = async () => {
      for await (const _ of client.calls_query_stream({ project_id: PROJECT }));
    };
    expect((await caught(iterate())).code).toBe("WORKER_UNAVAILABLE");
    await client.close(); // twice is fine
    // The worker closed its database.
    expect((await caught(server.calls_query({ project_id: PROJECT }))).code).toBe("STORAGE");
  });

  it("rejects pending and queued calls when the worker stops answering", async () => {
    const { client, endpoint } = setup({ livenessTimeoutMs: 200, batch: { flushIntervalMs: 60_000 } });
    await client.ready();
    endpoint.silent = true;
    const queued = client.call_start({ start: start() });
    const pending = query(client);
    const error = await caught(pending);
    expect(error.code).toBe("WORKER_UNAVAILABLE");
    expect(error.message).toMatch(/did not answer for 200 ms/);
    expect((await caught(queued)).code).toBe("WORKER_UNAVAILABLE");
    expect((await caught(query(client))).code).toBe("WORKER_UNAVAILABLE");
  });

  it("never hangs on a worker that never started", async () => {
    const { port2 } = new MessageChannel(); // nobody listens on port1
    const client = createClient({ worker: port2, livenessTimeoutMs: 100, startupTimeoutMs: 150 });
    open.push(client);
    const error = await caught(client.ready());
    expect(error.code).toBe("WORKER_UNAVAILABLE");
    expect(error.message).toMatch(/did not start for 150 ms/);
  });

  it("keeps a slow worker that still answers pings alive", async () => {
    installErrorTransfer();
    const { port1, port2 } = new MessageChannel();
    expose(
      {
        hello: async () => ({ protocol: PROTOCOL_VERSION, dbName: "x", implementedMethods: [] }),
        ping: async () => "pong",
        call: () => new Promise((resolve) => setTimeout(() => resolve({ calls: [] }), 600)),
      },
      port1,
    );
    const client = createClient({ worker: port2, livenessTimeoutMs: 150 });
    open.push(client);
    expect(await client.calls_query({ project_id: PROJECT })).toEqual({ calls: [] });
  });

  it("does not condemn a worker whose answer waited behind this thread's own long task", async () => {
    installErrorTransfer();
    const { port1, port2 } = new MessageChannel();
    expose(
      {
        hello: async () => ({ protocol: PROTOCOL_VERSION, dbName: "x", implementedMethods: [] }),
        // The worker answers pings 50 ms late, so one is still on its way when the long task starts.
        ping: () => new Promise((resolve) => setTimeout(() => resolve("pong"), 50)),
        call: () => new Promise((resolve) => setTimeout(() => resolve({ calls: [] }), 400)),
      },
      port1,
    );
    // Shortly after the first liveness ping leaves, this thread runs a 1.5 s task (5× the limit), as
    // a page's long task would: when it ends, the overdue liveness tick runs before the answer that
    // arrived meanwhile is delivered.
    let blocked = false;
    const endpoint = {
      postMessage(message: unknown, transfer?: Transferable[]): void {
        const path = (message as { path?: unknown[] }).path;
        if (!blocked && Array.isArray(path) && path[0] === "ping") {
          blocked = true;
          setTimeout(() => {
            const until = Date.now() + 1_500;
            while (Date.now() < until) {
              // busy: the main thread's long task
            }
          }, 10);
        }
        port2.postMessage(message, transfer ?? []);
      },
      addEventListener: port2.addEventListener.bind(port2),
      removeEventListener: port2.removeEventListener.bind(port2),
      start: () => port2.start(),
    };
    const client = createClient({ worker: endpoint as never, livenessTimeoutMs: 300 });
    open.push(client);
    expect(await client.calls_query({ project_id: PROJECT })).toEqual({ calls: [] });
    expect(blocked).toBe(true);
  });

  it("fails fast when the worker's port closes", async () => {
    const { client, port1 } = setup();
    await client.ready();
    port1.close();
    expect((await caught(query(client))).code).toBe("WORKER_UNAVAILABLE");
  });
});

describe("page-hide outbox replay (worker side)", () => {
  it("stores parked batches before serving requests and drops ones that can never be stored", async () => {
    const factory = new IDBFactory();
    const outbox = await openOutbox(factory, "client-test");
    const big = "y".repeat(40_000); // more than two pieces of JSON text
    await saveToOutbox(outbox, [
      ...toPieces("k1", { batch: [{ mode: "start", req: { start: start({ id: "parked", inputs: { big }, started_at: new Date(Date.UTC(2025, 0, 1)) }) } }] }, 0),
      ...toPieces("k2", { batch: [{ mode: "start", req: { start: start({ project_id: "bad" }) } }] }, 0),
      ...toPieces("k3", { batch: [{ mode: "end", req: { end: end("parked") } }] }, 0),
    ]);
    outbox.close();
    const { client } = setup({}, factory);
    const { calls } = await query(client);
    expect(calls.map((c) => [c.id, c.ended_at !== null, c.started_at])).toEqual([["parked", true, "2025-01-01T00:00:00Z"]]);
    expect(calls[0]?.inputs).toEqual({ big });
    const reopened = await openOutbox(factory, "client-test");
    const left = await new Promise((resolve) => {
      const req = reopened.transaction("pieces").objectStore("pieces").count();
      req.onsuccess = () => resolve(req.result);
    });
    reopened.close();
    expect(left).toBe(0);
    expect(outboxDbName("client-test")).toBe("client-test:weft-outbox");
  });
});
