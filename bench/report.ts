/**
 * Bench results as files: the JSON record of a run, and the markdown table that goes into
 * bench/results/README.md and between the `<!-- bench:start -->` / `<!-- bench:end -->` markers of
 * the top-level README.md.
 */
import { readFile, writeFile } from "node:fs/promises";

export interface SideResult {
  /** Median of the measured repetitions. */
  median_ms: number;
  samples_ms: number[];
  /** What the last repetition returned (rows, a count): a sanity check on the workload. */
  rows: number | null;
  count: number | null;
  /** Longest main-thread task (> 50 ms) over all repetitions, writes only; 0 when none. */
  long_task_max_ms: number | null;
  long_task_count: number | null;
  /**
   * The longest main-thread frames over 50 ms of all repetitions (writes only, at most five, longest
   * first): their time and how much of it ran script (see `LongFrame` in bench/pages/main.ts),
   * and where the driver could read them (bench/thread-clock.ts), the main thread's own CPU time
   * during each and its time waiting for a core. Absent from runs before it was recorded.
   */
  long_frames?: Array<{ ms: number; scriptMs: number; scripts: string[]; cpuMs?: number; waitMs?: number }>;
  /** The most main-thread CPU time in any long frame of the repetitions (writes with frames). */
  long_frame_max_cpu_ms?: number;
  /** Medians of other timings a repetition reported (e.g. a second baseline plan), by name. */
  figures?: Record<string, number>;
}

export interface WorkloadResult {
  id: string;
  name: string;
  /** The run's scale (calls in the read database) the workload ran at. */
  scale: number;
  /** How much it handled, in `unit`. */
  size: number;
  unit: string;
  kind: "write" | "read";
  /** What `baseline` is: raw IndexedDB, or weft itself without the option measured. */
  reference: "raw" | "weft";
  target: string;
  reps: number;
  warmup: number;
  baseline: SideResult;
  weft: SideResult | null;
  /** weft median / baseline median, or null without a weft side. */
  ratio: number | null;
}

/** A value that is not a ratio (µs per call, …), reported against a target of its own. */
export interface FigureResult {
  /** The workload that produced it, and the figure's key among the workload's values. */
  id: string;
  key: string;
  name: string;
  scale: number;
  /** What one repetition handled, in `size_unit` (e.g. 20,000 calls). */
  size: number;
  size_unit: string;
  /** Median over the repetitions, in `unit`. */
  value: number;
  /** The best repetition (the lowest, or the highest of a throughput): the one least disturbed by other work on the machine. */
  best: number;
  unit: string;
  samples: number[];
  target: string;
  reps: number;
  warmup: number;
  /** Medians of the workload's other values, for context (e.g. traced and bare µs per call). */
  detail: Record<string, number>;
}

export interface BenchRun {
  name: string;
  date: string;
  quick: boolean;
  duration_s: number;
  machine: { cores: number; cpu: string; memory_gb: number; platform: string; node: string; load_average_at_start: number };
  chromium: { version: string; executable: string; user_agent: string; hardware_concurrency: number };
  method: {
    baseline: string;
    /** How a weft-vs-weft workload's reference is measured. */
    weft_reference: string;
    getAll: string;
    profile: string;
    /** How long reads wait after the seeding write (absent from runs before it was recorded). */
    settle?: string;
    /** How write repetitions are ordered (absent from runs before they were interleaved). */
    writes?: string;
    /** How read repetitions are ordered (absent from runs before both sides shared a page). */
    reads?: string;
    /** `performance.now()` resolution on the bench pages (absent from runs before it was recorded). */
    timers?: string;
    long_tasks: string;
    /** How the demo viewer's figures (bench/viewer.ts) were measured, when they were. */
    viewer?: string;
  };
  results: WorkloadResult[];
  figures: FigureResult[];
}

export const README_START = "<!-- bench:start -->";
export const README_END = "<!-- bench:end -->";

const ms = (value: number): string => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2));

/**
 * The median of `weft[i] / baseline[i]`: write repetitions run in rounds, weft's next to the
 * baseline's (ABBA), so each pair saw the same machine. When the machine drifts during a run (the
 * 10k ingest's baseline once took 3.5-4.0 s in its first three rounds and 1.8-2.3 s in the rest),
 * this says more than the ratio of the medians. Null unless both have the same, non-zero length.
 */
export function pairedRatio(weft: readonly number[], baseline: readonly number[]): number | null {
  if (weft.length === 0 || weft.length !== baseline.length) return null;
  return median(weft.map((w, i) => w / (baseline[i] as number)));
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function longTasks(side: SideResult | null): string {
  if (!side || side.long_task_max_ms === null) return "—";
  if (!side.long_task_count) return "none > 50 ms";
  const frame = side.long_frames?.[0];
  const threadTime = frame?.cpuMs !== undefined ? `; the main thread ran ${ms(frame.cpuMs)} ms of it and waited ${ms(frame.waitMs ?? 0)} ms for a core` : "";
  const attribution = frame ? `; its longest frame ${frame.ms} ms, of which script ${frame.scriptMs} ms${frame.scripts.length ? ` (${frame.scripts.join(", ")})` : ""}${threadTime}` : "";
  const mostCpu = side.long_frame_max_cpu_ms !== undefined ? `; at most ${ms(side.long_frame_max_cpu_ms)} ms of main-thread CPU in any long frame` : "";
  return `${ms(side.long_task_max_ms)} ms (${side.long_task_count} tasks${attribution}${mostCpu})`;
}

const count = (n: number, unit: string): string => `${n.toLocaleString("en-US")} ${unit}`;

/** The results tables (ratios, then figures) and the notes that say how to read them. */
/**
 * The median of a workload's paired ratios, when it has at least three rounds (with fewer, it says
 * nothing the ratio of the medians does not).
 */
function pairedOf(r: WorkloadResult): number | null {
  return r.weft && r.weft.samples_ms.length >= 3 ? pairedRatio(r.weft.samples_ms, r.baseline.samples_ms) : null;
}

export function markdownTable(run: BenchRun): string {
  const lines = [
    "| workload | size | weft ms | baseline ms | ratio | paired | target |",
    "|---|---:|---:|---:|---:|---:|---|",
    ...run.results.map((r) => {
      const paired = pairedOf(r);
      return [
        "",
        r.name,
        count(r.size, r.unit),
        r.weft ? ms(r.weft.median_ms) : "—",
        ms(r.baseline.median_ms),
        r.ratio === null ? "—" : `${r.ratio.toFixed(2)}×`,
        paired === null ? "—" : `${paired.toFixed(2)}×`,
        r.target,
        "",
      ]
        .join(" | ")
        .trim();
    }),
  ];
  const figures = run.figures.length
    ? [
        "",
        "| figure | size | median | best | target |",
        "|---|---:|---:|---:|---|",
        ...run.figures.map((f) => ["", f.name, count(f.size, f.size_unit), `${ms(f.value)} ${f.unit}`, `${ms(f.best)} ${f.unit}`, f.target, ""].join(" | ").trim()),
      ]
    : [];
  const writes = run.results.filter((r) => r.kind === "write");
  const reads = run.results.filter((r) => r.kind === "read");
  const span = (values: number[]): string => {
    if (values.length === 0) return "—";
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    return lo === hi ? `${lo}` : `${lo}–${hi}`;
  };
  const notes = [
    `Run \`${run.name}\` on ${run.date.slice(0, 10)}: Chromium ${run.chromium.version}, ${run.machine.cores} cores (${run.machine.cpu}, load average ${run.machine.load_average_at_start.toFixed(1)} at start), ${run.duration_s.toFixed(0)} s in all.`,
    `Medians: writes of ${span(writes.map((r) => r.reps))} repetitions, each into a fresh database in a fresh on-disk profile${run.method.writes ? `, ${run.method.writes}` : ""}; reads of ${span(reads.map((r) => r.reps))} after ${span(reads.map((r) => r.warmup))} warm-ups${run.method.reads ? `, ${run.method.reads}` : ""}${run.method.settle ? `; ${run.method.settle}` : ""}.`,
    `Raw baseline: ${run.method.baseline} Pages use ${run.method.getAll}.${run.method.timers ? ` Timers: ${run.method.timers}.` : ""}`,
    `Workloads marked "vs weft" are weft against itself: ${run.method.weft_reference}`,
    `Ratio: weft's median / the baseline's median in the same run; targets are provisional ("—": none set yet). Paired: the median of the ratios of each weft repetition to the baseline repetition next to it (the two sides alternate, ABBA), which cancels the machine's drift during a workload: when its load shifts midway, each side's median can fall in a different regime (B2 page 10 once had weft 3.4 then 2.3 ms, the baseline 2.1 then 1.2 ms: 2.44× of the medians, 1.6× and 1.9× within each half).`,
    ...(run.figures.length ? ["Figures: median and best of the repetitions (the lowest; the highest for calls/s); the best is the one least disturbed by other work on the machine."] : []),
    ...(run.method.viewer ? [`Viewer figures (V1–V3): ${run.method.viewer}`] : []),
    // The details are the workload's, the same for each of its figures: once per workload.
    ...run.figures
      .filter((f, i) => Object.keys(f.detail).length > 0 && run.figures.findIndex((g) => g.id === f.id) === i)
      // The keys carry their units (`_us`, `_per_s`, `_kib_per_call`): one workload's values may differ in unit.
      .map((f) => `${f.name}, other values, units in their names: ${Object.entries(f.detail).map(([k, v]) => `${k} ${ms(v)}`).join(", ")} (medians of ${f.reps}).`),
    ...run.results.flatMap((r) =>
      Object.entries(r.baseline.figures ?? {}).map(
        ([k, v]) => `${r.name} at ${count(r.size, r.unit)}: baseline ${k.replace(/_ms$/, "")} ${ms(v)} ms${r.weft && k.endsWith("_ms") ? `, weft / that ${(r.weft.median_ms / v).toFixed(2)}×` : ""}.`,
      ),
    ),
    ...(run.results.some((r) => r.weft?.figures?.["server"] !== undefined)
      ? [
          "What a calls-read baseline does: one getAll of the same index range of the same store, i.e. the very records weft returns (weft keeps a call's payloads in its row: there is no second store to read). It neither parses the payloads nor sends the page to the main thread, which weft's answer requires; the in-worker figures below take out the hop and the copy of the response, the splits say where the rest goes.",
        ]
      : []),
    ...run.results.flatMap((r) => {
      // weft's time without the worker hop (bench/pages/read-splits-worker.ts): the same request in
      // a worker on the same database, comparable with a raw baseline, which is timed in its worker.
      const server = r.weft?.figures?.["server"];
      if (server === undefined) return [];
      const reference = r.reference === "raw" ? r.baseline.median_ms : r.weft?.figures?.["server_without"];
      const against = r.reference === "raw" ? "the baseline" : "the same request without the options, in-worker too";
      const ratio = reference ? `, ${(server / reference).toFixed(2)}× ${against}` : "";
      return [`${r.name} at ${count(r.size, r.unit)}: weft inside its worker (no hop, no response copy) ${ms(server)} ms${ratio}.`];
    }),
    ...run.results.flatMap((r) =>
      r.weft?.figures
        ? [`${r.name} at ${count(r.size, r.unit)}, weft's splits, measured outside the clock (ms): ${Object.entries(r.weft.figures).map(([k, v]) => `${k} ${ms(v)}`).join(", ")}.`]
        : [],
    ),
    ...writes.map((r) => `Longest main-thread task during ${r.name} of ${count(r.size, r.unit)}: weft ${longTasks(r.weft)}, baseline ${longTasks(r.baseline)}.`),
  ];
  return `${[...lines, ...figures].join("\n")}\n\n${notes.map((n) => `- ${n}`).join("\n")}\n`;
}

/** Replaces the marked block of a README; false when the markers are missing (nothing written). */
export async function replaceReadmeBlock(path: string, table: string): Promise<boolean> {
  const text = await readFile(path, "utf8").catch(() => null);
  if (text === null) return false;
  const start = text.indexOf(README_START);
  const end = text.indexOf(README_END);
  if (start < 0 || end < start) return false;
  const updated = `${text.slice(0, start + README_START.length)}\n${table}${text.slice(end)}`;
  if (updated !== text) await writeFile(path, updated);
  return true;
}

export function resultsReadme(run: BenchRun): string {
  return [
    "# Benchmark results",
    "",
    "Written by `npm run bench` (scripts/run-bench.mjs); do not edit by hand. The JSON files next to this",
    "one hold every sample. See the top-level README.md, section Benchmarks, for how to run them.",
    "",
    markdownTable(run),
  ].join("\n");
}

/** Whether workload `id` is selected by `--only` (undefined: all): its text, or one of its comma-separated parts, is in the id. */
export function selectedByOnly(id: string, only: string | undefined): boolean {
  if (only === undefined) return true;
  return only.split(",").some((part) => part !== "" && id.includes(part));
}
