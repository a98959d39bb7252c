/**
 * The harness works: a page served by Vite starts a real module worker, the worker has a real
 * IndexedDB, data survives a reload in the same profile and is absent from a fresh one. Loads no
 * weft code (pages/raw-idb*.ts only), so it stays meaningful while the core is being built.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "./harness";
import type { RawIdbPageGlobals } from "./pages/raw-idb";

// Functions passed to page.evaluate run in the page, so they reach the worker through this global.
type PageGlobals = RawIdbPageGlobals;

const PAGE = "/raw-idb.html";
const DB = "smoke";

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

describe("browser harness", () => {
  it("runs page code in a real dedicated module worker with IndexedDB", async () => {
    const page = await h.newPage(PAGE);
    const scope = await page.evaluate(() => (globalThis as unknown as PageGlobals).rawIdb.scope());
    expect(scope).toEqual({ global: "DedicatedWorkerGlobalScope", hasIndexedDB: true });
    expect(await page.evaluate(() => navigator.userAgent)).toMatch(/Chrome\/\d+/);
    await page.close();
  });

  it("writes 100 records in one transaction and reads them back", async () => {
    const page = await h.newPage(PAGE);
    expect(await page.evaluate((db) => (globalThis as unknown as PageGlobals).rawIdb.write(db, 100), DB)).toBe(100);

    const records = await page.evaluate((db) => (globalThis as unknown as PageGlobals).rawIdb.readAll(db), DB);
    expect(records).toHaveLength(100);
    expect(records[0]).toEqual({ id: 0, group: 0, text: "record 0" });
    expect(records[99]).toEqual({ id: 99, group: 9, text: "record 99" });
    expect(records.map((r) => r.id)).toEqual(Array.from({ length: 100 }, (_, i) => i));

    const group3 = await page.evaluate((db) => (globalThis as unknown as PageGlobals).rawIdb.idsInGroup(db, 3), DB);
    expect(group3).toEqual([3, 13, 23, 33, 43, 53, 63, 73, 83, 93]);
    await page.close();
  });

  it("keeps IndexedDB across a reload and in a second tab of the same profile", async () => {
    const page = await h.newPage(PAGE);
    await h.reload(page);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).rawIdb.databases())).toContain(DB);
    const afterReload = await page.evaluate((db) => (globalThis as unknown as PageGlobals).rawIdb.readAll(db), DB);
    expect(afterReload).toHaveLength(100);
    expect(afterReload[42]).toEqual({ id: 42, group: 2, text: "record 42" });

    const secondTab = await h.newPage(PAGE);
    const seen = await secondTab.evaluate((db) => (globalThis as unknown as PageGlobals).rawIdb.readAll(db), DB);
    expect(seen).toHaveLength(100);
    await secondTab.close();
    await page.close();
  });

  it("starts a fresh profile with no databases", async () => {
    const fresh = await h.newContext();
    const page = await h.newPage(PAGE, fresh);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).rawIdb.databases())).toEqual([]);
    expect(await page.evaluate((db) => (globalThis as unknown as PageGlobals).rawIdb.readAll(db), DB)).toEqual([]);
    await fresh.close();
  });

  it("serves on 127.0.0.1", () => {
    expect(h.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });
});
