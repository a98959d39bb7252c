/**
 * Retention in real Chromium (`pages/client-page.ts`: a real module Worker over real IndexedDB):
 * purging a large store runs in bounded transactions, so other requests are answered while it runs
 * and the page's own event loop keeps turning; `storageInfo()` (answered by the worker) and
 * `requestPersistentStorage()` (run in the page) use the browser's StorageManager.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "./harness";
import type { ClientPageGlobals } from "./pages/client-page";

type G = ClientPageGlobals;
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe("retention in Chromium", () => {
  it("purges 20 000 calls while queries are answered and the page stays responsive", async () => {
    const page = await h.newPage(`/client-page.html?db=retention-${Date.now()}`);
    const seen = await page.evaluate(async () => {
      const { client } = (globalThis as unknown as G).clientPage;
      const project = "browser/retention";
      const base = Date.UTC(2025, 0, 1);
      // 2 000 traces of 10 calls; the first 1 900 roots started a day before the last 100.
      for (let t0 = 0; t0 < 2000; t0 += 100) {
        const batch = [];
        for (let t = t0; t < t0 + 100; t++) {
          const started = new Date(base + (t < 1900 ? 0 : 86_400_000) + t * 10).toISOString();
          for (let c = 0; c < 10; c++) {
            const id = `t${t}-c${c}`;
            const start = { project_id: project, id, trace_id: `t${t}`, op_name: "op", started_at: started, attributes: {}, inputs: { t, c } };
            batch.push({ mode: "start" as const, req: { start: c === 0 ? start : { ...start, parent_id: `t${t}-c0` } } });
          }
        }
        await client.call_start_batch({ batch });
      }

      // The page's own loop: a macrotask chain that runs as long as the purge is pending.
      const longTasks: number[] = [];
      const observer = new PerformanceObserver((list) => list.getEntries().forEach((e) => longTasks.push(e.duration)));
      try {
        observer.observe({ type: "longtask", buffered: false });
      } catch {
        // longtask entries are Chromium-only; the observation is optional
      }
      let purgeDone = false;
      let ticks = 0;
      const spin = (): void => {
        if (purgeDone) return;
        ticks++;
        setTimeout(spin, 0);
      };
      spin();
      const purge = client.purge({ project, olderThan: new Date(base + 43_200_000) }).finally(() => (purgeDone = true));
      // Issued right after the purge: answered between its transactions, before it finishes.
      const query = client.calls_query({ project_id: project, limit: 5 }).then((r) => ({ rows: r.calls.length, beforePurgeDone: !purgeDone }));
      const stats = client.calls_query_stats({ project_id: project }).then((r) => ({ count: r.count, beforePurgeDone: !purgeDone }));
      const [res, q, s] = await Promise.all([purge, query, stats]);
      observer.disconnect();
      const after = await client.calls_query_stats({ project_id: project });
      const rootsLeft = await client.calls_query_stats({ project_id: project, filter: { trace_roots_only: true } });
      return { res, q, s, ticks, longTasks, after: after.count, rootsLeft: rootsLeft.count };
    });
    expect(seen.res).toEqual({ traces_deleted: 1900, calls_deleted: 19_000, feedback_deleted: 0, objects_deleted: 0, tables_deleted: 0, rows_deleted: 0, files_deleted: 0 });
    expect(seen.q).toEqual({ rows: 5, beforePurgeDone: true });
    expect(seen.s.beforePurgeDone).toBe(true);
    // Counted mid-purge: some old calls were already gone, some not yet.
    expect(seen.s.count).toBeGreaterThanOrEqual(1000);
    expect(seen.s.count).toBeLessThanOrEqual(20_000);
    expect(seen.after).toBe(1000);
    expect(seen.rootsLeft).toBe(100);
    // The main thread kept turning while the worker purged (an observation, not a timing).
    expect(seen.ticks).toBeGreaterThan(1);
    if (seen.longTasks.length > 0) process.stderr.write(`[retention] long tasks on the page during purge: ${seen.longTasks.map(Math.round).join(", ")} ms\n`);
    await page.close();
  });

  it("storageInfo() reports numbers from the worker; requestPersistentStorage() answers a boolean from the page", async () => {
    const page = await h.newPage(`/client-page.html?db=retention-storage-${Date.now()}`);
    const seen = await page.evaluate(async () => {
      const { client } = (globalThis as unknown as G).clientPage;
      const info = await client.storageInfo();
      const granted = await client.requestPersistentStorage();
      const after = await client.storageInfo();
      return { info, granted, persistedAfter: after.persisted };
    });
    expect(seen.info.usage).toBeTypeOf("number");
    expect(seen.info.quota).toBeTypeOf("number");
    expect(seen.info.quota).toBeGreaterThan(0);
    expect(seen.info.persisted).toBeTypeOf("boolean");
    expect(seen.granted).toBeTypeOf("boolean");
    // What the page was granted is what the worker then reads: one origin, one StorageManager.
    expect(seen.persistedAfter).toBe(seen.granted);
    await page.close();
  });
});
