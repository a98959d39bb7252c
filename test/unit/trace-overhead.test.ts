/**
 * A rough figure of what tracing adds to a call on the main thread, logged for the lead's bench (tests
 * never assert wall-clock times): the tracer alone (a client that drops records) and end to end
 * through the real client (validation, snapshot, batching), per propagation mode.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { init, op, setPropagation, type TracerClient } from "../../src/trace/index";
import { traceHarness, type TraceHarness } from "../support/trace-harness";

const N = 10_000;

function perCallUs(fn: (i: number) => unknown): number {
  for (let i = 0; i < 3_000; i++) fn(i);
  const t0 = performance.now();
  for (let i = 0; i < N; i++) fn(i);
  return ((performance.now() - t0) * 1000) / N;
}

const dropping: TracerClient = {
  call_start: () => Promise.resolve({ id: "", trace_id: "" }),
  call_end: () => Promise.resolve({}),
  obj_create: () => Promise.reject(new Error("unused")),
  table_create: () => Promise.reject(new Error("unused")),
  flush: () => Promise.resolve(),
};

describe("op overhead (logged, not asserted)", () => {
  let h: TraceHarness;
  beforeAll(() => {
    h = traceHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it.each(["async-local-storage", "promise-patch"] as const)("measures a sync op with %s", async (mode) => {
    setPropagation(mode);
    const bare = (a: number, b: number) => a + b;
    const tracerOnly = op(bare, { name: "overhead", tracer: init({ project: "x/y", client: dropping, setDefault: false }) });
    const endToEnd = op(bare, { name: "overhead", tracer: h.tracer });
    const bareUs = perCallUs((i) => bare(i, 1));
    const tracerUs = perCallUs((i) => tracerOnly(i, 1));
    const fullUs = perCallUs((i) => endToEnd(i, 1));
    const f = (us: number) => us.toFixed(2);
    console.log(`[trace overhead, Node, ${mode}] per call: bare ${f(bareUs)} µs; tracer alone ${f(tracerUs)} µs; through the client ${f(fullUs)} µs`);
    expect(fullUs).toBeGreaterThan(0);
    await h.client.flush();
  }, 120_000);
});
