/**
 * The pure parts of the exporter: rewriting refs for another project (project swapped, object, table,
 * row and file digests mapped, refs to other projects untouched), finding what a value depends on,
 * the send order of planned things, and batching by count and bytes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WeftError } from "../../src/errors";
import { chunkBySize, utf8Length } from "../../src/export/batching";
import type { PlanNode } from "../../src/export/plan";
import { sendOrder } from "../../src/export/send-order";
import { collectDeps, emptyRefMaps, rewriteRef, rewriteValue, type Dep, type RefRewrite } from "../../src/export/ref-rewrite";

const A = "alice/local";
const B = "team/remote";
const rw = (): RefRewrite => {
  const maps = emptyRefMaps();
  maps.objects.set("dsLocal", "dsRemote");
  maps.tables.set("tabLocal", "tabRemote");
  maps.rows.set("rowLocal", "rowRemote");
  maps.files.set("fileLocal", "fileRemote");
  return { fromProject: A, toProject: B, maps };
};

describe("rewriteRef", () => {
  it.each([
    [`weave:///${A}/object/ds:dsLocal`, `weave:///${B}/object/ds:dsRemote`],
    [`weave:///${A}/op/predict:unmapped`, `weave:///${B}/op/predict:unmapped`],
    [`weave:///${A}/object/ds:dsLocal/attr/rows/id/rowLocal`, `weave:///${B}/object/ds:dsRemote/attr/rows/id/rowRemote`],
    [`weave:///${A}/object/ds:dsLocal/attr/rows/id/rowLocal/key/input%2Fx`, `weave:///${B}/object/ds:dsRemote/attr/rows/id/rowRemote/key/input%2Fx`],
    [`weave:///${A}/table/tabLocal`, `weave:///${B}/table/tabRemote`],
    [`weave:///${A}/table/tabLocal/id/rowLocal`, `weave:///${B}/table/tabRemote/id/rowRemote`],
    [`weave:///${A}/call/0190-abc`, `weave:///${B}/call/0190-abc`],
    // A key edge whose value happens to equal a row digest is not a row.
    [`weave:///${A}/object/ds:dsLocal/key/rowLocal`, `weave:///${B}/object/ds:dsRemote/key/rowLocal`],
    // Malformed but in the project: only the project changes, as Weave's adapter would do.
    [`weave:///${A}/object/no-digest`, `weave:///${B}/object/no-digest`],
    // Other projects and non-refs are left alone.
    [`weave:///alice/other/object/ds:dsLocal`, `weave:///alice/other/object/ds:dsLocal`],
    [`weave:///${A}x/object/ds:dsLocal`, `weave:///${A}x/object/ds:dsLocal`],
    ["plain text", "plain text"],
  ])("%s → %s", (from, to) => {
    expect(rewriteRef(from, rw())).toBe(to);
  });
});

describe("rewriteValue", () => {
  it("rewrites refs at any depth and file digests of CustomWeaveType values; unchanged parts are shared", () => {
    const untouched = { deep: [1, "two", { three: null }] };
    const value = {
      untouched,
      list: [`weave:///${A}/table/tabLocal`, 7],
      image: { _type: "CustomWeaveType", weave_type: { type: "PIL.Image.Image" }, files: { "image.png": "fileLocal" } },
      notMedia: { files: { "x.txt": "fileLocal" } },
    };
    const out = rewriteValue(value, rw());
    expect(out).toEqual({
      untouched,
      list: [`weave:///${B}/table/tabRemote`, 7],
      image: { _type: "CustomWeaveType", weave_type: { type: "PIL.Image.Image" }, files: { "image.png": "fileRemote" } },
      notMedia: { files: { "x.txt": "fileLocal" } },
    });
    expect(out.untouched).toBe(untouched);
    expect(value.list[0]).toBe(`weave:///${A}/table/tabLocal`); // the input is not modified
    const plain = { a: [1, 2], b: "x" };
    expect(rewriteValue(plain, rw())).toBe(plain);
  });

  it("a JSON key __proto__ stays a plain key", () => {
    const value = JSON.parse(`{"__proto__": "weave:///${A}/table/tabLocal"}`) as Record<string, unknown>;
    const out = rewriteValue(value, rw());
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, "__proto__")?.value).toBe(`weave:///${B}/table/tabRemote`);
  });

  it("rewriting A → B and back with the inverse maps gives the value back", () => {
    // Local digests in lower case, remote ones in upper case: a remote digest never equals an
    // unrelated local one (content hashes), which is what makes the rewrite invertible.
    const digest = fc.stringMatching(/^[a-z0-9]{1,8}$/);
    const remoteDigest = fc.stringMatching(/^[A-Z]{1,8}$/);
    const ref = fc.oneof(
      fc.tuple(fc.constantFrom("object", "op"), fc.stringMatching(/^[a-z_]{1,6}$/), digest).map(([k, n, d]) => `weave:///${A}/${k}/${n}:${d}`),
      fc.tuple(digest, digest).map(([t, r]) => `weave:///${A}/table/${t}/id/${r}`),
      fc.string(),
    );
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: "small" }, ref, fc.integer(), fc.constant(null), fc.array(tie("value"), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 5 }), tie("value"), { maxKeys: 4 })),
    })).value;
    fc.assert(
      fc.property(json, fc.dictionary(digest, remoteDigest), (value, pairs) => {
        // A digest map is one-to-one (content addressing): keep pairs with distinct targets.
        const targets = new Set<string>();
        const forward = emptyRefMaps();
        const back = emptyRefMaps();
        for (const [from, to] of Object.entries(pairs)) {
          if (targets.has(to)) continue;
          targets.add(to);
          for (const k of ["objects", "tables", "rows"] as const) {
            forward[k].set(from, to);
            back[k].set(to, from);
          }
        }
        const there = rewriteValue(value, { fromProject: A, toProject: B, maps: forward });
        expect(rewriteValue(there, { fromProject: B, toProject: A, maps: back })).toEqual(value);
      }),
    );
  });
});

describe("collectDeps", () => {
  it("finds objects, ops, tables (also behind row refs) and files; not calls or other projects", () => {
    const deps = new Map<string, Dep>();
    collectDeps(
      {
        op: `weave:///${A}/op/predict:d1`,
        row: `weave:///${A}/object/ds:d2/attr/rows/id/r1`,
        table: `weave:///${A}/table/t1/id/r2`,
        call: `weave:///${A}/call/c1`,
        other: `weave:///x/y/object/o:d9`,
        media: { _type: "CustomWeaveType", files: { "a.png": "f1" } },
      },
      A,
      deps,
    );
    expect([...deps.keys()].sort()).toEqual(["file:f1", "object:ds:d2", "op:predict:d1", "table:t1"]);
    expect(deps.get("file:f1")).toEqual({ type: "file", key: "file:f1", digest: "f1", name: "a.png" });
  });
});

describe("sendOrder", () => {
  const obj = (key: string, deps: string[], created_at: string, version_index = 0): PlanNode => ({
    type: "object",
    key,
    kind: "object",
    object_id: key,
    digest: key,
    val: null,
    created_at,
    version_index,
    deps,
  });
  it("puts every node after what it depends on; ready ones by kind, then time, then version", () => {
    const nodes: PlanNode[] = [
      obj("ds", ["table:t"], "2025-01-01T00:00:03Z"),
      { type: "table", key: "table:t", digest: "t", rows: [], deps: ["model"] },
      obj("model", ["op"], "2025-01-01T00:00:01Z"),
      obj("op", ["file:f"], "2025-01-01T00:00:02Z"),
      { type: "file", key: "file:f", digest: "f", name: "obj.py", deps: [] },
      obj("v1", [], "2025-01-01T00:00:00Z", 1),
      obj("v0", [], "2025-01-01T00:00:00Z", 0),
      obj("outside", ["not-in-list"], "2025-01-01T00:00:09Z"),
    ];
    expect(sendOrder(nodes).map((n) => n.key)).toEqual(["file:f", "v0", "v1", "op", "model", "table:t", "ds", "outside"]);
  });

  it("a cycle (impossible with content addressing) is INTERNAL, not a hang", () => {
    expect(() => sendOrder([obj("a", ["b"], ""), obj("b", ["a"], "")])).toThrow(WeftError);
  });
});

describe("batching", () => {
  it("utf8Length counts like TextEncoder", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        expect(utf8Length(s)).toBe(new TextEncoder().encode(s).length);
      }),
    );
  });

  it("chunks keep order, respect both limits, and give an oversized item a chunk of its own", () => {
    const sizes = [10, 10, 10, 50, 10, 10, 10, 10];
    expect(chunkBySize(sizes, { maxItems: 3, maxBytes: 30 }, (n) => n)).toEqual([[10, 10, 10], [50], [10, 10, 10], [10]]);
  });
});
