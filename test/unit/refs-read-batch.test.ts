/**
 * `refs_read_batch` (weave-semantics.md §6.3): R-01 … R-10, OB-23, M-04 and the D-05 dataset-row ref.
 * Tables are written with the real `table_create`; `getTableRowValue` is wrapped in a spy only to
 * count how often the walk asks for a row.
 */
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { METHODS } from "../../src/interface";
import type { ServerContext } from "../../src/server/context";
import { WeftDb } from "../../src/server/db";
import { objCreate, objDelete } from "../../src/server/objects/handlers";
import { refsReadBatch } from "../../src/server/refs/read-batch";
import { tableCreate } from "../../src/server/tables/handlers";
import { getTableRowValue } from "../../src/server/tables/rows";

vi.mock("../../src/server/tables/rows", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../src/server/tables/rows")>();
  return { ...actual, getTableRowValue: vi.fn(actual.getTableRowValue) };
});

const P = "shawn/test-project";
let dbCount = 0;
let ctx: ServerContext;

beforeEach(() => {
  let t = Date.UTC(2025, 0, 1, 12);
  ctx = { db: new WeftDb(`refs-test-${++dbCount}`, { indexedDB: new IDBFactory(), IDBKeyRange }), userId: "user-1", now: () => (t += 1000) };
  vi.mocked(getTableRowValue).mockClear();
});

async function create(object_id: string, val: unknown, project_id = P): Promise<string> {
  const digest = (await objCreate(ctx, METHODS.obj_create.req.parse({ obj: { project_id, object_id, val } }))).digest;
  return `weave:///${project_id}/object/${object_id}:${digest}`;
}

async function readRefs(refs: string[]): Promise<unknown[]> {
  return (await refsReadBatch(ctx, METHODS.refs_read_batch.req.parse({ refs }))).vals;
}

async function table(rows: Record<string, unknown>[], project_id = P): Promise<{ ref: string; rowDigests: string[] }> {
  const res = await tableCreate(ctx, METHODS.table_create.req.parse({ table: { project_id, rows } }));
  return { ref: `weave:///${project_id}/table/${res.digest}`, rowDigests: res.row_digests };
}

describe("refs_read_batch", () => {
  it("R-01/R-02: whole values and extra paths", async () => {
    const list = await create("my-list", [1, 2, 3]);
    const obj = await create("my-obj", { a: [3, 4, 5] });
    expect(await readRefs([list, obj])).toEqual([[1, 2, 3], { a: [3, 4, 5] }]);
    const dicts = await create("my-list", [{ a: 5 }, { a: 6 }]);
    expect(await readRefs([`${dicts}/index/0/key/a`, `${dicts}/index/1`])).toEqual([5, { a: 6 }]);
  });

  it("missing keys and indexes are null; negative indexes count from the end; internal refs are accepted", async () => {
    const ref = await create("o", { a: [1, 2], s: "text" });
    expect(await readRefs([`${ref}/key/zz`, `${ref}/key/a/index/5`, `${ref}/key/a/index/-1`, `${ref}/key/s/key/x`, `${ref}/attr/a/index/0`])).toEqual([null, null, 2, null, 1]);
    const internal = ref.replace(`weave:///${P}`, "weave-trace-internal:///c2hhd24vdGVzdC1wcm9qZWN0");
    expect(await readRefs([internal])).toEqual([{ a: [1, 2], s: "text" }]);
  });

  it("R-04: each ref resolves in its own project", async () => {
    const refs = [await create("a", [1, 2, 3], "shawn/test111"), await create("b", { a: [3, 4, 5] }, "shawn/test222"), await create("c", { ab: [3, 4, 5] }, "shawn/test333")];
    expect(await readRefs(refs)).toEqual([[1, 2, 3], { a: [3, 4, 5] }, { ab: [3, 4, 5] }]);
  });

  it("R-05/R-08: call refs, table refs, latest/vN and more than 1000 refs are VALIDATION", async () => {
    const ref = await create("o", { a: 1 });
    for (const [refs, message] of [
      [[`weave:///${P}/call/my-call`], "Call refs not supported"],
      [[`weave:///${P}/table/abc`], "Table refs not supported"],
      [[ref, `weave:///${P}/object/o:latest`], "Reading refs with `latest` is not supported"],
      [Array(1001).fill(ref), "Too many refs"],
    ] as const) {
      await expect(readRefs([...refs]), message).rejects.toMatchObject({ code: "VALIDATION", status: 400, message });
    }
    await expect(readRefs([`weave:///${P}/object/o:v0`])).rejects.toMatchObject({ code: "VALIDATION" });
    await expect(readRefs(["weave:///nope"])).rejects.toMatchObject({ code: "VALIDATION" });
    expect(await readRefs(Array(1000).fill(ref))).toHaveLength(1000);
  });

  it("a digest that does not exist is NOT_FOUND", async () => {
    await create("o", { a: 1 });
    await expect(readRefs([`weave:///${P}/object/o:nope`])).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: "Ref read contains 1 digests, but found 0 objects. Diff digests: {'nope'}",
    });
  });

  it("OB-23: URL-sensitive keys need percent-encoding in the ref", async () => {
    const val = { "mali:cious/ke%y": "hello world" };
    const ref = await create("mali_cious-obj.ect", val);
    expect(await readRefs([ref])).toEqual([val]);
    await expect(readRefs([`${ref}/key/mali:cious/ke%y`])).rejects.toMatchObject({ code: "VALIDATION" });
    expect(await readRefs([`${ref}/key/mali%3Acious%2Fke%25y`])).toEqual(["hello world"]);
  });

  it("M-04: a key made of every special character, percent-encoded in the path", async () => {
    const key = "n-a_m.e: /+_(){}|\"'<>!@$^&*#:,.[]-=;~`100";
    const ref = await create("n-a_m.e-100", { val: { [key]: "hello world" } });
    const encoded = "n-a_m.e%3A%20%2F%2B_%28%29%7B%7D%7C%22%27%3C%3E%21%40%24%5E%26%2A%23%3A%2C.%5B%5D-%3D%3B~%60100";
    expect(await readRefs([`${ref}/attr/val/key/${encoded}`])).toEqual(["hello world"]);
  });

  it("D-05: a dataset row ref walks attr rows → table → id → key (real table store)", async () => {
    const { ref: rows, rowDigests } = await table([{ a: 5, b: 6 }, { a: 7, b: 10 }]);
    expect(rowDigests[0]).toBe("XfhC9dNA5D4taMvhKT4MKN2uce7F56Krsyv4Q6mvVMA");
    const ds = await create("Dataset", { _type: "Dataset", name: null, description: null, rows, _class_name: "Dataset", _bases: ["Object", "BaseModel"] });
    expect(ds).toBe(`weave:///${P}/object/Dataset:FkWFKCRcl9wsGp3yclN7v1IIAICTPenpZYrWo0otI4Y`);
    const rowRef = `${ds}/attr/rows/id/XfhC9dNA5D4taMvhKT4MKN2uce7F56Krsyv4Q6mvVMA/key/a`;
    // Identical refs resolve once per request.
    expect(await readRefs([rowRef, rowRef, `${ds}/attr/rows`, `${ds}/attr/rows/id/${rowDigests[1] as string}`])).toEqual([5, 5, rows, { a: 7, b: 10 }]);
    expect(getTableRowValue).toHaveBeenCalledTimes(2);
    expect(vi.mocked(getTableRowValue).mock.calls[0]?.slice(1)).toEqual([P, "6ca638095afa4d3b33fe2314375de840dc058c55a0ef5d466818d81c8a417944", "XfhC9dNA5D4taMvhKT4MKN2uce7F56Krsyv4Q6mvVMA"]);
    await expect(readRefs([`${ds}/attr/rows/id/nope`])).rejects.toMatchObject({ code: "NOT_FOUND", message: expect.stringContaining("Row digest nope not found") });
    await expect(readRefs([`${ds}/attr/rows/key/a`])).rejects.toMatchObject({ code: "VALIDATION", message: "Table refs must have id extra" });
  });

  it("refs inside table rows are followed too", async () => {
    const img = await create("img", { x: "pixels" });
    const { ref: rows, rowDigests } = await table([{ image: img }]);
    const ds = await create("ds", { rows });
    expect(await readRefs([`${ds}/key/rows/id/${rowDigests[0] as string}/key/image/key/x`, `${ds}/key/rows/id/${rowDigests[0] as string}`])).toEqual(["pixels", { image: img }]);
  });

  it("object refs inside values are followed within the project; cross-project refs are null", async () => {
    const obj1 = await create("obj1", { a: 5 });
    const obj2 = await create("obj2", { b: obj1 });
    expect(await readRefs([`${obj2}/key/b/key/a`, `${obj2}/key/b`])).toEqual([5, obj1]);
    const elsewhere = await create("far", { x: 1 }, "shawn/other");
    const near = await create("near", { far: elsewhere });
    expect(await readRefs([`${near}/key/far/key/x`, `${near}/key/far`])).toEqual([null, elsewhere]);
  });

  it("R-07/OD-11: a deleted object reads as null, also when reached through another object", async () => {
    const obj1 = await create("obj1", { a: 5 });
    const obj2 = await create("obj2", { b: obj1 });
    const obj3 = await create("obj3", { c: obj2 });
    await objDelete(ctx, METHODS.obj_delete.req.parse({ project_id: P, object_id: "obj1" }));
    expect(await readRefs([obj1, `${obj2}/key/b/key/a`, obj2, `${obj3}/key/c/key/b`])).toEqual([null, null, { b: obj1 }, obj1]);
  });
});
