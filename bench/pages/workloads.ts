/**
 * The benchmark registry: every workload with its raw-IndexedDB baseline and, once weft exists, weft's
 * side (from `weft-workloads.ts`, paired by id). One workload = one figure in the results table, and
 * the ratio weft / baseline is what we track. Each function runs one repetition and returns its time.
 */
import { wrap, type Remote } from "comlink";
import type { BaselineApi } from "./baseline-worker";
import { CALLS_PER_TRACE } from "./synthetic";
import { weftWorkloads } from "./weft-workloads";

export type WorkloadId = "ingest" | "roots-page-1" | "roots-page-10" | "roots-page-90pct" | "op-status-page" | "trace-fetch";

/** One repetition: its time in ms, and what it returned (rows, a count), so a wrong result shows. */
export interface Rep {
  ms: number;
  rows?: number;
  count?: number;
}

export interface Workload {
  id: WorkloadId;
  name: string;
  /** Calls in the database (for ingest: calls written). */
  size: number;
  /** Writes get a fresh database per repetition, and their main-thread long tasks are recorded. */
  kind: "write" | "read";
  /** Measured repetitions (the median is reported) and unmeasured warm-ups before them. */
  reps: number;
  warmup: number;
  /** What weft should reach, as a ratio to the baseline. Provisional until the core exists. */
  target: string;
  baseline: () => Promise<Rep>;
  weft?: () => Promise<Rep>;
}

/** weft's side of one workload: one repetition at `size` calls (see weft-workloads.ts). */
export type WeftWorkload = (size: number, rep: number) => Promise<Rep>;

const PAGE_SIZE = 50;
const READ = { kind: "read", reps: 7, warmup: 2 } as const;
const WRITE = { kind: "write", reps: 3, warmup: 0 } as const;

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

/** All workloads at one size, in run order: ingest first, its database then serves the reads. */
export function workloadsAt(size: number): Workload[] {
  const b = baselineWorker();
  let rep = 0;
  const traceRep = () => rep++;
  const defs: Array<Omit<Workload, "weft" | "size">> = [
    { id: "ingest", name: "B1 ingest, one transaction", ...WRITE, target: "≤ 2×", baseline: () => b.ingest(size) },
    { id: "roots-page-1", name: "B2 roots newest first, page 1", ...READ, target: "≤ 2×", baseline: () => b.rootsPage(size, 0) },
    { id: "roots-page-10", name: "B2 roots newest first, page 10", ...READ, target: "≤ 3×", baseline: () => b.rootsPage(size, 9 * PAGE_SIZE) },
    {
      id: "roots-page-90pct",
      name: "B2 roots newest first, page at 90% depth",
      ...READ,
      target: "≤ 5× (baseline is keyset)",
      baseline: () => b.rootsPage(size, deepOffset(size)),
    },
    { id: "op-status-page", name: "B3 op + status filter, page 1 + count", ...READ, target: "≤ 3×", baseline: () => b.opStatusPage(size) },
    { id: "trace-fetch", name: "B4 whole trace (10 calls)", ...READ, target: "≤ 2×", baseline: () => b.traceFetch(size, traceRep()) },
  ];
  return defs.map((def) => {
    const weft = weftWorkloads[def.id];
    let weftRep = 0;
    return weft ? { ...def, size, weft: () => weft(size, weftRep++) } : { ...def, size };
  });
}
