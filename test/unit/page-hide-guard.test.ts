/**
 * The page-hide guard's outbox bookkeeping, with a stand-in document and window (the guard is inert
 * without them) over fake-indexeddb: a batch parked at `beforeunload` keeps its parked copy unless
 * it was stored or the server refused its content for good.
 */
import { IDBDatabase, IDBFactory } from "fake-indexeddb";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { CallBatcher, InFlightBatch } from "../../src/client/call-batcher";
import type { Connection } from "../../src/client/connection";
import { guardPageHide } from "../../src/client/page-lifecycle";
import { WeftError } from "../../src/errors";
import { openOutbox, type OutboxPiece } from "../../src/transport/outbox";
import { start } from "./support/server";

afterEach(() => {
  vi.unstubAllGlobals();
});

function flight(key: string): InFlightBatch {
  return { key, items: [{ mode: "start", req: { start: start({ id: key }) } }] as never, parked: 0, outcome: new Promise(() => undefined) };
}

async function parkedKeys(factory: IDBFactory, dbName: string): Promise<string[]> {
  const db = await openOutbox(factory, dbName);
  const pieces = await new Promise<OutboxPiece[]>((resolve, reject) => {
    const req = db.transaction("pieces").objectStore("pieces").getAll();
    req.onsuccess = () => resolve(req.result as OutboxPiece[]);
    req.onerror = () => reject(req.error);
  });
  db.close();
  return [...new Set(pieces.map((p) => p.batch))].sort();
}

/** A stand-in document and window over a fresh fake-indexeddb; returns the event listeners and the factory. */
function stubPage(): { listeners: Map<string, () => void>; factory: IDBFactory } {
  const factory = new IDBFactory();
  const listeners = new Map<string, () => void>();
  const target = {
    addEventListener: (type: string, listener: () => void) => listeners.set(type, listener),
    removeEventListener: (type: string) => listeners.delete(type),
  };
  vi.stubGlobal("indexedDB", factory);
  vi.stubGlobal("document", { visibilityState: "visible", ...target });
  vi.stubGlobal("addEventListener", target.addEventListener);
  vi.stubGlobal("removeEventListener", target.removeEventListener);
  return { listeners, factory };
}

describe("page-hide guard", () => {
  it("parks the backlog and the batch sent at beforeunload in one transaction, then later batches as they leave", async () => {
    const { listeners, factory } = stubPage();
    const dbName = "guard-one-transaction";
    const connection = { hello: Promise.resolve({ protocol: 1, dbName, implementedMethods: [] }), deadError: () => undefined } as unknown as Connection;
    const flights = ["c:1", "c:2", "c:3"].map(flight);
    let guard: ReturnType<typeof guardPageHide> | undefined;
    let queued: string[] = ["c:4"];
    // As the real batcher: sending the queue dispatches a batch (the `dispatched` hook runs at once).
    const sendNow = (): void => {
      for (const key of queued.splice(0)) {
        const f = flight(key);
        flights.push(f);
        guard?.dispatched(f);
      }
    };
    const batcher = { sendNow, setUrgent: (urgent: boolean) => urgent && sendNow(), unacknowledged: () => [...flights] } as unknown as CallBatcher;
    guard = guardPageHide(connection, () => batcher);
    await guard.armed;
    const transactions = vi.spyOn(IDBDatabase.prototype, "transaction");

    guard.busy(true);
    listeners.get("beforeunload")?.();
    // When the document goes, the transaction being run commits and those queued behind it are
    // aborted (page-lifecycle.ts): the backlog must not wait behind the batch sent just now.
    expect(transactions.mock.calls.map(([, mode]) => mode)).toEqual(["readwrite"]);
    expect(flights.map((f) => f.parked > 0)).toEqual([true, true, true, true]);
    // From then on, each batch is parked as it leaves.
    queued = ["c:5"];
    sendNow();
    expect(transactions).toHaveBeenCalledTimes(2);
    await vi.waitFor(async () => expect(await parkedKeys(factory, dbName)).toEqual(["c:1", "c:2", "c:3", "c:4", "c:5"]));
    transactions.mockRestore();
    guard.dispose();
  });

  it("deletes a parked batch once stored or refused by validation, and keeps it after any other failure", async () => {
    const { listeners, factory } = stubPage();
    const dbName = "guard-test";
    const connection = { hello: Promise.resolve({ protocol: 1, dbName, implementedMethods: [] }), deadError: () => undefined } as unknown as Connection;
    const flights = ["c:1", "c:2", "c:3", "c:4"].map(flight);
    const batcher = { sendNow: () => undefined, setUrgent: () => undefined, unacknowledged: () => flights } as unknown as CallBatcher;
    const guard = guardPageHide(connection, () => batcher);
    await guard.armed;

    guard.busy(true);
    listeners.get("beforeunload")?.();
    expect(flights.every((f) => f.parked > 0)).toBe(true);
    // Let the parking transaction commit before settling (as the worker's answers come later).
    await vi.waitFor(async () => expect(await parkedKeys(factory, dbName)).toEqual(["c:1", "c:2", "c:3", "c:4"]));

    const [stored, refused, uncopyable, storage] = flights as [InFlightBatch, InFlightBatch, InFlightBatch, InFlightBatch];
    guard.settled(stored, undefined);
    guard.settled(refused, new WeftError("VALIDATION", "Invalid call part", { issues: [{ path: "batch[0].req.start.op_name", message: "required" }] }));
    guard.settled(uncopyable, new WeftError("VALIDATION", "Invalid request: a value cannot be copied to the worker"));
    guard.settled(storage, new WeftError("STORAGE", "Storage error (AbortError)"));
    await vi.waitFor(async () => expect(await parkedKeys(factory, dbName)).toEqual(["c:3", "c:4"]));
    guard.dispose();
  });
});
