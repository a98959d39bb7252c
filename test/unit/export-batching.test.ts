/**
 * How the exporter cuts its writes: `call_start_batch` bodies within the count and byte limits (each
 * call's start and end in the same request), a call larger than the byte limit alone in its request,
 * a table larger than the limit sent as `table_create` plus `table_update` appends with every row
 * digest still mapped, and 10 000 calls over HTTP (set WEFT_EXPORT_BENCH=1 to print calls/s; tests
 * never assert times).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { exportProject, memoryStateStore } from "../../src/export";
import { createRemoteTraceServer, type RemoteTraceServer } from "../../src/http";
import type { LocalTraceServer } from "../../src/server";
import { seedProject, startReceiver, tickingClock, type Receiver } from "./export-fixture";
import { makeServer } from "./support/server";

const LOCAL = "me/big";
const REMOTE = "team/big";

let local: LocalTraceServer;
let receiver: Receiver;
let remote: RemoteTraceServer;

beforeEach(async () => {
  local = makeServer({ now: tickingClock() });
  receiver = await startReceiver();
  remote = createRemoteTraceServer({ baseUrl: receiver.url, apiKey: "k", sleep: async () => undefined });
});
afterEach(async () => {
  await receiver.close();
  await local.close();
});

type Item = { mode: "start" | "end"; req: { start?: { id: string }; end?: { id: string } } };
const batches = (): Array<{ bytes: number; items: Item[] }> =>
  receiver.seen
    .filter((s) => s.path === "/call/upsert_batch")
    .map((s) => ({ bytes: Buffer.byteLength(s.body), items: (JSON.parse(s.body) as { batch: Item[] }).batch }));

describe("batching", { timeout: 120_000 }, () => {
  it("10 000 calls: every upsert_batch ≤ 500 items and ≤ 2 MiB, each call's start and end together", async () => {
    await seedProject(local, LOCAL, 10_000);
    const started = performance.now();
    const result = await exportProject({ from: local, to: remote, project: LOCAL, toProject: REMOTE, stateStore: memoryStateStore() });
    const seconds = (performance.now() - started) / 1000;
    if (process.env.WEFT_EXPORT_BENCH) console.log(`exported ${result.sent.calls} calls in ${seconds.toFixed(1)} s: ${Math.round(result.sent.calls / seconds)} calls/s`);
    expect(result.sent.calls).toBe(10_023);
    const sent = batches();
    expect(sent.length).toBe(Math.ceil((10_022 * 2 + 1) / 500));
    for (const b of sent) {
      expect(b.items.length).toBeLessThanOrEqual(500);
      expect(b.bytes).toBeLessThanOrEqual(2 * 1024 * 1024);
      const ends = b.items.filter((i) => i.mode === "end").map((i) => i.req.end?.id);
      const starts = new Set(b.items.filter((i) => i.mode === "start").map((i) => i.req.start?.id));
      expect(ends.every((id) => starts.has(id))).toBe(true);
    }
    expect((await receiver.store.calls_query_stats({ project_id: REMOTE })).count).toBe(10_023);
  });

  it("a byte limit splits batches; a call above it goes alone", async () => {
    const big = "y".repeat(300_000);
    const items = [0, 1, 2, 3, 4, 5].map((i) => [
      { mode: "start" as const, req: { start: { project_id: LOCAL, id: `c${i}`, trace_id: `t${i}`, op_name: "op", started_at: `2025-01-01T00:00:0${i}Z`, attributes: {}, inputs: { text: i === 3 ? big : "small" } } } },
      { mode: "end" as const, req: { end: { project_id: LOCAL, id: `c${i}`, ended_at: `2025-01-01T00:00:0${i}Z`, summary: {}, output: i } } },
    ]);
    await local.call_start_batch({ batch: items.flat() });
    await exportProject({ from: local, to: remote, project: LOCAL, toProject: REMOTE, stateStore: memoryStateStore(), batch: { maxBytes: 100_000 } });
    const ids = batches().map((b) => [...new Set(b.items.map((i) => i.req.start?.id ?? i.req.end?.id))]);
    expect(ids).toEqual([["c0", "c1", "c2"], ["c3"], ["c4", "c5"]]);
  });

  it("a table above the byte limit goes as table_create + table_update appends; row refs still map", async () => {
    const rows = Array.from({ length: 40 }, (_, i) => ({ i, text: "z".repeat(1000), model: `weave:///${LOCAL}/object/m:none` }));
    const table = await local.table_create({ table: { project_id: LOCAL, rows } });
    const ds = await local.obj_create({ obj: { project_id: LOCAL, object_id: "ds", val: { _type: "Dataset", _class_name: "Dataset", _bases: ["Object", "BaseModel"], rows: `weave:///${LOCAL}/table/${table.digest}` } } });
    const rowRef = `weave:///${LOCAL}/object/ds:${ds.digest}/attr/rows/id/${table.row_digests[37]}`;
    await local.call_start_batch({
      batch: [{ mode: "start", req: { start: { project_id: LOCAL, id: "r1", trace_id: "t", op_name: "op", started_at: "2025-01-01T00:00:00Z", attributes: {}, inputs: { example: rowRef } } } }],
    });
    await exportProject({ from: local, to: remote, project: LOCAL, toProject: REMOTE, stateStore: memoryStateStore(), batch: { maxBytes: 10_000 } });
    const paths = receiver.seen.map((s) => s.path).filter((p) => p.startsWith("/table/"));
    expect(paths[0]).toBe("/table/create");
    expect(paths.slice(1).every((p) => p === "/table/update")).toBe(true);
    expect(paths.length).toBeGreaterThanOrEqual(4);
    const call = (await receiver.store.call_read({ project_id: REMOTE, id: "r1" })).call;
    const [row] = (await receiver.store.refs_read_batch({ refs: [call?.inputs.example as string] })).vals;
    expect(row).toEqual({ i: 37, text: "z".repeat(1000), model: `weave:///${REMOTE}/object/m:none` });
  });
});
