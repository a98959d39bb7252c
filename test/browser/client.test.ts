/**
 * The client against a real module Worker in Chromium (`pages/client-page.ts` + the harness's
 * `pages/worker.ts`, i.e. the real `createLocalTraceServer` on real IndexedDB): round trips,
 * persistence across reload, errors as `WeftError` in the page, streaming, calls traced right before
 * navigating away or closing the tab, the in-flight limit on call batches during a burst, and a
 * terminated or missing worker.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "./harness";
import type { ClientPageGlobals } from "./pages/client-page";

type G = ClientPageGlobals;
let h: Harness;
let dbCounter = 0;
const freshDb = () => `client-${Date.now()}-${++dbCounter}`;
const pageUrl = (db: string, interval = 25) => `/client-page.html?db=${db}&interval=${interval}`;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe("client in Chromium", () => {
  it("writes calls through the worker and reads them back, also after a reload", async () => {
    const db = freshDb();
    const page = await h.newPage(pageUrl(db));
    await page.evaluate(() => (globalThis as unknown as G).clientPage.trace(30, "r"));
    await page.evaluate(() => (globalThis as unknown as G).clientPage.flush());
    const before = await page.evaluate(() => (globalThis as unknown as G).clientPage.calls());
    expect(before).toHaveLength(30);
    expect(before[0]).toEqual(["r-00000", true]);

    await h.reload(page);
    expect(await page.evaluate(() => (globalThis as unknown as G).clientPage.calls())).toEqual(before);
    expect(await page.evaluate(() => (globalThis as unknown as G).clientPage.rejected)).toEqual([]);
    await page.close();
  });

  it("attaches costs and feedback to a page of calls through the worker (include_costs, include_feedback)", async () => {
    const page = await h.newPage(pageUrl(freshDb()));
    const rows = await page.evaluate(() => (globalThis as unknown as G).clientPage.costsAndFeedback());
    expect(rows.map((r) => r.id)).toEqual(["cf-0", "cf-1", "cf-2"]);
    expect(rows[0]?.cost).toBeCloseTo(2, 9); // 1000 × 0.001 + 500 × 0.002
    expect(rows[1]?.cost).toBeCloseTo(2, 9);
    expect(rows[2]?.cost).toBeNull(); // no usage, no costs
    expect(rows.map((r) => r.feedback)).toEqual([["wandb.reaction.1"], ["wandb.note.1"], []]);
    await page.close();
  });

  it("delivers errors as real WeftErrors in the page, unary and streaming", async () => {
    const page = await h.newPage(pageUrl(freshDb()));
    expect(await page.evaluate(() => (globalThis as unknown as G).clientPage.badQuery())).toEqual({
      weft: true,
      code: "VALIDATION",
      message: 'Invalid calls_query request: project_id: project_id must look like "entity/project"',
      details: { issues: [{ path: "project_id", message: 'project_id must look like "entity/project"' }] },
    });
    expect(await page.evaluate(() => (globalThis as unknown as G).clientPage.badStream())).toMatchObject({
      weft: true,
      code: "INVALID_FIELD",
      details: { field: "nope" },
    });
    await page.close();
  });

  it("streams calls in chunks and stops early", async () => {
    const page = await h.newPage(pageUrl(freshDb()));
    await page.evaluate(() => (globalThis as unknown as G).clientPage.trace(1100, "s"));
    await page.evaluate(() => (globalThis as unknown as G).clientPage.flush());
    expect(await page.evaluate(() => (globalThis as unknown as G).clientPage.stream())).toBe(1100);
    expect(await page.evaluate(() => (globalThis as unknown as G).clientPage.stream(7))).toBe(7);
    // The calls themselves (sent as JSON text, read lazily from the index): those calls_query gives.
    const { ids, same } = await page.evaluate(() => (globalThis as unknown as G).clientPage.streamVersusQuery());
    expect(ids).toHaveLength(1100);
    expect(new Set(ids).size).toBe(1100);
    expect(same).toBe(true);
    await page.close();
  });
});

describe("in-flight limit (real worker, real IndexedDB)", () => {
  it("keeps at most maxInFlight call batches in the worker during a burst, and stores every call", async () => {
    const page = await h.newPage(pageUrl(freshDb()));
    // 2,000 calls in batches of 200 parts: 20 batches, all queued in one task, far faster than
    // IndexedDB stores them.
    const limited = await page.evaluate((db) => (globalThis as unknown as G).clientPage.burst(db, 2000, 200), freshDb());
    expect(limited).toEqual({ most: 2, left: 0, batches: 20, stored: 2000, rejected: 0 });
    // The counter sees what the limit holds back: with no limit, the same burst has more in the worker at once.
    const unlimited = await page.evaluate((db) => (globalThis as unknown as G).clientPage.burst(db, 2000, 200, Infinity), freshDb());
    expect(unlimited).toEqual({ most: 20, left: 0, batches: 20, stored: 2000, rejected: 0 });
    await page.close();
  });
});

describe("page hide (on-disk profile, as users have)", () => {
  // Off-the-record profiles keep IndexedDB in memory; what survives an unload is about commits
  // reaching disk, so these run in a persistent profile of their own.
  let disk: Harness;
  beforeAll(async () => {
    disk = await startHarness({ persistentProfile: true });
  });
  afterAll(async () => {
    await disk?.close();
  });

  // A 60 s batch timer: nothing leaves the page before it is hidden, so only page-hide handling
  // (send to the worker + park in the outbox from the main thread) can save these calls.
  it.each([
    ["200 small calls", 200, 100],
    ["3000 calls of 2 KB", 3000, 2000],
  ])("keeps %s traced right before navigating away", async (_label, n, payload) => {
    const db = freshDb();
    const page = await disk.newPage(pageUrl(db, 60_000));
    const away = new URL("client-away.html", disk.url).href;
    await Promise.all([
      page.waitForURL(away),
      page.evaluate(([count, url, chars]) => (globalThis as unknown as G).clientPage.traceAndLeave(count, "leave", url, chars), [n, away, payload] as const),
    ]);
    await page.goto(new URL(pageUrl(db).slice(1), disk.url).href);
    await page.evaluate(() => (globalThis as unknown as { harnessReady?: Promise<unknown> }).harnessReady);
    const calls = await page.evaluate(() => (globalThis as unknown as G).clientPage.calls());
    expect(calls).toHaveLength(n);
    expect(calls.every(([, ended]) => ended)).toBe(true);
    expect(calls[n - 1]?.[0]).toBe(`leave-${String(n - 1).padStart(5, "0")}`);
    await page.close();
  });

  it("keeps calls traced right before the tab is closed", async () => {
    const db = freshDb();
    const page = await disk.newPage(pageUrl(db, 60_000));
    await page.evaluate(() => (globalThis as unknown as G).clientPage.trace(500, "closed"));
    await page.close({ runBeforeUnload: false });
    const again = await disk.newPage(pageUrl(db));
    expect(await again.evaluate(() => (globalThis as unknown as G).clientPage.calls())).toHaveLength(500);
    await again.close();
  });
});

describe("dead worker", () => {
  it("rejects with WORKER_UNAVAILABLE after the worker is terminated, without hanging", async () => {
    const page = await h.newPage(pageUrl(freshDb()));
    await page.evaluate(() => (globalThis as unknown as G).clientPage.reopen((globalThis as unknown as G).clientPage.dbName, 300));
    const result = await page.evaluate(() => (globalThis as unknown as G).clientPage.afterTerminate());
    expect(result.call).toMatchObject({ weft: true, code: "WORKER_UNAVAILABLE" });
    expect(result.queued).toMatchObject({ weft: true, code: "WORKER_UNAVAILABLE" });
    await page.close();
  });

  it("rejects with WORKER_UNAVAILABLE when the worker script fails to load", async () => {
    const page = await h.newPage(pageUrl(freshDb()));
    const result = await page.evaluate(() => (globalThis as unknown as G).clientPage.brokenWorker());
    expect(result).toMatchObject({ weft: true, code: "WORKER_UNAVAILABLE" });
    expect((result as { message: string }).message).toMatch(/failed to load/);
    await page.close();
  });
});
