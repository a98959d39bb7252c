/**
 * Page script of `test/browser/trace.test.ts`: the tracing API on the main thread of real Chromium,
 * writing through a real module Worker (the harness's `worker.ts`, database named by `?db=`).
 * Helpers on `globalThis.tracePage` run scenarios and return plain data. `?interval=` sets the
 * client's batch timer (a large one keeps calls queued until page hide).
 */
import OpenAI from "openai";
import { createClient } from "../../../src/client/index";
import { getPropagation, init, op, setPropagation, withAttributes, wrapOpenAI, type PropagationMode } from "../../../src/trace/index";
import { SCENARIOS, checkNesting, type Expectation } from "../../support/trace-scenarios";
import type { HarnessPageGlobals } from "../harness";

const params = new URLSearchParams(location.search);
const dbName = params.get("db") ?? "weft-trace-test";
const interval = Number(params.get("interval") ?? 10);
export const TRACE_PAGE_PROJECT = "browser/trace";

const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module", name: dbName });
const client = createClient({ worker, batch: { flushIntervalMs: interval } });
const errors: string[] = [];
const tracer = init({ project: TRACE_PAGE_PROJECT, client, onError: (e) => errors.push(`${e.code}: ${e.message}`) });

type StoredCall = Awaited<ReturnType<typeof client.calls_query>>["calls"][number];

async function calls(): Promise<StoredCall[]> {
  await tracer.flush();
  const res = await client.calls_query({ project_id: tracer.projectId, sort_by: [{ field: "id", direction: "asc" }] });
  return res.calls;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A small traced app: an agent that asks a fake LLM twice per step, with one failing tool. */
const llm = op(async function llm(prompt: string, model: string) {
  await sleep(1);
  return { model, usage: { prompt_tokens: prompt.length, completion_tokens: 2, total_tokens: prompt.length + 2 }, text: `re: ${prompt}` };
});
const tool = op(async function tool(name: string) {
  await sleep(1);
  if (name === "broken") throw new TypeError("tool broken");
  return name;
});
const step = op(async function step(label: string) {
  const first = await llm(`${label} plan`, "gpt-4o-mini");
  await tool(label).catch(() => undefined);
  const second = await llm(`${label} act`, label === "s2" ? "gpt-4o" : "gpt-4o-mini");
  return [first.text, second.text];
});
const agent = op(async function agent(label: string) {
  return Promise.all([step("s1"), step("s2"), step("broken")]);
});

const api = {
  dbName,
  errors,
  propagation: (): string => getPropagation(),
  setPropagation: (mode: PropagationMode): string => setPropagation(mode),
  calls,
  /** Runs one scenario (or all at once) and returns the nesting problems found (none: right). */
  async scenario(name: string | "all", prefix: string, followsLimited = false): Promise<string[]> {
    const names = name === "all" ? Object.keys(SCENARIOS) : [name];
    const runs: Expectation[][] = await Promise.all(names.map((n) => SCENARIOS[n]?.(`${prefix}-${n}`) ?? Promise.resolve([])));
    const stored = await calls();
    return runs.flatMap((expected) => checkNesting(stored, expected, followsLimited));
  },
  /** Attributes from init, nested `withAttributes` scopes and across awaits. */
  async attributes(): Promise<Record<string, unknown>> {
    const scoped = init({ project: TRACE_PAGE_PROJECT, client, attributes: { app: "demo", env: "test" }, setDefault: false });
    const inner = op(async function attrInner(label: string) {
      await sleep(1);
      return label;
    }, { tracer: scoped });
    const outer = op(async function attrOuter(label: string) {
      await sleep(1);
      await withAttributes({ user: "u1", env: "staging" }, async () => {
        await sleep(1);
        await inner(`${label}.in-scope`);
      });
      await inner(`${label}.after-scope`);
    }, { tracer: scoped });
    await withAttributes({ session: "s9" }, () => outer("attr"));
    const stored = await calls();
    return Object.fromEntries(stored.filter((c) => String(c.inputs.arg0).startsWith("attr")).map((c) => [c.inputs.arg0, c.attributes]));
  },
  /** The agent app; returns its calls' summaries and statuses by label. */
  async rollup(): Promise<Record<string, { summary: unknown; exception: unknown }>> {
    await agent("agent");
    const stored = await calls();
    const mine = stored.filter((c) => ["agent", "step", "llm", "tool"].includes(c.op_name));
    return Object.fromEntries(mine.map((c) => [`${c.op_name}:${String(c.inputs.arg0)}`, { summary: c.summary, exception: c.exception ?? null }]));
  },
  /** A thrown error comes back as the same object; returns what the caller and the store saw. */
  async sameError(): Promise<{ same: boolean; exception: unknown }> {
    const boom = new RangeError("out of range");
    const thrower = op(async function thrower() {
      await sleep(1);
      throw boom;
    });
    const caught = await thrower().catch((e: unknown) => e);
    const stored = (await calls()).find((c) => c.op_name === "thrower");
    return { same: caught === boom, exception: stored?.exception };
  },
  /** `wrapOpenAI` with the official client against the stub; returns what the app saw. */
  async openai(baseURL: string): Promise<{ plain: string | null; streamed: string; chunks: number; calls: StoredCall[] }> {
    const openai = wrapOpenAI(new OpenAI({ apiKey: "sk-test", baseURL, dangerouslyAllowBrowser: true, maxRetries: 0 }));
    const chat = op(async function chat(question: string) {
      const plain = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: question }] });
      const stream = await openai.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: question }], stream: true });
      let streamed = "";
      let chunks = 0;
      for await (const chunk of stream) {
        chunks++;
        streamed += chunk.choices[0]?.delta.content ?? "";
      }
      return { plain: plain.choices[0]?.message.content ?? null, streamed, chunks };
    });
    const seen = await chat("hi");
    const stored = (await calls()).filter((c) => c.op_name === "chat" || c.op_name === "openai.chat.completions.create");
    return { ...seen, calls: stored };
  },
  /** Traces `n` nested sync calls, then leaves for `url` in the same task (page hide must save them). */
  traceAndLeave(n: number, url: string): void {
    const child = op(function leaveChild(i: number) {
      return i * 2;
    });
    const parent = op(function leaveParent(count: number) {
      let sum = 0;
      for (let i = 0; i < count; i++) sum += child(i);
      return sum;
    });
    parent(n);
    location.href = url;
  },
  /**
   * µs per call of a traced sync op over the bare function (a rough figure for the report), split
   * into the tracer's own work (a client that drops everything) and the client's (`call_start` +
   * `call_end` on the real client: validation, snapshot, batching, posting to the worker).
   */
  async overhead(n: number): Promise<{ bareUs: number; tracerOnlyUs: number; clientOnlyUs: number; tracedUs: number; awaitUs: number; awaitInOpUs: number }> {
    const time = (fn: (i: number) => unknown): number => {
      fn(0);
      const t0 = performance.now();
      for (let i = 0; i < n; i++) fn(i);
      return ((performance.now() - t0) * 1000) / n;
    };
    const bare = (a: number, b: number) => a + b;
    const drop = { call_start: () => Promise.resolve({ id: "", trace_id: "" }), call_end: () => Promise.resolve({}), obj_create: () => Promise.reject(new Error("no")), table_create: () => Promise.reject(new Error("no")), flush: () => Promise.resolve() };
    const tracerOnly = op(bare, { name: "overhead", tracer: init({ project: TRACE_PAGE_PROJECT, client: drop, setDefault: false }) });
    const traced = op(bare, { name: "overhead" });
    const now = new Date().toISOString();
    const direct = (i: number): void => {
      const id = `direct-${i}`;
      void client.call_start({ start: { project_id: TRACE_PAGE_PROJECT, id, trace_id: id, op_name: "overhead", started_at: now, attributes: { weave: { client_version: "0", source: "weft" } }, inputs: { arg0: i, arg1: 1 } } });
      void client.call_end({ end: { project_id: TRACE_PAGE_PROJECT, id, ended_at: now, output: i + 1, summary: { status_counts: { success: 1, error: 0 } } } });
    };
    time((i) => tracerOnly(i, 1));
    time((i) => traced(i, 1));
    await tracer.flush();
    const bareUs = time((i) => bare(i, 1));
    const tracerOnlyUs = time((i) => tracerOnly(i, 1));
    const clientOnlyUs = time(direct);
    await tracer.flush();
    const tracedUs = time((i) => traced(i, 1));
    await tracer.flush();
    // What the promise patch adds to each `await` while a traced scope is open.
    const awaits = async (): Promise<number> => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await Promise.resolve(i);
      return ((performance.now() - t0) * 1000) / n;
    };
    const awaitUs = await awaits();
    const awaitInOpUs = await op(awaits, { name: "awaits", tracer: init({ project: TRACE_PAGE_PROJECT, client: drop, setDefault: false }) })();
    return { bareUs, tracerOnlyUs, clientOnlyUs, tracedUs, awaitUs, awaitInOpUs };
  },
};

export type TracePageGlobals = HarnessPageGlobals & { tracePage: typeof api };
const g = globalThis as unknown as TracePageGlobals;
g.tracePage = api;
g.harnessReady = client.ready();
