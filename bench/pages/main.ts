/**
 * The benchmark page: puts the workload registry on `globalThis.bench` for the Node driver
 * (bench/run.ts), which runs one repetition per call so it can print progress as it goes. Around
 * every write repetition it records the main thread's long tasks (> 50 ms, PerformanceObserver),
 * those overlapping the repetition's clock when it reports one.
 */
import { baselineWorker, workloadsAt, type Rep, type Workload, type WorkloadId } from "./workloads";

/** A workload as the driver sees it: everything but the functions. */
export type WorkloadInfo = Omit<Workload, "baseline" | "weft" | "after" | "prepare"> & {
  hasWeft: boolean;
  hasBaseline: boolean;
  hasAfter: boolean;
  hasPrepare: boolean;
};

export interface RepResult extends Rep {
  /** Main-thread tasks over 50 ms during the repetition (writes only). */
  longTasks?: { count: number; maxMs: number };
}

export interface BenchPageGlobals {
  harnessReady?: Promise<unknown>;
  /** The base URL of the receiving Weave-compatible server the export workloads send to (set by bench/run.ts). */
  receiverUrl?: string;
  bench: {
    info(): Promise<{ getAll: string; userAgent: string; hardwareConcurrency: number; longTaskSupported: boolean; crossOriginIsolated: boolean }>;
    /** Every workload at these scales. */
    list(scales: number[]): WorkloadInfo[];
    /** One repetition of one side of workload `id` at `scale`. */
    run(id: WorkloadId, scale: number, side: "baseline" | "weft"): Promise<RepResult>;
    /** The untimed writes workload `id`'s reads need (`Workload.prepare`). */
    prepare(id: WorkloadId, scale: number): Promise<void>;
    /** One run of the figures measured after workload `id`'s timed repetitions (`Workload.after`). */
    after(id: WorkloadId, scale: number): Promise<Record<string, number>>;
  };
}

const longTaskSupported = PerformanceObserver.supportedEntryTypes.includes("longtask");
let longTasks: PerformanceEntry[] = [];
const observer = new PerformanceObserver((list) => longTasks.push(...list.getEntries()));
if (longTaskSupported) observer.observe({ type: "longtask" });

const byScale = new Map<number, Workload[]>();
function workloads(scale: number): Workload[] {
  let list = byScale.get(scale);
  if (!list) byScale.set(scale, (list = workloadsAt(scale)));
  return list;
}

async function run(id: WorkloadId, scale: number, side: "baseline" | "weft"): Promise<RepResult> {
  const workload = workloads(scale).find((w) => w.id === id);
  const fn = workload?.[side];
  if (!workload || !fn) throw new Error(`no ${side} for workload ${id} at scale ${scale}`);
  if (workload.kind !== "write") return fn();

  observer.takeRecords();
  longTasks = [];
  const rep = await fn();
  // Let the last task end and its entry be queued before collecting.
  await new Promise((resolve) => setTimeout(resolve, 0));
  const clock = rep.clock;
  const entries = [...longTasks, ...observer.takeRecords()].filter((e) => !clock || (e.startTime < clock[1] && e.startTime + e.duration > clock[0]));
  return { ...rep, longTasks: { count: entries.length, maxMs: Math.max(0, ...entries.map((e) => e.duration)) } };
}

const globals = globalThis as unknown as BenchPageGlobals;
globals.bench = {
  info: async () => ({ ...(await baselineWorker().info()), longTaskSupported, crossOriginIsolated: globalThis.crossOriginIsolated }),
  list: (scales) =>
    scales.flatMap((scale) =>
      workloads(scale).map(({ baseline, weft, after, prepare, ...info }) => ({
        ...info,
        hasWeft: weft !== undefined,
        hasBaseline: baseline !== undefined,
        hasAfter: after !== undefined,
        hasPrepare: prepare !== undefined,
      })),
    ),
  run,
  prepare: async (id, scale) => {
    const prepare = workloads(scale).find((w) => w.id === id)?.prepare;
    if (!prepare) throw new Error(`nothing to prepare for workload ${id} at scale ${scale}`);
    await prepare();
  },
  after: async (id, scale) => {
    const after = workloads(scale).find((w) => w.id === id)?.after;
    if (!after) throw new Error(`no figures after workload ${id} at scale ${scale}`);
    return after();
  },
};
globals.harnessReady = baselineWorker().info();
