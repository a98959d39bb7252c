/**
 * A full disk in real Chromium: the origin's quota is set small through the DevTools Protocol
 * (`Storage.overrideQuotaForOrigin`), then filled by tracing calls with large inputs through weft's
 * real worker (`pages/faults-page.ts`). The write that does not fit must fail as `QUOTA_EXCEEDED`
 * on the call's own promises and on `flush()`, change nothing, and leave reads working; once the
 * quota is raised again, writes resume. Each test uses a fresh profile, so usage starts near zero.
 */
import type { BrowserContext, CDPSession, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "./harness";
import type { FaultsPageGlobals } from "./pages/faults-page";

type G = FaultsPageGlobals;
let h: Harness;
let dbCounter = 0;
const freshDb = (): string => `faults-quota-${Date.now()}-${++dbCounter}`;
const pageUrl = (db: string): string => `/faults-page.html?db=${db}&interval=25&liveness=10000`;
const report = (line: string): void => void process.stderr.write(`[faults-quota] ${line}\n`);
const MB = 1024 * 1024;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

interface Quota {
  context: BrowserContext;
  page: Page;
  cdp: CDPSession;
  /** Sets the origin's quota (bytes), or restores the default. */
  set(bytes?: number): Promise<void>;
}

async function withSmallQuota(bytes: number): Promise<Quota> {
  const context = await h.newContext();
  const page = await h.newPage(pageUrl(freshDb()), context);
  const cdp = await context.newCDPSession(page);
  const origin = new URL(h.url).origin;
  const set = async (size?: number): Promise<void> => {
    await cdp.send("Storage.overrideQuotaForOrigin", size === undefined ? { origin } : { origin, quotaSize: size });
  };
  await set(bytes);
  return { context, page, cdp, set };
}

type WriteOne = Awaited<ReturnType<G["faults"]["writeOne"]>>;

/** Writes one `chars`-long call after the other (ids `prefix` 0, 1, …) until one is refused. */
async function fill(page: Page, prefix: string, chars: number): Promise<{ stored: number; refused: WriteOne | undefined }> {
  let stored = 0;
  let refused: WriteOne | undefined;
  for (let i = 0; i < 200 && !refused; i++) {
    const res = await page.evaluate(([p, n, c]) => (globalThis as unknown as G).faults.writeOne(p, n, c), [prefix, i, chars] as const);
    if (res.flush.ok) stored++;
    else refused = res;
  }
  return { stored, refused };
}

describe("storage quota", () => {
  it("a call that does not fit fails with QUOTA_EXCEEDED, changes nothing, and writes resume after the quota grows", async () => {
    const chars = 100_000;
    const q = await withSmallQuota(4 * MB);
    const estimate0 = await q.page.evaluate(() => (globalThis as unknown as G).faults.estimate());
    // Fill: one 100 KB call after the other until one is refused.
    const { stored, refused } = await fill(q.page, "fill", chars);
    expect(refused, "the quota never ran out").toBeDefined();
    expect(refused?.start).toMatchObject({ ok: false, weft: true, code: "QUOTA_EXCEEDED" });
    expect(refused?.end).toMatchObject({ ok: false, weft: true, code: "QUOTA_EXCEEDED" });
    expect(refused?.flush).toMatchObject({ ok: false, weft: true, code: "QUOTA_EXCEEDED" });
    const estimate1 = await q.page.evaluate(() => (globalThis as unknown as G).faults.estimate());

    // Everything stored before is intact; the refused call left nothing.
    const v = await q.page.evaluate(([c]) => (globalThis as unknown as G).faults.verify("fill", c), [chars] as const);
    expect([v.damaged, v.endOnly, v.groups[0]]).toEqual([[], 0, { starts: stored, ends: stored, maxIndex: stored - 1 }]);
    expect(v.clientCount).toBe(stored);

    // Refused again: nothing changes (store digest), reads keep working, other writes refuse too.
    const digest = await q.page.evaluate(() => (globalThis as unknown as G).faults.digest());
    const again = await q.page.evaluate(([n, c]) => (globalThis as unknown as G).faults.writeOne("fill", n, c), [stored, chars] as const);
    expect(again.flush).toMatchObject({ ok: false, code: "QUOTA_EXCEEDED" });
    const file = await q.page.evaluate(() => (globalThis as unknown as G).faults.fileCreate(1024 * 1024));
    expect(file).toMatchObject({ ok: false, weft: true, code: "QUOTA_EXCEEDED" });
    const obj = await q.page.evaluate(() => (globalThis as unknown as G).faults.objCreate(1_000_000));
    expect(obj).toMatchObject({ ok: false, weft: true, code: "QUOTA_EXCEEDED" });
    expect(await q.page.evaluate(() => (globalThis as unknown as G).faults.digest())).toBe(digest);
    expect(await q.page.evaluate(() => (globalThis as unknown as G).faults.readOne("fill", 0))).toMatchObject({ ok: true, textLength: chars });
    expect(await q.page.evaluate(() => (globalThis as unknown as G).faults.count())).toEqual({ ok: true, count: stored });

    // More room: the refused call goes through, and more after it.
    await q.set(64 * MB);
    const resumed = await q.page.evaluate(([n, c]) => (globalThis as unknown as G).faults.writeOne("fill", n, c), [stored, chars] as const);
    expect(resumed).toEqual({ start: { ok: true }, end: { ok: true }, flush: { ok: true } });
    for (let i = stored + 1; i < stored + 5; i++) {
      expect((await q.page.evaluate(([n, c]) => (globalThis as unknown as G).faults.writeOne("fill", n, c), [i, chars] as const)).flush).toEqual({ ok: true });
    }
    expect(await q.page.evaluate(() => (globalThis as unknown as G).faults.fileCreate(1024 * 1024))).toEqual({ ok: true });
    const after = await q.page.evaluate(([c]) => (globalThis as unknown as G).faults.verify("fill", c), [chars] as const);
    expect([after.damaged, after.groups[0]]).toEqual([[], { starts: stored + 5, ends: stored + 5, maxIndex: stored + 4 }]);
    report(
      `quota 4 MB (usage ${(estimate0.usage / MB).toFixed(2)} MB at start): ${stored} calls of 100 KB stored, call ${stored + 1} refused ` +
        `QUOTA_EXCEEDED on call_start, call_end and flush (usage ${(estimate1.usage / MB).toFixed(2)} MB); ${stored}/${stored} intact, ` +
        `store digest unchanged by the refused writes (a call, a 1 MB file, a 1 MB object), reads OK; quota raised to 64 MB: writes resume`,
    );
    await q.context.close();
  });

  it("a batch that does not fit is refused whole: every call of it gets QUOTA_EXCEEDED, none is stored", async () => {
    const q = await withSmallQuota(3 * MB);
    const { stored, refused } = await fill(q.page, "fill", 100_000);
    expect(refused?.flush).toMatchObject({ code: "QUOTA_EXCEEDED" });
    const digest = await q.page.evaluate(() => (globalThis as unknown as G).faults.digest());
    // 300 calls of 5 KB, queued at once: one call_start_batch of 600 parts (1.5 MB).
    const batch = await q.page.evaluate(() => (globalThis as unknown as G).faults.traceSpread({ prefix: "batch", n: 300, chunk: 300, pauseMs: 0, chars: 5000 }));
    expect(batch.flush).toMatchObject({ ok: false, weft: true, code: "QUOTA_EXCEEDED" });
    expect([batch.ok, batch.codes]).toEqual([0, ["QUOTA_EXCEEDED"]]);
    expect(await q.page.evaluate(() => (globalThis as unknown as G).faults.digest())).toBe(digest);
    const v = await q.page.evaluate(() => (globalThis as unknown as G).faults.verify("batch", 5000));
    expect(v.rows).toBe(0);
    expect(await q.page.evaluate(() => (globalThis as unknown as G).faults.count())).toEqual({ ok: true, count: stored });
    report(`quota 3 MB full after ${stored} calls of 100 KB: a batch of 300 calls × 5 KB refused whole (600/600 parts QUOTA_EXCEEDED, 0 rows written, digest unchanged)`);
    await q.context.close();
  });
});
