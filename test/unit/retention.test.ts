/**
 * Retention (`purge`, `deleteProject`) on a real `LocalTraceServer` over fake-indexeddb. One scenario
 * is seeded into two projects; only A is purged or deleted, and B's stored rows must come out of it
 * byte for byte the same. Stored rows are read through a second connection to the same database.
 */
import { createHash } from "node:crypto";
import { Dexie } from "dexie";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import { WeftError } from "../../src/errors";
import { createLocalTraceServer, type LocalTraceServer } from "../../src/server";
import { WeftDb } from "../../src/server/db";
import { at } from "./support/server";

const A = "shawn/purge-a";
const B = "shawn/purge-b";
const CUTOFF = at(3_600_000); // old traces started at at(0); new ones at at(2h)
const STORES = ["calls", "objects", "table_defs", "table_entries", "row_values", "files", "file_chunks", "feedback", "costs"] as const;
let dbCount = 0;

function setup() {
  const dbName = `retention-${++dbCount}`;
  const indexedDB = new IDBFactory();
  const server = createLocalTraceServer({ dbName, indexedDB, IDBKeyRange });
  const raw = new WeftDb(dbName, { indexedDB, IDBKeyRange });
  return { server, raw, dbName };
}

/** SHA-256 of every stored row of `project`, store by store, in key order. */
async function projectDigest(raw: WeftDb, project: string): Promise<string> {
  const hash = createHash("sha256");
  for (const store of STORES) {
    const rows = await raw.table(store).filter((r: { project_id: string }) => r.project_id === project).toArray();
    hash.update(store + JSON.stringify(rows, (_k, v: unknown) => (v instanceof Uint8Array ? Array.from(v) : v)));
  }
  return hash.digest("hex");
}

async function countRows(raw: WeftDb, project: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const store of STORES) counts[store] = await raw.table(store).filter((r: { project_id: string }) => r.project_id === project).count();
  return counts;
}

const bytes = (text: string) => new TextEncoder().encode(text);
const opVal = (file: string) => ({ _type: "CustomWeaveType", weave_type: { type: "Op" }, files: { "obj.py": file } });
const image = (file: string) => ({ _type: "CustomWeaveType", weave_type: { type: "PIL.Image.Image" }, files: { "image.png": file } });

/**
 * Seeds `p`: an old trace (root at at(0), a child that started after the cutoff), an old trace that
 * was soft-deleted, a new trace (root at at(2h), a child that started before the cutoff), feedback,
 * ops, objects with version history, two Dataset tables sharing a row, op files and images.
 */
async function seed(s: LocalTraceServer, p: string) {
  const file = async (text: string) => (await s.file_create({ project_id: p, name: "f", content: bytes(text) })).digest;
  const obj = async (object_id: string, val: unknown) => (await s.obj_create({ obj: { project_id: p, object_id, val } })).digest;
  const ref = (kind: string, name: string, digest: string) => `weave:///${p}/${kind}/${name}:${digest}`;
  const table = async (rows: Record<string, unknown>[]) => (await s.table_create({ table: { project_id: p, rows } })).digest;
  const dataset = (tableDigest: string) => ({ _type: "Dataset", rows: `weave:///${p}/table/${tableDigest}`, _class_name: "Dataset", _bases: ["Object", "BaseModel"] });

  const d = {
    fOld: await file("def old_op(): ..."),
    fShared: await file("def shared_op(): ..."),
    fNew: await file("def new_op(): ..."),
    fImg: await file("old image bytes"),
    fImgShared: await file("shared image bytes"),
    t1: await table([{ q: "shared" }, { q: "a" }]),
    t2: await table([{ q: "shared" }, { q: "only-old" }]),
  } as Record<string, string>;
  d.opOld = await obj("old_op", opVal(d.fOld as string));
  d.opShared = await obj("shared_op", opVal(d.fShared as string));
  d.opNew = await obj("new_op", opVal(d.fNew as string));
  d.onlyOld = await obj("only_old", { x: 1 });
  d.shared = await obj("shared_obj", { x: 2 });
  d.ds = await obj("ds", dataset(d.t1 as string));
  d.oldDs = await obj("old_ds", dataset(d.t2 as string));
  d.published = await obj("published", { never: "referenced" });
  d.promptV0 = await obj("prompt", { text: "v0" });
  d.promptV1 = await obj("prompt", { text: "v1" });
  d.cfgV0 = await obj("cfg", { a: 1 });
  d.cfgV1 = await obj("cfg", { a: 2 }); // latest, used only by the old trace

  const g = (k: string) => d[k] as string;
  const call = async (id: string, trace_id: string, started: number, op_name: string, inputs: Record<string, unknown>, more: Record<string, unknown> = {}, output: unknown = null) => {
    await s.call_start({ start: { project_id: p, id, trace_id, op_name, started_at: at(started), attributes: {}, inputs, ...more } });
    await s.call_end({ end: { project_id: p, id, ended_at: at(started + 1000), summary: {}, output } });
  };
  const H = 3_600_000;
  await call("r-old", "t-old", 0, ref("op", "old_op", g("opOld")), {
    only: ref("object", "only_old", g("onlyOld")),
    shared: ref("object", "shared_obj", g("shared")),
    old_ds: ref("object", "old_ds", g("oldDs")),
    ds: ref("object", "ds", g("ds")),
    prompt: ref("object", "prompt", g("promptV0")),
    cfg: ref("object", "cfg", g("cfgV1")),
  }, {}, { picture: image(g("fImg")), again: image(g("fImgShared")) });
  await call("c-old", "t-old", 3 * H, ref("op", "shared_op", g("opShared")), {}, { parent_id: "r-old" });
  await call("r-del", "t-del", 1000, "plain_op", {});
  await s.calls_delete({ project_id: p, call_ids: ["r-del"] });
  await call("r-new", "t-new", 2 * H, ref("op", "shared_op", g("opShared")), {
    shared: ref("object", "shared_obj", g("shared")),
    ds: ref("object", "ds", g("ds")),
    cfg: ref("object", "cfg", g("cfgV0")),
    img: image(g("fImgShared")),
  });
  await call("c-new", "t-new", 0, ref("op", "new_op", g("opNew")), {}, { parent_id: "r-new" });
  const callRef = (id: string) => `weave:///${p}/call/${id}`;
  for (const id of ["r-old", "c-old", "r-new"]) {
    await s.feedback_create({ project_id: p, weave_ref: callRef(id), feedback_type: "wandb.note.1", payload: { note: `on ${id}` } });
  }
  return d;
}

async function code(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (e: unknown) => (e instanceof WeftError ? e.code : String(e)),
  );
}

describe("purge", () => {
  it("removes old traces whole with their feedback, and exactly what only they referenced", async () => {
    const { server: s, raw } = setup();
    const a = await seed(s, A);
    await seed(s, B);
    const before = await projectDigest(raw, B);

    expect(await s.purge({ project: A, olderThan: CUTOFF })).toEqual({
      traces_deleted: 2, // t-old (its child started after the cutoff) and the soft-deleted t-del
      calls_deleted: 3,
      feedback_deleted: 2,
      objects_deleted: 5, // old_op, only_old, old_ds, prompt v0, cfg v1
      tables_deleted: 1, // old_ds's table; ds's table stays with ds
      rows_deleted: 1, // the row the two tables share stays
      files_deleted: 2, // old_op's source and the image only the old trace showed
    });

    // The new trace stays whole, though its child started before the cutoff.
    const { calls } = await s.calls_query({ project_id: A, sort_by: [{ field: "id", direction: "asc" }] });
    expect(calls.map((c) => c.id)).toEqual(["c-new", "r-new"]);
    expect((await raw.calls.where("[project_id+id]").between([A, Dexie.minKey], [A, Dexie.maxKey]).primaryKeys()).map((k) => k[1]).sort()).toEqual(["c-new", "r-new"]);
    const { result: feedback } = await s.feedback_query({ project_id: A });
    expect(feedback.map((f) => f["weave_ref"])).toEqual([`weave:///${A}/call/r-new`]);

    const present = async (object_id: string, digest: string) => (await raw.objects.get([A, object_id, digest])) !== undefined;
    const kept = { shared_op: a.opShared, new_op: a.opNew, shared_obj: a.shared, ds: a.ds, published: a.published, prompt: a.promptV1, cfg: a.cfgV0 };
    for (const [name, digest] of Object.entries(kept)) expect([name, await present(name, digest as string)]).toEqual([name, true]);
    const gone = { old_op: a.opOld, only_old: a.onlyOld, old_ds: a.oldDs, prompt: a.promptV0, cfg: a.cfgV1 };
    for (const [name, digest] of Object.entries(gone)) expect([name, await present(name, digest as string)]).toEqual([name, false]);
    // cfg's latest version went: latest points at the one that stays, as after obj_delete.
    expect((await s.obj_read({ project_id: A, object_id: "cfg", digest: "latest" })).obj).toMatchObject({ digest: a.cfgV0, is_latest: 1 });
    expect((await s.obj_read({ project_id: A, object_id: "prompt", digest: "latest" })).obj.digest).toBe(a.promptV1);

    expect(await raw.table_defs.get([A, a.t1 as string])).toBeDefined();
    expect(await raw.table_defs.get([A, a.t2 as string])).toBeUndefined();
    expect(await raw.table_entries.where("[project_id+table_digest+chunk]").between([A, a.t2, Dexie.minKey], [A, a.t2, Dexie.maxKey]).count()).toBe(0);
    const rows = await s.table_query({ project_id: A, digest: a.t1 as string });
    expect(rows.rows.map((r) => r.val)).toEqual([{ q: "shared" }, { q: "a" }]);
    expect(await raw.row_values.where("[project_id+digest]").between([A, Dexie.minKey], [A, Dexie.maxKey]).count()).toBe(2);

    for (const f of [a.fOld, a.fImg]) expect(await code(s.file_content_read({ project_id: A, digest: f as string }))).toBe("NOT_FOUND");
    for (const f of [a.fShared, a.fNew, a.fImgShared]) expect(await code(s.file_content_read({ project_id: A, digest: f as string }))).toBeUndefined();
    expect(await raw.file_chunks.filter((c) => c.project_id === A && c.digest === a.fOld).count()).toBe(0);

    expect(await projectDigest(raw, B)).toBe(before);
    // Purging again finds nothing more.
    expect(Object.values(await s.purge({ project: A, olderThan: new Date(CUTOFF) })).every((n) => n === 0)).toBe(true);
  });

  it("keepLatest keeps each object's latest version and what it references", async () => {
    const { server: s, raw } = setup();
    const a = await seed(s, A);
    const res = await s.purge({ project: A, olderThan: CUTOFF, keepLatest: true });
    // Only prompt v0 (not latest) and the old image go; old_op, only_old, old_ds and cfg v1 are latest.
    expect(res).toMatchObject({ traces_deleted: 2, objects_deleted: 1, tables_deleted: 0, rows_deleted: 0, files_deleted: 1 });
    expect(await raw.objects.get([A, "prompt", a.promptV0 as string])).toBeUndefined();
    expect(await raw.files.get([A, a.fOld as string])).toBeDefined();
    expect(await raw.table_defs.get([A, a.t2 as string])).toBeDefined();
  });

  it("keeps what a write made while it runs refers to, including content deduplicated onto an old row", async () => {
    const { server: s, raw } = setup();
    const a = await seed(s, A);
    const running = s.purge({ project: A, olderThan: CUTOFF });
    // Same content as only_old: obj_create writes nothing new, yet the version is in use again.
    const again = s.obj_create({ obj: { project_id: A, object_id: "only_old", val: { x: 1 } } });
    const call = s.call_start({
      start: { project_id: A, id: "r-live", trace_id: "t-live", op_name: "live", started_at: at(7_200_000), attributes: {}, inputs: { d: `weave:///${A}/object/old_ds:${a.oldDs}` } },
    });
    await Promise.all([again, call]);
    const res = await running;
    expect(res).toMatchObject({ traces_deleted: 2, calls_deleted: 3 });
    expect((await again).digest).toBe(a.onlyOld);
    expect(await raw.objects.get([A, "only_old", a.onlyOld as string])).toBeDefined();
    // old_ds survives through the new call, and so do its table and rows.
    expect(await raw.objects.get([A, "old_ds", a.oldDs as string])).toBeDefined();
    expect(await raw.table_defs.get([A, a.t2 as string])).toBeDefined();
    expect(res.tables_deleted + res.rows_deleted).toBe(0);
  });

  it("deletes in bounded transactions and each committed delete of calls tells the page cursors", async () => {
    const { server: s, dbName } = setup();
    const batch = Array.from({ length: 1200 }, (_, i) => ({
      mode: "start" as const,
      req: { start: { project_id: A, id: `c${String(i).padStart(5, "0")}`, trace_id: `t${i}`, op_name: "op", started_at: at(i < 1100 ? i : 7_200_000 + i), attributes: {}, inputs: {} } },
    }));
    await s.call_start_batch({ batch });
    // Walk a few pages so the server remembers where they end.
    const page = async (offset: number) => (await s.calls_query({ project_id: A, limit: 50, offset, sort_by: [{ field: "started_at", direction: "asc" }] })).calls.map((c) => c.id);
    for (let offset = 0; offset <= 150; offset += 50) await page(offset);
    const mutations: number[] = [];
    const spy = (parts: Record<string, unknown>) => {
      if (Object.keys(parts).some((k) => k.startsWith(`idb://${dbName}/calls/`))) mutations.push(Date.now());
    };
    Dexie.on("storagemutated", spy);
    try {
      expect(await s.purge({ project: A, olderThan: CUTOFF })).toMatchObject({ traces_deleted: 1100, calls_deleted: 1100 });
    } finally {
      Dexie.on("storagemutated").unsubscribe(spy);
    }
    // 1200 calls scanned 500 per read-write transaction: three transactions, each of which deleted some.
    expect(mutations).toHaveLength(3);
    expect(await page(50)).toEqual(Array.from({ length: 50 }, (_, i) => `c${String(1150 + i).padStart(5, "0")}`));
  });

  it("validates its request and names the field", async () => {
    const { server: s } = setup();
    const error = await s.purge({ project: A, olderThan: "last tuesday" }).catch((e: unknown) => e as WeftError);
    expect(error).toBeInstanceOf(WeftError);
    expect((error as WeftError).code).toBe("VALIDATION");
    expect((error as WeftError).details?.issues?.[0]?.path).toBe("olderThan");
  });
});

describe("deleteProject", () => {
  it("empties every store of one project and leaves the others alone", async () => {
    const { server: s, raw } = setup();
    await seed(s, A);
    await seed(s, B);
    await s.cost_create({ project_id: A, costs: { "gpt-x": { prompt_token_cost: 1, completion_token_cost: 2 } } });
    await s.setProvider({ provider: { name: "local", baseUrl: "http://127.0.0.1:1/v1" }, persist: true });
    const before = await projectDigest(raw, B);
    const stored = await countRows(raw, A);
    const res = await s.deleteProject({ project: A });
    expect(res).toEqual({
      calls_deleted: stored.calls,
      feedback_deleted: stored.feedback,
      objects_deleted: stored.objects,
      tables_deleted: stored.table_defs,
      rows_deleted: stored.row_values,
      files_deleted: stored.files,
      costs_deleted: 1,
    });
    expect(res).toMatchObject({ calls_deleted: 5, feedback_deleted: 3, objects_deleted: 12, tables_deleted: 2, rows_deleted: 3, files_deleted: 5 });
    expect(Object.values(await countRows(raw, A)).every((n) => n === 0)).toBe(true);
    expect(await projectDigest(raw, B)).toBe(before);
    expect((await s.calls_query({ project_id: A })).calls).toEqual([]);
    // Providers belong to the database, not to a project.
    expect((await s.listProviders()).providers.map((p) => p.name)).toEqual(["local"]);
  });
});
