/**
 * ClickHouse value semantics (weave-semantics.md §2.9.2) and Weave's field-path rules (§2.9.2,
 * conformance §22.3).
 */
import { describe, expect, it } from "vitest";
import { QuerySchema } from "../../src/schema/query";
import { compileQuery } from "../../src/server/query/compile-expr";
import type { FieldCatalog } from "../../src/server/query/field-catalog";
import { getJsonPath, splitFieldPath, type PathPart } from "../../src/server/query/field-path";
import {
  asciiLower, coerceDatetimeLiteral, compareStrings, eqScalar, formatChNumber, jsonToChString, orderScalar,
  toBoolOrNull, toFloatOrNull, toIntOrNull, truthy,
} from "../../src/server/query/values";

describe("jsonToChString", () => {
  it.each<[unknown, string]>([
    [undefined, ""],
    [null, ""],
    ["x", "x"],
    ["", ""],
    [true, "true"],
    [false, "false"],
    [5.0, "5"],
    [1e3, "1000"],
    [2.5, "2.5"],
    [-0.125, "-0.125"],
    [1e21, "1e21"],
    [1e-7, "1e-7"],
    [{ a: 1, b: [true, null] }, '{"a":1,"b":[true,null]}'],
    [["hello", "wörld"], '["hello","wörld"]'],
  ])("%j → %j", (value, text) => {
    expect(jsonToChString(value)).toBe(text);
  });

  it("formatChNumber prints non-finite values like ClickHouse", () => {
    expect([Number.NaN, Infinity, -Infinity].map(formatChNumber)).toEqual(["nan", "inf", "-inf"]);
  });
});

describe("to*OrNull casts", () => {
  it("toIntOrNull: trimmed ^[+-]?\\d+$ only", () => {
    expect(["5", " 42 ", "+7", "-3", "007"].map(toIntOrNull)).toEqual([5, 42, 7, -3, 7]);
    expect(["", "5.0", "1e3", "abc", "5 5", "0x10", "99999999999999999999"].map(toIntOrNull)).toEqual(Array(7).fill(null));
  });

  it("toFloatOrNull: decimals, exponents, inf/nan; empty → NULL", () => {
    expect(["2.5", " 1e3 ", "-.5", "5.", "+1E-2", "inf", "-Infinity"].map(toFloatOrNull)).toEqual([2.5, 1000, -0.5, 5, 0.01, Infinity, -Infinity]);
    expect(toFloatOrNull("nan")).toBeNaN();
    expect(["", " ", "abc", "1,5", "0x10", "2025-01-01", "1e"].map(toFloatOrNull)).toEqual(Array(7).fill(null));
  });

  it("toBoolOrNull: 'true' → 1, 'false' → 0, else UInt8 or NULL", () => {
    expect(["true", "false", "0", "1", "255", " 7 "].map(toBoolOrNull)).toEqual([1, 0, 0, 1, 255, 7]);
    expect(["True", "FALSE", "256", "-1", "", "yes", "1.0"].map(toBoolOrNull)).toEqual(Array(7).fill(null));
  });

  it("datetime literals: numbers are unix seconds, strings ISO; unparseable strings stay", () => {
    expect(coerceDatetimeLiteral(1_700_000_000)).toBe(1_700_000_000_000);
    expect(coerceDatetimeLiteral("2024-01-02")).toBe(Date.UTC(2024, 0, 2));
    expect(coerceDatetimeLiteral("2024-01-02T03:04:05.5")).toBe(Date.UTC(2024, 0, 2, 3, 4, 5, 500));
    expect(coerceDatetimeLiteral("2024-01-02T03:04:05+01:00")).toBe(Date.UTC(2024, 0, 2, 2, 4, 5));
    expect(coerceDatetimeLiteral("yesterday")).toBe("yesterday");
    expect(coerceDatetimeLiteral(null)).toBeNull();
  });
});

describe("comparisons", () => {
  it("NULL propagates; numbers vs strings have no common type; bools are 0/1", () => {
    expect(eqScalar(null, null)).toBeNull();
    expect(eqScalar("1", 1)).toBeNull();
    expect(eqScalar(true, 1)).toBe(true);
    expect(eqScalar(Number.NaN, Number.NaN)).toBe(false);
    expect(orderScalar("b", "a")).toBeGreaterThan(0);
    expect(orderScalar(1, "a")).toBeNull();
    expect(orderScalar(Number.NaN, 1)).toBeNaN();
  });

  it("strings order by UTF-8 bytes, not UTF-16 code units", () => {
    expect(compareStrings("\u{1F600}", "\uFFFD")).toBeGreaterThan(0);
    expect(compareStrings("\uFFFD", "\u{1F600}")).toBeLessThan(0);
    expect(compareStrings("ab", "a")).toBeGreaterThan(0);
    expect(compareStrings("B", "a")).toBeLessThan(0);
  });

  it("asciiLower folds ASCII only (positionCaseInsensitive)", () => {
    expect(asciiLower("ÉTÉ Abc")).toBe("ÉtÉ abc");
  });

  it("truthy: strings are not conditions", () => {
    expect([true, false, 0, 2, "1", null, undefined].map(truthy)).toEqual([true, false, false, true, null, null, null]);
  });
});

describe("compiled edge cases", () => {
  interface R { v: unknown; name: string | null }
  const catalog: FieldCatalog<R> = {
    resolve: (f) =>
      f === "name"
        ? { type: "string", name: f, get: (r) => r.name }
        : { type: "json", name: f, get: (r) => getJsonPath(r, splitFieldPath(f)) },
  };
  const run = (expr: unknown, rows: R[]): number[] => {
    const pred = compileQuery(QuerySchema.parse({ $expr: expr }), catalog);
    return rows.flatMap((r, i) => (pred(r) ? [i] : []));
  };
  const asDouble = { $convert: { input: { $getField: "v" }, to: "double" } };

  it("NaN: every ordering is false (not NULL), so NOT of it is true", () => {
    const rows = [{ v: "nan", name: null }, { v: "0.5", name: null }];
    expect(run({ $gt: [asDouble, { $literal: 1 }] }, rows)).toEqual([]);
    expect(run({ $not: [{ $gt: [asDouble, { $literal: 1 }] }] }, rows)).toEqual([0, 1]);
  });

  it("case-insensitive $contains leaves non-ASCII letters alone", () => {
    const rows = [{ v: "ÉCOLE", name: "ÉCOLE" }, { v: "école", name: "école" }];
    const ci = (needle: string): unknown => ({ $contains: { input: { $getField: "name" }, substr: { $literal: needle }, case_insensitive: true } });
    expect(run(ci("éCOLE"), rows)).toEqual([1]);
    expect(run(ci("Écol"), rows)).toEqual([0]);
  });

  it("$contains: NULL input or a non-string needle gives NULL (neither it nor its negation matches)", () => {
    const rows = [{ v: 94, name: null }];
    const c = (input: unknown, substr: unknown): unknown => ({ $contains: { input, substr } });
    expect(run(c({ $getField: "name" }, { $literal: "" }), rows)).toEqual([]);
    expect(run({ $not: [c({ $getField: "name" }, { $literal: "x" })] }, rows)).toEqual([]);
    expect(run({ $not: [c({ $getField: "v" }, { $literal: 94 })] }, rows)).toEqual([]);
    expect(run(c({ $getField: "v" }, { $literal: "9" }), rows)).toEqual([0]);
  });

  it("a string in condition position is NULL; a single-operand $and/$or is its operand", () => {
    const rows = [{ v: "true", name: "x" }];
    expect(run({ $and: [{ $getField: "v" }] }, rows)).toEqual([]);
    expect(run({ $not: [{ $getField: "v" }] }, rows)).toEqual([]);
    expect(run({ $eq: [{ $and: [{ $literal: 5 }] }, { $literal: 5 }] }, rows)).toEqual([0]);
    expect(run({ $or: [{ $literal: 0 }, { $literal: 1 }] }, rows)).toEqual([0]);
  });

  it("a numeric operand against a string literal converts the literal (ClickHouse `1 = '1'`)", () => {
    const rows = [{ v: "7", name: null }];
    const asInt = { $convert: { input: { $getField: "v" }, to: "int" } };
    expect(run({ $eq: [asInt, { $literal: "7" }] }, rows)).toEqual([0]);
    expect(run({ $eq: [asInt, { $literal: "seven" }] }, rows)).toEqual([]);
    expect(run({ $eq: [{ $literal: "1" }, { $literal: 1 }] }, rows)).toEqual([0]);
  });
});

describe("splitFieldPath / getJsonPath", () => {
  const keys = (path: string): Array<string | number | "*"> =>
    splitFieldPath(path).map((p: PathPart) => (p.kind === "all" ? "*" : p.index ?? p.key));

  it.each<[string, Array<string | number | "*">]>([
    ["a.b.c", ["a", "b", "c"]],
    ["a\\.b.c", ["a.b", "c"]],
    ["output.triple\\.nested\\.dot", ["output", "triple.nested.dot"]],
    ["list.0.-1", ["list", 0, -1]],
    ["feedback.[wandb.runnable.x].payload", ["feedback", "wandb.runnable.x", "payload"]],
    ["a.[*].b", ["a", "*", "b"]],
    ["a.[0]", ["a", "0"]],
    ["a.b[c.d]", ["a", "b[c.d]"]],
    ["a.\\[x].y", ["a", "[x]", "y"]],
    ["a..b.", ["a", "", "b", ""]],
    ["key with spaces.one", ["key with spaces", "one"]],
  ])("%s", (path, expected) => {
    expect(keys(path)).toEqual(expected);
  });

  it("bracketed integers are keys, bare integers index arrays (negative from the end)", () => {
    expect(splitFieldPath("a.[0]")[1]).toEqual({ kind: "key", key: "0", index: undefined });
    const v = { list: [10, 20, 30], obj: { "0": "zero" } };
    expect(getJsonPath(v, splitFieldPath("list.0"))).toBe(10);
    expect(getJsonPath(v, splitFieldPath("list.-1"))).toBe(30);
    expect(getJsonPath(v, splitFieldPath("list.3"))).toBeUndefined();
    expect(getJsonPath(v, splitFieldPath("list.-4"))).toBeUndefined();
    expect(getJsonPath(v, splitFieldPath("obj.0"))).toBe("zero");
    expect(getJsonPath(v, splitFieldPath("list.[0]"))).toEqual([]);
  });

  it("a key applied to a list maps over it, flattening and dropping missing/null", () => {
    const v = { items: [{ n: 1, t: ["a"] }, { n: null, t: ["b", "c"] }, { m: 2 }, 5] };
    expect(getJsonPath(v, splitFieldPath("items.n"))).toEqual([1]);
    expect(getJsonPath(v, splitFieldPath("items.t"))).toEqual(["a", "b", "c"]);
    expect(getJsonPath(v, splitFieldPath("items.zz"))).toEqual([]);
  });

  it("[*] yields all values of an object or array; missing paths are undefined", () => {
    const v = { d: { a: 1, b: { c: 2 } }, l: [1, 2] };
    expect(getJsonPath(v, splitFieldPath("d.[*]"))).toEqual([1, { c: 2 }]);
    expect(getJsonPath(v, splitFieldPath("l.[*]"))).toEqual([1, 2]);
    expect(getJsonPath(v, splitFieldPath("d.[*].c"))).toEqual([2]);
    expect(getJsonPath(v, splitFieldPath("d.a.b"))).toBeUndefined();
    expect(getJsonPath(v, splitFieldPath("nope"))).toBeUndefined();
    expect(getJsonPath("str", splitFieldPath("x"))).toBeUndefined();
    expect(getJsonPath({ a: null }, splitFieldPath("a"))).toBeNull();
    expect(getJsonPath({}, splitFieldPath("constructor"))).toBeUndefined();
  });
});
