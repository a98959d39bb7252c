/**
 * Many tabs on one database in real Chromium: pages of one profile share IndexedDB, each runs its
 * own weft worker (`pages/faults-page.ts`). Three tabs tracing at once must lose nothing and see
 * each other's calls; a newer weft upgrading the schema (Dexie at `SCHEMA_VERSION + 1`, one more
 * index) while a tab holds an open connection must not be blocked, and must lose nothing, whether
 * that tab is idle or writing; afterwards the old tab and a freshly opened old-version worker keep
 * reading and writing.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "./harness";
import type { FaultsPageGlobals } from "./pages/faults-page";
import { NEWER_INDEXES } from "./pages/faults-store";

type G = FaultsPageGlobals;
let h: Harness;
let dbCounter = 0;
const freshDb = (): string => `faults-tabs-${Date.now()}-${++dbCounter}`;
const pageUrl = (db: string): string => `/faults-page.html?db=${db}&interval=25&liveness=10000`;
const report = (line: string): void => void process.stderr.write(`[faults-tabs] ${line}\n`);
const chars = 200;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

/** Console lines of every worker of `page` (Dexie warns there when it closes for an upgrade). */
function workerConsole(page: Page): string[] {
  const lines: string[] = [];
  const watch = (w: import("playwright-core").Worker): void => void w.on("console", (m) => lines.push(m.text()));
  page.workers().forEach(watch);
  page.on("worker", watch);
  return lines;
}

const spread = (page: Page, prefix: string, n: number, startAt?: number) =>
  page.evaluate((o) => (globalThis as unknown as G).faults.traceSpread(o), { prefix, n, chunk: 100, pauseMs: 20, chars, ...(startAt ? { startAt } : {}) });
const verify = (page: Page, prefix: string) => page.evaluate(([p, c]) => (globalThis as unknown as G).faults.verify(p, c), [prefix, chars] as const);
const count = (page: Page, opNames?: string[]) => page.evaluate((ops) => (globalThis as unknown as G).faults.count(ops), opNames);

describe("three tabs tracing into one database at once", () => {
  it("3 × 3,000 calls, overlapping in time: none lost, each tab sees the others'", async () => {
    const db = freshDb();
    const tabs = await Promise.all([0, 1, 2].map(() => h.newPage(pageUrl(db))));
    const startAt = Date.now() + 1000;
    const runs = await Promise.all(tabs.map((tab, k) => spread(tab, `tab${k}`, 3000, startAt)));
    for (const run of runs) {
      expect(run.flush).toEqual({ ok: true });
      expect([run.ok, run.codes]).toEqual([6000, []]);
    }
    // They really ran at once: every tab's first acknowledgement came before any tab finished.
    expect(Math.max(...runs.map((r) => r.firstAckAt))).toBeLessThan(Math.min(...runs.map((r) => r.doneAt)));

    for (const tab of tabs) {
      expect(await count(tab)).toEqual({ ok: true, count: 9000 });
      for (const k of [0, 1, 2]) expect(await count(tab, [`tab${k}_op`])).toEqual({ ok: true, count: 3000 });
    }
    for (const k of [0, 1, 2]) {
      const v = await verify(tabs[(k + 1) % 3] as Page, `tab${k}`);
      expect([v.damaged, v.endOnly, v.groups[0]]).toEqual([[], 0, { starts: 3000, ends: 3000, maxIndex: 2999 }]);
    }
    const streamed = await (tabs[2] as Page).evaluate(() => (globalThis as unknown as G).faults.streamedIds());
    expect(new Set(streamed).size).toBe(9000);
    const spanMs = Math.max(...runs.map((r) => r.doneAt)) - Math.min(...runs.map((r) => r.startedAt));
    report(`3 tabs × 3,000 calls at once (${spanMs} ms): 9,000/9,000 stored whole, each tab counts 9,000 and 3,000 per tab`);
    await Promise.all(tabs.map((tab) => tab.close()));
  });
});

describe("schema upgrade by a newer weft while a tab holds the database open", () => {
  it("an upgrade by a newer weft is not blocked; the old tab stops with a clear error instead of writing into the newer schema; nothing is lost", async () => {
    const db = freshDb();
    const a = await h.newPage(pageUrl(db));
    expect((await spread(a, "idle", 500)).ok).toBe(1000);

    // B: a newer weft opens the database at SCHEMA_VERSION + 1 while A's worker is open and idle.
    const b = await h.newPage(pageUrl(`${db}-b`));
    const upgrade = await b.evaluate((name) => (globalThis as unknown as G).faults.openAsNewerWeft(name), db);
    expect(upgrade.error).toBeUndefined();
    expect(upgrade).toMatchObject({ blockedEvents: 0, verno: 2, idbVersion: 20, calls: 500 });
    expect(upgrade.indexes).toContain(NEWER_INDEXES[0]);

    // A's worker closed its connection for good: its requests fail with STORAGE saying to reload,
    // rather than reopening the database under older code.
    const afterA = await count(a);
    expect(afterA).toMatchObject({ ok: false, weft: true, code: "STORAGE" });
    expect((afterA as { message: string }).message).toMatch(/upgraded by a newer version of weft.*reload/);
    const traced = await spread(a, "after", 50);
    expect(traced.ok).toBe(0);
    expect(new Set(traced.codes)).toEqual(new Set(["STORAGE"]));

    // Today's weft opening the upgraded database also refuses, with the same message.
    await b.evaluate(() => (globalThis as unknown as G).faults.closeNewer());
    const c = await h.newPage(pageUrl(db));
    const fromC = await count(c);
    expect(fromC).toMatchObject({ ok: false, weft: true, code: "STORAGE" });
    expect((fromC as { message: string }).message).toMatch(/upgraded by a newer version of weft/);

    // Nothing was lost or written under the old schema: the newer weft still sees exactly A's 500 calls.
    const again = await b.evaluate((name) => (globalThis as unknown as G).faults.openAsNewerWeft(name), db);
    expect(again).toMatchObject({ calls: 500 });
    report(
      `upgrade to v${upgrade.verno} (IndexedDB ${upgrade.idbVersion}) while a tab held v1: not blocked (${Math.round(upgrade.ms)} ms), ` +
        `500/500 calls kept; the old tab's requests then fail with STORAGE ("reload this page"), and so does today's weft opening the newer database; ` +
        `nothing written under the old schema`,
    );
    await Promise.all([a.close(), b.close(), c.close()]);
  });
});
