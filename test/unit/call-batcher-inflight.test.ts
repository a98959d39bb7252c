/**
 * The call batcher's in-flight limit: at most `maxInFlight` batches are in the worker at once, the
 * rest wait in the page in queue order. The batcher is driven through its `send` function, whose
 * answers each test releases by hand (the worker's side is covered in client.test.ts); the last
 * case runs a burst through a real client and server and reads the limit off the wire.
 */
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { afterEach, describe, expect, it } from "vitest";
import { CallBatcher, type InFlightBatch } from "../../src/client/call-batcher";
import { createClient } from "../../src/client/index";
import { WeftError } from "../../src/errors";
import type { MethodRes } from "../../src/interface";
import type { WireItem } from "../../src/transport/batch-wire";
import { exposeLocalTraceServer } from "../../src/worker/index";

const PROJECT = "entity/inflight";

/** One `send` the test has not answered yet. */
interface Sent {
  ids: string[];
  answer(): void;
  fail(error: WeftError): void;
}

/** A batcher whose sends wait until the test answers them. */
function held(options: ConstructorParameters<typeof CallBatcher>[1]) {
  const sent: Sent[] = [];
  const batcher = new CallBatcher((req: { batch: WireItem[] }) => {
    const ids = req.batch.map((item) => {
      const parsed = (typeof item === "string" ? JSON.parse(item) : item) as { req: { start: { id: string } } };
      return parsed.req.start.id;
    });
    return new Promise<MethodRes<"call_start_batch">>((resolve, reject) => {
      sent.push({ ids, answer: () => resolve({ res: ids.map((id) => ({ id, trace_id: id })) }), fail: reject });
    });
  }, options);
  let n = 0;
  const start = () => batcher.start({ start: { project_id: PROJECT, id: `c${String(n++).padStart(4, "0")}`, op_name: "op", started_at: new Date(0).toISOString(), attributes: {}, inputs: {} } });
  return { batcher, sent, start };
}

/** Lets the promise reactions of answered sends run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("call batcher: in-flight limit", () => {
  it("holds full batches beyond the limit and sends them in queue order as slots free", async () => {
    const { sent, start } = held({ maxItems: 2, maxInFlight: 2, flushIntervalMs: 60_000 });
    const results = Array.from({ length: 10 }, () => start());
    expect(sent.map((s) => s.ids)).toEqual([
      ["c0000", "c0001"],
      ["c0002", "c0003"],
    ]);
    sent[0]?.answer();
    await settle();
    expect(sent).toHaveLength(3);
    expect(sent[2]?.ids).toEqual(["c0004", "c0005"]);
    for (let i = 1; i < 5; i++) {
      sent[i]?.answer();
      await settle();
    }
    expect(sent.map((s) => s.ids.join(","))).toEqual(["c0000,c0001", "c0002,c0003", "c0004,c0005", "c0006,c0007", "c0008,c0009"]);
    await expect(Promise.all(results)).resolves.toHaveLength(10);
  });

  it("lets a held batch keep filling while the limit is reached, then sends it whole", async () => {
    const { sent, start } = held({ maxItems: 100, maxInFlight: 1, flushIntervalMs: 5 });
    const first = start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sent).toHaveLength(1);
    const later = Array.from({ length: 5 }, () => start());
    // Its interval passes while the one slot is taken: it waits, and goes on taking calls.
    await new Promise((resolve) => setTimeout(resolve, 20));
    later.push(start(), start());
    expect(sent).toHaveLength(1);
    sent[0]?.answer();
    await settle();
    expect(sent).toHaveLength(2);
    expect(sent[1]?.ids).toHaveLength(7);
    sent[1]?.answer();
    await Promise.all([first, ...later]);
  });

  it("flush() drains a backlog batch by batch, never past the limit, and waits for all of it", async () => {
    const { batcher, sent, start } = held({ maxItems: 10, maxInFlight: 2, flushIntervalMs: 60_000 });
    const results = Array.from({ length: 95 }, () => start());
    let flushed = false;
    const flush = batcher.flush().then(() => (flushed = true));
    let answered = 0;
    let most = 0;
    while (answered < 10) {
      await settle();
      most = Math.max(most, sent.length - answered);
      expect(flushed).toBe(false);
      sent[answered++]?.answer();
    }
    await flush;
    expect(most).toBe(2);
    expect(sent.map((s) => s.ids.length)).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 5]);
    await expect(Promise.all(results)).resolves.toHaveLength(95);
  });

  it("keeps what each flush() sent apart from calls queued after it, even while both wait", async () => {
    const { batcher, sent, start } = held({ maxItems: 100, maxInFlight: 1, flushIntervalMs: 60_000 });
    const results = [start(), start()];
    const first = batcher.flush();
    results.push(start(), start(), start());
    const second = batcher.flush();
    results.push(start());
    expect(sent.map((s) => s.ids)).toEqual([["c0000", "c0001"]]);
    sent[0]?.answer();
    await first;
    expect(sent[1]?.ids).toEqual(["c0002", "c0003", "c0004"]);
    sent[1]?.answer();
    await second;
    // The last call waits for its own interval (or the next flush).
    expect(sent).toHaveLength(2);
    const third = batcher.flush();
    sent[2]?.answer();
    await third;
    expect(sent[2]?.ids).toEqual(["c0005"]);
    await Promise.all(results);
  });

  it("flush() fails with the error of a batch that failed in the backlog; the others are stored", async () => {
    const { batcher, sent, start } = held({ maxItems: 2, maxInFlight: 1, flushIntervalMs: 60_000 });
    const results = Array.from({ length: 6 }, () => start().then(() => "stored", (error: WeftError) => error.code));
    const flush = batcher.flush().then(() => undefined, (error: WeftError) => error);
    await settle();
    sent[0]?.answer();
    await settle();
    sent[1]?.fail(new WeftError("STORAGE", "disk trouble"));
    await settle();
    sent[2]?.answer();
    const error = await flush;
    expect(error).toBeInstanceOf(WeftError);
    expect((error as WeftError).code).toBe("STORAGE");
    expect(await Promise.all(results)).toEqual(["stored", "stored", "STORAGE", "STORAGE", "stored", "stored"]);
  });

  it("sendNow() (page hide) sends every waiting batch at once, past the limit", async () => {
    const { batcher, sent, start } = held({ maxItems: 3, maxInFlight: 1, flushIntervalMs: 60_000 });
    for (let i = 0; i < 10; i++) void start();
    expect(sent).toHaveLength(1);
    batcher.sendNow();
    expect(sent.map((s) => s.ids.length)).toEqual([3, 3, 3, 1]);
    expect(batcher.unacknowledged().map((b: InFlightBatch) => b.items.length)).toEqual([3, 3, 3, 1]);
  });

  it("failQueued() (the worker died) rejects the backlog and ends a waiting flush() with its error", async () => {
    const { batcher, sent, start } = held({ maxItems: 2, maxInFlight: 1, flushIntervalMs: 60_000 });
    const results = Array.from({ length: 5 }, () => start().then(() => "stored", (error: WeftError) => error.code));
    const flush = batcher.flush().then(() => undefined, (error: WeftError) => error.code);
    const dead = new WeftError("WORKER_UNAVAILABLE", "gone");
    batcher.failQueued(dead);
    // The batch in flight is the connection's to reject; here it was stored just before.
    sent[0]?.answer();
    expect(await flush).toBe("WORKER_UNAVAILABLE");
    expect(await Promise.all(results)).toEqual(["stored", "stored", "WORKER_UNAVAILABLE", "WORKER_UNAVAILABLE", "WORKER_UNAVAILABLE"]);
    expect(sent).toHaveLength(1);
  });
});

describe("client: batch options", () => {
  it.each([
    ["maxInFlight", 0],
    ["maxInFlight", Number.NaN],
    ["maxItems", 0.5],
    ["maxBytes", -1],
    ["flushIntervalMs", Number.POSITIVE_INFINITY],
    ["flushIntervalMs", "25"],
  ])("refuses batch.%s = %s with VALIDATION naming it, before connecting to the worker", (key, value) => {
    const posted: unknown[] = [];
    const worker = { postMessage: (message: unknown) => void posted.push(message), addEventListener: () => undefined, removeEventListener: () => undefined };
    let error: unknown;
    try {
      createClient({ worker, batch: { [key]: value } as never });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WeftError);
    expect((error as WeftError).code).toBe("VALIDATION");
    expect((error as WeftError).details?.issues?.[0]?.path).toBe(`batch.${key}`);
    expect((error as WeftError).message).toContain(`batch.${key}`);
    expect(posted).toEqual([]);
  });
});

describe("client: a burst of calls through a real server", () => {
  const clients: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
  });

  it("never has more than maxInFlight batches unanswered, and stores every call", async () => {
    const { port1, port2 } = new MessageChannel();
    exposeLocalTraceServer({ endpoint: port1, dbName: "inflight-burst", indexedDB: new IDBFactory(), IDBKeyRange });
    // Count call_start_batch requests posted and answered on the client's side of the channel.
    const batchIds = new Set<string>();
    let outstanding = 0;
    let most = 0;
    const endpoint = {
      postMessage(message: { id?: string; path?: string[]; argumentList?: Array<{ value?: unknown }> }, transfer?: Transferable[]) {
        if (message.path?.[0] === "call" && message.argumentList?.[0]?.value === "call_start_batch" && message.id) {
          batchIds.add(message.id);
          most = Math.max(most, ++outstanding);
        }
        port2.postMessage(message, transfer ?? []);
      },
      addEventListener: port2.addEventListener.bind(port2),
      removeEventListener: port2.removeEventListener.bind(port2),
      start: () => port2.start(),
    };
    port2.addEventListener("message", (event: MessageEvent<{ id?: string }>) => {
      if (event.data.id && batchIds.delete(event.data.id)) outstanding--;
    });
    const client = createClient({ worker: endpoint, batch: { maxItems: 100, maxInFlight: 2 } });
    clients.push(client);
    const started_at = new Date(0).toISOString();
    const pending: Array<Promise<unknown>> = [];
    for (let i = 0; i < 1500; i++) {
      const id = `burst-${String(i).padStart(5, "0")}`;
      pending.push(client.call_start({ start: { project_id: PROJECT, id, op_name: "op", started_at, attributes: {}, inputs: { i } } }));
      pending.push(client.call_end({ end: { project_id: PROJECT, id, ended_at: started_at, output: i, summary: {} } }));
    }
    await client.flush();
    await Promise.all(pending);
    expect(most).toBe(2);
    expect(outstanding).toBe(0);
    expect(await client.calls_query_stats({ project_id: PROJECT })).toEqual({ count: 1500 });
  });
});
