/**
 * Property tests: the compiled predicate agrees with a deliberately naive reference evaluator (a
 * tree-walking interpreter written from weave-semantics.md §2.9.2, no compile-time specialisation)
 * on random queries over random rows; top-k equals a stable sort's prefix; sort keys are a total order.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WeftError } from "../../src/errors";
import { formatDateTime, parseIsoDateTime } from "../../src/schema/common";
import { QuerySchema, type Operand, type Operation, type Query } from "../../src/schema/query";
import { compileQuery } from "../../src/server/query/compile-expr";
import type { FieldCatalog, FieldType, ResolvedField } from "../../src/server/query/field-catalog";
import { getJsonPath, splitFieldPath } from "../../src/server/query/field-path";
import { compileSortKey, sortRows } from "../../src/server/query/sort";
import { topK } from "../../src/server/query/top-k";

interface Row {
  id: number;
  s: string | null;
  n: number | null;
  t: number | null;
  b: boolean | null;
  j: unknown;
  fl: unknown[];
  sl: string[];
}

const TYPES: Record<string, FieldType> = { id: "number", s: "string", n: "number", t: "datetime", b: "bool", fl: "json_list", sl: "string_list" };
const catalog: FieldCatalog<Row> = {
  resolve(field): ResolvedField<Row> {
    const type = TYPES[field];
    if (type) return { type, name: field, get: (r) => r[field as keyof Row] };
    if (field === "j" || field.startsWith("j.")) {
      const parts = splitFieldPath(field).slice(1);
      return { type: "json", name: field, get: (r) => getJsonPath(r.j, parts) };
    }
    throw new WeftError("INVALID_FIELD", `Unknown field: ${field}`);
  },
};
const FIELDS = ["s", "n", "t", "b", "j", "j.x", "j.y", "j.x.0", "j.x.-1", "fl", "sl"];

// ---- random data --------------------------------------------------------------------------------
const T0 = Date.UTC(2025, 0, 1);
const STRINGS = ["", "a", "b", "ab", "A", "aB", "1", "10", "2", " 3 ", "2.5", "true", "false", "nan", "É", "é", "\u{1F600}",
  "2025-01-01", "2025-01-01T00:00:01Z", "x"];
const str = fc.constantFrom(...STRINGS);
const num = fc.constantFrom(-1, 0, 1, 2, 2.5, 3, 10, 1e21, 255, 256);
const jsonScalar = fc.oneof(str, num, fc.boolean(), fc.constant(null));
const jsonValue = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof({ depthSize: "small", withCrossShrink: true }, jsonScalar, fc.array(tie("v"), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom("x", "y", "0"), tie("v"), { maxKeys: 2 })),
})).v;
const row = fc.record({
  s: fc.option(str, { nil: null }),
  n: fc.option(num, { nil: null }),
  t: fc.option(fc.constantFrom(T0, T0 + 1000, T0 + 86_400_000), { nil: null }),
  b: fc.option(fc.boolean(), { nil: null }),
  j: fc.oneof(fc.constant(undefined), fc.dictionary(fc.constantFrom("x", "y"), jsonValue, { maxKeys: 2 }), jsonValue),
  fl: fc.array(jsonValue, { maxLength: 3 }),
  sl: fc.array(str, { maxLength: 3 }),
});
const rows = fc.array(row, { minLength: 1, maxLength: 25 }).map((rs) => rs.map((r, id) => ({ id, ...r }) as Row));

const literal: fc.Arbitrary<Operand> = fc.oneof(str, num, fc.boolean(), fc.constant(null), fc.constantFrom(0, 1, 2000000000, 1735689601)).map((v) => ({ $literal: v }));
const getField: fc.Arbitrary<Operand> = fc.constantFrom(...FIELDS).map((f) => ({ $getField: f }));
const COMPARE = ["$eq", "$gt", "$gte", "$lt", "$lte"] as const;
const operation = fc.letrec<{ op: Operation; operand: Operand }>((tie) => ({
  operand: fc.oneof({ depthSize: "small" }, literal, getField, getField,
    fc.record({ input: tie("operand"), to: fc.constantFrom("double", "string", "int", "bool", "exists") as fc.Arbitrary<"int"> }).map((c) => ({ $convert: c })),
    tie("op")),
  op: fc.oneof({ depthSize: "small" },
    fc.tuple(fc.constantFrom(...COMPARE), tie("operand"), tie("operand")).map(([k, a, b]) => ({ [k]: [a, b] }) as unknown as Operation),
    fc.tuple(fc.constantFrom(...COMPARE), getField, literal).map(([k, a, b]) => ({ [k]: [a, b] }) as unknown as Operation),
    fc.tuple(fc.constantFrom(...COMPARE), literal, getField).map(([k, a, b]) => ({ [k]: [a, b] }) as unknown as Operation),
    fc.tuple(tie("operand"), fc.array(fc.oneof(literal, literal, tie("operand")), { maxLength: 4 })).map(([a, l]): Operation => ({ $in: [a, l] })),
    fc.record({ input: tie("operand"), substr: fc.oneof(literal, tie("operand")), case_insensitive: fc.boolean() }).map((c): Operation => ({ $contains: c })),
    fc.array(tie("operand"), { minLength: 1, maxLength: 3 }).map((l): Operation => ({ $and: l })),
    fc.array(tie("operand"), { minLength: 1, maxLength: 3 }).map((l): Operation => ({ $or: l })),
    tie("operand").map((o): Operation => ({ $not: [o] }))),
})).op;

// ---- the reference evaluator ---------------------------------------------------------------------
type S = string | number | boolean | null;
type Kind = "string" | "number" | "bool" | "datetime" | "logical" | "null";
interface Val { kind: Kind; items: S[]; list: false | "any" | "member" }
const one = (kind: Kind, v: S): Val => ({ kind, items: [v], list: false });

function chText(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return String(v);
  if (typeof v === "number") return Number.isInteger(v) && Math.abs(v) < 1e21 ? String(v) : String(v).replace("e+", "e");
  return JSON.stringify(v);
}
function cast(v: S, kind: Kind, to: string): S {
  if (to === "exists") return v !== null;
  if (v === null) return null;
  const text = kind === "datetime" ? formatDateTime(v as number) : kind === "logical" ? (v ? "1" : "0") : chText(v);
  const t = text.trim();
  if (to === "string") return text;
  if (to === "int") return /^[+-]?\d+$/.test(t) ? Number(t) : null;
  if (to === "double") {
    if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
    return /^[+-]?(inf|infinity)$/i.test(t) ? (t.startsWith("-") ? -Infinity : Infinity) : /^[+-]?nan$/i.test(t) ? NaN : null;
  }
  return text === "true" ? 1 : text === "false" ? 0 : /^\+?\d+$/.test(t) && Number(t) <= 255 ? Number(t) : null;
}
function convert(v: Val, to: string): Val {
  if (to === "exists") return one("logical", v.list ? true : v.items[0] !== null);
  return { kind: to === "string" ? "string" : "number", list: v.list, items: v.items.map((x) => cast(x, v.kind, to)) };
}
const isLit = (o: Operand): o is { $literal: S } => "$literal" in o;
const isJsonField = (o: Operand): boolean => "$getField" in o && ["json", "json_list"].includes(catalog.resolve(o.$getField).type);
const castOf = (v: S): string | undefined => (typeof v === "boolean" ? "bool" : typeof v === "number" ? (Number.isInteger(v) ? "int" : "double") : undefined);

function evalOperand(o: Operand, r: Row): Val {
  if (isLit(o)) return one(o.$literal === null ? "null" : typeof o.$literal === "string" ? "string" : typeof o.$literal === "number" ? "number" : "bool", o.$literal);
  if ("$getField" in o) {
    const f = catalog.resolve(o.$getField);
    const v = f.get(r);
    if (f.type === "json") return one("string", chText(v));
    if (f.type === "json_list") return { kind: "string", list: "any", items: (v as unknown[]).map(chText) };
    if (f.type === "string_list") return { kind: "string", list: "member", items: v as string[] };
    return one(f.type as Kind, v as S);
  }
  if ("$convert" in o) return convert(evalOperand(o.$convert.input, r), o.$convert.to);
  if ("$and" in o && o.$and.length === 1) return evalOperand(o.$and[0] as Operand, r);
  if ("$or" in o && o.$or.length === 1) return evalOperand(o.$or[0] as Operand, r);
  return one("logical", evalOp(o as Operation, r));
}
function cond(v: Val): boolean | null {
  if (v.list) return null;
  const x = v.items[0] as S;
  return typeof x === "boolean" ? x : typeof x === "number" ? x !== 0 : null;
}
/** Aligns a value with a literal the way §2.9.2 says ClickHouse does. */
function align(a: Val, lit: S): [Val, S] {
  if (a.kind === "datetime") {
    if (typeof lit === "number") return [a, lit * 1000];
    if (typeof lit === "string") {
      const ms = parseIsoDateTime(lit);
      return ms === undefined ? [convert(a, "string"), lit] : [a, ms];
    }
  }
  if (typeof lit === "string" && a.kind === "number") return [a, cast(lit, "string", "double")];
  if (typeof lit === "string" && (a.kind === "bool" || a.kind === "logical")) return [a, cast(lit, "string", "bool")];
  return [a, lit];
}
function test(op: string, x: S, y: S): boolean | null {
  if (x === null || y === null) return null;
  if ((typeof x === "string") !== (typeof y === "string")) return null;
  let c: number;
  if (typeof x === "string") c = Buffer.compare(Buffer.from(x), Buffer.from(y as string));
  else {
    const a = Number(x);
    const b = Number(y);
    if (Number.isNaN(a) || Number.isNaN(b)) return false;
    c = a < b ? -1 : a > b ? 1 : 0;
  }
  return op === "$eq" ? c === 0 : op === "$gt" ? c > 0 : op === "$gte" ? c >= 0 : op === "$lt" ? c < 0 : c <= 0;
}
function anyPair(op: string, a: Val, b: Val): boolean | null {
  if (!a.list && !b.list) return test(op, a.items[0] as S, b.items[0] as S);
  return a.items.some((x) => b.items.some((y) => test(op, x, y) === true));
}
function compare(op: string, lo: Operand, ro: Operand, r: Row): boolean | null {
  let a = evalOperand(lo, r);
  let b = evalOperand(ro, r);
  if (isLit(ro) && isJsonField(lo) && castOf(ro.$literal)) a = convert(a, castOf(ro.$literal) as string);
  if (isLit(lo) && isJsonField(ro) && castOf(lo.$literal)) b = convert(b, castOf(lo.$literal) as string);
  if (isLit(ro)) { const [x, y] = align(a, b.items[0] as S); a = x; b = one(b.kind, y); }
  if (isLit(lo)) { const [x, y] = align(b, a.items[0] as S); b = x; a = one(a.kind, y); }
  return anyPair(op, a, b);
}
const fold = (s: string): string => [...s].map((c) => (c >= "A" && c <= "Z" ? c.toLowerCase() : c)).join("");
function evalOp(o: Operation, r: Row): boolean | null {
  if ("$and" in o) { const vs = o.$and.map((x) => cond(evalOperand(x, r))); return vs.includes(false) ? false : vs.includes(null) ? null : true; }
  if ("$or" in o) { const vs = o.$or.map((x) => cond(evalOperand(x, r))); return vs.includes(true) ? true : vs.includes(null) ? null : false; }
  if ("$not" in o) { const v = cond(evalOperand(o.$not[0], r)); return v === null ? null : !v; }
  if ("$in" in o) {
    const [lo, items] = o.$in;
    let a = evalOperand(lo, r);
    const lits = items.every(isLit) ? items.map((i) => (i as { $literal: S }).$literal) : [];
    if (isJsonField(lo) && items.length > 0 && lits.length === items.length) {
      const to = lits.every((v) => typeof v === "number") ? (lits.every((v) => Number.isInteger(v)) ? "int" : "double") : lits.every((v) => typeof v === "boolean") ? "bool" : undefined;
      if (to) a = convert(a, to);
    }
    if (!a.list && a.items[0] === null) return null;
    return items.some((i) => {
      if (!isLit(i)) return anyPair("$eq", a, evalOperand(i, r)) === true;
      const [x, y] = align(a, i.$literal);
      return anyPair("$eq", x, one("null", y)) === true;
    });
  }
  if ("$contains" in o) {
    const hay = evalOperand(o.$contains.input, r);
    const needle = evalOperand(o.$contains.substr, r);
    const n = needle.list ? null : needle.items[0];
    if (typeof n !== "string") return null;
    const f = o.$contains.case_insensitive ? fold : (s: string) => s;
    const hit = (h: S): boolean | null => (typeof h !== "string" ? null : hay.list === "member" ? f(h) === f(n) : f(h).includes(f(n)));
    return hay.list ? hay.items.some((h) => hit(h) === true) : hit(hay.items[0] as S);
  }
  const [op, [lo, ro]] = Object.entries(o)[0] as [string, [Operand, Operand]];
  if (op === "$eq" && isLit(ro) && ro.$literal === null) {
    const a = evalOperand(lo, r);
    return a.list ? a.items.length === 0 : a.items[0] === null;
  }
  return compare(op, lo, ro, r);
}

// ---- properties ----------------------------------------------------------------------------------
describe("compileQuery vs the reference evaluator", () => {
  it("agree on random queries over random rows", () => {
    fc.assert(
      fc.property(operation, rows, (op, rs) => {
        const query: Query = QuerySchema.parse({ $expr: op });
        const pred = compileQuery(query, catalog);
        for (const r of rs) expect(pred(r), JSON.stringify(r)).toBe(evalOp(query.$expr, r) === true);
      }),
      { numRuns: 1500 },
    );
  }, 60_000);
});

describe("sorting", () => {
  const sortSpec = fc.array(fc.record({ field: fc.constantFrom(...FIELDS, "id"), direction: fc.constantFrom("asc" as const, "desc" as const) }), { minLength: 1, maxLength: 3 });

  it("keys form a total order and top-k equals the stable sort's prefix", () => {
    fc.assert(
      fc.property(sortSpec, rows, fc.integer({ min: 0, max: 30 }), (spec, rs, k) => {
        const plan = compileSortKey(spec, catalog, { tiebreak: { field: "id", direction: "asc" } });
        const keys = rs.map(plan.key);
        for (const a of keys) for (const b of keys) expect(Math.sign(plan.compare(a, b)) + Math.sign(plan.compare(b, a))).toBe(0);
        const full = sortRows(rs, plan);
        const keyed = rs.map((r) => ({ r, key: plan.key(r) }));
        const top = topK(keyed, k, (a, b) => plan.compare(a.key, b.key)).map((e) => e.r.id);
        expect(top).toEqual(full.slice(0, k).map((r) => r.id));
      }),
      { numRuns: 400 },
    );
  }, 60_000);

  it("JSON fields: present values first in both directions; numbers before other strings", () => {
    fc.assert(
      fc.property(rows, fc.constantFrom("asc" as const, "desc" as const), (rs, direction) => {
        const sorted = sortRows(rs, compileSortKey([{ field: "j.x", direction }], catalog));
        const cls = sorted.map((r) => {
          const v = getJsonPath(r.j, splitFieldPath("x"));
          if (v === undefined || v === null) return 2;
          return cast(chText(v), "string", "double") === null ? 1 : 0;
        });
        expect(cls).toEqual([...cls].sort());
      }),
      { numRuns: 300 },
    );
  }, 60_000);
});

describe("topK", () => {
  it("equals a stable sort's prefix on arbitrary input with many ties", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 200 }), fc.integer({ min: -1, max: 220 }), (xs, k) => {
        const items = xs.map((v, i) => ({ v, i }));
        const cmp = (a: { v: number }, b: { v: number }): number => a.v - b.v;
        expect(topK(items, k, cmp)).toEqual([...items].sort(cmp).slice(0, Math.max(0, k)));
      }),
    );
  });

  it("handles k = Infinity, k = 0 and iterables", () => {
    function* gen(): Generator<number> { yield 3; yield 1; yield 2; }
    expect(topK(gen(), Infinity, (a, b) => a - b)).toEqual([1, 2, 3]);
    expect(topK(gen(), 0, (a, b) => a - b)).toEqual([]);
    expect(topK(gen(), 2, (a, b) => b - a)).toEqual([3, 2]);
  });
});
