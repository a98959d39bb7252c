/**
 * Ref URIs and ref conversion (weave-semantics.md §0.2, §6.1–6.2): the grammar, Python-compatible
 * percent-encoding, project ids, and internal ↔ external rewriting. Expected strings were checked
 * against CPython (`urllib.parse.quote/unquote`, `base64.b64encode`).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WeftError } from "../../src/errors";
import { internalRefsIn, refToExternal, toExternalRefs, toInternalRefs } from "../../src/server/refs/convert";
import {
  externalProjectId,
  formatExternalRef,
  formatInternalRef,
  internalProjectId,
  parseExternalRef,
  parseInternalRef,
  quoteExtraValue,
  unquoteExtraValue,
  type Ref,
} from "../../src/server/refs/uri";

const PID = "c2hhd24vdGVzdC1wcm9qZWN0"; // base64("shawn/test-project")

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof WeftError ? e.code : `not a WeftError: ${String(e)}`;
  }
  return undefined;
}

describe("ref grammar", () => {
  it("M-10: internal object, object-with-extra and table formats; project id extractable", () => {
    const obj: Ref = { kind: "object", project: "X", name: "myobj", version: "def456", extra: [] };
    expect(formatInternalRef(obj)).toBe("weave-trace-internal:///X/object/myobj:def456");
    expect(formatInternalRef({ ...obj, extra: ["attr", "field"] })).toBe("weave-trace-internal:///X/object/myobj:def456/attr/field");
    expect(formatInternalRef({ kind: "table", project: "X", digest: "abc123", extra: [] })).toBe("weave-trace-internal:///X/table/abc123");
    expect(parseInternalRef("weave-trace-internal:///X/object/myobj:def456/attr/field")).toEqual({ ...obj, extra: ["attr", "field"] });
    expect(parseInternalRef("weave-trace-internal:///X/table/abc123").project).toBe("X");
  });

  it("M-04: dict keys in ref paths are percent-encoded like urllib.parse.quote(safe='')", () => {
    const key = "n-a_m.e: /+_(){}|\"'<>!@$^&*#:,.[]-=;~`100";
    const encoded = "n-a_m.e%3A%20%2F%2B_%28%29%7B%7D%7C%22%27%3C%3E%21%40%24%5E%26%2A%23%3A%2C.%5B%5D-%3D%3B~%60100";
    expect(quoteExtraValue(key)).toBe(encoded);
    const uri = `weave:///shawn/test-project/object/n-a_m.e-100:k8nuYiUM/attr/val/key/${encoded}`;
    const ref = parseExternalRef(uri);
    expect(ref).toEqual({ kind: "object", project: "shawn/test-project", name: "n-a_m.e-100", version: "k8nuYiUM", extra: ["attr", "val", "key", key] });
    expect(formatExternalRef(ref)).toBe(uri);
  });

  it("quote/unquote match CPython on UTF-8, reserved characters and malformed escapes", () => {
    expect(quoteExtraValue("é/ x~*!")).toBe("%C3%A9%2F%20x~%2A%21");
    expect(unquoteExtraValue("%E2%82%AC")).toBe("€");
    expect(unquoteExtraValue("ke%y")).toBe("ke%y");
    expect(unquoteExtraValue("%ED%A0%80")).toBe("\ufffd\ufffd\ufffd");
    expect(unquoteExtraValue("%C3%28")).toBe("\ufffd(");
    expect(code(() => quoteExtraValue("\ud800"))).toBe("VALIDATION");
  });

  it("OB-23: a raw key with '/' makes an odd extra (VALIDATION); the encoded key parses", () => {
    const base = "weave:///shawn/test-project/object/mali_cious-obj.ect:abc";
    expect(code(() => parseExternalRef(`${base}/key/mali:cious/ke%y`))).toBe("VALIDATION");
    expect(parseExternalRef(`${base}/key/mali%3Acious%2Fke%25y`).extra).toEqual(["key", "mali:cious/ke%y"]);
  });

  it("R-10: the edge names are key, attr, index (integer value) and id", () => {
    const base = "weave-trace-internal:///p/object/o:d";
    expect(parseInternalRef(`${base}/key/a/attr/b/index/2/id/r`).extra).toEqual(["key", "a", "attr", "b", "index", "2", "id", "r"]);
    expect(parseInternalRef(`${base}/index/%201_0%20`).extra).toEqual(["index", " 1_0 "]); // Python int() accepts it
    expect(parseInternalRef(`${base}/`).extra).toEqual([]); // a trailing slash is no extra, as in Weave
    for (const bad of [`${base}/ndx/0`, `${base}/index/x`, `${base}/key`, `${base}/index/1.5`]) {
      expect(code(() => parseInternalRef(bad)), bad).toBe("VALIDATION");
    }
  });

  it("rejects malformed refs with VALIDATION", () => {
    for (const bad of [
      "weave-trace-internal:///p",
      "weave-trace-internal:///p/object/nameonly",
      "weave-trace-internal:///p/object/a:b:c",
      "weave-trace-internal:///p/thing/x",
      "weave-trace-internal:///p/table",
      "weave:///e/p",
      "http://example.com/x",
    ]) {
      expect(code(() => (bad.startsWith("weave:///") ? parseExternalRef(bad) : parseInternalRef(bad))), bad).toBe("VALIDATION");
    }
    expect(code(() => formatInternalRef({ kind: "object", project: "a/b", name: "n", version: "v", extra: [] }))).toBe("VALIDATION");
    expect(code(() => formatInternalRef({ kind: "object", project: "p", name: "n:x", version: "v", extra: [] }))).toBe("VALIDATION");
  });

  it("call refs keep their id and extra", () => {
    expect(parseExternalRef("weave:///shawn/test-project/call/my-call")).toEqual({ kind: "call", project: "shawn/test-project", id: "my-call", extra: [] });
  });
});

describe("project ids", () => {
  it("internal id = standard base64 of entity/project; '/' in the base64 becomes '_'", () => {
    expect(internalProjectId("shawn/test-project")).toBe(PID);
    expect(externalProjectId(PID)).toBe("shawn/test-project");
    expect(internalProjectId("ünï/cødé")).toBe("w7xuw68vY8O4ZMOp");
    expect(internalProjectId("x/é")).toBe("eC_DqQ=="); // standard base64: eC/DqQ==
    expect(externalProjectId("eC_DqQ==")).toBe("x/é");
  });

  it("ids weft could not have made are unresolvable", () => {
    for (const bad of ["Zm9v" /* "foo": no slash */, "!!!", "c2hhd24vdGVzdC1wcm9qZWN0=", "YQ", "/w==", "eC/DqQ=="]) {
      expect(externalProjectId(bad), bad).toBeUndefined();
    }
  });
});

describe("internal ↔ external conversion (§0.2)", () => {
  it("D-06 input: the external table ref in a Dataset becomes internal, other strings untouched", () => {
    const val = { _type: "Dataset", rows: "weave:///shawn/test-project/table/6ca638", name: null, tags: ["weave:///e/p/op/f:d/key/a%2Fb", "x"] };
    const internal = toInternalRefs(val);
    expect(internal).toEqual({
      _type: "Dataset",
      rows: `weave-trace-internal:///${PID}/table/6ca638`,
      name: null,
      tags: [`weave-trace-internal:///${internalProjectId("e/p")}/op/f:d/key/a%2Fb`, "x"],
    });
    expect(toExternalRefs(internal)).toEqual(val);
    expect(internalRefsIn(internal)).toHaveLength(2);
  });

  it("copies nothing when there is nothing to rewrite; keeps a '__proto__' key an own property", () => {
    const val = { a: [1, { b: "plain" }], c: null };
    expect(toInternalRefs(val)).toBe(val);
    const tricky = JSON.parse('{"__proto__": "weave:///e/p/object/o:d"}') as Record<string, unknown>;
    const out = toInternalRefs(tricky);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(["__proto__"]);
  });

  it("'weave:///' strings without entity/project/path are 'Invalid URI'; unresolvable internal projects become weave://///", () => {
    expect(code(() => toInternalRefs({ x: "weave:///foo/bar" }))).toBe("VALIDATION");
    expect(code(() => toInternalRefs(["weave-trace-internal:///onlyproject"]))).toBe("VALIDATION");
    expect(refToExternal("weave-trace-internal:///Zm9v/object/x:y")).toBe("weave://///object/x:y");
    // Ref-looking garbage with three parts passes (M-01): only the prefix is rewritten.
    expect(toInternalRefs("weave:///entity/project/object/toxic-extra-path/object:latest")).toBe(
      `weave-trace-internal:///${internalProjectId("entity/project")}/object/toxic-extra-path/object:latest`,
    );
  });
});

// Property tests: names and versions may hold anything but '/' and ':'; extra values anything at all.
const segment = fc.string({ unit: "binary", maxLength: 12 }).filter((s) => !s.includes("/") && !s.includes(":"));
const projectPart = fc.string({ unit: "binary", minLength: 1, maxLength: 10 }).filter((s) => !/[/\s]/.test(s));
const edgePair = fc.oneof(
  fc.tuple(fc.constantFrom("key", "attr", "id"), fc.string({ unit: "binary", maxLength: 12 })),
  fc.tuple(fc.constant("index"), fc.integer({ min: -5, max: 10_000 }).map(String)),
);
const extra = fc.array(edgePair, { maxLength: 4 }).map((pairs) => pairs.flat());
const refOf = (project: fc.Arbitrary<string>): fc.Arbitrary<Ref> =>
  fc.oneof(
    fc.record({ kind: fc.constantFrom("object" as const, "op" as const), project, name: segment, version: segment, extra }),
    fc.record({ kind: fc.constant("table" as const), project, digest: segment, extra }),
    fc.record({ kind: fc.constant("call" as const), project, id: segment, extra }),
  );
const externalProject = fc.tuple(projectPart, projectPart).map(([e, p]) => `${e}/${p}`);

describe("round-trip properties", () => {
  it("parse(format(ref)) = ref, internal and external", () => {
    const internalProject = segment.filter((s) => s.length > 0);
    fc.assert(
      fc.property(refOf(internalProject), (ref) => {
        expect(parseInternalRef(formatInternalRef(ref))).toEqual(ref);
      }),
    );
    fc.assert(
      fc.property(refOf(externalProject), (ref) => {
        expect(parseExternalRef(formatExternalRef(ref))).toEqual(ref);
      }),
    );
  });

  it("unquote(quote(s)) = s, and quote only emits unreserved characters and %XX", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        const q = quoteExtraValue(s);
        expect(q).toMatch(/^(?:[A-Za-z0-9_.~-]|%[0-9A-F]{2})*$/);
        expect(unquoteExtraValue(q)).toBe(s);
      }),
    );
  });

  it("project ids round-trip and never contain '/'", () => {
    fc.assert(
      fc.property(externalProject, (p) => {
        const id = internalProjectId(p);
        expect(id).not.toContain("/");
        expect(externalProjectId(id)).toBe(p);
      }),
    );
  });

  it("toExternalRefs(toInternalRefs(v)) = v for JSON values holding refs", () => {
    const refString = fc.tuple(refOf(externalProject)).map(([r]) => formatExternalRef(r));
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: "small" }, refString, fc.string(), fc.integer(), fc.constant(null), tie("arr"), tie("obj")),
      arr: fc.array(tie("value"), { maxLength: 4 }),
      obj: fc.dictionary(fc.string(), tie("value"), { maxKeys: 4 }),
    })).value;
    fc.assert(
      fc.property(json, (v) => {
        const internal = toInternalRefs(v);
        expect(JSON.stringify(internal)).not.toContain('"weave:///');
        expect(toExternalRefs(internal)).toEqual(v);
      }),
    );
  });
});
