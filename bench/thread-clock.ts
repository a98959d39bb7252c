/**
 * How a browser thread spent a stretch of wall time: running on a core, or runnable and waiting
 * for one, from Linux's per-thread scheduler statistics (`/proc/PID/task/TID/schedstat`: ns on a
 * CPU, ns waiting on a run queue). The Long Tasks API times a task in wall time, so on a machine
 * busier than its cores it cannot tell a task that worked for 55 ms from one that worked for 13 ms
 * and waited 42 ms for a core (measured here: the 100k ingest's long frames beside one busy
 * process were 53–91 ms of wall time and 11–21 ms of the main thread's own CPU). The driver samples
 * the write repetitions' renderer main threads with this and annotates each long frame.
 *
 * Linux only: where `/proc` has no schedstat, `ThreadSampler.start` returns undefined and the
 * frames go without the figures.
 */
import { readdirSync, readFileSync } from "node:fs";

/** One reading of a thread's counters, at `at` (epoch ms, the clock `performance.timeOrigin` is on). */
export interface SchedSample {
  at: number;
  runMs: number;
  waitMs: number;
}

/** What a thread did between two instants, interpolated between the samples around them. */
export interface ThreadTime {
  cpuMs: number;
  waitMs: number;
}

/** Every live Chromium renderer process (its main thread's tid is its pid). */
export function rendererPids(): Set<number> {
  const out = new Set<number>();
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes("--type=renderer")) out.add(Number(entry));
    } catch {
      // Gone since the listing, or not ours to read.
    }
  }
  return out;
}

/** A process's main thread's counters now, or undefined when it is gone or has no schedstat. */
function readMainThread(pid: number): Omit<SchedSample, "at"> | undefined {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, "utf8").split(" ").map(Number);
    if (run === undefined || wait === undefined || !Number.isFinite(run) || !Number.isFinite(wait)) return undefined;
    return { runMs: run / 1e6, waitMs: wait / 1e6 };
  } catch {
    return undefined;
  }
}

const now = (): number => performance.timeOrigin + performance.now();

/** Samples the main threads of some processes every `intervalMs` until stopped. */
export class ThreadSampler {
  private readonly samples = new Map<number, SchedSample[]>();
  private readonly timer: ReturnType<typeof setInterval>;

  private constructor(
    private readonly pids: readonly number[],
    intervalMs: number,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  /**
   * Starts sampling `pids`; undefined when there are none or none can be read. Five ms between
   * samples: a long task is over 50, and reading one small /proc file costs tens of µs.
   */
  static start(pids: Iterable<number>, intervalMs = 5): ThreadSampler | undefined {
    const readable = [...pids].filter((pid) => readMainThread(pid) !== undefined);
    return readable.length > 0 ? new ThreadSampler(readable, intervalMs) : undefined;
  }

  private sample(): void {
    const at = now();
    for (const pid of this.pids) {
      const reading = readMainThread(pid);
      if (!reading) continue;
      let list = this.samples.get(pid);
      if (!list) this.samples.set(pid, (list = []));
      list.push({ at, ...reading });
    }
  }

  /**
   * Stops, and returns the samples of the thread that ran the most meanwhile: the page's main
   * thread, among a profile's renderers (the page's, and a spare Chromium keeps ready).
   */
  stop(): SchedSample[] {
    clearInterval(this.timer);
    this.sample();
    let busiest: SchedSample[] = [];
    let most = -1;
    for (const list of this.samples.values()) {
      const ran = (list.at(-1)?.runMs ?? 0) - (list[0]?.runMs ?? 0);
      if (ran > most) [busiest, most] = [list, ran];
    }
    return busiest;
  }
}

/**
 * The counters at `at`, interpolated linearly between the samples around it. The caller checked
 * that the samples cover `at`.
 */
function counterAt(samples: readonly SchedSample[], at: number): Omit<SchedSample, "at"> {
  const hi = samples.findIndex((s) => s.at >= at);
  const b = samples[hi < 0 ? samples.length - 1 : hi] as SchedSample;
  if (hi <= 0 || b.at === at) return b;
  const a = samples[hi - 1] as SchedSample; // a.at < at <= b.at
  const f = (at - a.at) / (b.at - a.at);
  return { runMs: a.runMs + f * (b.runMs - a.runMs), waitMs: a.waitMs + f * (b.waitMs - a.waitMs) };
}

/**
 * The thread's CPU time and run-queue wait between `from` and `to` (epoch ms), or undefined when
 * the samples do not cover that stretch.
 */
export function threadTimeBetween(samples: readonly SchedSample[], from: number, to: number): ThreadTime | undefined {
  const first = samples[0];
  const last = samples.at(-1);
  if (!first || !last || from < first.at || to > last.at || to < from) return undefined;
  const a = counterAt(samples, from);
  const b = counterAt(samples, to);
  return { cpuMs: b.runMs - a.runMs, waitMs: b.waitMs - a.waitMs };
}
