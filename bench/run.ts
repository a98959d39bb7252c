/**
 * The benchmark driver (Node side), loaded by scripts/run-bench.mjs: serves the bench pages, runs
 * every workload's repetitions one by one in Chromium with on-disk profiles (IndexedDB as users have
 * it, not the in-memory kind of a test context), and writes the results. Per scale: the writes
 * first, weft's and the baseline's repetitions alternating, each in a fresh profile and page; then
 * the reads and figures on one page, whose two databases (weft's and the baseline's) the seeding
 * write (ingest) filled, untimed, the two sides' repetitions alternating again. A workload whose
 * reference is weft itself alternates with that reference the same way, so load on the machine hits
 * both alike. Pages are cross-origin isolated for 5 µs timers.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";
import { join, resolve } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { startWeaveServer } from "../test/browser/demo-weave-server";
import { REPO_ROOT, startHarness } from "../test/browser/harness";
import type { BenchPageGlobals, RepResult, WorkloadInfo } from "./pages/main";
import { rendererPids, ThreadSampler, threadTimeBetween, type SchedSample } from "./thread-clock";
import { VIEWER_METHOD, runViewerBench } from "./viewer";
import {
  markdownTable,
  median,
  replaceReadmeBlock,
  resultsReadme,
  selectedByOnly,
  type BenchRun,
  type FigureResult,
  type SideResult,
  type WorkloadResult,
} from "./report";

export interface BenchOptions {
  /** The 10k scale only (default: 10k and 100k; workloads of a fixed size run at 10k either way). */
  quick: boolean;
  /** Results file name, `bench/results/<name>.json`. Default `quick` or `full` (`dev` with `only`). */
  name?: string;
  /**
   * Only the workloads whose id contains this, or one of its comma-separated parts (for working on
   * one workload; add `ingest` to read a settled database, as a full run does): the results go to the
   * JSON file alone, and neither README is touched.
   */
  only?: string;
  chromiumPath: string;
  log?: (line: string) => void;
}

type Side = "baseline" | "weft";

export const FULL_SIZES = [10_000, 100_000];
export const QUICK_SIZES = [10_000];
/**
 * Pause between the last write and the first read, for the storage to finish its flush and
 * compaction: measured here after a 10k ingest, a page read took ~4.3 ms (weft) and ~2–3 ms (raw)
 * in the first 2 s, and settled at ~2.7 and ~1.6 ms after ~10 s, on both sides alike. Longer for
 * larger databases.
 */
function settleMs(scale: number): number {
  return Math.min(30_000, Math.max(10_000, scale * 0.3));
}

const RESULTS_DIR = join(REPO_ROOT, "bench/results");

export async function runBench(options: BenchOptions): Promise<BenchRun> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const name = options.name ?? (options.only !== undefined ? "dev" : options.quick ? "quick" : "full");
  const sizes = options.quick ? QUICK_SIZES : FULL_SIZES;
  const started = Date.now();
  // Other work on the machine shows in the figures; record how busy it was.
  const loadAtStart = loadavg()[0] ?? 0;

  const harness = await startHarness({ root: join(REPO_ROOT, "bench/pages"), persistentProfile: true, crossOriginIsolated: true });
  // The Weave-compatible server the export workloads send to: weft's fetch handler over its own
  // store (fake-indexeddb, in this Node process), with CORS for the bench pages' origin.
  const receiver = await startWeaveServer();
  try {
    // The first profile only describes the run; every measurement gets profiles of its own.
    const page = await harness.newPage("/");
    const info = await page.evaluate(() => (globalThis as unknown as BenchPageGlobals).bench.info());
    const listed = await page.evaluate((s) => (globalThis as unknown as BenchPageGlobals).bench.list(s), sizes);
    const workloads = listed.filter((w) => selectedByOnly(w.id, options.only));
    log(`Chromium ${harness.browser.version()}; IndexedDB pages via ${info.getAll}; long tasks observable: ${info.longTaskSupported}; cross-origin isolated: ${info.crossOriginIsolated}`);

    /** One measuring profile at a time: `fresh()` closes the last (deleting its directory). */
    const profile = {
      context: null as BrowserContext | null,
      async fresh(): Promise<Page> {
        await this.close();
        this.context = await harness.newContext();
        await serveJsonModules(this.context);
        await this.context.addInitScript((url) => ((globalThis as unknown as BenchPageGlobals).receiverUrl = url), receiver.url);
        return harness.newPage("/", this.context);
      },
      async close(): Promise<void> {
        await this.context?.close();
        this.context = null;
      },
    };

    const measured = new Map<string, Measured>();
    const key = (w: WorkloadInfo) => `${w.id}@${w.scale}`;
    const keep = (w: WorkloadInfo, results: Measured) => measured.set(key(w), { ...measured.get(key(w)), ...results });
    for (const scale of sizes) {
      const group = workloads.filter((w) => w.scale === scale);
      // Writes first, weft's and the baseline's repetitions interleaved (ABBA), each in a fresh
      // profile: no repetition pays for the last one's compaction, and drift in the machine's load
      // over the minutes a scale takes falls on both sides alike (in four alternating rounds here,
      // the 10k ingest's baseline alone ranged 2.1–3.3 s).
      for (const w of group.filter((m) => m.kind === "write")) {
        const sides = (["weft", "baseline"] as const).filter((s) => (s === "weft" ? w.hasWeft : w.hasBaseline));
        log(`${w.name} @ ${count(w)}, ${sides.join(" and ")}, interleaved`);
        keep(w, await measure(w, sides, () => profile.fresh(), log));
      }
      // Then the reads, both sides on one page whose databases their seeding writes (ingest,
      // untimed here) filled, repetitions alternating (ABBA) as the writes do. Each side once read
      // on a page of its own, one after the other: minutes apart at 100k, so a change in the
      // machine's load between the two halves went straight into every read ratio (B2 page 1 at
      // 100k measured 1.68x in one run and 3.36x in the next, on unchanged read code).
      const seed = group.find((m) => m.seedsReads);
      const reads = group.filter((w) => w.kind === "read");
      const figures = group.filter((w) => w.kind === "figure");
      if (reads.length + figures.length > 0) {
        const readPage = await profile.fresh();
        if (seed) {
          for (const side of ["weft", "baseline"] as const) {
            log(`${seed.name} @ ${count(seed)}, ${side}: the reads' database (untimed)`);
            await readPage.evaluate(([id, s, sd]) => (globalThis as unknown as BenchPageGlobals).bench.run(id, s, sd), [seed.id, scale, side] as const);
          }
        }
        // The other data the reads need (feedback and prices, tables, objects), written before the
        // pause too. They were written by each workload's first warm-up, and then timed while the
        // storage was still flushing and compacting those writes (`settleMs`).
        for (const w of [...reads, ...figures].filter((m) => m.hasPrepare)) {
          log(`${w.name} @ ${count(w)}: its data (untimed)`);
          await readPage.evaluate(([id, s]) => (globalThis as unknown as BenchPageGlobals).bench.prepare(id, s), [w.id, scale] as const);
        }
        await new Promise((resolve) => setTimeout(resolve, settleMs(scale)));
        await collectGarbage(readPage);
        for (const w of [...reads, ...figures]) {
          const sides = (["weft", "baseline"] as const).filter((s) => (s === "weft" ? w.hasWeft : w.hasBaseline));
          log(`${w.name} @ ${count(w)}, ${sides.join(" vs ")}`);
          keep(w, await measure(w, sides, async () => readPage, log));
        }
        await profile.close();
      }
    }

    // The demo viewer in a production build, its own server and profiles (bench/viewer.ts).
    const viewerFigures = await runViewerBench({ sizes, only: options.only, chromiumPath: options.chromiumPath, log });

    const results: WorkloadResult[] = workloads.flatMap((w) => {
      if (w.kind === "figure") return [];
      const { weft, baseline } = measured.get(key(w)) ?? {};
      if (!baseline) throw new Error(`no baseline measured for ${key(w)}`);
      return [
        {
          id: w.id,
          name: w.name,
          scale: w.scale,
          size: w.size,
          unit: w.unit,
          kind: w.kind,
          reference: w.reference,
          target: w.target,
          reps: w.reps,
          warmup: w.warmup,
          baseline: baseline.result,
          weft: weft?.result ?? null,
          ratio: weft ? weft.result.median_ms / baseline.result.median_ms : null,
        },
      ];
    });
    const figures: FigureResult[] = workloads.flatMap((w) => {
      const samples = measured.get(key(w))?.weft?.figures ?? {};
      const round = (v: number) => Math.round(v * 1000) / 1000;
      return (w.figures ?? []).map((f) => ({
        id: w.id,
        key: f.key,
        name: f.name,
        scale: w.scale,
        size: w.size,
        size_unit: w.unit,
        value: round(median(samples[f.key] ?? [])),
        best: round((f.better === "higher" ? Math.max : Math.min)(...(samples[f.key] ?? [Number.NaN]))),
        unit: f.unit,
        samples: (samples[f.key] ?? []).map(round),
        target: f.target,
        reps: w.reps,
        warmup: w.warmup,
        detail: Object.fromEntries(
          Object.entries(samples)
            .filter(([k]) => !(w.figures ?? []).some((g) => g.key === k))
            .map(([k, v]) => [k, round(median(v))]),
        ),
      }));
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
          "raw IndexedDB (no Dexie) in a module worker, weft's own stores, keys and indexes (calls: one store with seven compound and two multi-entry indexes, all led by project_id; tables: row_values, table_entries in chunks of 1000 positions, table_defs; objects), records built with weft's row and digest functions before the clock starts, timed inside the worker (transaction start to result, or to `complete` for writes); deep call pages are keyset reads from the previous page's last key, the sorted table page reads every entry chunk, then every row value of the project in one getAll over its key range (the by-key plan, one get per row value, is reported beside it), and keeps a top 50.",
        weft_reference:
          "the same request without the option, on the same page and database, repetitions alternating with the measured ones (ABBA order), both timed on the main thread through the client.",
        getAll: info.getAll,
        profile: "on-disk Chromium profile (temporary user-data dir), default transaction durability",
        writes: "weft's and the baseline's alternating (ABBA)",
        reads: "weft's and the baseline's alternating (ABBA), on one page whose profile holds both sides' databases",
        timers: info.crossOriginIsolated
          ? "cross-origin isolated pages, performance.now() to 5 µs"
          : "pages not cross-origin isolated, performance.now() to 100 µs",
        settle:
          "reads start 10 s (10k) or 30 s (100k) after the seeding writes and the other reads' data (C1's feedback and prices, the tables, the objects), once the storage has compacted, and after a full garbage collection of the page's main thread and workers",
        long_tasks: info.longTaskSupported
          ? "PerformanceObserver('longtask') on the page during each write repetition; each frame over 50 ms (PerformanceObserver('long-animation-frame')) with how much of it ran script, and whose, and (Linux's per-thread scheduler statistics, sampled every 5 ms) how much of it the main thread ran on a core and how much it waited for one"
          : "not supported",
        ...(viewerFigures.length > 0 ? { viewer: VIEWER_METHOD } : {}),
      },
      results,
      figures: [...figures, ...viewerFigures],
    };

    await mkdir(RESULTS_DIR, { recursive: true });
    const jsonPath = join(RESULTS_DIR, `${name}.json`);
    await writeFile(jsonPath, `${JSON.stringify(run, null, 2)}\n`);
    const table = markdownTable(run);
    log(`\n${table}`);
    if (options.only !== undefined) {
      log(`Wrote ${jsonPath} (a partial run: the READMEs are left alone).`);
      return run;
    }
    await writeFile(join(RESULTS_DIR, "README.md"), resultsReadme(run));
    const replaced = await replaceReadmeBlock(join(REPO_ROOT, "README.md"), table);
    log(`Wrote ${jsonPath} and bench/results/README.md${replaced ? "; updated the table in README.md" : "; README.md has no bench markers, left alone"}.`);
    return run;
  } finally {
    await receiver.close();
    await harness.close();
  }
}

/**
 * Answers the requests of JSON modules (`import(…, { with: { type: "json" } })`, which weft uses for
 * its default prices and emoji tables) with the JSON file itself. Vite's dev server, which serves the
 * bench pages, answers them with a JavaScript module, which the browser refuses for a JSON import
 * ("Failed to fetch dynamically imported module"), so `include_costs` and reactions would fail here
 * though a built app has no such problem. Chromium asks for JSON modules with
 * `Accept: application/json,…`; plain `import x from "./x.json"` (served as JS) is left to Vite.
 */
async function serveJsonModules(context: BrowserContext): Promise<void> {
  await context.route(/\.json\?import$/, async (route) => {
    const accept = (await route.request().allHeaders())["accept"] ?? "";
    const path = decodeURIComponent(new URL(route.request().url()).pathname);
    const file = path.startsWith("/@fs/") ? path.slice("/@fs".length) : join(REPO_ROOT, "bench/pages", path);
    if (!accept.startsWith("application/json") || !resolve(file).startsWith(REPO_ROOT)) return route.fallback();
    await route.fulfill({ path: file, contentType: "application/json" });
  });
}

/**
 * A full garbage collection of the page's main thread and of its workers (DevTools protocol), before
 * its reads: an idle page does not collect, so the garbage its write left (on weft's side, the
 * requests it traced and the batches its worker stored) was collected during the first reads, in
 * major GCs of ~9 ms plus ~7 ms of marking on the main thread in a trace.
 */
async function collectGarbage(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send("HeapProfiler.collectGarbage");
    // Workers are reached through their own sessions, attached to this one (non-flat mode).
    const sessions: string[] = [];
    const onAttached = (event: { sessionId: string; targetInfo: { type: string } }): void => {
      if (event.targetInfo.type === "worker") sessions.push(event.sessionId);
    };
    cdp.on("Target.attachedToTarget", onAttached);
    await cdp.send("Target.setAutoAttach", { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
    const answered = new Map<number, () => void>();
    cdp.on("Target.receivedMessageFromTarget", (event: { message: string }) => answered.get((JSON.parse(event.message) as { id?: number }).id ?? -1)?.());
    await Promise.all(
      sessions.map(
        (sessionId, i) =>
          new Promise<void>((resolve) => {
            const id = i + 1;
            const timer = setTimeout(resolve, 10_000); // a worker that never answers must not stall the run
            answered.set(id, () => (clearTimeout(timer), resolve()));
            void cdp.send("Target.sendMessageToTarget", { sessionId, message: JSON.stringify({ id, method: "HeapProfiler.collectGarbage" }) });
          }),
      ),
    );
    await cdp.send("Target.setAutoAttach", { autoAttach: false, waitForDebuggerOnStart: false, flatten: false });
  } finally {
    await cdp.detach();
  }
}

/** What one side of a workload gave: its timing summary, and a figure workload's values per key. */
type Measured = Partial<Record<Side, { result: SideResult; figures: Record<string, number[]> }>>;

const count = (w: WorkloadInfo): string => `${w.size.toLocaleString("en-US")} ${w.unit}`;

/**
 * Warm-ups then measured repetitions of one workload; `pageFor` gives each side's repetition its
 * page (the same page for reads, a fresh profile for writes). With two sides they alternate in ABBA
 * order (weft, ref, ref, weft, …), so drift in the machine's load falls on both.
 */
async function measure(w: WorkloadInfo, sides: readonly Side[], pageFor: () => Promise<Page>, log: (line: string) => void): Promise<Measured> {
  const reps = new Map<Side, RepResult[]>(sides.map((s) => [s, []]));
  for (let i = 0; i < w.warmup + w.reps; i++) {
    const order = i % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) {
      // A write gets a fresh profile: its renderers are the ones that appear with its page.
      const before = w.kind === "write" ? rendererPids() : undefined;
      const page = await pageFor();
      const sampler = before ? ThreadSampler.start([...rendererPids()].filter((pid) => !before.has(pid))) : undefined;
      let rep: RepResult;
      let samples: SchedSample[] | undefined;
      try {
        rep = await page.evaluate(([id, scale, s]) => (globalThis as unknown as BenchPageGlobals).bench.run(id, scale, s), [w.id, w.scale, side] as const);
      } finally {
        samples = sampler?.stop();
      }
      for (const frame of rep.longTasks?.frames ?? []) Object.assign(frame, samples && threadTimeBetween(samples, frame.epochMs, frame.epochMs + frame.ms));
      if (i >= w.warmup) reps.get(side)?.push(rep);
    }
  }
  // The figures beside weft's, in a pass of their own: nothing runs between two timed repetitions.
  const weftReps = reps.get("weft");
  if (w.hasAfter && weftReps) {
    const page = await pageFor();
    for (const rep of weftReps) {
      const figures = await page.evaluate(([id, scale]) => (globalThis as unknown as BenchPageGlobals).bench.after(id, scale), [w.id, w.scale] as const);
      rep.figures = { ...rep.figures, ...figures };
    }
  }
  const out: Measured = {};
  for (const side of sides) out[side] = summarize(w, side, reps.get(side) ?? [], log);
  return out;
}

function summarize(w: WorkloadInfo, side: Side, reps: RepResult[], log: (line: string) => void): { result: SideResult; figures: Record<string, number[]> } {
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
  const frames = tasks.flatMap((t) => t.frames ?? []).sort((a, b) => b.ms - a.ms);
  const tenth = (v: number): number => Math.round(v * 10) / 10;
  if (w.kind === "write" && frames.length > 0) {
    result.long_frames = frames.slice(0, 5).map(({ ms, scriptMs, scripts, cpuMs, waitMs }) => ({
      ms,
      scriptMs,
      scripts,
      ...(cpuMs !== undefined && waitMs !== undefined ? { cpuMs: tenth(cpuMs), waitMs: tenth(waitMs) } : {}),
    }));
    const cpu = frames.flatMap((f) => (f.cpuMs === undefined ? [] : [f.cpuMs]));
    if (cpu.length > 0) result.long_frame_max_cpu_ms = tenth(Math.max(...cpu));
  }
  const figures: Record<string, number[]> = {};
  for (const rep of reps) for (const [k, v] of Object.entries(rep.figures ?? {})) (figures[k] ??= []).push(v);
  if (w.kind !== "figure" && Object.keys(figures).length > 0) {
    result.figures = Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, Math.round(median(v) * 1000) / 1000]));
  }
  const check = [result.rows !== null ? `${result.rows} rows` : "", result.count !== null ? `count ${result.count}` : ""].filter(Boolean).join(", ");
  const shown = Object.entries(figures).map(([k, v]) => `${k} ${median(v).toFixed(2)}`).join(", ");
  log(`  ${side.padEnd(8)} ${result.median_ms.toFixed(2).padStart(10)} ms  median of ${w.reps}  [${samples.map((v) => v.toFixed(1)).join(" ")}]  ${check}${shown ? `  ${shown}` : ""}`);
  if (result.long_frames) log(`           long frames: ${result.long_frames.map((f) => `${f.ms} ms${f.cpuMs !== undefined ? ` (CPU ${f.cpuMs}, waiting ${f.waitMs})` : ""}`).join(", ")}`);
  return { result, figures };
}
