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

/**
 * A long animation frame (over 50 ms) during a write's clock, from the Long Animation Frames API:
 * how long it took, and how much of it the scripts it lists ran (each script over 5 ms is listed),
 * the longest first. A frame that ran little script spent its time elsewhere (garbage collection,
 * the browser's own work). Both are wall time: a thread waiting for a core on a busy machine
 * lengthens whichever part it was in; the driver adds what the thread itself did meanwhile.
 */
export interface LongFrame {
  ms: number;
  scriptMs: number;
  /** `invoker function (file) ms` of its longest scripts, at most three. */
  scripts: string[];
  /** When it started, in epoch ms (`performance.timeOrigin` + its start): the driver's clock. */
  epochMs: number;
  /**
   * The main thread's own CPU time during the frame, and its time runnable but waiting for a core
   * (bench/thread-clock.ts, added by the driver; absent where it cannot read them).
   */
  cpuMs?: number;
  waitMs?: number;
}

export interface RepResult extends Rep {
  /** Main-thread tasks over 50 ms during the repetition (writes only), and the long frames they made. */
  longTasks?: { count: number; maxMs: number; frames?: LongFrame[] };
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

/** The Long Animation Frames API's script timing (Chromium 123+; not in TypeScript's DOM types yet). */
interface ScriptTiming {
  duration: number;
  invoker: string;
  sourceFunctionName: string;
  sourceURL: string;
}
type FrameEntry = PerformanceEntry & { scripts?: ScriptTiming[] };
let frames: FrameEntry[] = [];
const frameObserver = new PerformanceObserver((list) => frames.push(...(list.getEntries() as FrameEntry[])));
if (PerformanceObserver.supportedEntryTypes.includes("long-animation-frame")) frameObserver.observe({ type: "long-animation-frame" });

function longFrame(entry: FrameEntry): LongFrame {
  const scripts = [...(entry.scripts ?? [])].sort((a, b) => b.duration - a.duration);
  return {
    ms: Math.round(entry.duration),
    epochMs: performance.timeOrigin + entry.startTime,
    scriptMs: Math.round(scripts.reduce((sum, s) => sum + s.duration, 0)),
    scripts: scripts.slice(0, 3).map((s) => {
      const file = s.sourceURL.split("/").pop()?.split("?")[0] ?? "";
      return `${s.invoker}${s.sourceFunctionName ? ` ${s.sourceFunctionName}` : ""}${file ? ` (${file})` : ""} ${Math.round(s.duration)} ms`;
    }),
  };
}

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
  frameObserver.takeRecords();
  longTasks = [];
  frames = [];
  const rep = await fn();
  // Let the last task end and its entry be queued before collecting.
  await new Promise((resolve) => setTimeout(resolve, 0));
  const clock = rep.clock;
  const inClock = (e: PerformanceEntry): boolean => !clock || (e.startTime < clock[1] && e.startTime + e.duration > clock[0]);
  const entries = [...longTasks, ...observer.takeRecords()].filter(inClock);
  const long = [...frames, ...(frameObserver.takeRecords() as FrameEntry[])].filter((e) => e.duration > 50 && inClock(e)).map(longFrame);
  return { ...rep, longTasks: { count: entries.length, maxMs: Math.max(0, ...entries.map((e) => e.duration)), frames: long } };
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
