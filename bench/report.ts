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
}

export interface WorkloadResult {
  id: string;
  name: string;
  size: number;
  kind: "write" | "read";
  target: string;
  reps: number;
  warmup: number;
  baseline: SideResult;
  weft: SideResult | null;
  /** weft median / baseline median, or null without a weft side. */
  ratio: number | null;
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
    getAll: string;
    profile: string;
    long_tasks: string;
  };
  results: WorkloadResult[];
}

export const README_START = "<!-- bench:start -->";
export const README_END = "<!-- bench:end -->";

const ms = (value: number): string => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2));

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function longTasks(side: SideResult | null): string {
  if (!side || side.long_task_max_ms === null) return "—";
  return side.long_task_count ? `${ms(side.long_task_max_ms)} ms (${side.long_task_count} tasks)` : "none > 50 ms";
}

/** The results table and the notes that say how to read it. */
export function markdownTable(run: BenchRun): string {
  const lines = [
    "| workload | size | weft ms | raw baseline ms | ratio | target |",
    "|---|---:|---:|---:|---:|---|",
    ...run.results.map((r) =>
      [
        "",
        r.name,
        r.size.toLocaleString("en-US"),
        r.weft ? ms(r.weft.median_ms) : "—",
        ms(r.baseline.median_ms),
        r.ratio === null ? "—" : `${r.ratio.toFixed(2)}×`,
        r.target,
        "",
      ].join(" | ").trim(),
    ),
  ];
  const writes = run.results.filter((r) => r.kind === "write");
  const reads = run.results.find((r) => r.kind === "read");
  const notes = [
    `Run \`${run.name}\` on ${run.date.slice(0, 10)}: Chromium ${run.chromium.version}, ${run.machine.cores} cores (${run.machine.cpu}, load average ${run.machine.load_average_at_start.toFixed(1)} at start), ${run.duration_s.toFixed(0)} s in all.`,
    `Medians: writes of ${writes[0]?.reps ?? "—"} repetitions, each into a fresh database in a fresh on-disk profile; reads of ${reads?.reps ?? "—"} after ${reads?.warmup ?? "—"} warm-ups.`,
    `Raw baseline: ${run.method.baseline} Pages use ${run.method.getAll}.`,
    `Ratio: weft's median / the baseline's median in the same run; targets are provisional.`,
    ...writes.map((r) => `Longest main-thread task during ingest of ${r.size.toLocaleString("en-US")} calls: weft ${longTasks(r.weft)}, baseline ${longTasks(r.baseline)}.`),
  ];
  return `${lines.join("\n")}\n\n${notes.map((n) => `- ${n}`).join("\n")}\n`;
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
