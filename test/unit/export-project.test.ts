/**
 * `exportProject` through real HTTP: a local project (nested traces, a Dataset whose table holds a
 * ref, a Model referring to an op, op source files, an image, feedback incl. an annotation, a price)
 * is sent with `createRemoteTraceServer` to weft's own fetch handler behind `node:http` on
 * 127.0.0.1, over a separate store. The receiving store must then answer like the local one
 * (project and digests aside); refs must resolve to the same values there.
 */
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WeftError } from "../../src/errors";
import { exportProject, indexedDbStateStore, memoryStateStore, type ExportProgress, type ExportStateStore } from "../../src/export";
import { createRemoteTraceServer, type RemoteTraceServer } from "../../src/http";
import type { LocalTraceServer } from "../../src/server";
import { expectSameAnswers, normalize, seedProject, startReceiver, tickingClock, WRITE_PATHS, type Receiver, type Seeded } from "./export-fixture";
import { makeServer } from "./support/server";

const LOCAL = "me/local-project";
const REMOTE = "team/exported";

let local: LocalTraceServer;
let seeded: Seeded;
let receiver: Receiver;
let remote: RemoteTraceServer;
let stateStore: ExportStateStore;

const remoteFor = (url: string, options: { retries?: number; apiKey?: string } = {}): RemoteTraceServer =>
  createRemoteTraceServer({ baseUrl: url, apiKey: options.apiKey ?? "test-key", retries: options.retries ?? 4, sleep: async () => undefined });

beforeEach(async () => {
  local = makeServer({ now: tickingClock() });
  seeded = await seedProject(local, LOCAL);
  receiver = await startReceiver();
  remote = remoteFor(receiver.url);
  stateStore = indexedDbStateStore({ indexedDB: new IDBFactory(), IDBKeyRange });
});
afterEach(async () => {
  stateStore.close();
  await receiver.close();
  await local.close();
});

describe("exportProject to a Weave server over HTTP", { timeout: 30_000 }, () => {
  it("copies everything; the remote answers like the local store, refs resolving to the same values", async () => {
    const result = await exportProject({ from: local, to: remote, project: LOCAL, toProject: REMOTE, stateStore });
    expect(result.sent).toEqual({ files: 3, tables: 1, objects: 6, calls: 23, feedback: 3, costs: 1 });
    expect(result.skipped).toEqual({ files: 0, tables: 0, objects: 0, calls: 0, feedback: 0, costs: 0 });
    await expectSameAnswers(local, LOCAL, receiver.store, REMOTE);
  });

  it("sends in dependency order and remaps digests that change with the project", async () => {
    await exportProject({ from: local, to: remote, project: LOCAL, toProject: REMOTE, stateStore });
    // Innermost first: the op before the Model that names it, the Model before the table whose row
    // refers to it, the table before the Dataset versions; then calls, feedback, the price.
    const order = receiver.seen
      .filter((s) => WRITE_PATHS.includes(s.path))
      .map((s) => (s.path === "/obj/create" ? `obj:${(JSON.parse(s.body) as { obj: { object_id: string } }).obj.object_id}` : s.path));
    expect(order).toEqual([
      "/file/create",
      "/file/create",
      "/file/create",
      "obj:predict",
      "obj:score",
      "obj:model",
      "/table/create",
      "obj:ds",
      "obj:ds",
      "obj:rating", // ready from the start, but created last: creation order among ready objects
      "/call/upsert_batch",
      "/feedback/batch/create",
      "/cost/create",
    ]);
    const dsVersions = (await receiver.store.objs_query({ project_id: REMOTE, filter: { object_ids: ["ds"] } })).objs;
    expect(dsVersions.map((o) => [(o.val as { description: string }).description, o.version_index, o.is_latest])).toEqual([
      ["first", 0, 0],
      ["second", 1, 1],
    ]);
    // The table row holding a Model ref, the Model (holds an op ref) and the Dataset (holds a table
    // ref) hash differently under the new project; an op without refs keeps its digest.
    const objs = (await receiver.store.objs_query({ project_id: REMOTE, filter: { latest_only: true } })).objs;
    const digest = (id: string) => objs.find((o) => o.object_id === id)?.digest;
    expect(digest("predict")).toBe(seeded.opDigest);
    expect(digest("model")).not.toBe(seeded.modelDigest);
    expect(digest("ds")).not.toBe(seeded.datasetDigest);
    const ds = objs.find((o) => o.object_id === "ds")?.val as { rows: string };
    expect(ds.rows).toMatch(new RegExp(`^weave:///${REMOTE}/table/[0-9a-f]{64}$`));
    expect(ds.rows).not.toContain(seeded.tableDigest);
    const rows = (await receiver.store.table_query({ project_id: REMOTE, digest: ds.rows.split("/").at(-1) as string })).rows;
    expect(rows.map((r) => r.digest === seeded.rowDigests[rows.indexOf(r)])).toEqual([true, false, true]);
    // A dataset row ref in a call points at the remote row digest and reads the same row.
    const child = (await receiver.store.call_read({ project_id: REMOTE, id: "child-0-1" })).call;
    const example = child?.inputs.example as string;
    expect(example).toBe(`weave:///${REMOTE}/object/ds:${digest("ds")}/attr/rows/id/${rows[1]?.digest}`);
    expect((await receiver.store.refs_read_batch({ refs: [example] })).vals[0]).toMatchObject({ q: "b", model: `weave:///${REMOTE}/object/model:${digest("model")}` });
  });

  it("an object published before the op it names still goes after it (dependencies beat creation time)", async () => {
    const opVal = { _type: "CustomWeaveType", weave_type: { type: "Op" }, files: {} };
    // Weave does not check that a ref exists, so a value may name an op that is published later.
    const { digest: opDigest } = await receiver.store.obj_create({ obj: { project_id: "scratch/p", object_id: "x", val: opVal } });
    await local.obj_create({ obj: { project_id: LOCAL, object_id: "early", val: { uses: `weave:///${LOCAL}/op/late_op:${opDigest}` } } });
    await local.obj_create({ obj: { project_id: LOCAL, object_id: "late_op", val: opVal } });
    await exportProject({ from: local, to: remote, project: LOCAL, toProject: REMOTE, stateStore });
    const created = receiver.seen.filter((r) => r.path === "/obj/create").map((r) => (JSON.parse(r.body) as { obj: { object_id: string } }).obj.object_id);
    expect(created.indexOf("late_op")).toBeLessThan(created.indexOf("early"));
    expect(created.slice(-2)).toEqual(["late_op", "early"]);
  });

  it("is idempotent: a second export sends no request at all", async () => {
    await exportProject({ from: local, to: remote, project: LOCAL, toProject: REMOTE, stateStore });
    const before = receiver.seen.length;
    const again = await exportProject({ from: local, to: remote, project: LOCAL, toProject: REMOTE, stateStore });
    expect(receiver.seen.slice(before)).toEqual([]);
    expect(again.sent).toEqual({ files: 0, tables: 0, objects: 0, calls: 0, feedback: 0, costs: 0 });
    expect(again.skipped).toEqual({ files: 3, tables: 1, objects: 6, calls: 23, feedback: 3, costs: 1 });
  });

  it("sends only what is new on the next run: a new call, and the end of a call that was running", async () => {
    await exportProject({ from: local, to: remote, project: LOCAL, toProject: REMOTE, stateStore });
    const before = receiver.seen.length;
    await local.call_start_batch({
      batch: [
        { mode: "end", req: { end: { project_id: LOCAL, id: "running-1", ended_at: "2025-01-01T12:05:00Z", summary: {}, output: "done" } } },
        { mode: "start", req: { start: { project_id: LOCAL, id: "late-1", trace_id: "trace-l", op_name: "late", started_at: "2025-01-01T12:06:00Z", attributes: {}, inputs: {} } } },
      ],
    });
    const result = await exportProject({ from: local, to: remote, project: LOCAL, toProject: REMOTE, stateStore });
    expect(result.sent.calls).toBe(2);
    const sent = receiver.seen.slice(before);
    expect(sent.map((s) => s.path)).toEqual(["/call/upsert_batch"]);
    const items = (JSON.parse(sent[0]?.body ?? "{}") as { batch: Array<{ mode: string; req: { start?: { id: string }; end?: { id: string } } }> }).batch;
    expect(items.map((i) => `${i.mode}:${i.req.start?.id ?? i.req.end?.id}`)).toEqual(["end:running-1", "start:late-1"]);
    await expectSameAnswers(local, LOCAL, receiver.store, REMOTE);
  });

  it("reports progress per kind and overall, ending with everything done", async () => {
    const events: ExportProgress[] = [];
    await exportProject({ from: local, to: remote, project: LOCAL, toProject: REMOTE, stateStore, onProgress: (e) => events.push(e) });
    const last = events.at(-1) as ExportProgress;
    expect(last.overall.done).toBe(last.overall.total);
    expect(last.overall.total).toBe(3 + 1 + 6 + 23 + 3 + 1);
    expect(last.overall.bytesDone).toBe(last.overall.bytesTotal);
    const calls = events.filter((e) => e.kind === "calls");
    expect(calls.at(-1)).toMatchObject({ done: 23, total: 23, skipped: 0 });
    expect(calls.at(-1)?.bytesTotal).toBeGreaterThan(5000);
    expect(new Set(events.map((e) => e.kind))).toEqual(new Set(["files", "tables", "objects", "calls", "feedback", "costs"]));
  });

  it("exports only the calls a filter selects, with what they refer to", async () => {
    const result = await exportProject({ from: local, to: remote, project: LOCAL, toProject: REMOTE, stateStore, filter: { trace_ids: ["trace-1"] } });
    // root + 3 children + 3 grandchildren; predict, score, model, ds v2 (not v1); the note on child-1-0; the price.
    expect(result.sent).toEqual({ files: 3, tables: 1, objects: 4, calls: 7, feedback: 1, costs: 1 });
    const remoteCalls = (await receiver.store.calls_query({ project_id: REMOTE, sort_by: [{ field: "id", direction: "asc" }] })).calls;
    const localCalls = (await local.calls_query({ project_id: LOCAL, filter: { trace_ids: ["trace-1"] }, sort_by: [{ field: "id", direction: "asc" }] })).calls;
    expect(normalize(remoteCalls, REMOTE)).toEqual(normalize(localCalls, LOCAL));
    const ids = (await receiver.store.objs_query({ project_id: REMOTE })).objs.map((o) => o.object_id).sort();
    expect(ids).toEqual(["ds", "model", "predict", "score"]);
  });

  it("keeps export state per target: the same project to another remote project is sent in full", async () => {
    await exportProject({ from: local, to: remote, project: LOCAL, toProject: REMOTE, stateStore });
    const other = await exportProject({ from: local, to: remote, project: LOCAL, toProject: "team/second", stateStore });
    expect(other.sent.calls).toBe(23);
    await expectSameAnswers(local, LOCAL, receiver.store, "team/second");
  });

  it("restart: true forgets earlier runs (for a target project that was emptied)", async () => {
    await exportProject({ from: local, to: remote, project: LOCAL, toProject: REMOTE, stateStore, targetId: "prod" });
    const emptied = await startReceiver();
    const to = remoteFor(emptied.url);
    const stale = await exportProject({ from: local, to, project: LOCAL, toProject: REMOTE, stateStore, targetId: "prod" });
    expect(stale.sent.calls).toBe(0); // the state says it is all there
    const fresh = await exportProject({ from: local, to, project: LOCAL, toProject: REMOTE, stateStore, targetId: "prod", restart: true });
    expect(fresh.sent).toEqual({ files: 3, tables: 1, objects: 6, calls: 23, feedback: 3, costs: 1 });
    await expectSameAnswers(local, LOCAL, emptied.store, REMOTE);
    await emptied.close();
  });

  it("refuses bad project ids with VALIDATION before sending anything", async () => {
    await expect(exportProject({ from: local, to: remote, project: LOCAL, toProject: "no-slash", stateStore: memoryStateStore() })).rejects.toMatchObject({
      code: "VALIDATION",
      message: expect.stringContaining("toProject"),
    });
    expect(receiver.seen).toEqual([]);
  });
});

describe("refusals", () => {
  it("401 → UNAUTHORIZED telling the user to check the API key", async () => {
    receiver.hook = (_n, _req, res) => {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ reason: "Unauthorized" }));
    };
    const error = await exportProject({ from: local, to: remoteFor(receiver.url, { apiKey: "wrong" }), project: LOCAL, toProject: REMOTE, stateStore }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WeftError);
    expect(error).toMatchObject({ code: "UNAUTHORIZED", details: { status: 401 } });
    expect((error as WeftError).message).toMatch(/refused the API key.*Check the API key/);
    expect(receiver.seen).toHaveLength(1); // never retried
  });

  it("403 → FORBIDDEN naming the entity", async () => {
    receiver.hook = (_n, _req, res) => {
      res.writeHead(403, { "content-type": "application/json" });
      res.end(JSON.stringify({ reason: "Forbidden" }));
    };
    await expect(exportProject({ from: local, to: remote, project: LOCAL, toProject: REMOTE, stateStore })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringContaining('entity "team"'),
    });
  });

  it("an unreachable server → UPSTREAM mentioning CORS and the proxy option", async () => {
    const url = receiver.url;
    await receiver.close();
    receiver = await startReceiver(); // for afterEach
    const error = (await exportProject({ from: local, to: remoteFor(url, { retries: 1 }), project: LOCAL, toProject: REMOTE, stateStore }).catch((e: unknown) => e)) as WeftError;
    expect(error.code).toBe("UPSTREAM");
    expect(error.message).toContain(`Could not reach the Weave server at ${url}`);
    expect(error.message).toContain("CORS");
    expect(error.message).toContain("proxy");
  });
});
