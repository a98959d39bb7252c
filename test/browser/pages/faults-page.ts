/**
 * Page script of the fault tests (`faults-*.test.ts`): weft's real worker (`faults-worker.ts`,
 * database `?db=`) behind `createClient`, and helpers on `globalThis.faults` that inject faults
 * (terminate the worker mid-stream or inside a transaction, trace until the quota is full, trace
 * while the page is reloaded or closed) and return plain data. Errors come back as `Seen`
 * (`weft` = `instanceof WeftError`, checked here in the page).
 * Query: `db`, `project` (default `faults/main`), `interval` (batch timer, ms), `liveness` (ms).
 */
import { createClient, type BatchOptions, type WeftClient } from "../../../src/client/index";
import { WeftError } from "../../../src/errors";
import { digestStore } from "../../support/store-digest";
import type { HarnessPageGlobals } from "../harness";
import { closeNewer, endOf, newerCount, openAsNewerWeft, startOf, verifyRaw, type RawVerdict } from "./faults-store";
import type { FaultsWorkerConfig, SpyMessage } from "./faults-worker";

/** An outcome as the test sees it. */
export type Seen = { ok: true } | { ok: false; weft: boolean; code: string | null; message: string };

const params = new URLSearchParams(location.search);
const dbName = params.get("db") ?? "weft-faults";
const PROJECT = params.get("project") ?? "faults/main";
const interval = Number(params.get("interval") ?? 25);
const liveness = Number(params.get("liveness") ?? 1000);
/** Batch limits that never send by themselves: each `flush()` sends exactly what was queued. */
const MANUAL: BatchOptions = { maxItems: 1e9, maxBytes: 1e12, flushIntervalMs: 3_600_000 };

interface Connection {
  worker: Worker;
  client: WeftClient;
}

function connect(config: Omit<FaultsWorkerConfig, "db"> = {}, batch: BatchOptions = { flushIntervalMs: interval }): Connection {
  const worker = new Worker(new URL("./faults-worker.ts", import.meta.url), { type: "module", name: JSON.stringify({ db: dbName, ...config }) });
  return { worker, client: createClient({ worker, batch, livenessTimeoutMs: liveness }) };
}

function toSeen(error: unknown): Seen {
  if (error instanceof WeftError) return { ok: false, weft: true, code: error.code, message: error.message };
  return { ok: false, weft: false, code: null, message: String(error) };
}

const seen = (promise: Promise<unknown>): Promise<Seen> => promise.then(() => ({ ok: true }) as const, toSeen);

let current = connect();

/** Closes the current client and worker and connects a new one. */
async function replace(config: Omit<FaultsWorkerConfig, "db"> = {}, batch?: BatchOptions): Promise<Connection> {
  await current.client.close();
  current = connect(config, batch);
  await current.client.ready();
  return current;
}

/** Settles with `Seen` for every promise; `codes` lists the distinct error codes. */
async function settleAll(promises: Array<Promise<unknown>>): Promise<{ ok: number; codes: string[] }> {
  const all = await Promise.all(promises.map(seen));
  const codes = new Set<string>();
  for (const s of all) if (!s.ok) codes.add(s.code ?? `non-weft: ${s.message}`);
  return { ok: all.filter((s) => s.ok).length, codes: [...codes].sort() };
}

/** One batch of the crash stream: what it held and what the client said about it. */
export interface BatchOutcome {
  starts: number;
  ends: number;
  acked: boolean;
  codes: string[];
}

/**
 * Traces `groups × perGroup` calls as `groups + 1` batches, all sent at once: batch b holds the
 * starts of group b and the ends of group b-1 (ends come later than starts, as in an app). When
 * `killAfterAcked` batches have been acknowledged, the worker is terminated from the page.
 */
async function crashStream(o: { prefix: string; groups: number; perGroup: number; chars: number; killAfterAcked: number }) {
  const conn = await replace({}, MANUAL);
  let acked = 0;
  let killedAt = -1;
  let ackedAtKill = -1;
  const outcomes: Array<Promise<BatchOutcome>> = [];
  for (let b = 0; b <= o.groups; b++) {
    const promises: Array<Promise<unknown>> = [];
    if (b < o.groups) for (let i = 0; i < o.perGroup; i++) promises.push(conn.client.call_start({ start: startOf(PROJECT, o.prefix, b, i, o.chars) }));
    if (b > 0) for (let i = 0; i < o.perGroup; i++) promises.push(conn.client.call_end({ end: endOf(PROJECT, o.prefix, b - 1, i) }));
    conn.client.flush().catch(() => undefined);
    const starts = b < o.groups ? o.perGroup : 0;
    const ends = b > 0 ? o.perGroup : 0;
    outcomes.push(
      Promise.all(promises).then(
        () => {
          if (++acked === o.killAfterAcked) {
            conn.worker.terminate();
            killedAt = performance.now();
            ackedAtKill = acked;
          }
          return { starts, ends, acked: true, codes: [] };
        },
        async () => ({ starts, ends, acked: false, codes: (await settleAll(promises)).codes }),
      ),
    );
  }
  // Right after the kill, before the client can know: a new call and a query.
  while (killedAt < 0 && acked < o.groups + 1) await new Promise((r) => setTimeout(r, 1));
  const late = seen(conn.client.call_start({ start: startOf(PROJECT, `${o.prefix}-late`, 0, 0, 10) }));
  const query = seen(conn.client.calls_query_stats({ project_id: PROJECT }));
  const batches = await Promise.all(outcomes);
  const rejectedAfterMs = performance.now() - killedAt;
  return { batches, ackedAtKill, late: await late, query: await query, rejectedAfterMs, afterDeath: await seen(conn.client.calls_query_stats({ project_id: PROJECT })) };
}

/**
 * One `call_start_batch` of `n` calls (start and end together, so one row write each), with the
 * worker's spy set to report the `spyAtPut`-th row written and, with `stall`, to hold the
 * transaction open there; the page terminates the worker as soon as the spy reports.
 */
async function killInsideBatch(o: { prefix: string; n: number; chars: number; spyAtPut: number; stall: boolean }) {
  const spyChannel = `faults-spy-${dbName}-${o.prefix}`;
  const channel = new BroadcastChannel(spyChannel);
  const conn = await replace({ spyAtPut: o.spyAtPut, spyChannel, stall: o.stall }, MANUAL);
  let spy: SpyMessage | null = null;
  let sentAt = 0;
  let killedAfterMs = -1;
  channel.onmessage = (event: MessageEvent<SpyMessage>) => {
    conn.worker.terminate();
    killedAfterMs = performance.now() - sentAt;
    spy = event.data;
  };
  const promises: Array<Promise<unknown>> = [];
  for (let i = 0; i < o.n; i++) {
    promises.push(conn.client.call_start({ start: startOf(PROJECT, o.prefix, 0, i, o.chars) }));
    promises.push(conn.client.call_end({ end: endOf(PROJECT, o.prefix, 0, i) }));
  }
  sentAt = performance.now();
  const flush = await seen(conn.client.flush());
  const items = await settleAll(promises);
  channel.close();
  return { flush, items, spy: spy as SpyMessage | null, killedAfterMs };
}

/**
 * Starts and ends `n` calls of group `g` in chunks of `chunk`, pausing `pauseMs` between chunks
 * (so tabs tracing at once interleave), then flushes; with `startAt` (epoch ms) it begins then, so
 * several tabs start together. Returns what the client acknowledged and when.
 */
let spreadQueued = 0;

async function traceSpread(o: { prefix: string; g?: number; n: number; chunk: number; pauseMs: number; chars: number; startAt?: number }) {
  const g = o.g ?? 0;
  spreadQueued = 0;
  const startAt = o.startAt;
  if (startAt !== undefined) await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())));
  const promises: Array<Promise<unknown>> = [];
  const t0 = Date.now();
  let firstAck = 0;
  for (let i = 0; i < o.n; i++) {
    const p = current.client.call_start({ start: startOf(PROJECT, o.prefix, g, i, o.chars) });
    if (i === 0) void p.then(() => (firstAck = Date.now()), () => undefined);
    promises.push(p, current.client.call_end({ end: endOf(PROJECT, o.prefix, g, i) }));
    spreadQueued++;
    if ((i + 1) % o.chunk === 0) await new Promise((r) => setTimeout(r, o.pauseMs));
  }
  const flush = await seen(current.client.flush());
  const settled = await settleAll(promises);
  return { flush, ok: settled.ok, codes: settled.codes, startedAt: t0, firstAckAt: firstAck, doneAt: Date.now() };
}

/** What `traceUntilUnload` records: calls traced, how many not yet acknowledged, and by which event. */
export interface Progress {
  traced: number;
  unacked: number;
  at: "tick" | "beforeunload" | "pagehide";
  /** Calls traced when `beforeunload` ran (absent if it did not). */
  atBeforeunload?: number;
}

const progressKey = (prefix: string): string => `faults:${dbName}:${prefix}`;

/**
 * Traces `perTick` calls every `tickMs` (group 0, ids in order) until the page is hidden, recording
 * in localStorage after every tick and at `pagehide` how many were traced and how many of those the
 * worker had not yet acknowledged. Tracing stops at `pagehide`: Chromium was seen running timers
 * after it when a tab closes, and the claim under test is about calls traced before it.
 */
function traceUntilUnload(o: { prefix: string; perTick: number; tickMs: number; chars: number }): void {
  let traced = 0;
  let acked = 0;
  let stopped = false;
  let atBeforeunload: number | undefined;
  const record = (at: Progress["at"]): void =>
    localStorage.setItem(progressKey(o.prefix), JSON.stringify({ traced, unacked: traced - acked, at, ...(atBeforeunload === undefined ? {} : { atBeforeunload }) } satisfies Progress));
  // Registered after the client's own handlers (it was created first), so these run after them.
  addEventListener("beforeunload", () => {
    atBeforeunload = traced;
    record("beforeunload");
  });
  addEventListener("pagehide", () => {
    stopped = true;
    record("pagehide");
  });
  const timer = setInterval(() => {
    if (stopped) return clearInterval(timer);
    for (let k = 0; k < o.perTick; k++, traced++) {
      const start = current.client.call_start({ start: startOf(PROJECT, o.prefix, 0, traced, o.chars) });
      const end = current.client.call_end({ end: endOf(PROJECT, o.prefix, 0, traced) });
      void Promise.all([start, end]).then(() => void acked++, () => undefined);
    }
    record("tick");
  }, o.tickMs);
}

const api = {
  dbName,
  project: PROJECT,
  crashStream,
  killInsideBatch,
  traceSpread,
  traceUntilUnload,
  /** Calls the running (or last) `traceSpread` has queued so far. */
  spreadProgress: (): number => spreadQueued,
  /** What `traceUntilUnload` recorded last in this origin's localStorage. */
  progress: (prefix: string): Progress | null => JSON.parse(localStorage.getItem(progressKey(prefix)) ?? "null") as Progress | null,
  /** Replaces the client with a fresh worker (the default one, no spy) on the same database. */
  async reopen(): Promise<void> {
    await replace();
  },
  /** `calls_query_stats` through the client (optionally filtered by op names). */
  async count(opNames?: string[]): Promise<Seen & { count?: number }> {
    try {
      const res = await current.client.calls_query_stats({ project_id: PROJECT, ...(opNames ? { filter: { op_names: opNames } } : {}) });
      return { ok: true, count: res.count };
    } catch (error) {
      return toSeen(error);
    }
  },
  /** Ids of the project's calls streamed through the client (sorted), optionally of one op. */
  async streamedIds(opName?: string): Promise<string[]> {
    const ids: string[] = [];
    const req = { project_id: PROJECT, columns: ["id"], ...(opName ? { filter: { op_names: [opName] } } : {}) };
    for await (const call of current.client.calls_query_stream(req)) ids.push(call.id);
    return ids.sort();
  },
  /** Raw rows of `prefix` checked against what was traced. Reads through the client first, so a pending outbox replay is done. */
  async verify(prefix: string, chars: number): Promise<RawVerdict & { clientCount: number }> {
    const stats = await current.client.calls_query_stats({ project_id: PROJECT });
    return { ...(await verifyRaw(dbName, PROJECT, prefix, chars)), clientCount: stats.count };
  },
  /** One call (start, end) and a flush, each outcome separately. */
  async writeOne(prefix: string, i: number, chars: number): Promise<{ start: Seen; end: Seen; flush: Seen }> {
    const start = seen(current.client.call_start({ start: startOf(PROJECT, prefix, 0, i, chars) }));
    const end = seen(current.client.call_end({ end: endOf(PROJECT, prefix, 0, i) }));
    const flush = await seen(current.client.flush());
    return { start: await start, end: await end, flush };
  },
  /** Reads one call back and returns the length of its inputs' text. */
  async readOne(prefix: string, i: number): Promise<Seen & { textLength?: number }> {
    try {
      const id = startOf(PROJECT, prefix, 0, i, 0).id;
      const res = await current.client.calls_query({ project_id: PROJECT, filter: { call_ids: [id] } });
      return { ok: true, textLength: String((res.calls[0]?.inputs as { text?: string } | undefined)?.text ?? "").length };
    } catch (error) {
      return toSeen(error);
    }
  },
  /** `file_create` of `bytes` bytes. */
  fileCreate: (bytes: number): Promise<Seen> => {
    const content = new Uint8Array(bytes);
    // getRandomValues fills at most 64 KiB a call; random so that compression cannot shrink it.
    for (let at = 0; at < bytes; at += 65536) crypto.getRandomValues(content.subarray(at, Math.min(bytes, at + 65536)));
    return seen(current.client.file_create({ project_id: PROJECT, name: "big.bin", content }));
  },
  /** `obj_create` of an object with a `chars`-long random string. */
  objCreate: (chars: number): Promise<Seen> =>
    seen(current.client.obj_create({ obj: { project_id: PROJECT, object_id: "big-object", val: { text: startOf(PROJECT, "obj", 0, Date.now() % 1e6, chars).inputs.text } } })),
  /** The store-digest hash of the whole database. */
  digest: (): Promise<string> => digestStore(dbName),
  /** Storage usage as the browser reports it. */
  estimate: async (): Promise<{ usage: number; quota: number }> => {
    const e = await navigator.storage.estimate();
    return { usage: e.usage ?? -1, quota: e.quota ?? -1 };
  },
  /** Opens `db` (default: this page's) as a newer weft would, at `SCHEMA_VERSION + bump`, and keeps it open. */
  openAsNewerWeft: (db?: string, bump = 1) => openAsNewerWeft(db ?? dbName, PROJECT, bump),
  newerCount: () => newerCount(PROJECT),
  closeNewer,
};

export type FaultsPageApi = typeof api;
export interface FaultsPageGlobals extends HarnessPageGlobals {
  faults: FaultsPageApi;
}

const globals = globalThis as unknown as FaultsPageGlobals;
globals.faults = api;
// Ready once the worker answered and the page-hide outbox is open.
globals.harnessReady = current.client.ready();
