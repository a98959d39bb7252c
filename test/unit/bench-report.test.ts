/** The bench report: the paired ratio (each weft repetition over the baseline repetition of its round) and the table. */
import { describe, expect, it } from "vitest";
import { markdownTable, median, pairedRatio, type BenchRun, type SideResult, type WorkloadResult } from "../../bench/report";

describe("pairedRatio", () => {
  it("is the median of the per-round ratios, not the ratio of the medians", () => {
    // The machine slows down for the first two rounds: both sides pay, and the pairs show it.
    const weft = [4000, 3900, 2600, 2500, 2700];
    const baseline = [4000, 3900, 2000, 2000, 2000];
    expect(pairedRatio(weft, baseline)).toBeCloseTo(1.25, 10);
    // The ratio of the medians (2700 / 2000) would say 1.35.
  });

  it("is null without pairs", () => {
    expect(pairedRatio([], [])).toBeNull();
    expect(pairedRatio([1, 2], [1])).toBeNull();
  });
});

describe("markdownTable", () => {
  const side = (samples: number[]): SideResult => ({
    median_ms: median(samples),
    samples_ms: samples,
    rows: 50,
    count: null,
    long_task_max_ms: null,
    long_task_count: null,
  });
  const result = (id: string, weft: number[], baseline: number[]): WorkloadResult => ({
    id,
    name: id,
    scale: 10_000,
    size: 10_000,
    unit: "calls",
    kind: "read",
    reference: "raw",
    target: "≤ 2×",
    reps: weft.length,
    warmup: 0,
    baseline: side(baseline),
    weft: side(weft),
    ratio: median(weft) / median(baseline),
  });
  const run = (results: WorkloadResult[]): BenchRun => ({
    name: "test",
    date: "2026-11-28T00:00:00Z",
    quick: true,
    duration_s: 1,
    machine: { cores: 2, cpu: "cpu", memory_gb: 4, platform: "linux-x64", node: "v22", load_average_at_start: 1 },
    chromium: { version: "1", executable: "chromium", user_agent: "ua", hardware_concurrency: 2 },
    method: { baseline: "raw.", weft_reference: "weft.", getAll: "getAll", profile: "on disk", long_tasks: "observer" },
    results,
    figures: [],
  });

  it("gives each workload's paired ratio beside the ratio of the medians", () => {
    // The machine's load drops midway: the medians fall in different regimes, the pairs do not.
    const table = markdownTable(
      run([result("drift", [3.4, 3.4, 3.4, 3.4, 2.3, 2.3, 2.3], [2.1, 2.1, 2.1, 1.2, 1.2, 1.2, 1.2]), result("short", [2, 2], [1, 1])]),
    );
    expect(table).toContain("| workload | size | weft ms | baseline ms | ratio | paired | target |");
    const row = (id: string) => table.split("\n").find((line) => line.startsWith(`| ${id} |`));
    // 3.4 / 1.2 of the medians; the per-round ratios are 1.62 (3 of them), 2.83 and 1.92 (3).
    expect(row("drift")).toBe("| drift | 10,000 calls | 3.40 | 1.20 | 2.83× | 1.92× | ≤ 2× |");
    // Under three rounds there is no paired figure.
    expect(row("short")).toBe("| short | 10,000 calls | 2.00 | 1.00 | 2.00× | — | ≤ 2× |");
  });

  /** An ingest whose weft side saw the long tasks `weft` describes, and whose baseline saw none. */
  const ingestWithLongTasks = (weft: Partial<SideResult>): WorkloadResult => {
    const ingest: WorkloadResult = { ...result("ingest", [10, 10, 10], [8, 8, 8]), kind: "write" };
    ingest.weft = { ...(ingest.weft as SideResult), ...weft };
    ingest.baseline = { ...ingest.baseline, long_task_max_ms: 0, long_task_count: 0 };
    return ingest;
  };

  it("says how much of a write's longest frame ran script, when a long task was seen", () => {
    const ingest = ingestWithLongTasks({
      long_task_max_ms: 65,
      long_task_count: 4,
      long_frames: [{ ms: 65, scriptMs: 12, scripts: ["TimerHandler:setTimeout (main.ts) 12 ms"] }],
    });
    const table = markdownTable(run([ingest]));
    expect(table).toContain(
      "Longest main-thread task during ingest of 10,000 calls: weft 65.0 ms (4 tasks; its longest frame 65 ms, of which script 12 ms (TimerHandler:setTimeout (main.ts) 12 ms)), baseline none > 50 ms.",
    );
  });

  it("adds the main thread's own CPU time and its wait for a core, when the driver could read them", () => {
    const ingest = ingestWithLongTasks({
      long_task_max_ms: 55,
      long_task_count: 2,
      long_frames: [
        { ms: 55, scriptMs: 55, scripts: ["Scheduler.yield.then (next-task.ts) 55 ms"], cpuMs: 13.2, waitMs: 41.5 },
        { ms: 52, scriptMs: 52, scripts: [], cpuMs: 21.4, waitMs: 30.1 },
      ],
      long_frame_max_cpu_ms: 21.4,
    });
    expect(markdownTable(run([ingest]))).toContain(
      "weft 55.0 ms (2 tasks; its longest frame 55 ms, of which script 55 ms (Scheduler.yield.then (next-task.ts) 55 ms); the main thread ran 13.2 ms of it and waited 41.5 ms for a core; at most 21.4 ms of main-thread CPU in any long frame), baseline none > 50 ms.",
    );
  });
});
