/**
 * Read-only helpers for the index planner: which conditions a query ANDs together, which fields it
 * reads, and whether a condition is a plain `field <op> literal` an index can serve
 * (`summary.weave.status == X`, `op_name == X`, `started_at > T`). Weave splits a top-level `$and`
 * into independent conditions the same way (weave-semantics.md §2.9.2).
 *
 * The planner must still give a literal the meaning `compileQuery` gives it: for a datetime column a
 * number is unix seconds and a string ISO-8601; a JSON field compared with a number/bool literal is
 * cast first (see `compile-expr.ts`). The safe pattern is: use the index to narrow the candidate
 * rows, then run the compiled predicate on them anyway.
 */
import type { Operand, Operation, Query } from "../../schema/query";

/** A scalar `$literal` value. */
export type ScalarLiteral = string | number | boolean | null;

/** A condition an index may serve. */
export type SimpleComparison =
  | { field: string; op: "$eq" | "$gt" | "$gte" | "$lt" | "$lte"; literal: ScalarLiteral }
  | { field: string; op: "$in"; literals: ScalarLiteral[] };

const OPERATORS = new Set(["$and", "$or", "$not", "$eq", "$gt", "$gte", "$lt", "$lte", "$in", "$contains"]);
const FLIPPED = { $eq: "$eq", $gt: "$lt", $gte: "$lte", $lt: "$gt", $lte: "$gte" } as const;

function isOperation(op: Operand): op is Operation {
  const keys = Object.keys(op);
  return keys.length === 1 && OPERATORS.has(keys[0] as string);
}

/**
 * The conditions of `query` that must all hold: a top-level `$and` is flattened (recursively);
 * anything else is one condition. A non-operation operand inside a top-level `$and` (a bare
 * `$getField`, say) is returned wrapped as a one-element `$and`, which evaluates to the same thing.
 */
export function splitConjuncts(query: Query): Operation[] {
  const out: Operation[] = [];
  const visit = (op: Operand): void => {
    if ("$and" in op && op.$and.length > 1) for (const item of op.$and) visit(item);
    else if ("$and" in op && op.$and.length === 1) visit(op.$and[0] as Operand);
    else out.push(isOperation(op) ? op : { $and: [op] });
  };
  visit(query.$expr);
  return out;
}

/** Every `$getField` name the query reads, once each, in order of first appearance. */
export function referencedFields(query: Query): string[] {
  const seen = new Set<string>();
  const visit = (op: Operand): void => {
    if ("$getField" in op) seen.add(op.$getField);
    else if ("$literal" in op) return;
    else if ("$convert" in op) visit(op.$convert.input);
    else if ("$and" in op) op.$and.forEach(visit);
    else if ("$or" in op) op.$or.forEach(visit);
    else if ("$not" in op) visit(op.$not[0]);
    else if ("$in" in op) {
      visit(op.$in[0]);
      op.$in[1].forEach(visit);
    } else if ("$contains" in op) {
      visit(op.$contains.input);
      visit(op.$contains.substr);
    } else {
      for (const pair of Object.values(op) as Array<readonly [Operand, Operand]>) pair.forEach(visit);
    }
  };
  visit(query.$expr);
  return [...seen];
}

function fieldOf(op: Operand): string | undefined {
  return "$getField" in op ? op.$getField : undefined;
}

function literalOf(op: Operand): { value: ScalarLiteral } | undefined {
  if (!("$literal" in op)) return undefined;
  const value = op.$literal;
  return value !== null && typeof value === "object" ? undefined : { value };
}

/**
 * Recognises `{$eq: [{$getField: f}, {$literal: v}]}` (and `$gt/$gte/$lt/$lte`) with the literal on
 * either side, flipping the operator when the literal is on the left (`5 < x` is `x > 5`), and
 * `{$in: [{$getField: f}, [{$literal}…]]}`. Returns undefined for anything else.
 * `{op: "$eq", literal: null}` means IS NULL. A literal null on the *left* of `$eq` is not IS NULL in
 * Weave (it never matches), so that form is not recognised.
 */
export function matchSimpleComparison(op: Operation): SimpleComparison | undefined {
  if ("$in" in op) {
    const field = fieldOf(op.$in[0]);
    const literals: ScalarLiteral[] = [];
    for (const item of op.$in[1]) {
      const lit = literalOf(item);
      if (!lit) return undefined;
      literals.push(lit.value);
    }
    return field === undefined ? undefined : { field, op: "$in", literals };
  }
  for (const key of ["$eq", "$gt", "$gte", "$lt", "$lte"] as const) {
    if (!(key in op)) continue;
    const [a, b] = (op as Record<typeof key, readonly [Operand, Operand]>)[key];
    const fa = fieldOf(a);
    const lb = literalOf(b);
    if (fa !== undefined && lb) return { field: fa, op: key, literal: lb.value };
    const fb = fieldOf(b);
    const la = literalOf(a);
    if (fb !== undefined && la && !(key === "$eq" && la.value === null)) return { field: fb, op: FLIPPED[key], literal: la.value };
    return undefined;
  }
  return undefined;
}
