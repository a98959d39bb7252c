/**
 * Nesting across `await` in Node, under each propagation mechanism: the shared scenarios
 * (`test/support/trace-scenarios.ts`) with Node's `AsyncLocalStorage` (the Node default) and with
 * the promise patch browsers get, which V8 runs here exactly as in Chromium. `sync-only` is the
 * control: without propagation, code after an `await` loses its parent.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPropagation, setPropagation, type PropagationMode } from "../../src/trace/index";
import { traceHarness, type TraceHarness } from "../support/trace-harness";
import { SCENARIOS, checkNesting } from "../support/trace-scenarios";

const names = Object.keys(SCENARIOS);

describe.each<[PropagationMode, boolean]>([
  ["async-local-storage", true],
  ["promise-patch", false],
])("nesting with %s", (mode, followsLimited) => {
  let h: TraceHarness;
  beforeAll(() => {
    h = traceHarness({ propagation: mode });
  });
  afterAll(async () => {
    await h.close();
  });

  it("uses the mode asked for", () => {
    expect(getPropagation()).toBe(mode);
  });

  it.each(names)("%s: every call has the right parent and trace", async (name) => {
    const scenario = SCENARIOS[name];
    if (!scenario) throw new Error(name);
    const expected = await scenario(`${mode}-${name}`);
    const problems = checkNesting(await h.calls(), expected, followsLimited);
    expect(problems).toEqual([]);
  });

  it("runs all scenarios concurrently with the same result", async () => {
    const runs = await Promise.all(names.map((name) => SCENARIOS[name]?.(`${mode}-concurrent-${name}`) ?? []));
    const calls = await h.calls();
    expect(runs.flatMap((expected) => checkNesting(calls, expected, followsLimited))).toEqual([]);
  });
});

describe("nesting with sync-only (the control)", () => {
  let h: TraceHarness;
  beforeAll(() => {
    h = traceHarness({ propagation: "sync-only" });
  });
  afterAll(async () => {
    await h.close();
  });

  it("keeps synchronous nesting and loses parents after an await", async () => {
    const expected = await SCENARIOS.sequentialAwaits?.("sync-only");
    const problems = checkNesting(await h.calls(), expected ?? [], false);
    // sync0 (before the first await) and the explicit forms are right; everything after an await is a root.
    expect(problems.some((p) => p.startsWith("sync-only.sync0"))).toBe(false);
    expect(problems).toContain("sync-only.a: parent null, expected sync-only");
    expect(problems).toContain("sync-only.child.x: parent null, expected sync-only.child");
  });

  it("refuses to switch mode while a traced scope is open", async () => {
    let release: () => void = () => undefined;
    const { op } = await import("../../src/trace/index");
    const running = op(() => new Promise<void>((resolve) => (release = resolve)))();
    expect(() => setPropagation("promise-patch")).toThrow(/while 1 traced scope/);
    release();
    await running;
    expect(setPropagation("sync-only")).toBe("sync-only");
  });
});
