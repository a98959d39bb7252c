/**
 * The query engine against Weave's conformance cases (weave-conformance-cases.md §5, §6, §9, §22),
 * over an in-memory row type and a small catalog shaped like the calls catalog.
 */
import { describe, expect, it } from "vitest";
import { WeftError } from "../../src/errors";
import type { SortBy } from "../../src/schema/common";
import { QuerySchema, type Operand, type Operation } from "../../src/schema/query";
import { compileQuery } from "../../src/server/query/compile-expr";
import type { FieldCatalog, ResolvedField } from "../../src/server/query/field-catalog";
import { getJsonPath, splitFieldPath } from "../../src/server/query/field-path";
import { compileSort, compileSortKey, sortRows } from "../../src/server/query/sort";

interface Row {
  id: string;
  op_name: string;
  started_at: number;
  ended_at: number | null;
  exception: string | null;
  display_name: string | null;
  wb_run_step: number | null;
  inputs: Record<string, unknown>;
  output: unknown;
  attributes: Record<string, unknown>;
  summary: Record<string, unknown>;
  /** feedback_type → payloads, in creation order */
  feedback: Record<string, unknown[]>;
}

const PLAIN: Record<string, ResolvedField<Row>> = {
  id: { type: "string", name: "id", get: (r) => r.id },
  op_name: { type: "string", name: "op_name", get: (r) => r.op_name },
  display_name: { type: "string", name: "display_name", get: (r) => r.display_name },
  started_at: { type: "datetime", name: "started_at", get: (r) => r.started_at },
  ended_at: { type: "datetime", name: "ended_at", get: (r) => r.ended_at },
  wb_run_step: { type: "number", name: "wb_run_step", get: (r) => r.wb_run_step },
  "summary.weave.status": {
    type: "string",
    name: "summary.weave.status",
    get: (r) => (r.exception !== null ? "error" : r.ended_at === null ? "running" : "success"),
  },
};
const JSON_ROOTS = ["inputs", "output", "attributes", "summary"] as const;

/** Mimics the calls catalog: plain columns, JSON roots with paths, feedback lists. */
const catalog: FieldCatalog<Row> = {
  resolve(field) {
    const plain = PLAIN[field];
    if (plain) return plain;
    const feedback = /^feedback\.\[(.+?)\]\.payload(?:\.(.+))?$/.exec(field);
    if (feedback) {
      const type = feedback[1] as string;
      const parts = splitFieldPath(feedback[2] ?? "");
      const rest = feedback[2] === undefined ? [] : parts;
      return {
        type: "json_list",
        name: field,
        get: (r) => (r.feedback[type] ?? []).map((p) => getJsonPath(p, rest) ?? null),
      };
    }
    const [root, ...rest] = splitFieldPath(field);
    const name = root?.kind === "key" ? root.key : "";
    if ((JSON_ROOTS as readonly string[]).includes(name)) {
      const key = name as (typeof JSON_ROOTS)[number];
      return { type: "json", name: field, get: (r) => getJsonPath(r[key], rest) };
    }
    throw new WeftError("INVALID_FIELD", `Unknown field: ${field}`, { field });
  },
};

let clock = Date.UTC(2025, 0, 1);
let seq = 0;
function call(fields: Partial<Row> = {}): Row {
  seq += 1;
  clock += 1000;
  return {
    id: `call-${String(seq).padStart(4, "0")}`,
    op_name: "op",
    started_at: clock,
    ended_at: clock + 10,
    exception: null,
    display_name: null,
    wb_run_step: null,
    inputs: {},
    output: null,
    attributes: {},
    summary: {},
    feedback: {},
    ...fields,
  };
}

const lit = (v: string | number | boolean | null): Operand => ({ $literal: v });
const get = (f: string): Operand => ({ $getField: f });
const conv = (f: string, to: "int" | "double" | "string" | "bool" | "exists"): Operand => ({ $convert: { input: get(f), to } });
const contains = (f: string, s: string, ci = false): Operation => ({ $contains: { input: get(f), substr: lit(s), case_insensitive: ci } });

/** Filters `rows` (default order: started_at asc, id asc) and returns the matching rows. */
function select(rows: Row[], expr: Operation, sortBy: SortBy[] = [{ field: "started_at", direction: "asc" }]): Row[] {
  const query = QuerySchema.parse({ $expr: expr });
  const pred = compileQuery(query, catalog);
  return sortRows(rows.filter(pred), compileSortKey(sortBy, catalog, { tiebreak: { field: "id", direction: "asc" } }));
}
const count = (rows: Row[], expr: Operation): number => select(rows, expr).length;

describe("FILTER-13 (conformance §5)", () => {
  const inVals: unknown[] = Array.from({ length: 10 }, (_, i) => ({ prim: i, list: [i], dict: { inner: i }, str: `str_${i}` }));
  inVals.push({ prim: "Different Type", list: "Different Type", dict: "Different Type", str: false }, "simple_primitive", 42);
  const rows = inVals.map((v) => call({ op_name: "basic_op", inputs: { in_val: v, delay: 0 }, output: v }));
  const prim = "inputs.in_val.prim";

  it.each<[string, Operation, number]>([
    ["Q-01", { $eq: [lit(1), lit(1)] }, 13],
    ["Q-02", { $eq: [lit(1), lit(2)] }, 0],
    ["Q-04", { $eq: [lit("simple_primitive"), get("inputs.in_val")] }, 1],
    ["Q-05", { $eq: [lit("simple_primitive"), get("output")] }, 1],
    ["Q-07", { $gte: [conv(prim, "int"), lit(5)] }, 5],
    ["Q-08", { $not: [{ $gt: [conv(prim, "int"), lit(5)] }] }, 6],
    ["Q-10", contains("inputs.in_val.str", ""), 13],
    ["Q-11", contains("inputs.in_val.str", "str"), 10],
    ["Q-13", contains("inputs.in_val.str", "STR", true), 10],
    ["Q-14", { $and: [{ $not: [{ $gt: [conv(prim, "int"), lit(7)] }] }, { $gte: [conv(prim, "int"), lit(5)] }] }, 3],
    ["Q-16", { $eq: [lit(5), conv("inputs.in_val.str", "int")] }, 0],
    ["Q-17", { $eq: [lit("5"), conv(prim, "string")] }, 1],
    ["Q-19", { $gt: [conv("inputs.in_val.dict.inner", "int"), lit(5)] }, 4],
    ["Q-20 output.prim", { $gt: [conv("output.prim", "int"), lit(5)] }, 4],
    ["Q-20 output.list.0", { $gt: [conv("output.list.0", "int"), lit(5)] }, 4],
    ["Q-20 output.dict.inner", { $gt: [conv("output.dict.inner", "int"), lit(5)] }, 4],
  ])("%s", (_id, expr, expected) => {
    expect(count(rows, expr)).toBe(expected);
  });

  it("literal-driven casts: int/double/bool literals cast a JSON field; failed casts never match", () => {
    expect(count(rows, { $gte: [get(prim), lit(5)] })).toBe(5);
    expect(count(rows, { $lt: [get(prim), lit(2.5)] })).toBe(3);
    expect(count(rows, { $eq: [get("inputs.in_val"), lit(42)] })).toBe(1);
    expect(count(rows, { $eq: [get("inputs.in_val.str"), lit(false)] })).toBe(1);
    expect(count(rows, { $in: [get(prim), [lit(1), lit(2), lit(99)]] })).toBe(2);
    expect(count(rows, { $in: [get(prim), [lit(1), lit(2.5)]] })).toBe(1);
    // A string literal keeps string comparison: "9" > "10" as strings.
    expect(count(rows, { $gt: [get(prim), lit("5")] })).toBe(5); // 6..9 and "Different Type"
  });

  it("$eq with literal null: IS NULL never matches a JSON field; compare with '' instead (§2.9.2)", () => {
    expect(count(rows, { $eq: [get("inputs.in_val.missing"), lit(null)] })).toBe(0);
    expect(count(rows, { $eq: [get("inputs.in_val.missing"), lit("")] })).toBe(13);
    expect(count(rows, { $eq: [conv(prim, "int"), lit(null)] })).toBe(3);
    expect(count(rows, { $eq: [get("display_name"), lit(null)] })).toBe(13);
    // Null on the left is an ordinary comparison with NULL: never true.
    expect(count(rows, { $eq: [lit(null), get("display_name")] })).toBe(0);
    expect(count(rows, { $not: [{ $eq: [lit(null), get("display_name")] }] })).toBe(0);
  });

  it("$convert to exists is always true on a JSON field; to bool follows toBoolOrNull", () => {
    expect(count(rows, { $eq: [conv("inputs.nope", "exists"), lit(true)] })).toBe(13);
    expect(count(rows, { $eq: [conv("inputs.in_val.str", "bool"), lit(0)] })).toBe(1); // 'false' → 0
    expect(count(rows, { $eq: [conv(prim, "bool"), lit(true)] })).toBe(1); // '1' → 1
  });

  it("dict/list literals are rejected at compile time (VALIDATION 'Unknown value type')", () => {
    const query = QuerySchema.parse({ $expr: { $eq: [get("id"), { $literal: [{ $literal: 1 }] }] } });
    expect(() => compileQuery(query, catalog)).toThrow(expect.objectContaining({ code: "VALIDATION", message: expect.stringContaining("Unknown value type") }));
  });

  it("unknown fields fail with INVALID_FIELD before any row is read", () => {
    const query = QuerySchema.parse({ $expr: { $or: [{ $eq: [get("id"), lit("x")] }, { $eq: [get("nope"), lit(1)] }] } });
    expect(() => compileQuery(query, catalog)).toThrow(expect.objectContaining({ code: "INVALID_FIELD" }));
    expect(() => compileSort([{ field: "bogus", direction: "asc" }], catalog)).toThrow(expect.objectContaining({ code: "INVALID_FIELD" }));
  });
});

describe("other query-language cases (conformance §5)", () => {
  it("Q-22: $in on id", () => {
    const rows = [call(), call(), call(), call()];
    const ids = rows.map((r) => r.id);
    expect(count(rows, { $in: [get("id"), [lit(ids[0] as string), lit(ids[1] as string)]] })).toBe(2);
    expect(select(rows, { $in: [get("id"), ids.map(lit)] }).map((r) => r.id)).toEqual(ids);
    expect(count(rows, { $in: [get("id"), []] })).toBe(0);
  });

  describe("Q-23: string / bool-as-string / numeric-string filters", () => {
    const names = ["alpha", "beta", "gamma", "delta", "epsilon"];
    const mine = names.map((n, i) =>
      call({ inputs: { test_id: "t-23", name: `${n}_test`, tags: [n], value: (i + 1) * 100, active: i % 2 === 0 ? "True" : "False" } }),
    );
    const rows = [...mine, ...names.map((n) => call({ inputs: { test_id: "other", name: `${n}_other`, value: 1 } }))];
    const scoped = (cond: Operation): Operation => ({ $and: [{ $eq: [get("inputs.test_id"), lit("t-23")] }, cond] });
    const name = (r: Row): unknown => r.inputs.name;

    it.each<[string, Operation, number]>([
      ["test_id", { $eq: [get("inputs.test_id"), lit("t-23")] }, 5],
      ["contains test", scoped(contains("inputs.name", "test")), 5],
      ["contains alpha", scoped(contains("inputs.name", "alpha")), 1],
      ["$in names", scoped({ $in: [get("inputs.name"), [lit("delta_test"), lit("gamma_test")]] }), 2],
      ["active == 'True'", scoped({ $eq: [get("inputs.active"), lit("True")] }), 3],
      ["OR with value > '300'", scoped({ $or: [contains("inputs.name", "alpha"), contains("inputs.name", "beta"), { $gt: [get("inputs.value"), lit("300")] }] }), 4],
      ["epsilon AND True", scoped({ $and: [contains("inputs.name", "epsilon"), { $eq: [get("inputs.active"), lit("True")] }] }), 1],
    ])("%s", (_n, expr, expected) => {
      expect(count(rows, expr)).toBe(expected);
    });

    it("nested OR/AND returns alpha then delta", () => {
      const expr = scoped({
        $and: [
          {
            $or: [
              { $and: [contains("inputs.name", "alpha"), { $eq: [get("inputs.active"), lit("True")] }] },
              { $and: [contains("inputs.name", "delta"), { $eq: [get("inputs.active"), lit("False")] }] },
            ],
          },
          { $or: [{ $gte: [get("inputs.value"), lit("400")] }, { $eq: [get("inputs.active"), lit("True")] }] },
        ],
      });
      expect(select(rows, expr).map(name)).toEqual(["alpha_test", "delta_test"]);
    });

    it("a numeric-string literal compares as a string, as in ClickHouse (not numerically)", () => {
      // JSON_VALUE yields the String '1000'; against the String parameter '300' ClickHouse compares
      // bytes, so '1000' < '300'. (Weave's in-memory fake would compare numerically here.)
      const big = [call({ inputs: { value: 1000 } }), call({ inputs: { value: 400 } })];
      expect(select(big, { $gt: [get("inputs.value"), lit("300")] }).map((r) => r.inputs.value)).toEqual([400]);
      // A number literal casts instead, and then it is numeric.
      expect(count(big, { $gt: [get("inputs.value"), lit(300)] })).toBe(2);
    });
  });

  describe("Q-25: datetime columns against literals", () => {
    const base = Date.UTC(2025, 5, 1, 12, 0, 0);
    const rows = [1, 2, 3, 4].map((i) => call({ id: String(i).repeat(16), started_at: base + i * 60_000 }));
    const ts = (i: number): number => base + i * 60_000;
    const iso = (i: number): string => new Date(ts(i)).toISOString();
    const ids = (expr: Operation): string[] => select(rows, expr).map((r) => (r.id as string)[0] as string);

    it("ISO strings and unix seconds", () => {
      expect(ids({ $eq: [get("started_at"), lit(iso(1))] })).toEqual(["1"]);
      expect(ids({ $gt: [get("started_at"), lit(iso(1))] })).toEqual(["2", "3", "4"]);
      expect(ids({ $gte: [get("started_at"), lit(ts(2) / 1000)] })).toEqual(["2", "3", "4"]);
      expect(ids({ $or: [{ $eq: [get("started_at"), lit(iso(3))] }, { $gt: [get("started_at"), lit(iso(3))] }] })).toEqual(["3", "4"]);
      expect(ids({ $lt: [lit(ts(3) / 1000), get("started_at")] })).toEqual(["4"]);
      expect(ids({ $not: [{ $gt: [get("started_at"), lit(Date.now() / 1000 + 1e6)] }] })).toEqual(["1", "2", "3", "4"]);
      expect(ids({ $in: [get("started_at"), [lit(iso(2)), lit(ts(4) / 1000)]] })).toEqual(["2", "4"]);
    });

    it("naive = UTC, date-only = midnight, unparseable strings compare as strings", () => {
      expect(ids({ $eq: [get("started_at"), lit(iso(1).replace("Z", ""))] })).toEqual(["1"]);
      expect(ids({ $gt: [get("started_at"), lit("2025-06-01")] })).toEqual(["1", "2", "3", "4"]);
      expect(ids({ $gt: [get("started_at"), lit("2025-06-02")] })).toEqual([]);
      // '2025-06-01T12:0…' > '2025-06-01T12' as strings, 'x' > any digit.
      expect(ids({ $gt: [get("started_at"), lit("2025-06-01T12")] })).toEqual(["1", "2", "3", "4"]);
      expect(ids({ $gt: [get("started_at"), lit("x")] })).toEqual([]);
    });
  });

  it("Q-26: dotted keys with backslash-escaped dots", () => {
    const out1 = { "double.nested": "hello", "triple.nested.dot": "world" };
    const out2 = { "double.nested": "goodbye", "triple.nested.dot": "universe" };
    const rows = [call({ output: out1, inputs: { nested: out1 } }), call({ output: out2, inputs: { nested: out2 } })];
    expect(count(rows, { $eq: [get("output.double\\.nested"), lit("hello")] })).toBe(1);
    expect(count(rows, { $eq: [get("output.triple\\.nested\\.dot"), lit("world")] })).toBe(1);
    expect(count(rows, { $eq: [get("inputs.nested.double\\.nested"), lit("goodbye")] })).toBe(1);
    expect(count(rows, { $eq: [get("inputs.nested.triple\\.nested\\.dot"), lit("universe")] })).toBe(1);
    expect(count(rows, contains("output.double\\.nested", "good"))).toBe(1);
    expect(count(rows, { $or: [{ $eq: [get("output.double\\.nested"), lit("hello")] }, { $eq: [get("output.triple\\.nested\\.dot"), lit("universe")] }] })).toBe(2);
  });

  it("Q-29: $contains over a JSON list searches its serialized text", () => {
    const rows = [
      call({ output: { messages: ["hello", "world"] } }),
      call({ output: { messages: ["hello", "world", "extra"] } }),
      call({ output: { messages: ["hello", "world", "extra2"] } }),
    ];
    expect(count(rows, contains("output.messages", "hello"))).toBe(3);
    expect(count(rows, contains("output.messages", "extra2"))).toBe(1);
    expect(count(rows, contains("output.messages", '["hello","world"]'))).toBe(1);
  });

  it("Q-31: an unknown operator is a validation error; a valid one is accepted", () => {
    const bad = QuerySchema.safeParse({ $expr: { $invalid_field: "x" } });
    expect(bad.success).toBe(false);
    expect(QuerySchema.safeParse({ $expr: { $eq: [get("op_name"), lit("predict")] } }).success).toBe(true);
  });
});

describe("sorting (conformance §6, §3)", () => {
  const prims = (rows: Row[]): unknown[] => rows.map((r) => (r.inputs.in_val as { prim?: unknown }).prim);
  const sortBy = (rows: Row[], field: string, direction: "asc" | "desc"): Row[] =>
    sortRows(rows, compileSortKey([{ field, direction }], catalog, { tiebreak: { field: "id", direction: "asc" } }));

  it("O-01: nested JSON sort keys, desc", () => {
    const rows = [0, 1, 2].map((i) => {
      const v = { prim: i, list: [i], dict: { inner: i } };
      return call({ inputs: { in_val: v }, output: v });
    });
    for (const field of ["started_at", "inputs.in_val.prim", "inputs.in_val.list.0", "inputs.in_val.dict.inner", "output.prim", "output.list.0", "output.dict.inner"]) {
      expect(prims(sortBy(rows, field, "desc")), field).toEqual([2, 1, 0]);
    }
  });

  it("O-02: mixed types — numbers, then strings, then null/missing, in both directions", () => {
    const vals: Array<{ prim?: unknown }> = [{ prim: null }, {}, { prim: 100 }, { prim: 2 }, { prim: "b" }, { prim: "a" }];
    const rows = vals.map((v) => call({ inputs: { in_val: v } }));
    expect(prims(sortBy(rows, "inputs.in_val.prim", "desc"))).toEqual([100, 2, "b", "a", null, undefined]);
    expect(prims(sortBy(rows, "inputs.in_val.prim", "asc"))).toEqual([2, 100, "a", "b", null, undefined]);
  });

  it("O-04 / O-05: nested attributes, multiple keys, missing keys last", () => {
    const c1 = call({ attributes: { metadata: { category: "A", priority: 2 } } });
    const c2 = call({ attributes: { metadata: { category: "A", priority: 1 } } });
    const c3 = call({ attributes: { metadata: { category: "B", priority: 1 } } });
    const c4 = call({ attributes: { metadata: { config: { model: { temperature: 0.9 } } } } });
    const c5 = call({ attributes: { metadata: { config: { model: { temperature: 0.1 } } } } });
    const c6 = call({ attributes: {} });
    const ids = (rows: Row[]): string[] => rows.map((r) => r.id);
    expect(ids(sortBy([c1, c2], "attributes.metadata.priority", "asc"))).toEqual([c2.id, c1.id]);
    const multi = compileSortKey(
      [{ field: "attributes.metadata.category", direction: "asc" }, { field: "attributes.metadata.priority", direction: "asc" }],
      catalog,
    );
    expect(ids(sortRows([c1, c2, c3], multi))).toEqual([c2.id, c1.id, c3.id]);
    expect(ids(sortBy([c4, c5], "attributes.metadata.config.model.temperature", "asc"))).toEqual([c5.id, c4.id]);
    expect(ids(sortBy([c6, c1, c2], "attributes.metadata.priority", "asc"))).toEqual([c2.id, c1.id, c6.id]);
    expect(ids(sortBy([c6, c1, c2], "attributes.metadata.priority", "desc"))).toEqual([c1.id, c2.id, c6.id]);
    expect(ids(sortBy([c4, c5, c6], "started_at", "desc"))).toEqual([c6.id, c5.id, c4.id]);
    expect(sortBy([c1, c6], "summary.acuracia", "desc")).toHaveLength(2);
  });

  it("S-05 / S-07: summary.weave.status sorts as a plain string", () => {
    const ok = call();
    const err = call({ exception: "boom" });
    const running = call({ ended_at: null });
    const order = (d: "asc" | "desc"): string[] => sortBy([ok, err, running], "summary.weave.status", d).map((r) => r.id);
    expect(order("asc")).toEqual([err.id, running.id, ok.id]);
    expect(order("desc")).toEqual([ok.id, running.id, err.id]);
  });

  it("plain columns put NULLs last in both directions; the tiebreak is not duplicated", () => {
    const a = call({ display_name: "b", wb_run_step: 2 });
    const b = call({ display_name: null, wb_run_step: null });
    const c = call({ display_name: "a", wb_run_step: 10 });
    expect(sortBy([a, b, c], "display_name", "asc").map((r) => r.id)).toEqual([c.id, a.id, b.id]);
    expect(sortBy([a, b, c], "display_name", "desc").map((r) => r.id)).toEqual([a.id, c.id, b.id]);
    expect(sortBy([a, b, c], "wb_run_step", "desc").map((r) => r.id)).toEqual([c.id, a.id, b.id]);
    const plan = compileSortKey([{ field: "id", direction: "desc" }], catalog, { tiebreak: { field: "id", direction: "asc" } });
    expect(plan.fields).toEqual(["id"]);
    expect(sortRows([a, b, c], plan).map((r) => r.id)).toEqual([c.id, b.id, a.id]);
    expect([a, b, c].sort(compileSort([{ field: "wb_run_step", direction: "asc" }], catalog)).map((r) => r.id)).toEqual([a.id, c.id, b.id]);
  });

  it("compileSort derives each row's key once, however often the row is compared", () => {
    let reads = 0;
    const counting: FieldCatalog<Row> = {
      resolve: (f) => {
        const field = catalog.resolve(f);
        return { ...field, get: (r: Row) => { reads += 1; return field.get(r); } };
      },
    };
    const rows = Array.from({ length: 50 }, (_, i) => call({ inputs: { k: (i * 37) % 50 } }));
    const sorted = [...rows].sort(compileSort([{ field: "inputs.k", direction: "asc" }], counting));
    expect(sorted.map((r) => r.inputs.k)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(reads).toBe(50);
  });

  it("strings sort in UTF-8 byte order (astral characters after U+FFFD)", () => {
    const rows = ["\u{1F600}", "\uFFFD", "z", "A"].map((s) => call({ display_name: s }));
    expect(sortBy(rows, "display_name", "asc").map((r) => r.display_name)).toEqual(["A", "z", "\uFFFD", "\u{1F600}"]);
  });
});

describe("feedback lists (conformance O-07, I-10, I-11)", () => {
  const outputs = ["a", "x", "c", "y"];
  const expected = ["a", "b", "c", "d"];
  const rows = outputs.map((o, i) =>
    call({
      op_name: "my_model",
      output: o,
      feedback: {
        "wandb.runnable.my_scorer": [{ output: { model_output: o, expected: expected[i], match: o === expected[i], score: i + 0.5 } }],
      },
    }),
  );
  rows.push(call({ op_name: "unscored" }));
  const fb = (p: string): string => `feedback.[wandb.runnable.my_scorer].payload.output.${p}`;
  const index = (r: Row): number => outputs.indexOf(r.output as string);
  const scored: Operation = { $eq: [get("op_name"), lit("my_model")] };
  const sorted = (keys: Array<[string, "asc" | "desc"]>): number[] =>
    select(rows, scored, keys.map(([f, direction]) => ({ field: fb(f), direction }))).map(index);

  it("O-07: sort by feedback payload fields", () => {
    expect(sorted([["model_output", "asc"]])).toEqual([0, 2, 1, 3]);
    expect(sorted([["expected", "asc"]])).toEqual([0, 1, 2, 3]);
    expect(sorted([["match", "asc"], ["model_output", "asc"]])).toEqual([1, 3, 0, 2]);
    expect(sorted([["model_output", "desc"]])).toEqual([3, 1, 2, 0]);
    expect(sorted([["expected", "desc"]])).toEqual([3, 2, 1, 0]);
    expect(sorted([["match", "desc"], ["model_output", "desc"]])).toEqual([2, 0, 3, 1]);
    // The call without feedback sorts last in both directions.
    const all = select(rows, { $eq: [lit(1), lit(1)] }, [{ field: fb("score"), direction: "desc" }]);
    expect(all.map((r) => r.op_name).at(-1)).toBe("unscored");
  });

  it.each<[string, Operation, number[]]>([
    ["model_output == 'a'", { $eq: [get(fb("model_output")), lit("a")] }, [0]],
    ["model_output > 'a'", { $gt: [get(fb("model_output")), lit("a")] }, [1, 2, 3]],
    ["expected == 'c'", { $eq: [get(fb("expected")), lit("c")] }, [2]],
    ["expected > 'c'", { $gt: [get(fb("expected")), lit("c")] }, [3]],
    ["match == 'false'", { $eq: [get(fb("match")), lit("false")] }, [1, 3]],
    ["match > 'false'", { $gt: [get(fb("match")), lit("false")] }, [0, 2]],
    ["match == true (bool literal)", { $eq: [get(fb("match")), lit(true)] }, [0, 2]],
    ["score > 1.5", { $gt: [get(fb("score")), lit(1.5)] }, [2, 3]],
    ["contains model_output 'a'", contains(fb("model_output"), "a"), [0]],
    ["contains model_output 'x'", contains(fb("model_output"), "x"), [1]],
  ])("I-10: %s", (_n, expr, expected) => {
    expect(select(rows, expr).map(index)).toEqual(expected);
  });

  it("I-11: filter and sort by feedback", () => {
    const hits = select(rows, { $eq: [get(fb("match")), lit("true")] }, [{ field: fb("model_output"), direction: "desc" }]);
    expect(hits.map(index)).toEqual([2, 0]);
  });

  it("$eq null on a feedback list means 'no such feedback'; NOT of a list match includes the unscored call", () => {
    expect(select(rows, { $eq: [get(fb("score")), lit(null)] }).map((r) => r.op_name)).toEqual(["unscored"]);
    expect(count(rows, { $not: [{ $eq: [get(fb("match")), lit(true)] }] })).toBe(3);
    expect(count(rows, { $in: [get(fb("expected")), [lit("b"), lit("d")]] })).toBe(2);
  });
});
