/**
 * `op` in Node through a real client and server: what a call record holds for sync, async,
 * generator and async-generator ops, exceptions, input naming, display names, post-processing
 * hooks, attributes, value serialization, and that an op never waits for storage.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { WeftError } from "../../src/errors";
import { getCurrentCall, init, isOp, op, withAttributes, type TracerClient } from "../../src/trace/index";
import { traceHarness, type TraceHarness } from "../support/trace-harness";

let h: TraceHarness;
beforeAll(() => {
  h = traceHarness({ attributes: { app: "unit" } });
});
afterAll(async () => {
  await h.close();
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe("op: kinds of functions", () => {
  it("keeps a sync op sync and records inputs, output, attributes and times", async () => {
    const add = op(function add(a: number, b: number) {
      return a + b;
    });
    const result = add(2, 3);
    expect(result).toBe(5);
    expect(isOp(add)).toBe(true);
    expect(add.opName).toBe("add");
    const call = h.one(await h.calls(), "add", 2);
    expect(call).toMatchObject({ project_id: "tester/trace", inputs: { arg0: 2, arg1: 3 }, output: 5, parent_id: null, exception: null });
    expect(call.attributes).toEqual({ app: "unit", weave: { client_version: expect.any(String), source: "weft" } });
    expect(call.summary).toMatchObject({ status_counts: { success: 1, error: 0 }, weave: { status: "success", trace_name: "add" } });
    expect(Date.parse(call.ended_at ?? "")).toBeGreaterThanOrEqual(Date.parse(call.started_at));
  });

  it("records an async op's resolved value", async () => {
    const greet = op(async (name: string) => (await sleep(1), `hi ${name}`), { name: "greet" });
    await expect(greet("ada")).resolves.toBe("hi ada");
    expect(h.one(await h.calls(), "greet")).toMatchObject({ inputs: { arg0: "ada" }, output: "hi ada" });
  });

  it("records a generator's yields; the call ends when the consumer stops", async () => {
    const count = op(function* count(n: number) {
      for (let i = 0; i < n; i++) yield i;
    });
    expect([...count(3)]).toEqual([0, 1, 2]);
    for (const x of count(10)) if (x === 1) break;
    const calls = (await h.calls()).filter((c) => c.op_name === "count");
    expect(calls.map((c) => [c.inputs.arg0, c.output, c.summary?.weave])).toEqual([
      [3, [0, 1, 2], expect.objectContaining({ status: "success" })],
      [10, [0, 1], expect.objectContaining({ status: "success" })],
    ]);
  });

  it("records an async generator's yields, through break and through errors", async () => {
    const ticks = op(async function* ticks(n: number) {
      for (let i = 0; i < n; i++) {
        await sleep(1);
        if (i === 5) throw new Error("tick five");
        yield `t${i}`;
      }
    });
    const seen: string[] = [];
    for await (const t of ticks(2)) seen.push(t);
    for await (const t of ticks(4)) if (t === "t0") break;
    await expect((async () => {
      for await (const _ of ticks(9)) void _;
    })()).rejects.toThrow("tick five");
    expect(seen).toEqual(["t0", "t1"]);
    const calls = (await h.calls()).filter((c) => c.op_name === "ticks");
    expect(calls.map((c) => [c.inputs.arg0, c.output, c.exception])).toEqual([
      [2, ["t0", "t1"], null],
      [4, ["t0"], null],
      [9, null, "tick five"],
    ]);
  });

  it("folds a returned async iterable with a streamReducer", async () => {
    async function* source() {
      yield "a";
      yield "b";
    }
    const joined = op(async () => source(), { name: "joined", streamReducer: { initialStateFn: () => "", reduceFn: (s: string, c: string) => s + c } });
    const out: string[] = [];
    for await (const c of await joined()) out.push(c);
    expect(out).toEqual(["a", "b"]);
    expect(h.one(await h.calls(), "joined").output).toBe("ab");
  });
});

describe("op: exceptions", () => {
  it("re-throws the same object (sync and async) and stores the message", async () => {
    const boom = new TypeError("bad input");
    const syncFail = op(function syncFail() {
      throw boom;
    });
    const asyncFail = op(async function asyncFail() {
      await sleep(1);
      throw boom;
    });
    const nonError = op(async function nonError() {
      throw "plain string"; // eslint-disable-line @typescript-eslint/only-throw-error
    });
    expect(() => syncFail()).toThrow(boom);
    expect(await asyncFail().catch((e: unknown) => e)).toBe(boom);
    expect(await nonError().catch((e: unknown) => e)).toBe("plain string");
    const calls = await h.calls();
    for (const name of ["syncFail", "asyncFail"]) {
      expect(h.one(calls, name)).toMatchObject({ exception: "bad input", output: null, summary: { status_counts: { success: 0, error: 1 }, weave: { status: "error" } } });
    }
    expect(h.one(calls, "nonError").exception).toBe("plain string");
  });
});

describe("op: options", () => {
  it("names inputs with parameterNames or spreads the first argument", async () => {
    const named = op((q: string, k: number) => `${q}${k}`, { name: "named", parameterNames: ["query", "k"] });
    const spread = op((o: { model: string; n: number }, extra: string) => o.n + extra, { name: "spread", parameterNames: "useParam0Object" });
    named("x", 3);
    spread({ model: "m", n: 1 }, "!");
    const calls = await h.calls();
    expect(h.one(calls, "named").inputs).toEqual({ query: "x", k: 3 });
    expect(h.one(calls, "spread").inputs).toEqual({ model: "m", n: 1, arg1: "!" });
  });

  it("sets display_name from callDisplayName", async () => {
    const ask = op((q: string) => q.length, { name: "ask", callDisplayName: (q) => `ask: ${q}` });
    ask("why");
    expect(h.one(await h.calls(), "ask")).toMatchObject({ display_name: "ask: why", summary: { weave: { display_name: "ask: why" } } });
  });

  it("records post-processed inputs and output; the function and caller get the originals", async () => {
    const login = op((user: string, password: string) => ({ token: `tok-${user}-${password.length}`, user }), {
      name: "login",
      parameterNames: ["user", "password"],
      postprocessInputs: (inputs) => ({ ...inputs, password: "***" }),
      postprocessOutput: (output) => ({ ...(output as object), token: "<redacted>" }),
    });
    expect(login("ann", "hunter2")).toEqual({ token: "tok-ann-7", user: "ann" });
    expect(h.one(await h.calls(), "login")).toMatchObject({ inputs: { user: "ann", password: "***" }, output: { token: "<redacted>", user: "ann" } });
  });

  it("reports a throwing hook instead of failing the call, and never records raw inputs then", async () => {
    const seen: WeftError[] = [];
    const tracer = init({ project: "tester/trace", client: h.client, onError: (e) => seen.push(e), setDefault: false });
    const redacted = op((secret: string) => secret.length, {
      name: "redacted",
      tracer,
      postprocessInputs: () => {
        throw new Error("redactor crashed");
      },
    });
    expect(redacted("s3cret")).toBe(6);
    expect(h.one(await h.calls(), "redacted").inputs).toEqual({});
    expect(seen.map((e) => e.message)).toEqual(["Internal error: redactor crashed"]);
  });

  it("refuses bad op names", () => {
    for (const name of ["", "x".repeat(129), "weave:///a/b/op/x:1"]) {
      expect(() => op(() => 1, { name })).toThrow(WeftError);
    }
  });

  it("passes `this` through", () => {
    const obj = { base: 10, plus: op(function plus(this: { base: number }, n: number) {
      return this.base + n;
    }) };
    expect(obj.plus(5)).toBe(15);
  });
});

describe("op: context", () => {
  it("merges tracer attributes under withAttributes scopes; `weave` stays the client's", async () => {
    const scoped = op(function scoped() {
      return getCurrentCall()?.opName;
    });
    const result = withAttributes({ user: "u1", weave: { forged: true } }, () => withAttributes({ user: "u2", turn: 2 }, () => scoped()));
    expect(result).toBe("scoped");
    expect(h.one(await h.calls(), "scoped").attributes).toEqual({ app: "unit", user: "u2", turn: 2, weave: { client_version: expect.any(String), source: "weft" } });
  });

  it("exposes the current call's ids inside the op and nothing outside", async () => {
    const inside = op(function inside() {
      return getCurrentCall();
    });
    const call = inside();
    expect(getCurrentCall()).toBeUndefined();
    const stored = h.one(await h.calls(), "inside");
    expect(call).toMatchObject({ id: stored.id, traceId: stored.trace_id, parentId: undefined, opName: "inside", projectId: "tester/trace" });
  });

  it("puts a child traced into another tracer at the root of that tracer's project", async () => {
    const other = init({ project: "tester/other", client: h.client, setDefault: false });
    const foreign = op(() => 1, { name: "foreign", tracer: other });
    const home = op(() => foreign(), { name: "home" });
    home();
    await other.flush();
    const res = await h.client.calls_query({ project_id: "tester/other" });
    expect(res.calls.map((c) => [c.op_name, c.parent_id ?? null])).toEqual([["foreign", null]]);
  });
});

describe("op: values and the hot path", () => {
  it("serializes what JSON cannot hold into readable stand-ins", async () => {
    class Point {
      constructor(readonly x: number, readonly y: number) {}
    }
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;
    const shared = { v: 1 };
    const values = op(function values(..._args: unknown[]) {
      return new Map([["k", new Set([1, 2])]]);
    });
    values(new Date(Date.UTC(2025, 0, 2)), 10n, Number.NaN, function helper() {}, cyclic, new Point(1, 2), new Error("e"), new Uint8Array(3), [shared, shared], undefined);
    expect(h.one(await h.calls(), "values")).toMatchObject({
      inputs: {
        arg0: "2025-01-02T00:00:00.000Z",
        arg1: "10",
        arg2: "NaN",
        arg3: "<function helper>",
        arg4: { name: "loop", self: "[Circular]" },
        arg5: { x: 1, y: 2 },
        arg6: { name: "Error", message: "e" },
        arg7: "<Uint8Array 3 bytes>",
        arg8: [{ v: 1 }, { v: 1 }],
      },
      output: { k: [1, 2] },
    });
    // An undefined argument is left out, as JSON leaves out undefined fields.
    expect(h.one(await h.calls(), "values").inputs).not.toHaveProperty("arg9");
  });

  it("snapshots inputs when the call starts, not when the batch leaves", async () => {
    const messages = [{ role: "user", content: "hi" }];
    const chat = op((m: typeof messages) => m.length, { name: "chatSnapshot" });
    chat(messages);
    messages.push({ role: "assistant", content: "hello" });
    expect(h.one(await h.calls(), "chatSnapshot").inputs).toEqual({ arg0: [{ role: "user", content: "hi" }] });
  });

  it("never waits for storage: ops return while call_start is still pending", async () => {
    const pending: string[] = [];
    const stuck: TracerClient = {
      call_start: (req) => (pending.push(`start ${req.start.op_name}`), new Promise(() => undefined)),
      call_end: () => new Promise(() => undefined),
      obj_create: () => new Promise(() => undefined),
      table_create: () => new Promise(() => undefined),
      flush: () => Promise.resolve(),
    };
    const tracer = init({ project: "x/y", client: stuck, setDefault: false });
    const quick = op(async (n: number) => n + 1, { name: "quick", tracer });
    await expect(quick(1)).resolves.toBe(2);
    expect(pending).toEqual(["start quick"]);
  });

  it("runs untraced with one warning before init", async () => {
    vi.resetModules();
    const fresh = await import("../../src/trace/index");
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const lonely = fresh.op((n: number) => n * 2, { name: "lonely" });
    expect(lonely(2)).toBe(4);
    expect(lonely(3)).toBe(6);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/before init/);
    warn.mockRestore();
  });
});
