/**
 * Objects and ops (weave-semantics.md §4) against the conformance catalogue: digests (D-05 … D-17),
 * create/read/query (OB-*), deletion (OD-*). Handlers are called directly with requests parsed by the
 * method table's schemas. Values marked "derived" were computed with CPython (json.dumps sort_keys +
 * sha256), not copied from an upstream test.
 */
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import { METHODS, type MethodReq } from "../../src/interface";
import type { ServerContext } from "../../src/server/context";
import { WeftDb } from "../../src/server/db";
import { tableDigest, valueDigest } from "../../src/server/digest";
import * as objects from "../../src/server/objects/handlers";

const P = "shawn/test-project";
const T0 = Date.UTC(2025, 0, 1, 12);
let dbCount = 0;

function setup() {
  let t = T0;
  const ctx: ServerContext = {
    db: new WeftDb(`objects-test-${++dbCount}`, { indexedDB: new IDBFactory(), IDBKeyRange }),
    userId: "user-1",
    now: () => (t += 1000),
  };
  const create = async (object_id: string, val: unknown, more: Record<string, unknown> = {}, project_id = P) =>
    (await objects.objCreate(ctx, METHODS.obj_create.req.parse({ obj: { project_id, object_id, val, ...more } }))).digest;
  const read = (object_id: string, digest: string, more: Partial<MethodReq<"obj_read">> = {}) =>
    objects.objRead(ctx, METHODS.obj_read.req.parse({ project_id: P, object_id, digest, ...more }));
  const query = async (req: Partial<MethodReq<"objs_query">> = {}) =>
    (await objects.objsQuery(ctx, METHODS.objs_query.req.parse({ project_id: P, ...req }))).objs;
  const del = (object_id: string, digests?: string[] | null) =>
    objects.objDelete(ctx, METHODS.obj_delete.req.parse({ project_id: P, object_id, digests }));
  return { ctx, create, read, query, del };
}

const weaveObject = (cls: string, bases: string[], fields: Record<string, unknown> = {}) => ({ _type: cls, ...fields, _class_name: cls, _bases: bases });
const opVal = (file: string) => ({ _type: "CustomWeaveType", weave_type: { type: "Op" }, files: { "obj.py": file } });
const D08 = "zg8WgbAC5GBqld3Ka5XMY8YpAQkEVoJDXePQqXgrA4E";
const D08_REF = `weave:///${P}/object/TestOnlyNestedBaseObject:${D08}`;
const rowsDigest = (rows: object[]) => tableDigest(rows.map(valueDigest));
const dataset = (rows: object[]) => {
  const tableRef = `weave:///${P}/table/${rowsDigest(rows)}`;
  return { ...weaveObject("Dataset", ["Object", "BaseModel"], { name: null, description: null, rows: tableRef }), rows: tableRef };
};

describe("digests", () => {
  it("D-05/D-06: a Dataset with an external table ref hashes in internal form and reads back external", async () => {
    const s = setup();
    const val = dataset([{ a: 5, b: 6 }, { a: 7, b: 10 }]);
    expect(val.rows).toBe(`weave:///${P}/table/6ca638095afa4d3b33fe2314375de840dc058c55a0ef5d466818d81c8a417944`);
    const digest = await s.create("Dataset", val);
    expect(digest).toBe("FkWFKCRcl9wsGp3yclN7v1IIAICTPenpZYrWo0otI4Y");
    expect(valueDigest(val)).toBe("uNn9idBcjv1cASlrXB79zC2fmpmYvHWXRCt25N8S2zA"); // the external form's digest (derived)
    const row = await s.ctx.db.objects.get([P, "Dataset", digest]);
    expect(row?.val_dump).toContain('"rows": "weave-trace-internal:///c2hhd24vdGVzdC1wcm9qZWN0/table/6ca638');
    const { obj } = await s.read("Dataset", digest);
    expect(obj).toMatchObject({ val, kind: "object", base_object_class: "Dataset", leaf_object_class: "Dataset", version_index: 0, is_latest: 1 });
  });

  it("D-08/OB-20: builtin TestOnlyNestedBaseObject gives the same digest as the dumped value", async () => {
    const s = setup();
    expect(await s.create("TestOnlyNestedBaseObject", { b: 3 }, { builtin_object_class: "TestOnlyNestedBaseObject" })).toBe(D08);
    const dumped = weaveObject("TestOnlyNestedBaseObject", ["BaseObject", "BaseModel"], { name: null, description: null, b: 3 });
    expect(await s.create("TestOnlyNestedBaseObject", dumped)).toBe(D08);
    // Deprecated alias, pydantic's lax int and ignored unknown keys: still the same value.
    expect(await s.create("n2", { b: "3", junk: 1 }, { set_base_object_class: "TestOnlyNestedBaseObject" })).toBe(D08);
    expect((await s.read("TestOnlyNestedBaseObject", D08)).obj.val).toEqual(dumped);
  });

  it("D-11: an op value is kind op", async () => {
    const s = setup();
    const digest = await s.create("CustomObject.say_hello", opVal("ZiIEs8e6ZXWEtOAQMh342bCbSGM7XdotgQ0HIK1wZV4"));
    expect(digest).toBe("uAuGcTP39TqYOX27waNSJL9YGZIxbiy4KyJoEDkJeIM");
    expect((await s.read("CustomObject.say_hello", digest)).obj.kind).toBe("op");
  });

  it("D-12/OB-10: key order and duplicates collapse to one version", async () => {
    const s = setup();
    for (const val of [{ b: 1, a: 2 }, { a: 2, b: 1 }, { b: 1, a: 2 }]) expect(await s.create("kv", val)).toBe("IVAduvcYUiOTTSIoPwHKY0EyvB3kqVUMHtDfYrOXoyM");
    await s.create("kv", { a: 3 });
    expect((await s.query()).map((o) => o.version_index)).toEqual([0, 1]);
  });

  it("D-17: a wrong expected_digest is DIGEST_MISMATCH (409) and stores nothing", async () => {
    const s = setup();
    const err = await s.create("h", { hello: "world" }, { expected_digest: "definitely_wrong_digest" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "DIGEST_MISMATCH", status: 409, message: expect.stringMatching(/digest/i) });
    expect(await s.query()).toEqual([]);
    const digest = valueDigest({ hello: "world" });
    expect(await s.create("h", { hello: "world" }, { expected_digest: digest })).toBe(digest);
  });
});

describe("create and read", () => {
  it("OB-01/OB-26: save and read; every version carries the creating user", async () => {
    const s = setup();
    const digest = await s.create("my-obj", { a: 1 }, {}, "shawn/proj");
    const { obj } = await objects.objRead(s.ctx, METHODS.obj_read.req.parse({ project_id: "shawn/proj", object_id: "my-obj", digest }));
    expect(obj).toMatchObject({ val: { a: 1 }, wb_user_id: "user-1", created_at: "2025-01-01T12:00:01Z", deleted_at: null });
    await s.create("u", { i: 1 }, { wb_user_id: "someone" });
    expect((await s.query({ filter: { object_ids: ["u"] } }))[0]?.wb_user_id).toBe("someone");
  });

  it("object names: Python's Unicode [\\w._-], 1..128 code points", async () => {
    const s = setup();
    for (const ok of ["mali_cious-obj.ect", "日本語", "Ωmega_1.2-x", "٣²Ⅻ", "é".repeat(128)]) await s.create(ok, 1);
    for (const bad of ["my obj", "", "a/b", "e\u0301", "n-a_m.e: /+_(){}"]) {
      await expect(s.create(bad, 1), bad).rejects.toMatchObject({ code: "INVALID_FIELD", status: 422 });
    }
    await expect(s.create("x".repeat(129), 1)).rejects.toMatchObject({ code: "VALIDATION", status: 400 });
    expect(await s.query()).toHaveLength(5);
  });

  it("builtin classes: unknown, non-dict, mismatched or invalid values are VALIDATION and store nothing", async () => {
    const s = setup();
    await expect(s.create("a", { b: 1 }, { builtin_object_class: "Nope" })).rejects.toMatchObject({ code: "VALIDATION", message: "Unknown object class: Nope" });
    await expect(s.create("a", [1], { builtin_object_class: "TestOnlyNestedBaseObject" })).rejects.toMatchObject({ code: "VALIDATION" });
    const own = weaveObject("Other", ["BaseObject", "BaseModel"]);
    await expect(s.create("a", own, { builtin_object_class: "TestOnlyNestedBaseObject" })).rejects.toMatchObject({ code: "VALIDATION" });
    await expect(s.create("a", { b: 1.5 }, { builtin_object_class: "TestOnlyNestedBaseObject" })).rejects.toMatchObject({ code: "VALIDATION", details: { issues: [{ path: "b" }] } });
    await expect(s.create("a", {}, { builtin_object_class: "TestOnlyExample" })).rejects.toMatchObject({ code: "VALIDATION" });
    expect(await s.query()).toEqual([]);
  });

  it("OB-19/OB-20: TestOnlyExample and TestOnlyInheritedBaseObject re-dumps", async () => {
    const s = setup();
    await s.create("TestOnlyNestedBaseObject", { b: 3 }, { builtin_object_class: "TestOnlyNestedBaseObject" });
    const input = { primitive: 1, nested_base_model: { a: 2, aliased_property_alias: 3 }, nested_base_object: D08_REF };
    const digest = await s.create("example", input, { builtin_object_class: "TestOnlyExample" });
    expect(digest).toBe("TQxJX0T1UuRfQXRzkGN7WQYSQSxGrirBZwT6AgKFlH0"); // derived
    const expected = weaveObject("TestOnlyExample", ["BaseObject", "BaseModel"], {
      name: null,
      description: null,
      primitive: 1,
      nested_base_model: weaveObject("TestOnlyNestedBaseModel", ["BaseModel"], { a: 2, aliased_property_alias: 3 }),
      nested_base_object: D08_REF,
    });
    expect((await s.query({ filter: { base_object_classes: ["TestOnlyExample"] } })).map((o) => o.val)).toEqual([expected]);
    expect(await s.create("example2", expected)).toBe(digest);
    const inherited = await s.create("inh", { b: 1, c: 2 }, { builtin_object_class: "TestOnlyInheritedBaseObject" });
    expect(inherited).toBe("ZgNPFSU91ckXwaezaRTRyVQpAkpznkXs9u0CiNze0r4"); // derived
    expect((await s.read("inh", inherited)).obj).toMatchObject({
      base_object_class: "TestOnlyNestedBaseObject",
      leaf_object_class: "TestOnlyInheritedBaseObject",
      val: { additional_field: "default_value", _bases: ["TestOnlyNestedBaseObject", "BaseObject", "BaseModel"] },
    });
  });

  it("OB-22: a name is bound to one base class per kind", async () => {
    const s = setup();
    await s.create("shared_name", { b: 1 }, { builtin_object_class: "TestOnlyNestedBaseObject" });
    const input = { primitive: 1, nested_base_model: { a: 1, aliased_property_alias: 1 }, nested_base_object: D08_REF };
    await expect(s.create("shared_name", input, { builtin_object_class: "TestOnlyExample" })).rejects.toMatchObject({
      code: "CONFLICT",
      status: 400,
      details: { object_id: "shared_name", kind: "object", new_base_object_class: "TestOnlyExample", existing_base_object_classes: ["TestOnlyNestedBaseObject"] },
    });
    expect(await s.query()).toHaveLength(1);
    await s.create("shared_name", { b: 2 }, { builtin_object_class: "TestOnlyNestedBaseObject" });
    expect(await s.query()).toHaveLength(2);
  });

  it("OB-25: four versions, one latest; read by digest, latest, vN; metadata_only; missing", async () => {
    const s = setup();
    const digests = [];
    for (let i = 0; i < 4; i++) digests.push(await s.create("multi_v", { i }));
    expect(digests).toEqual(["j1v4GP64hO7Y13afjoaARK2QTyYJNtVCFbCfIWzP5kQ", "X9JzV19XGsTuoYkllRKAipPm3SFXfSO3ce8QJUxep1k", "4Se5vtRH1nxQJkbiTG38MeaOXjl5TU8ZA5A3tFiNKWQ", "eCBrmAxqOqH1AIKmMSfFYVWvYpXCg2bZTyfCJf1vgXQ"]);
    expect((await s.query()).filter((o) => o.is_latest === 1).map((o) => o.digest)).toEqual([digests[3]]);
    for (const [i, d] of digests.entries()) expect((await s.read("multi_v", d as string)).obj.val).toEqual({ i });
    expect((await s.read("multi_v", "latest")).obj).toMatchObject({ is_latest: 1, val: { i: 3 } });
    expect((await s.read("multi_v", "v1")).obj.val).toEqual({ i: 1 });
    expect((await s.read("multi_v", "v2", { metadata_only: true })).obj).toMatchObject({ val: {}, version_index: 2 });
    await expect(s.read("multi_v", "nope")).rejects.toMatchObject({ code: "NOT_FOUND", message: "Obj multi_v:nope not found" });
    await expect(s.read("multi_v", "v9")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("re-saving an older live version moves latest to it (HEAD alias) without a new version", async () => {
    const s = setup();
    const a = await s.create("o", { v: "a" });
    await s.create("o", { v: "b" });
    expect(await s.create("o", { v: "a" })).toBe(a);
    expect((await s.read("o", "latest")).obj.digest).toBe(a);
    expect(await s.query()).toHaveLength(2);
  });
});

describe("objs_query", () => {
  async function tenByTen() {
    const s = setup();
    for (let i = 0; i < 10; i++) for (let j = 0; j < 10; j++) await s.create(`obj_${i}`, { i, j });
    return s;
  }

  it("OB-02/04/05/07/08: all, is_op, latest_only, sort, metadata_only, paging, storage size", async () => {
    const s = await tenByTen();
    expect(await s.query()).toHaveLength(100);
    expect(await s.query({ filter: { is_op: true } })).toHaveLength(0);
    expect(await s.query({ filter: { is_op: false } })).toHaveLength(100);
    const latest = await s.query({ filter: { latest_only: true } });
    expect(latest.map((o) => [o.is_latest, (o.val as { j: number }).j])).toEqual(Array(10).fill([1, 9]));
    const page = (direction: string) => s.query({ filter: { latest_only: true }, sort_by: [{ field: "object_id", direction }], offset: 5, limit: 3 });
    expect((await page("desc")).map((o) => (o.val as { i: number }).i)).toEqual([4, 3, 2]);
    expect((await page("asc")).map((o) => (o.val as { i: number }).i)).toEqual([5, 6, 7]);
    expect((await s.query({ filter: { latest_only: true }, metadata_only: true })).every((o) => JSON.stringify(o.val) === "{}")).toBe(true);
    const first = await s.query({ limit: 3, offset: 11, include_storage_size: true });
    expect(first.map((o) => [o.object_id, o.version_index, o.size_bytes])).toEqual([["obj_1", 1, 16], ["obj_1", 2, 16], ["obj_1", 3, 16]]);
    expect((await s.query({ sort_by: [{ field: "created_at", direction: "ASC" }], offset: 11, limit: 1 }))[0]?.val).toEqual({ i: 1, j: 1 });
    expect((await s.query({ sort_by: [{ field: "created_at", direction: "desc" }], limit: 1 }))[0]?.val).toEqual({ i: 9, j: 9 });
    expect((await s.query({ sort_by: [{ field: "val.i", direction: "desc" }], limit: 1 }))[0]?.val).toEqual({ i: 0, j: 0 });
    expect(await s.query({ filter: { object_ids: ["obj_3", "obj_7"], latest_only: true } })).toHaveLength(2);
    expect(await s.query({ filter: { tags: ["t"] } })).toHaveLength(0);
    expect(await s.query({ filter: { aliases: ["latest"] } })).toHaveLength(10);
  });

  it("OB-11/OB-13/OB-14/OB-16/OB-17: kinds and class filters", async () => {
    const s = setup();
    await s.create("my-obj", { a: 1 });
    await s.create("my-op", opVal("x"));
    expect(await s.query({ filter: { is_op: false } })).toHaveLength(1);
    await s.create("x", weaveObject("BaseTypeX", ["Object", "BaseModel"], { x: 5 }));
    await s.create("c", weaveObject("BaseTypeC", ["BaseTypeB", "BaseTypeA", "Object", "BaseModel"]));
    expect(await s.query({ filter: { base_object_classes: ["BaseTypeA"] } })).toHaveLength(1);
    const model = (cls: string, bases: string[]) => weaveObject(cls, bases, { name: null, description: null });
    const m = ["Model", "Object", "BaseModel"];
    for (const [id, val] of [["simple_model_1", model("SimpleModel", m)], ["simple_model_2", model("SimpleModel", m)], ["llm_model_1", model("LLMStructuredCompletionModel", m)], ["llm_model_2", model("LLMStructuredCompletionModel", m)], ["advanced_model", model("AdvancedLLMModel", ["LLMStructuredCompletionModel", ...m])], ["provider_1", model("Provider", ["BaseObject", "BaseModel"])]] as const) {
      await s.create(id, val);
    }
    const leaf = async (classes: string[]) => (await s.query({ filter: { leaf_object_classes: classes } })).length;
    expect([await leaf(["SimpleModel"]), await leaf(["LLMStructuredCompletionModel"]), await leaf(["AdvancedLLMModel"]), await leaf(["Provider"])]).toEqual([2, 2, 1, 1]);
    expect([await leaf(["SimpleModel", "Provider"]), await leaf(["LLMStructuredCompletionModel", "AdvancedLLMModel"]), await leaf(["NonExistentClass"]), await leaf(["simplemodel"])]).toEqual([3, 3, 0, 0]);
    const all = (await s.query()).length;
    expect(await s.query({ filter: { exclude_base_object_classes: ["Model"] } })).toHaveLength(all - 5); // classless objects stay
    expect(await s.query({ filter: { exclude_base_object_classes: ["NonExistentClass"] } })).toHaveLength(all);
    expect(await s.query({ filter: { base_object_classes: ["Model"], exclude_base_object_classes: ["Model"] } })).toHaveLength(0);
    await s.create("evolving_model", model("SimpleModel", m));
    await s.create("evolving_model", model("LLMStructuredCompletionModel", m));
    const evolving = async (leafs?: string[]) => (await s.query({ filter: { object_ids: ["evolving_model"], leaf_object_classes: leafs ?? null } })).map((o) => o.is_latest);
    expect([await evolving(), await evolving(["SimpleModel"]), await evolving(["LLMStructuredCompletionModel"])]).toEqual([[0, 1], [0], [1]]);
  });
});

describe("obj_delete", () => {
  async function three(s: ReturnType<typeof setup>, id = "obj_1") {
    return [await s.create(id, { i: 1 }), await s.create(id, { i: 2 }), await s.create(id, { i: 3 })];
  }

  it("OD-01/OD-13: delete versions; deleting again is NOT_FOUND", async () => {
    const s = setup();
    const [v0, v1, v2] = (await three(s)) as [string, string, string];
    expect((await s.del("obj_1", [v0])).num_deleted).toBe(1);
    expect(await s.query()).toHaveLength(2);
    await expect(s.del("obj_1", [v0])).rejects.toMatchObject({ code: "NOT_FOUND" });
    const res = await s.del("obj_1", [v1, v2]);
    expect(res).toMatchObject({ num_deleted: 2, deleted_versions: [{ digest: v1, base_object_class: null }, { digest: v2 }] });
    expect(await s.query()).toHaveLength(0);
  });

  it("OD-02/OD-04: delete all, limits, mixed and duplicate digests", async () => {
    const s = setup();
    await three(s);
    expect((await s.del("obj_1", null)).num_deleted).toBe(3);
    await expect(s.del("obj_1", null)).rejects.toMatchObject({ code: "NOT_FOUND", message: "Object obj_1 (None) not found when deleting." });
    await expect(s.del("obj_limit", Array.from({ length: 101 }, (_, i) => `test_${i}`))).rejects.toMatchObject({ code: "VALIDATION", message: "Please delete 100 or fewer objects at a time" });
    await expect(s.del("nonexistent_obj", null)).rejects.toMatchObject({ code: "NOT_FOUND" });
    const v0 = await s.create("obj_mixed", { i: 1 });
    const v1 = await s.create("obj_mixed", { i: 2 });
    await expect(s.del("obj_mixed", [v0, "invalid-digest", v1])).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: "Delete request contains 3 digests, but found 2 objects to delete. Diff digests: {'invalid-digest'}",
    });
    expect(await s.query({ filter: { object_ids: ["obj_mixed"] } })).toHaveLength(2);
    const dv0 = await s.create("obj_dup", { i: 1 });
    expect((await s.del("obj_dup", [dv0, dv0])).num_deleted).toBe(1);
  });

  it("OD-05/OD-11: latest and vN in delete; deleted reads are OBJECT_DELETED with deleted_at; latest re-pointed", async () => {
    const s = setup();
    const v0 = await s.create("obj_1", { i: 1 });
    const v1 = await s.create("obj_1", { i: 2 });
    expect((await s.del("obj_1", ["latest"])).num_deleted).toBe(1);
    expect((await s.query()).map((o) => [o.digest, o.is_latest])).toEqual([[v0, 1]]);
    expect((await s.read("obj_1", "latest")).obj.digest).toBe(v0);
    await expect(s.read("obj_1", v1)).rejects.toMatchObject({
      code: "OBJECT_DELETED",
      status: 404,
      message: "obj_1:v1 was deleted at 2025-01-01 12:00:03+00:00",
      details: { deleted_at: "2025-01-01T12:00:03Z" },
    });
    expect((await s.del("obj_1", ["v0"])).num_deleted).toBe(1);
    expect(await s.query()).toHaveLength(0);
    await expect(s.read("obj_1", "latest")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("OD-07/OD-08: republishing a deleted digest revives it as the latest version", async () => {
    const s = setup();
    const first = await s.create("my_ds", dataset([{ a: 1 }, { a: 2 }]));
    await s.create("my_ds", dataset([{ a: 3 }]));
    await s.del("my_ds");
    expect(await s.create("my_ds", dataset([{ a: 1 }, { a: 2 }]))).toBe(first);
    const latest = await s.query({ filter: { base_object_classes: ["Dataset"], latest_only: true } });
    expect(latest.map((o) => [o.object_id, o.digest, o.is_latest, o.version_index])).toEqual([["my_ds", first, 1, 2]]);
    expect(await s.query({ filter: { base_object_classes: ["Dataset"] } })).toHaveLength(1);
  });

  it("OD-10: op versions", async () => {
    const s = setup();
    const d0 = await s.create("my_op", opVal("a"));
    await s.create("my_op", opVal("b"));
    await s.del("my_op", [d0]);
    expect((await s.query({ filter: { is_op: true } })).map((o) => o.version_index)).toEqual([1]);
    await s.del("my_op", ["latest"]);
    expect(await s.query({ filter: { is_op: true } })).toHaveLength(0);
  });
});

describe("seed-era op API", () => {
  it("op_create/op_read/ops_query", async () => {
    const s = setup();
    const opCreate = (name: string, val: unknown) => objects.opCreate(s.ctx, METHODS.op_create.req.parse({ op_obj: { project_id: P, object_id: name, val } }));
    const opsQuery = async (filter: MethodReq<"ops_query">["filter"]) => (await objects.opsQuery(s.ctx, METHODS.ops_query.req.parse({ project_id: P, filter }))).op_objs.map((o) => o.digest);
    const { digest: d0 } = await opCreate("my_op", opVal("a"));
    const { digest: d1 } = await opCreate("my_op", opVal("b"));
    await opCreate("other", opVal("c"));
    await s.create("not_an_op", { a: 1 });
    await expect(opCreate("x", { a: 1 })).rejects.toMatchObject({ code: "VALIDATION" });
    const read = await objects.opRead(s.ctx, METHODS.op_read.req.parse({ project_id: P, name: "my_op", digest: d0 }));
    expect(read.op_obj).toMatchObject({ kind: "op", digest: d0, val: opVal("a") });
    await expect(objects.opRead(s.ctx, METHODS.op_read.req.parse({ project_id: P, name: "not_an_op", digest: "latest" }))).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await opsQuery(null)).toHaveLength(3);
    expect(await opsQuery({ op_names: ["my_op"] })).toEqual([d0, d1]);
    expect(await opsQuery({ op_names: [`weave:///${P}/op/my_op:*`], latest_only: true })).toEqual([d1]);
    expect(await opsQuery({ op_names: [`weave:///${P}/op/my_op:${d0}`] })).toEqual([d0]);
    expect(await opsQuery({ op_names: ["weave:///other/project/op/my_op:*"] })).toEqual([]);
  });
});
