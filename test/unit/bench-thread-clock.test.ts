import { existsSync } from "node:fs";
import { isMainThread } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { ThreadSampler, threadTimeBetween, type SchedSample } from "../../bench/thread-clock";

describe("threadTimeBetween", () => {
  const samples: SchedSample[] = [
    { at: 1000, runMs: 100, waitMs: 50 },
    { at: 1010, runMs: 104, waitMs: 56 },
    { at: 1020, runMs: 114, waitMs: 56 },
  ];

  it("interpolates the counters between the samples around each end", () => {
    // 1005: run 102, wait 53; 1015: run 109, wait 56.
    expect(threadTimeBetween(samples, 1005, 1015)).toEqual({ cpuMs: 7, waitMs: 3 });
    expect(threadTimeBetween(samples, 1000, 1020)).toEqual({ cpuMs: 14, waitMs: 6 });
    expect(threadTimeBetween(samples, 1010, 1010)).toEqual({ cpuMs: 0, waitMs: 0 });
  });

  it("says nothing of a stretch the samples do not cover", () => {
    expect(threadTimeBetween(samples, 990, 1015)).toBeUndefined();
    expect(threadTimeBetween(samples, 1005, 1030)).toBeUndefined();
    expect(threadTimeBetween(samples, 1015, 1005)).toBeUndefined();
    expect(threadTimeBetween([], 1000, 1000)).toBeUndefined();
  });
});

// /proc/PID/task/TID/schedstat is Linux's; elsewhere the sampler declines to start. The sampler reads
// a process's main thread, so the test must run on one (vitest's default pool, forks).
const readable = isMainThread && existsSync(`/proc/${process.pid}/task/${process.pid}/schedstat`);
describe.runIf(readable)("ThreadSampler", () => {
  it("accounts for a busy thread's wall time as CPU time plus waiting for a core", async () => {
    const sampler = ThreadSampler.start([process.pid], 2);
    expect(sampler).toBeDefined();
    const from = performance.timeOrigin + performance.now();
    // Busy for ~60 ms in slices, giving the sampler's timer its turns between them.
    while (performance.timeOrigin + performance.now() - from < 60) {
      const sliceEnd = performance.now() + 3;
      while (performance.now() < sliceEnd) {
        // spin
      }
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    const to = performance.timeOrigin + performance.now();
    const samples = sampler?.stop() ?? [];
    const time = threadTimeBetween(samples, from, to);
    expect(time).toBeDefined();
    const { cpuMs, waitMs } = time as { cpuMs: number; waitMs: number };
    expect(cpuMs).toBeGreaterThan(0);
    // Runnable throughout but for the timer turns: running plus waiting covers most of the stretch.
    expect(cpuMs + waitMs).toBeGreaterThan(0.5 * (to - from));
    expect(cpuMs + waitMs).toBeLessThanOrEqual(to - from + 1);
  });

  it("declines processes it cannot read", () => {
    expect(ThreadSampler.start([])).toBeUndefined();
    expect(ThreadSampler.start([2 ** 30])).toBeUndefined();
  });
});
