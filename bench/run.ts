/**
 * The benchmark driver (Node side), loaded by scripts/run-bench.mjs: serves the bench pages, runs
 * every workload's repetitions one by one in Chromium with on-disk profiles (IndexedDB as users have
 * it, not the in-memory kind of a test context), and writes the results. Per size and side: each
 * write repetition gets a fresh profile and page; the reads then run on the last one's page.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { REPO_ROOT, startHarness } from "../test/browser/harness";
import type { BenchPageGlobals, RepResult, WorkloadInfo } from "./pages/main";
import { markdownTable, median, replaceReadmeBlock, resultsReadme, type BenchRun, type SideResult, type WorkloadResult } from "./report";

export interface BenchOptions {
  /** 10k calls only (default: 10k and 100k). */
  quick: boolean;
  /** Results file name, `bench/results/<name>.json`. Default `quick` or `full`. */
  name?: string;
  chromiumPath: string;
  log?: (line: string) => void;
}

type Side = "baseline" | "weft";

export const FULL_SIZES = [10_000, 100_000];
export const QUICK_SIZES = [10_000];
/** Pause between the last write and the first read, for the storage to finish its flush. */
const SETTLE_MS = 2_000;

const RESULTS_DIR = join(REPO_ROOT, "bench/results");

export async function runBench(options: BenchOptions): Promise<BenchRun> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const name = options.name ?? (options.quick ? "quick" : "full");
  const sizes = options.quick ? QUICK_SIZES : FULL_SIZES;
  const started = Date.now();
  // Other work on the machine shows in the figures; record how busy it was.
  const loadAtStart = loadavg()[0] ?? 0;

  const harness = await startHarness({ root: join(REPO_ROOT, "bench/pages"), persistentProfile: true });
  try {
    // The first profile only describes the run; every measurement gets profiles of its own.
    const page = await harness.newPage("/");
    const info = await page.evaluate(() => (globalThis as unknown as BenchPageGlobals).bench.info());
    const workloads = await page.evaluate((s) => (globalThis as unknown as BenchPageGlobals).bench.list(s), sizes);
    log(`Chromium ${harness.browser.version()}; IndexedDB pages via ${info.getAll}; long tasks observable: ${info.longTaskSupported}`);

    /** One measuring profile at a time: `fresh()` closes the last (deleting its directory). */
    const profile = {
      context: null as BrowserContext | null,
      async fresh(): Promise<Page> {
        await this.close();
        this.context = await harness.newContext();
        return harness.newPage("/", this.context);
      },
      async close(): Promise<void> {
        await this.context?.close();
        this.context = null;
      },
    };

    const measured = new Map<string, { weft?: SideResult; baseline?: SideResult }>();
    const key = (w: WorkloadInfo) => `${w.id}@${w.size}`;
    for (const size of sizes) {
      const group = workloads.filter((w) => w.size === size);
      const sides: Side[] = group.some((w) => w.hasWeft) ? ["weft", "baseline"] : ["baseline"];
      for (const side of sides) {
        const mine = group.filter((w) => side === "baseline" || w.hasWeft);
        // Each write repetition in a fresh profile, so no repetition pays for the last one's
        // compaction; the reads then run on the database the last write left behind.
        let readPage: Page | null = null;
        for (const w of mine.filter((m) => m.kind === "write")) {
          log(`${w.name} @ ${w.size.toLocaleString("en-US")} calls, ${side}`);
          const result = await measure(w, side, async () => (readPage = await profile.fresh()), log);
          measured.set(key(w), { ...measured.get(key(w)), [side]: result });
        }
        readPage ??= await profile.fresh(); // reads with no write before them populate it untimed
        await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
        for (const w of mine.filter((m) => m.kind === "read")) {
          log(`${w.name} @ ${w.size.toLocaleString("en-US")} calls, ${side}`);
          const onPage = readPage;
          const result = await measure(w, side, async () => onPage, log);
          measured.set(key(w), { ...measured.get(key(w)), [side]: result });
        }
        await profile.close();
      }
    }

    const results: WorkloadResult[] = workloads.map((w) => {
      const { weft = null, baseline } = measured.get(key(w)) ?? {};
      if (!baseline) throw new Error(`no baseline measured for ${key(w)}`);
      return {
        id: w.id,
        name: w.name,
        size: w.size,
        kind: w.kind,
        target: w.target,
        reps: w.reps,
        warmup: w.warmup,
        baseline,
        weft,
        ratio: weft ? weft.median_ms / baseline.median_ms : null,
      };
    });

    const cpu = cpus();
    const run: BenchRun = {
      name,
      date: new Date().toISOString(),
      quick: options.quick,
      duration_s: (Date.now() - started) / 1000,
      machine: {
        cores: cpu.length,
        cpu: cpu[0]?.model.trim() ?? "unknown",
        memory_gb: Math.round(totalmem() / 2 ** 30),
        platform: `${process.platform}-${process.arch}`,
        node: process.version,
        load_average_at_start: Math.round(loadAtStart * 100) / 100,
      },
      chromium: {
        version: harness.browser.version(),
        executable: options.chromiumPath,
        user_agent: info.userAgent,
        hardware_concurrency: info.hardwareConcurrency,
      },
      method: {
        baseline:
          "raw IndexedDB (no Dexie) in a module worker, one store with five compound indexes all led by project_id, timed inside the worker (transaction start to result, or to `complete` for writes), data generated before the clock starts; deep pages are keyset reads from the previous page's last key.",
        getAll: info.getAll,
        profile: "on-disk Chromium profile (temporary user-data dir), default transaction durability",
        long_tasks: info.longTaskSupported ? "PerformanceObserver('longtask') on the page during each write repetition" : "not supported",
      },
      results,
    };

    await mkdir(RESULTS_DIR, { recursive: true });
    const jsonPath = join(RESULTS_DIR, `${name}.json`);
    await writeFile(jsonPath, `${JSON.stringify(run, null, 2)}\n`);
    await writeFile(join(RESULTS_DIR, "README.md"), resultsReadme(run));
    const table = markdownTable(run);
    const replaced = await replaceReadmeBlock(join(REPO_ROOT, "README.md"), table);
    log(`\n${table}`);
    log(`Wrote ${jsonPath} and bench/results/README.md${replaced ? "; updated the table in README.md" : "; README.md has no bench markers, left alone"}.`);
    return run;
  } finally {
    await harness.close();
  }
}

/** Warm-ups then measured repetitions of one side of a workload; `pageFor` gives each repetition its page. */
async function measure(w: WorkloadInfo, side: Side, pageFor: () => Promise<Page>, log: (line: string) => void): Promise<SideResult> {
  const reps: RepResult[] = [];
  for (let i = 0; i < w.warmup + w.reps; i++) {
    const page = await pageFor();
    const rep = await page.evaluate(([id, size, s]) => (globalThis as unknown as BenchPageGlobals).bench.run(id, size, s), [w.id, w.size, side] as const);
    if (i >= w.warmup) reps.push(rep);
  }
  const samples = reps.map((r) => r.ms);
  const last = reps.at(-1);
  const tasks = reps.flatMap((r) => (r.longTasks ? [r.longTasks] : []));
  const result: SideResult = {
    median_ms: Math.round(median(samples) * 1000) / 1000,
    samples_ms: samples.map((v) => Math.round(v * 1000) / 1000),
    rows: last?.rows ?? null,
    count: last?.count ?? null,
    long_task_max_ms: w.kind === "write" ? Math.max(0, ...tasks.map((t) => t.maxMs)) : null,
    long_task_count: w.kind === "write" ? tasks.reduce((n, t) => n + t.count, 0) : null,
  };
  const check = [result.rows !== null ? `${result.rows} rows` : "", result.count !== null ? `count ${result.count}` : ""].filter(Boolean).join(", ");
  log(`  ${result.median_ms.toFixed(2).padStart(10)} ms  median of ${w.reps}  [${samples.map((v) => v.toFixed(1)).join(" ")}]  ${check}`);
  return result;
}
