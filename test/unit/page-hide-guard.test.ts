/**
 * The page-hide guard's outbox bookkeeping, with a stand-in document and window (the guard is inert
 * without them) over fake-indexeddb: a batch parked at `beforeunload` keeps its parked copy unless
 * it was stored or the server refused its content for good.
 */
import { IDBFactory } from "fake-indexeddb";
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
  return { key, batch: { batch: [{ mode: "start", req: { start: start({ id: key }) } }] } as never, parked: 0, outcome: new Promise(() => undefined) };
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

describe("page-hide guard", () => {
  it("deletes a parked batch once stored or refused by validation, and keeps it after any other failure", async () => {
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
