/**
 * The benchmark registry: every workload with its reference and weft's side (from
 * `weft-workloads.ts`, paired by id). A workload is one row of the results table, whose ratio
 * weft / reference is what we track; the reference is raw IndexedDB (the baseline worker) or, where
 * the question is what an option costs, weft itself without it. A `figure` workload reports values
 * of its own (µs per call, …) against a target instead of a ratio. Each function runs one repetition.
 */
import { wrap, type Remote } from "comlink";
import type { BaselineApi } from "./baseline-worker";
import { CALLS_PER_TRACE } from "./synthetic";
import { REF_OBJECTS } from "./synthetic-rows";
import { OP_CALLS } from "./weft-op-overhead";
import { callsPage, weftAfter, weftPrepare, weftWorkloads } from "./weft-workloads";

export type WorkloadId =
  | "ingest"
  | "roots-page-1"
  | "roots-page-10"
  | "roots-page-90pct"
  | "op-status-page"
  | "trace-fetch"
  | "calls-costs-page"
  | "table-create"
  | "table-sorted-page"
  | "table-deep-page"
  | "refs-read-batch"
  | "op-overhead"
  | "export-remote"
  | "bundle-size"
  | "bundle-import";

/** One repetition: its time in ms, and what it returned (rows, a count), so a wrong result shows. */
export interface Rep {
  ms: number;
  rows?: number;
  count?: number;
  /** A figure workload's values, by key (see `FigureSpec`). */
  figures?: Record<string, number>;
  /**
   * When the clock ran (`performance.now()`, start and end): a write's main-thread long tasks are
   * counted within it, not in the untimed setup around it (e.g. E3 generating and bundling its
   * calls). Absent: the whole repetition counts.
   */
  clock?: [number, number];
}

/** One value a figure workload reports: `Rep.figures[key]`, in `unit`, against `target`. */
export interface FigureSpec {
  key: string;
  name: string;
  unit: string;
  target: string;
  /** Which way is better; default "lower" (times, sizes). A throughput (calls/s) is "higher". */
  better?: "lower" | "higher";
}

export interface Workload {
  id: WorkloadId;
  name: string;
  /** The run's scale this workload belongs to: calls in the read database (10k, 100k). */
  scale: number;
  /** How much the workload handles (calls written or queried, table rows, refs), in `unit`. */
  size: number;
  unit: "calls" | "rows" | "refs";
  /**
   * Writes get a fresh database in a fresh profile per repetition, and their main-thread long tasks
   * are recorded; reads and figures run on the database the seeding write left behind.
   */
  kind: "write" | "read" | "figure";
  /** What weft is divided by: raw IndexedDB, or weft itself (same page, repetitions alternating). */
  reference: "raw" | "weft";
  /** The write whose database the reads of its scale run on (ingest). */
  seedsReads?: boolean;
  /** Measured repetitions (the median is reported) and unmeasured warm-ups before them. */
  reps: number;
  warmup: number;
  /** What weft should reach, as a ratio to the reference; "—" where none is set yet. */
  target: string;
  /** For `figure` workloads: the values reported. */
  figures?: FigureSpec[];
  baseline?: () => Promise<Rep>;
  weft?: () => Promise<Rep>;
  /**
   * Figures beside weft's main one, in ms by key, measured once per repetition in a pass after the
   * timed ones (`weftAfter`), so that nothing runs between two timed repetitions.
   */
  after?: () => Promise<Record<string, number>>;
  /**
   * The untimed writes a read needs beyond the seeding write's database, both sides' (see
   * `weftPrepare`): run once, after the seeding write and before the pause for the storage to settle.
   */
  prepare?: () => Promise<void>;
}

/** weft's side of one workload: one repetition at scale `size` (see weft-workloads.ts). */
export type WeftWorkload = (size: number, rep: number) => Promise<Rep>;

const PAGE_SIZE = 50;
/** The scale that `--quick` runs, and the only one of the workloads that do not grow with it. */
export const SMALL_SCALE = 10_000;
/**
 * Twenty warm-ups (a read is a few ms): measured here, the first two or three reads of a workload
 * after another one ran (or right after the seeding write) took 3–10× the steady figure on weft's
 * side (its worker's code and the storage's caches warming to a new query), and with five warm-ups
 * the first read workload after the write still ran ~1.5 ms slower than the next (roots page 1 at
 * 4.1–7.5 ms against page 10 at 3.6–4.7; interleaved, the two take the same time). With twenty it
 * ran at 3.5–5.7 ms, page 10 at 2.7–3.8. Both sides get the same warm-ups.
 *
 * Fifteen measured repetitions (a few ms each): with seven, one or two slow outliers among a side's
 * samples moved the median by 10–20% (B2 page 1 at 10k: weft 3.4 6.0 2.6 6.1 3.1 3.1 3.4 ms).
 */
const READ = { kind: "read", reps: 15, warmup: 20 } as const;
/** Reads that scan a whole table: fewer repetitions keep the 100k run short. */
const SCAN = { kind: "read", reps: 5, warmup: 1 } as const;
const WRITE = { kind: "write", reps: 3, warmup: 0 } as const;
const RAW = { reference: "raw" } as const;

/** Offset of the page at 90% depth of the roots, on a page boundary. */
export function deepOffset(size: number): number {
  return Math.floor((0.9 * size) / CALLS_PER_TRACE / PAGE_SIZE) * PAGE_SIZE;
}

let baselineApi: Remote<BaselineApi> | null = null;
/** The baseline worker, started on first use. */
export function baselineWorker(): Remote<BaselineApi> {
  baselineApi ??= wrap<BaselineApi>(new Worker(new URL("./baseline-worker.ts", import.meta.url), { type: "module" }));
  return baselineApi;
}

type Def = Omit<Workload, "weft" | "scale" | "size" | "unit" | "prepare"> & {
  size?: number;
  unit?: Workload["unit"];
  only?: number;
  /** The baseline's part of `prepare`. */
  baselinePrepare?: () => Promise<void>;
};

/** All workloads at one scale, in table order (the driver runs writes first, the seeding one last). */
export function workloadsAt(scale: number): Workload[] {
  const b = baselineWorker();
  let rep = 0;
  const traceRep = () => rep++;
  let withoutRep = 0;
  /** What T2 and T3 share: a raw reference and the one table database per side they read. */
  const tableRead = { ...RAW, unit: "rows", baselinePrepare: () => b.prepareTable(scale) } as const;
  const defs: Def[] = [
    {
      id: "ingest",
      name: "B1 ingest, one transaction",
      ...WRITE,
      // Seconds a repetition at 10k, and its ratio the noisiest (each side's repetitions spread
      // ±20%: three runs of five gave medians 1.35-1.53x on the same code, and five runs of nine
      // 1.12-1.42x, a full run's weft samples split between 2.4 and 3.2 s): fifteen there. Five
      // at 100k, where one takes 30-40 s: with three, two runs on unchanged code gave 1.05x and
      // 1.32x, their paired ratios spreading 1.12-1.38x within the second.
      reps: scale === SMALL_SCALE ? 15 : 5,
      ...RAW,
      seedsReads: true,
      target: "≤ 1.3×",
      baseline: () => b.ingest(scale),
    },
    { id: "roots-page-1", name: "B2 roots newest first, page 1", ...READ, ...RAW, target: "≤ 2×", baseline: () => b.rootsPage(scale, 0) },
    { id: "roots-page-10", name: "B2 roots newest first, page 10", ...READ, ...RAW, target: "≤ 2×", baseline: () => b.rootsPage(scale, 9 * PAGE_SIZE) },
    {
      id: "roots-page-90pct",
      name: "B2 roots newest first, page at 90% depth",
      ...READ,
      ...RAW,
      target: "≤ 2× (baseline is keyset)",
      baseline: () => b.rootsPage(scale, deepOffset(scale)),
    },
    { id: "op-status-page", name: "B3 op + status filter, page 1 + count", ...READ, ...RAW, target: "≤ 2×", baseline: () => b.opStatusPage(scale) },
    { id: "trace-fetch", name: "B4 whole trace (10 calls)", ...READ, ...RAW, target: "≤ 2×", baseline: () => b.traceFetch(scale, traceRep()) },
    {
      id: "calls-costs-page",
      name: "C1 newest calls, page 1, include_costs + include_feedback, vs weft without them",
      // A few ms a request, weft against weft: more repetitions steady the ratio.
      kind: "read",
      reps: 15,
      warmup: 3,
      reference: "weft",
      target: "≤ 2×",
      baseline: () => callsPage(false)(scale, withoutRep++),
    },
    {
      id: "table-create",
      name: "T1 table_create",
      ...WRITE,
      // About a second a side, so nine cost little: with three, one run's weft repetitions spread
      // 952-1,203 ms and its ratio of medians (1.53x) stood apart from its paired one (1.37x).
      reps: 9,
      ...RAW,
      only: SMALL_SCALE,
      unit: "rows",
      target: "≤ 1.5×",
      baseline: () => b.tableCreate(scale),
    },
    { id: "table-sorted-page", name: "T2 table page of 50 sorted by score", ...SCAN, ...tableRead, target: "≤ 2×", baseline: () => b.tableSortedPage(scale) },
    { id: "table-deep-page", name: "T3 table page of 50 at 90% depth, unsorted", ...READ, ...tableRead, target: "—", baseline: () => b.tableDeepPage(scale) },
    {
      id: "refs-read-batch",
      name: "R1 refs_read_batch, 2 in 5 with a path",
      ...READ,
      ...RAW,
      only: SMALL_SCALE,
      size: REF_OBJECTS,
      unit: "refs",
      target: "—",
      baseline: () => b.refsReadBatch(),
      baselinePrepare: () => b.prepareRefs(),
    },
    {
      id: "op-overhead",
      name: "O1 traced sync op",
      kind: "figure",
      reps: 5,
      warmup: 1,
      reference: "weft",
      only: SMALL_SCALE,
      size: OP_CALLS,
      target: "≤ 50 µs",
      figures: [
        { key: "overhead_us", name: "O1 traced sync op, main-thread overhead per call", unit: "µs", target: "≤ 50 µs" },
        { key: "wall_overhead_us", name: "O1 the same, with the main thread's work between chunks", unit: "µs", target: "≤ 50 µs" },
      ],
    },
    {
      id: "export-remote",
      name: "E1 exportProject to a local receiving server",
      kind: "figure",
      reps: 3,
      warmup: 1,
      reference: "weft",
      only: SMALL_SCALE,
      target: "—",
      figures: [
        { key: "calls_per_s", name: "E1 exportProject to a local receiving server (weft's fetch handler on fake-indexeddb in Node)", unit: "calls/s", target: "—", better: "higher" },
        { key: "request_kib_per_call", name: "E1 the same, request bytes sent per call", unit: "KiB", target: "—" },
      ],
    },
    {
      id: "bundle-size",
      name: "E2 exportBundle",
      kind: "figure",
      // The size is the same every time; the repetitions are for the export's speed beside it.
      reps: scale === SMALL_SCALE ? 3 : 1,
      warmup: 0,
      reference: "weft",
      target: "—",
      figures: [{ key: "bytes_per_call", name: "E2 bundle size per call, gzip'd", unit: "B", target: "—" }],
    },
    {
      id: "bundle-import",
      name: "E3 importBundle into a fresh database, vs raw ingest of as many calls",
      ...WRITE,
      // Each repetition first fills, bundles and drops a scratch project (minutes at 100k): one
      // repetition there keeps the full run within the time a developer waits for it.
      reps: scale === SMALL_SCALE ? WRITE.reps : 1,
      ...RAW,
      target: "< 2×",
      baseline: () => b.ingest(scale),
    },
  ];
  return defs
    .filter((def) => def.only === undefined || def.only === scale)
    .map(({ only: _only, size, unit, baselinePrepare, ...def }) => {
      const weft = weftWorkloads[def.id];
      const after = weftAfter[def.id];
      const weftSetup = weftPrepare[def.id];
      let weftRep = 0;
      let afterRun = 0;
      const workload: Workload = { ...def, scale, size: size ?? scale, unit: unit ?? "calls" };
      if (after) workload.after = () => after(scale, afterRun++);
      if (weftSetup || baselinePrepare) {
        workload.prepare = async () => {
          await weftSetup?.(scale);
          await baselinePrepare?.();
        };
      }
      return weft ? { ...workload, weft: () => weft(scale, weftRep++) } : workload;
    });
}
