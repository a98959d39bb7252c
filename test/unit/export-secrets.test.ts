/**
 * Issue "Secrets": an export's API key is sent only to the server it belongs to (as Basic auth), is
 * never written to IndexedDB (neither the exporter's resume state nor the local store), and is never
 * logged.
 */
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { exportProject, indexedDbStateStore } from "../../src/export";
import { createRemoteTraceServer } from "../../src/http";
import type { LocalTraceServer } from "../../src/server";
import { snapshotStore } from "../support/store-digest";
import { seedProject, startReceiver, tickingClock, type Receiver } from "./export-fixture";
import { makeServer } from "./support/server";

const KEY = "sekret-api-key-0123456789abcdef";
let local: LocalTraceServer;
let receiver: Receiver;

beforeEach(async () => {
  local = makeServer({ now: tickingClock() });
  await seedProject(local, "me/app");
  receiver = await startReceiver();
});
afterEach(async () => {
  await receiver.close();
  await local.close();
});

it("the export key goes only to its server, in the Authorization header, and is stored and logged nowhere", async () => {
  const idb = new IDBFactory();
  const stateStore = indexedDbStateStore({ dbName: "weft-export-state", indexedDB: idb, IDBKeyRange });
  const logged: string[] = [];
  const spies = (["log", "info", "warn", "error", "debug"] as const).map((level) =>
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(" "))),
  );
  const seenUrls: string[] = [];
  const seenAuth = new Set<string>();
  const fetchSpy: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    seenUrls.push(request.url);
    seenAuth.add(request.headers.get("authorization") ?? "");
    return fetch(request);
  };
  try {
    const remote = createRemoteTraceServer({ baseUrl: receiver.url, apiKey: KEY, fetch: fetchSpy, retries: 0 });
    const result = await exportProject({ from: local, to: remote, project: "me/app", toProject: "team/app", stateStore });
    expect(result.sent.calls).toBeGreaterThan(0);
  } finally {
    stateStore.close();
    for (const spy of spies) spy.mockRestore();
  }
  expect(seenUrls.length).toBeGreaterThan(0);
  expect(seenUrls.every((url) => url.startsWith(receiver.url))).toBe(true);
  expect([...seenAuth]).toEqual([`Basic ${btoa(`api:${KEY}`)}`]);
  // Nothing on disk holds the key: not the resume state, not the request bodies the server stored.
  const state = JSON.stringify(await snapshotStore("weft-export-state", { indexedDB: idb }));
  expect(state.length).toBeGreaterThan(100);
  expect(state).not.toContain(KEY);
  const bodies = receiver.seen.map((s) => s.body).join("\n");
  expect(bodies).not.toContain(KEY);
  expect(logged.join("\n")).not.toContain(KEY);
});
