/**
 * The viewer benchmark (Node side), run by bench/run.ts after the store workloads: the demo as its
 * users get it, a production build (`vite build` of demo/ into a temp dir) served with the demo's
 * Content-Security-Policy, in Chromium with an on-disk profile. Per scale the store is filled
 * untimed with sample traces from the demo's own generator (`weftDemo.generateSample`, what the
 * "Sample data" panel runs) until it holds that many calls; then every repetition reloads the page
 * and measures in it (bench/viewer-page.ts):
 * - V1: the first page of rows in the calls table, from the load event and from navigation start
 *   (the `weft-demo:first-rows` mark the table sets when rows first reach the DOM);
 * - V2: the longest main-thread task (Long Tasks API) while scrolling the table through many screens;
 * - V3: the same while opening a trace (click a row → tree + call detail drawn).
 */
import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { build, preview, type PreviewServer } from "vite";
import { REPO_ROOT } from "../test/browser/harness";
import { CONTENT_SECURITY_POLICY } from "../vite.config";
import { median, selectedByOnly, type FigureResult } from "./report";
import { fillStore, firstRowsTiming, openTraceTasks, scrollTasks, type PageFigures } from "./viewer-page";

interface ViewerFigure {
  key: string;
  name: string;
  unit: string;
  target: string;
}

/** One viewer workload: a figure (or two) per repetition, all measured on a freshly loaded page. */
interface ViewerWorkload {
  id: "viewer-first-page" | "viewer-scroll" | "viewer-open-trace";
  reps: number;
  warmup: number;
  figures: ViewerFigure[];
  /** One repetition on a page that has just shown its first rows. */
  run(page: Page, rep: number): Promise<PageFigures>;
}

/** Screens scrolled one by one in a V2 repetition, before the jumps across the whole table. */
const SCROLL_SCREENS = 40;
const NONE_OVER_50 = "none > 50 ms";

export const VIEWER_WORKLOADS: ViewerWorkload[] = [
  {
    id: "viewer-first-page",
    reps: 7,
    warmup: 1,
    figures: [
      { key: "from_load_ms", name: "V1 viewer (production build): first page of rows visible, after the load event", unit: "ms", target: "≤ 300 ms" },
      { key: "from_navigation_ms", name: "V1 the same, after navigation start", unit: "ms", target: "—" },
    ],
    run: (page) => page.evaluate(firstRowsTiming),
  },
  {
    id: "viewer-scroll",
    reps: 3,
    warmup: 0,
    figures: [
      {
        key: "scroll_longest_task_ms",
        name: `V2 viewer: longest main-thread task while scrolling the calls table (${SCROLL_SCREENS} screens, then jumps to 25/50/75/100% and back)`,
        unit: "ms",
        target: NONE_OVER_50,
      },
      { key: "scroll_longest_task_cpu_ms", name: "V2 the same, in the main thread's own CPU time (trace)", unit: "ms", target: "none > 50 ms of CPU" },
    ],
    run: (page) => withTaskCpu(page, "scroll", () => page.evaluate(scrollTasks, SCROLL_SCREENS)),
  },
  {
    id: "viewer-open-trace",
    reps: 5,
    warmup: 0,
    figures: [
      { key: "open_longest_task_ms", name: "V3 viewer: longest main-thread task while opening a trace (tree + call detail)", unit: "ms", target: NONE_OVER_50 },
      { key: "open_longest_task_cpu_ms", name: "V3 the same, in the main thread's own CPU time (trace)", unit: "ms", target: "none > 50 ms of CPU" },
    ],
    // A different row each time, so no repetition opens a trace the worker has just read.
    run: (page, rep) => withTaskCpu(page, "open", () => page.evaluate(openTraceTasks, 2 + rep * 3)),
  },
];

/** What one main-thread task is called in a trace (the name changed across Chromium versions). */
const TASK_EVENTS = new Set(["RunTask", "ThreadControllerImpl::RunTask"]);

/** The trace events we read: one main-thread task each, and the window's two marks. */
interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
}

/**
 * Runs `work` (one V2/V3 repetition) under a Chromium trace and adds what the Long Tasks API cannot
 * tell: each main-thread task's CPU time (`tdur`, the thread's own time) beside its wall time. On a
 * machine busier than its cores, a task of 20 ms of work can take 300 ms of wall time; the CPU
 * figure shows how much of a long task was the viewer's own work. Only the categories needed are
 * traced (`toplevel` tasks, user-timing marks), which costs the page next to nothing.
 */
async function withTaskCpu(page: Page, prefix: string, work: () => Promise<PageFigures>): Promise<PageFigures> {
  const cdp = await page.context().newCDPSession(page);
  const events: TraceEvent[] = [];
  cdp.on("Tracing.dataCollected", (e) => events.push(...(e.value as unknown as TraceEvent[])));
  const complete = new Promise<void>((resolve) => cdp.once("Tracing.tracingComplete", () => resolve()));
  await cdp.send("Tracing.start", { traceConfig: { includedCategories: ["toplevel", "blink.user_timing"] }, transferMode: "ReportEvents" });
  let figures: PageFigures;
  try {
    figures = await work();
  } finally {
    await cdp.send("Tracing.end");
    await complete;
    await cdp.detach().catch(() => undefined);
  }
  const start = events.find((e) => e.name === "viewer-bench:start");
  const end = events.find((e) => e.name === "viewer-bench:end");
  if (!start || !end) throw new Error("the trace has no viewer-bench marks: is the tracing category list right?");
  // The marks are set on the page's main thread: its tasks are the ones on the same pid/tid.
  const tasks = events.filter((e) => TASK_EVENTS.has(e.name) && e.ph === "X" && e.pid === start.pid && e.tid === start.tid && e.ts + (e.dur ?? 0) >= start.ts && e.ts <= end.ts);
  const cpu = tasks.map((t) => (t.tdur ?? 0) / 1000);
  return {
    ...figures,
    [`${prefix}_longest_task_cpu_ms`]: Math.max(0, ...cpu),
    [`${prefix}_tasks_over_50ms_cpu`]: cpu.filter((ms) => ms > 50).length,
  };
}

/** How the viewer figures are measured, for the results' notes. */
export const VIEWER_METHOD =
  "the demo built for production (vite build) and served with its Content-Security-Policy, in Chromium with an on-disk profile filled untimed by the demo's sample-data generator; every repetition reloads the page. V1 times the table's `weft-demo:first-rows` mark (rows in the DOM) from the load event and from navigation start. V2 and V3 report the longest main-thread task (Long Tasks API, wall time, 0 when none is over 50 ms); on a machine busier than its cores that includes time the thread waited for a core, so each also gives, from a Chromium trace of the same repetition, the longest task in the thread's own CPU time (`*_cpu_ms`) and how many tasks were over 50 ms of CPU.";

export interface ViewerBenchOptions {
  sizes: number[];
  /** Only the workloads whose id contains this. */
  only?: string | undefined;
  chromiumPath: string;
  log: (line: string) => void;
}

interface FindChromiumModule {
  CHROMIUM_ARGS: readonly string[];
}

/** Builds the demo for production into a temp dir; returns the dir. */
async function buildDemo(): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), "weft-demo-build-"));
  await build({
    configFile: false, // the repository's config builds the library; this is the demo app
    root: join(REPO_ROOT, "demo"),
    logLevel: "warn",
    build: { outDir, emptyOutDir: true, target: "es2022" },
    // The store's worker imports Dexie, zod, … and loads its JSON tables lazily: an ES module worker.
    worker: { format: "es" },
  });
  return outDir;
}

/** Serves `dir` as `vite preview` would, with the demo's Content-Security-Policy, on a free port. */
async function serveBuild(dir: string): Promise<{ server: PreviewServer; url: string }> {
  const server = await preview({
    configFile: false,
    root: join(REPO_ROOT, "demo"),
    logLevel: "warn",
    build: { outDir: dir },
    preview: { host: "127.0.0.1", port: 0, strictPort: true, headers: { "Content-Security-Policy": CONTENT_SECURITY_POLICY } },
  });
  const address = (server.httpServer as Server).address() as AddressInfo | null;
  if (!address) throw new Error("vite preview did not report a TCP address");
  return { server, url: `http://127.0.0.1:${address.port}/` };
}

/** Loads (or reloads) the viewer and waits until its first rows are in the DOM. */
async function load(page: Page, url: string): Promise<void> {
  await page.goto(url, { waitUntil: "load" });
  await page.evaluate(
    () =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("the calls table showed no rows within 60 s")), 60_000);
        const observer = new PerformanceObserver((list) => {
          if (!list.getEntriesByName("weft-demo:first-rows").length) return;
          clearTimeout(timer);
          observer.disconnect();
          resolve();
        });
        observer.observe({ type: "mark", buffered: true });
      }),
  );
}

/**
 * Runs the viewer workloads at every scale; returns their figures (empty when `only` selects none).
 * @throws Error when the build, the server or Chromium fails, or a page misses its marks
 */
export async function runViewerBench(options: ViewerBenchOptions): Promise<FigureResult[]> {
  const workloads = VIEWER_WORKLOADS.filter((w) => selectedByOnly(w.id, options.only));
  if (workloads.length === 0) return [];
  const { log } = options;
  const started = performance.now();
  const dir = await buildDemo();
  const { server, url } = await serveBuild(dir);
  log(`Viewer: production build of demo/ served at ${url} (built and started in ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  const href = new URL("../scripts/find-chromium.mjs", import.meta.url).href;
  const { CHROMIUM_ARGS } = (await import(/* @vite-ignore */ href)) as FindChromiumModule;
  const out: FigureResult[] = [];
  try {
    for (const scale of options.sizes) {
      const profileDir = await mkdtemp(join(tmpdir(), "weft-viewer-profile-"));
      let context: BrowserContext | null = null;
      try {
        context = await chromium.launchPersistentContext(profileDir, {
          executablePath: options.chromiumPath,
          args: [...CHROMIUM_ARGS],
          headless: true,
          viewport: { width: 1440, height: 900 },
          timeout: 60_000,
        });
        const page = context.pages()[0] ?? (await context.newPage());
        page.on("pageerror", (error) => log(`  [viewer page error] ${error.message}`));
        await page.goto(url, { waitUntil: "load" });
        const fillStart = performance.now();
        const filled = await page.evaluate(fillStore, scale);
        log(`Viewer @ ${scale.toLocaleString("en-US")} calls: store filled untimed with ${filled.traces.toLocaleString("en-US")} traces, ${filled.calls.toLocaleString("en-US")} calls in ${((performance.now() - fillStart) / 1000).toFixed(1)} s`);
        // Let IndexedDB finish flushing the fill before the first measured load.
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        for (const w of workloads) {
          const samples: Record<string, number[]> = {};
          for (let i = 0; i < w.warmup + w.reps; i++) {
            await load(page, url);
            const figures = await w.run(page, i);
            if (i < w.warmup) continue;
            for (const [k, v] of Object.entries(figures)) (samples[k] ??= []).push(v);
          }
          const shown = Object.entries(samples).map(([k, v]) => `${k} ${median(v).toFixed(1)} [${v.map((x) => x.toFixed(1)).join(" ")}]`);
          log(`  ${w.id} @ ${scale.toLocaleString("en-US")} calls: ${shown.join(", ")}`);
          out.push(...toFigures(w, scale, filled.calls, samples));
        }
      } finally {
        await context?.close().catch(() => undefined);
        await rm(profileDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }).catch(() => undefined);
      }
    }
  } finally {
    await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  }
  return out;
}

const round = (v: number): number => Math.round(v * 1000) / 1000;

/** The workload's figures as result rows; its other values (and the worst repetition) go to `detail`. */
function toFigures(w: ViewerWorkload, scale: number, calls: number, samples: Record<string, number[]>): FigureResult[] {
  const own = new Set(w.figures.map((f) => f.key));
  const detail: Record<string, number> = { calls_stored: calls };
  for (const [k, v] of Object.entries(samples)) {
    if (!own.has(k)) detail[k] = round(median(v));
    // For a long-task figure the worst repetition matters as much as the median.
    else if (k.endsWith("longest_task_ms")) detail[`${k.replace(/_ms$/, "")}_worst_ms`] = round(Math.max(...v));
  }
  return w.figures.map((f) => ({
    id: w.id,
    key: f.key,
    name: f.name,
    scale,
    size: scale,
    size_unit: "calls stored",
    value: round(median(samples[f.key] ?? [])),
    best: round(Math.min(...(samples[f.key] ?? [Number.NaN]))),
    unit: f.unit,
    samples: (samples[f.key] ?? []).map(round),
    target: f.target,
    reps: w.reps,
    warmup: w.warmup,
    detail,
  }));
}
