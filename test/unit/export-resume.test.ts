/**
 * Interrupted exports continue where they stopped: cancelled through `signal`, a server that fails
 * every third request with 503 (the `RemoteTraceServer` retries), a connection dropped before or
 * after the server acted on a request, and a "closed tab" (the state store reopened from the same
 * IndexedDB). Afterwards the receiving store answers like the local one, and nothing that must not
 * be duplicated (feedback, prices) was sent twice.
 */
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { exportProject, indexedDbStateStore, type ExportStateStore } from "../../src/export";
import { createRemoteTraceServer, type RemoteTraceServer } from "../../src/http";
import type { LocalTraceServer } from "../../src/server";
import { expectSameAnswers, seedProject, startReceiver, tickingClock, type Receiver } from "./export-fixture";
import { makeServer } from "./support/server";

const LOCAL = "me/resumable";
const REMOTE = "team/resumed";
const EXTRA = 500; // 523 calls in all: 21 batches of 50 items (start + end) at `batch.maxItems = 50`

let local: LocalTraceServer;
let receiver: Receiver;
let idb: IDBFactory;
let stateStore: ExportStateStore;
const total = EXTRA + 23;

const remoteFor = (retries = 4): RemoteTraceServer => createRemoteTraceServer({ baseUrl: receiver.url, apiKey: "k", retries, sleep: async () => undefined });
const run = (options: { to?: RemoteTraceServer; signal?: AbortSignal; onProgress?: (e: { kind: string; done: number }) => void } = {}) =>
  exportProject({ from: local, to: options.to ?? remoteFor(), project: LOCAL, toProject: REMOTE, stateStore, batch: { maxItems: 50 }, ...(options.signal ? { signal: options.signal } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) });

beforeEach(async () => {
  local = makeServer({ now: tickingClock() });
  await seedProject(local, LOCAL, EXTRA);
  receiver = await startReceiver();
  idb = new IDBFactory();
  stateStore = indexedDbStateStore({ indexedDB: idb, IDBKeyRange });
});
afterEach(async () => {
  stateStore.close();
  await receiver.close();
  await local.close();
});

/** Call ids in the bodies of `/call/upsert_batch` requests from `from` on, one per start item. */
const startsSent = (from = 0): string[] =>
  receiver.seen
    .slice(from)
    .filter((s) => s.path === "/call/upsert_batch")
    .flatMap((s) => (JSON.parse(s.body) as { batch: Array<{ mode: string; req: { start?: { id: string } } }> }).batch.flatMap((i) => (i.req.start ? [i.req.start.id] : [])));

describe("resuming an interrupted export", { timeout: 60_000 }, () => {
  it("cancelled through signal halfway (ABORTED), then resumed: the rest is sent, at most one batch twice", async () => {
    const controller = new AbortController();
    const first = await run({
      signal: controller.signal,
      onProgress: (e) => {
        if (e.kind === "calls" && e.done >= 200) controller.abort();
      },
    }).catch((e: unknown) => e);
    expect(first).toMatchObject({ code: "ABORTED", message: expect.stringContaining("Run it again") });
    const sentBefore = startsSent();
    expect(sentBefore.length).toBeGreaterThanOrEqual(200);
    expect(sentBefore.length).toBeLessThan(total);

    const mark = receiver.seen.length;
    const second = await run();
    expect(second.skipped.calls).toBeGreaterThanOrEqual(200);
    expect(second.skipped.calls + second.sent.calls).toBe(total);
    // Nothing before the cut is sent again, except a batch whose answer the abort overtook.
    const resent = startsSent(mark).filter((id) => sentBefore.includes(id));
    expect(resent.length).toBeLessThanOrEqual(25);
    expect(new Set([...sentBefore, ...startsSent(mark)]).size).toBe(total);
    expect(receiver.seen.slice(mark).filter((s) => s.path === "/obj/create")).toEqual([]);
    await expectSameAnswers(local, LOCAL, receiver.store, REMOTE);
  });

  it("a server failing every third request with 503: the remote retries and the export completes in one run", async () => {
    let failed = 0;
    receiver.hook = (n, _req, res, _body, pass) => {
      if (n % 3 !== 0) return pass();
      failed++;
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ reason: "try later" }));
    };
    const result = await run();
    expect(failed).toBeGreaterThan(5);
    expect(result.sent.calls).toBe(total);
    await expectSameAnswers(local, LOCAL, receiver.store, REMOTE);
  });

  it("a dropped connection (no retries left) fails with UPSTREAM; the next run finishes", async () => {
    receiver.hook = (n, req, _res, _body, pass) => (n === 14 ? req.socket.destroy() : pass());
    const first = await run({ to: remoteFor(0) }).catch((e: unknown) => e);
    expect(first).toMatchObject({ code: "UPSTREAM" });
    receiver.hook = (_n, _req, _res, _body, pass) => pass();
    const second = await run();
    expect(second.skipped.calls).toBeGreaterThan(0);
    await expectSameAnswers(local, LOCAL, receiver.store, REMOTE);
  });

  it("a dropped connection is retried by the remote within the same run", async () => {
    receiver.hook = (n, req, _res, _body, pass) => (n === 14 || n === 15 ? req.socket.destroy() : pass());
    const result = await run();
    expect(result.sent.calls).toBe(total);
    await expectSameAnswers(local, LOCAL, receiver.store, REMOTE);
  });

  it("answers lost after the server wrote feedback and a price: the resumed run does not write them again", async () => {
    // The server acts on the request, then the connection drops before the answer is complete.
    const lose = new Set(["/feedback/batch/create", "/cost/create"]);
    receiver.hook = (_n, req, res, _body, pass) => {
      if (!lose.delete(req.url ?? "")) return pass();
      res.end = (() => {
        req.socket.destroy();
        return res;
      }) as typeof res.end;
      pass();
    };
    const first = await run({ to: remoteFor(0) }).catch((e: unknown) => e);
    expect(first).toMatchObject({ code: "UPSTREAM" });
    expect((await receiver.store.feedback_query({ project_id: REMOTE })).result).toHaveLength(3);
    const mark = receiver.seen.length;
    await run({ to: remoteFor(0) }).catch(() => undefined); // loses the price's answer
    const third = await run();
    const paths = receiver.seen.slice(mark).map((s) => s.path);
    expect(paths.filter((p) => p === "/feedback/batch/create")).toEqual([]);
    expect(paths.filter((p) => p === "/cost/create")).toHaveLength(1); // the run that lost its answer
    expect(third.skipped).toMatchObject({ feedback: 3, costs: 1 });
    expect((await receiver.store.cost_query({ project_id: REMOTE })).results).toHaveLength(1);
    await expectSameAnswers(local, LOCAL, receiver.store, REMOTE);
  });

  it("a closed tab: state reopened from the same IndexedDB continues the export", async () => {
    const controller = new AbortController();
    await run({ signal: controller.signal, onProgress: (e) => e.kind === "calls" && e.done >= 300 && controller.abort() }).catch(() => undefined);
    stateStore.close();
    stateStore = indexedDbStateStore({ indexedDB: idb, IDBKeyRange });
    const mark = receiver.seen.length;
    const second = await run();
    expect(second.skipped.calls).toBeGreaterThanOrEqual(300);
    expect(receiver.seen.slice(mark).filter((s) => ["/obj/create", "/table/create", "/file/create"].includes(s.path))).toEqual([]);
    await expectSameAnswers(local, LOCAL, receiver.store, REMOTE);
  });
});
