/**
 * Crashes in real Chromium (`pages/faults-page.ts`, weft's real worker and IndexedDB): the worker
 * terminated in the middle of a 20k-call stream and inside one large `call_start_batch`
 * transaction (a spy in `pages/faults-worker.ts` says when rows are being written, and can hold the
 * transaction open until the kill), then the page reloaded, navigated away and closed while
 * tracing hard. Afterwards every acknowledged call must be stored whole, every batch whole or not
 * at all, the client must say `WORKER_UNAVAILABLE` for the rest, and a new worker must read
 * everything. Calls are checked in their raw IndexedDB rows (`verifyRaw`), which also shows rows
 * weft's queries hide (an end stored without its start).
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "./harness";
import type { BatchOutcome, FaultsPageGlobals } from "./pages/faults-page";

type G = FaultsPageGlobals;
let h: Harness;
let dbCounter = 0;
const freshDb = (): string => `faults-crash-${Date.now()}-${++dbCounter}`;
const pageUrl = (db: string, interval = 25): string => `/faults-page.html?db=${db}&interval=${interval}`;

/** Printed for the README table (vitest shows it with the test output). */
const report = (line: string): void => void process.stderr.write(`[faults-crash] ${line}\n`);

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe("worker terminated mid-stream", () => {
  it("20k calls in 21 batches, killed after 7 acknowledged: acknowledged calls whole, every batch all-or-nothing", async () => {
    const groups = 20;
    const perGroup = 1000;
    const chars = 200;
    const page = await h.newPage(pageUrl(freshDb()));
    const run = await page.evaluate((o) => (globalThis as unknown as G).faults.crashStream(o), { prefix: "s", groups, perGroup, chars, killAfterAcked: 7 });

    // The client: acknowledged batches are a prefix; everything else is WORKER_UNAVAILABLE, also
    // for a call and a query made right after the kill, without hanging.
    const acked = run.batches.map((b: BatchOutcome) => b.acked);
    const nAcked = acked.filter(Boolean).length;
    expect(nAcked).toBeGreaterThanOrEqual(7);
    expect(nAcked).toBeLessThan(groups + 1);
    expect(acked).toEqual(run.batches.map((_, b) => b < nAcked));
    for (const b of run.batches.filter((x) => !x.acked)) expect(b.codes).toEqual(["WORKER_UNAVAILABLE"]);
    expect(run.late).toMatchObject({ ok: false, weft: true, code: "WORKER_UNAVAILABLE" });
    expect(run.query).toMatchObject({ ok: false, weft: true, code: "WORKER_UNAVAILABLE" });
    expect(run.afterDeath).toMatchObject({ ok: false, weft: true, code: "WORKER_UNAVAILABLE" });

    // A new worker on the same database.
    await page.evaluate(() => (globalThis as unknown as G).faults.reopen());
    const v = await page.evaluate(([p, c]) => (globalThis as unknown as G).faults.verify(p, c), ["s", chars] as const);
    expect(v.damaged).toEqual([]);
    expect(v.endOnly).toBe(0);
    // Batch b = starts of group b + ends of group b-1: stored whole or not at all, in order.
    const stored = run.batches.map((batch, b) => {
      const starts = b < groups ? (v.groups[b]?.starts ?? 0) : 0;
      const ends = b > 0 ? (v.groups[b - 1]?.ends ?? 0) : 0;
      return starts + ends === 0 ? 0 : starts + ends === batch.starts + batch.ends ? 1 : -1;
    });
    expect(stored).not.toContain(-1);
    const nStored = stored.filter((s) => s === 1).length;
    expect(stored).toEqual(run.batches.map((_, b) => (b < nStored ? 1 : 0)));
    expect(nStored).toBeGreaterThanOrEqual(nAcked);
    const ackedCalls = Math.min(nAcked, groups) * perGroup;
    const presentCalls = Object.values(v.groups).reduce((n, g) => n + g.starts, 0);
    expect(presentCalls).toBe(Math.min(nStored, groups) * perGroup);
    expect(v.clientCount).toBe(presentCalls);
    const streamed = await page.evaluate(() => (globalThis as unknown as G).faults.streamedIds());
    expect(streamed).toHaveLength(presentCalls);
    // And it takes new calls.
    const more = await page.evaluate(() => (globalThis as unknown as G).faults.traceSpread({ prefix: "after", n: 100, chunk: 100, pauseMs: 0, chars: 50 }));
    expect([more.flush, more.ok]).toEqual([{ ok: true }, 200]);
    report(
      `stream: killed after ${run.ackedAtKill} of 21 batches acknowledged (${nAcked} acknowledged in the end, ${nStored} stored): ` +
        `${ackedCalls}/${ackedCalls} acknowledged calls present, ${presentCalls} calls stored, 0 damaged, 0 partial batches; ` +
        `rest rejected WORKER_UNAVAILABLE ${Math.round(run.rejectedAfterMs)} ms after the kill`,
    );
    await page.close();
  });
});

describe("worker terminated inside one call_start_batch transaction", () => {
  const n = 5000;
  const chars = 200;
  // [what, spy at the k-th row written, hold the transaction open there]
  it.each([
    ["stalled at row 2,500 of 5,000 (transaction provably open)", 2500, true],
    ["at the first row, without stalling", 1, false],
    ["at row 2,500, without stalling", 2500, false],
    ["at the last row, without stalling (races the commit)", 5000, false],
  ] as const)("killed %s: the batch is stored whole or not at all", async (what, spyAtPut, stall) => {
    const page = await h.newPage(pageUrl(freshDb()));
    // Earlier, acknowledged calls must survive the crash untouched.
    await page.evaluate(() => (globalThis as unknown as G).faults.traceSpread({ prefix: "before", n: 300, chunk: 300, pauseMs: 0, chars: 50 }));
    const run = await page.evaluate((o) => (globalThis as unknown as G).faults.killInsideBatch(o), { prefix: "big", n, chars, spyAtPut, stall });
    // Racing the commit, the batch may be stored and acknowledged before the spy's message reaches
    // the page; then there is no kill inside the transaction to speak of, and the batch must be whole.
    if (run.spy !== null || stall) expect(run.spy).toEqual({ puts: spyAtPut, stalled: stall });
    else expect(run.flush.ok).toBe(true);

    await page.evaluate(() => (globalThis as unknown as G).faults.reopen());
    const big = await page.evaluate(([p, c]) => (globalThis as unknown as G).faults.verify(p, c), ["big", chars] as const);
    const before = await page.evaluate(() => (globalThis as unknown as G).faults.verify("before", 50));
    expect(before.damaged).toEqual([]);
    expect(before.groups[0]).toEqual({ starts: 300, ends: 300, maxIndex: 299 });
    expect(big.damaged).toEqual([]);
    expect([0, n]).toContain(big.rows);
    if (run.flush.ok) {
      expect(big.rows).toBe(n);
    } else {
      expect(run.flush).toMatchObject({ weft: true, code: "WORKER_UNAVAILABLE" });
      expect(run.items.codes).toEqual(["WORKER_UNAVAILABLE"]);
    }
    if (stall) expect(big.rows).toBe(0);
    expect(big.clientCount).toBe(300 + big.rows);
    report(
      `big batch killed ${what}: ${run.flush.ok ? "acknowledged" : "not acknowledged"}, ${big.rows}/${n} rows stored, ` +
        `300/300 earlier calls intact (kill ${Math.round(run.killedAfterMs)} ms after send)`,
    );
    await page.close();
  });
});

describe("page reloaded or closed while tracing (on-disk profile)", () => {
  let disk: Harness;
  beforeAll(async () => {
    disk = await startHarness({ persistentProfile: true });
  });
  afterAll(async () => {
    await disk?.close();
  });

  const chars = 500;
  const untilTraced = async (page: Page, prefix: string, count: number): Promise<void> => {
    await page.waitForFunction(([p, c]) => ((globalThis as unknown as G).faults.progress(p)?.traced ?? 0) >= c, [prefix, count] as const, { polling: 20, timeout: 30_000 });
  };

  /** Reads what the page recorded and what is stored, through a new page of the same database. */
  const outcome = async (page: Page, prefix: string) => {
    const progress = await page.evaluate((p) => (globalThis as unknown as G).faults.progress(p), prefix);
    const v = await page.evaluate(([p, c]) => (globalThis as unknown as G).faults.verify(p, c), [prefix, chars] as const);
    const stored = v.groups[0]?.starts ?? 0;
    expect(v.damaged).toEqual([]);
    expect(v.endOnly).toBe(0);
    // Whatever was lost, what is stored is a whole prefix of what was traced (starts and ends).
    expect(v.groups[0] ?? { starts: 0, ends: 0, maxIndex: -1 }, `missing starts: ${v.gaps[0] ?? "none"}`).toEqual({ starts: stored, ends: stored, maxIndex: stored - 1 });
    expect(v.clientCount).toBe(stored);
    return { progress, stored, traced: progress?.traced ?? -1, beforeunload: progress?.atBeforeunload ?? -1 };
  };

  it("reload while tracing: every call accepted before beforeunload is stored whole", async () => {
    const page = await disk.newPage(pageUrl(freshDb()));
    await page.evaluate((o) => (globalThis as unknown as G).faults.traceUntilUnload(o), { prefix: "reload", perTick: 100, tickMs: 20, chars });
    await untilTraced(page, "reload", 3000);
    await disk.reload(page);
    const o = await outcome(page, "reload");
    expect(o.progress?.at).toBe("pagehide");
    expect(o.beforeunload).toBeGreaterThanOrEqual(3000);
    expect(o.stored).toBeGreaterThanOrEqual(o.beforeunload);
    expect(o.stored).toBeLessThanOrEqual(o.traced);
    report(
      `reload while tracing: ${o.stored} calls stored whole; ${o.beforeunload}/${o.beforeunload} accepted before beforeunload present, ` +
        `${o.stored - o.beforeunload}/${o.traced - o.beforeunload} accepted between beforeunload and pagehide (${o.progress?.unacked} unacknowledged at pagehide)`,
    );
    await page.close();
  });

  // Guaranteed: every call accepted before `beforeunload` is stored (each is parked in the outbox
  // from the main thread while the document is surely alive). From `beforeunload` on, batches are
  // sent and parked at the end of every task; the very last task's save can still be dropped by
  // Chromium as the document goes, so calls accepted in the last moments are best effort and the
  // test reports them instead of asserting them.
  it("navigating away while tracing: calls accepted before beforeunload are all stored (3 navigations)", async () => {
    const lines: string[] = [];
    let lost = 0;
    for (let round = 0; round < 3; round++) {
      const db = freshDb();
      const page = await disk.newPage(pageUrl(db));
      await page.evaluate((o) => (globalThis as unknown as G).faults.traceUntilUnload(o), { prefix: "nav", perTick: 100, tickMs: 20, chars });
      await untilTraced(page, "nav", 3000);
      await page.goto(new URL("client-away.html", disk.url).href);
      await page.goto(new URL(pageUrl(db).slice(1), disk.url).href);
      await page.evaluate(() => (globalThis as unknown as G).harnessReady);
      const o = await outcome(page, "nav");
      expect(o.progress?.at).toBe("pagehide");
      expect(o.stored).toBeGreaterThanOrEqual(o.beforeunload);
      lost += o.traced - o.stored;
      lines.push(`${o.stored}/${o.traced} (beforeunload at ${o.beforeunload})`);
      await page.close();
    }
    report(`navigate away while tracing, 3 rounds: stored/traced before pagehide = ${lines.join(", ")}; ${lost} accepted after beforeunload lost`);
  });

  // Chromium occasionally tears a congested tab down without running pagehide at all (1 close in
  // ~25 here): nothing can be saved then, so that rare run is retried rather than counted as weft's.
  it("tab closed while tracing: every call accepted before pagehide is stored whole", { retry: 2 }, async () => {
    const db = freshDb();
    const page = await disk.newPage(pageUrl(db));
    await page.evaluate((o) => (globalThis as unknown as G).faults.traceUntilUnload(o), { prefix: "close", perTick: 100, tickMs: 20, chars });
    await untilTraced(page, "close", 3000);
    await page.close({ runBeforeUnload: false });
    const again = await disk.newPage(pageUrl(db));
    const o = await outcome(again, "close");
    expect(o.traced).toBeGreaterThanOrEqual(3000);
    // Chromium ran pagehide in all but one of ~20 closes while measuring; in that one, a tab whose
    // main thread was congested was torn down without it and its unacknowledged calls were lost.
    expect(o.progress?.at, `pagehide did not run: ${o.stored}/${o.traced} stored, ${o.progress?.unacked} were unacknowledged`).toBe("pagehide");
    expect(o.stored).toBe(o.traced);
    report(`tab closed while tracing: ${o.stored}/${o.traced} calls accepted before pagehide stored whole (${o.progress?.unacked} unacknowledged at pagehide)`);
    await again.close();
  });
});
