/**
 * The benchmark page: puts the workload registry on `globalThis.bench` for the Node driver
 * (bench/run.ts), which runs one repetition per call so it can print progress as it goes. Around
 * every write repetition it records the main thread's long tasks (> 50 ms, PerformanceObserver).
 */
import { baselineWorker, workloadsAt, type Rep, type Workload, type WorkloadId } from "./workloads";

/** A workload as the driver sees it: everything but the functions. */
export type WorkloadInfo = Omit<Workload, "baseline" | "weft"> & { hasWeft: boolean };

export interface RepResult extends Rep {
  /** Main-thread tasks over 50 ms during the repetition (writes only). */
  longTasks?: { count: number; maxMs: number };
}

export interface BenchPageGlobals {
  harnessReady?: Promise<unknown>;
  bench: {
    info(): Promise<{ getAll: string; userAgent: string; hardwareConcurrency: number; longTaskSupported: boolean }>;
    list(sizes: number[]): WorkloadInfo[];
    run(id: WorkloadId, size: number, side: "baseline" | "weft"): Promise<RepResult>;
  };
}

const longTaskSupported = PerformanceObserver.supportedEntryTypes.includes("longtask");
let longTasks: PerformanceEntry[] = [];
const observer = new PerformanceObserver((list) => longTasks.push(...list.getEntries()));
if (longTaskSupported) observer.observe({ type: "longtask" });

const bySize = new Map<number, Workload[]>();
function workloads(size: number): Workload[] {
  let list = bySize.get(size);
  if (!list) bySize.set(size, (list = workloadsAt(size)));
  return list;
}

async function run(id: WorkloadId, size: number, side: "baseline" | "weft"): Promise<RepResult> {
  const workload = workloads(size).find((w) => w.id === id);
  const fn = workload?.[side];
  if (!workload || !fn) throw new Error(`no ${side} for workload ${id} at size ${size}`);
  if (workload.kind === "read") return fn();

  observer.takeRecords();
  longTasks = [];
  const rep = await fn();
  // Let the last task end and its entry be queued before collecting.
  await new Promise((resolve) => setTimeout(resolve, 0));
  const entries = [...longTasks, ...observer.takeRecords()];
  return { ...rep, longTasks: { count: entries.length, maxMs: Math.max(0, ...entries.map((e) => e.duration)) } };
}

const globals = globalThis as unknown as BenchPageGlobals;
globals.bench = {
  info: async () => ({ ...(await baselineWorker().info()), longTaskSupported }),
  list: (sizes) => sizes.flatMap((size) => workloads(size).map(({ baseline: _b, weft, ...info }) => ({ ...info, hasWeft: weft !== undefined }))),
  run,
};
globals.harnessReady = baselineWorker().info();
