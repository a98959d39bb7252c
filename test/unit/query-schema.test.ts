/**
 * The query schemas (weave-semantics.md §2.9.2, Q-31) and the planner helpers in `analyze.ts`.
 */
import { describe, expect, it } from "vitest";
import { fromZodError } from "../../src/errors";
import { OperandSchema, OperationSchema, QuerySchema, type Query } from "../../src/schema/query";
import { matchSimpleComparison, referencedFields, splitConjuncts } from "../../src/server/query/analyze";

const f = (name: string) => ({ $getField: name });
const l = (v: string | number | boolean | null) => ({ $literal: v });

describe("QuerySchema", () => {
  it.each<[string, unknown]>([
    ["eq", { $eq: [f("op_name"), l("predict")] }],
    ["all comparison operators", { $and: ["$eq", "$gt", "$gte", "$lt", "$lte"].map((k) => ({ [k]: [f("a"), l(1)] })) }],
    ["or / not / in / contains", { $or: [{ $not: [{ $in: [f("a"), [l("x"), l(null)]] }] }, { $contains: { input: f("b"), substr: l("y") } }] }],
    ["contains with case_insensitive null", { $contains: { input: f("b"), substr: l("y"), case_insensitive: null } }],
    ["convert every target", { $and: ["double", "string", "int", "bool", "exists"].map((to) => ({ $eq: [{ $convert: { input: f("a"), to } }, l(1)] })) }],
    ["nested list/dict literals (rejected later, at compile time)", { $eq: [f("a"), { $literal: [{ $literal: 1 }, { $literal: { k: { $literal: "v" } } }] }] }],
    ["empty $in list", { $in: [f("a"), []] }],
  ])("accepts %s", (_n, expr) => {
    const parsed = QuerySchema.safeParse({ $expr: expr });
    expect(parsed.success).toBe(true);
    expect(parsed.data).toEqual({ $expr: expr });
  });

  it.each<[string, unknown, string]>([
    ["Q-31: unknown operator", { $invalid_field: "x" }, "$expr"],
    ["a bare literal as $expr", l(1), "$expr"],
    ["a bare field as $expr", f("a"), "$expr"],
    ["two operators in one object", { $eq: [f("a"), l(1)], $gt: [f("a"), l(1)] }, "$expr"],
    ["empty $and", { $and: [] }, "$expr.$and"],
    ["empty $or", { $or: [] }, "$expr.$or"],
    ["$not with two operands", { $not: [l(1), l(2)] }, "$expr.$not"],
    ["$eq with one operand", { $eq: [f("a")] }, "$expr.$eq"],
    ["unknown key inside an operand", { $eq: [f("a"), { $literal: 1, $extra: 2 }] }, "$expr.$eq.1"],
    ["unknown key inside $contains", { $contains: { input: f("a"), substr: l("x"), ignore_case: true } }, "$expr.$contains"],
    ["unknown $convert target", { $eq: [{ $convert: { input: f("a"), to: "float" } }, l(1)] }, "$expr.$eq.0.$convert.to"],
    ["$getField not a string", { $eq: [{ $getField: 1 }, l(1)] }, "$expr.$eq.0.$getField"],
    ["$in without a list", { $in: [f("a"), l("x")] }, "$expr.$in.1"],
    ["an undefined $literal", { $eq: [f("a"), {}] }, "$expr.$eq.1"],
  ])("rejects %s", (_n, expr, path) => {
    const parsed = QuerySchema.safeParse({ $expr: expr });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join("."))).toContain(path);
  });

  it("names the empty AND/OR and the unknown operator in its messages", () => {
    const empty = QuerySchema.safeParse({ $expr: { $and: [] } });
    expect(empty.error?.issues[0]?.message).toBe("Empty AND/OR operation");
    const bad = QuerySchema.safeParse({ $expr: { $invalid_field: "x" } });
    expect(fromZodError(bad.error!).message).toMatch(/\$invalid_field.*|.*\$invalid_field/);
    expect(fromZodError(bad.error!).code).toBe("VALIDATION");
  });

  it("rejects extra top-level keys; operand and operation schemas are usable alone", () => {
    expect(QuerySchema.safeParse({ $expr: { $eq: [l(1), l(1)] }, limit: 1 }).success).toBe(false);
    expect(OperandSchema.safeParse(l("x")).success).toBe(true);
    expect(OperationSchema.safeParse(l("x")).success).toBe(false);
  });
});

describe("analyze", () => {
  const q = (expr: unknown): Query => QuerySchema.parse({ $expr: expr });

  it("splitConjuncts flattens nested top-level $and and unwraps single operands", () => {
    const a = { $eq: [f("op_name"), l("x")] };
    const b = { $gt: [f("started_at"), l(5)] };
    const c = { $or: [a, b] };
    expect(splitConjuncts(q({ $and: [a, { $and: [b, { $and: [c] }] }] }))).toEqual([a, b, c]);
    expect(splitConjuncts(q(c))).toEqual([c]);
    expect(splitConjuncts(q({ $and: [a, f("inputs.flag")] }))).toEqual([a, { $and: [f("inputs.flag")] }]);
  });

  it("referencedFields lists every $getField once, in order", () => {
    const query = q({
      $and: [
        { $eq: [f("op_name"), l("x")] },
        { $not: [{ $in: [{ $convert: { input: f("inputs.a"), to: "int" } }, [l(1), f("output.b")]] }] },
        { $contains: { input: f("display_name"), substr: f("op_name") } },
        { $lte: [l(1), f("summary.weave.latency_ms")] },
      ],
    });
    expect(referencedFields(query)).toEqual(["op_name", "inputs.a", "output.b", "display_name", "summary.weave.latency_ms"]);
  });

  it("matchSimpleComparison recognises field-vs-literal in either order and flips the operator", () => {
    expect(matchSimpleComparison({ $eq: [f("summary.weave.status"), l("error")] })).toEqual({ field: "summary.weave.status", op: "$eq", literal: "error" });
    expect(matchSimpleComparison({ $eq: [l("x"), f("op_name")] })).toEqual({ field: "op_name", op: "$eq", literal: "x" });
    expect(matchSimpleComparison({ $gt: [l(5), f("started_at")] })).toEqual({ field: "started_at", op: "$lt", literal: 5 });
    expect(matchSimpleComparison({ $gte: [l(5), f("started_at")] })).toEqual({ field: "started_at", op: "$lte", literal: 5 });
    expect(matchSimpleComparison({ $lt: [l(5), f("started_at")] })).toEqual({ field: "started_at", op: "$gt", literal: 5 });
    expect(matchSimpleComparison({ $lte: [f("started_at"), l("2025-01-01")] })).toEqual({ field: "started_at", op: "$lte", literal: "2025-01-01" });
    expect(matchSimpleComparison({ $eq: [f("display_name"), l(null)] })).toEqual({ field: "display_name", op: "$eq", literal: null });
    expect(matchSimpleComparison({ $in: [f("id"), [l("a"), l("b")]] })).toEqual({ field: "id", op: "$in", literals: ["a", "b"] });
  });

  it("matchSimpleComparison rejects everything else", () => {
    expect(matchSimpleComparison({ $eq: [l(null), f("display_name")] })).toBeUndefined();
    expect(matchSimpleComparison({ $eq: [f("a"), f("b")] })).toBeUndefined();
    expect(matchSimpleComparison({ $eq: [l(1), l(1)] })).toBeUndefined();
    expect(matchSimpleComparison({ $eq: [{ $convert: { input: f("a"), to: "int" } }, l(1)] })).toBeUndefined();
    expect(matchSimpleComparison({ $eq: [f("a"), { $literal: [{ $literal: 1 }] }] })).toBeUndefined();
    expect(matchSimpleComparison({ $in: [f("id"), [l("a"), f("b")]] })).toBeUndefined();
    expect(matchSimpleComparison({ $in: [l("a"), [l("a")]] })).toBeUndefined();
    expect(matchSimpleComparison({ $contains: { input: f("a"), substr: l("x") } })).toBeUndefined();
    expect(matchSimpleComparison({ $and: [{ $eq: [f("a"), l(1)] }, { $eq: [f("b"), l(1)] }] })).toBeUndefined();
  });
});
