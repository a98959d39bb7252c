/**
 * Compiles a Weave `Query` into a row predicate with ClickHouse semantics (weave-semantics.md §2.9.2):
 * three-valued logic, JSON fields as strings, literal-driven casts, `to*OrNull` conversions.
 * Everything that does not depend on the row is decided here, once: fields are resolved through the
 * domain's catalog (unknown ones fail before any row is read), literals are coerced to the column's
 * type, casts are chosen. The predicate is a tree of small closures that allocate nothing per row
 * except where a list field has to be mapped.
 */
import { validationError } from "../../errors";
import type { CastTo, ContainsOperation, InOperation, Operand, Query } from "../../schema/query";
import type { FieldCatalog, ResolvedField } from "./field-catalog";
import {
  asciiLower, coerceDatetimeLiteral, datetimeToString, eqScalar, jsonToChString, orderScalar,
  scalarToChString, toBoolOrNull, toFloatOrNull, toIntOrNull, truthy, type Scalar,
} from "./values";

/** Static type of a node's values. `logical` = result of an operation (boolean | null). */
type Kind = "string" | "number" | "bool" | "datetime" | "logical" | "null";
type Eval<Row> = (row: Row) => unknown;
type Test = (a: Scalar, b: Scalar) => boolean | null;

interface Node<Row> {
  kind: Kind;
  /** `none`: a scalar; `any`: a list where one matching element suffices; `member`: an array column. */
  list: "none" | "any" | "member";
  /** A bare dynamic JSON field (or a `castsLikeJson` one): comparing it with a number/bool literal casts it (§2.9.2). */
  json: boolean;
  /** Set only for `$literal`s (and their coerced forms): coercion and cast inference key on it. */
  constant?: { value: Scalar };
  ev: Eval<Row>;
}

const EMPTY: readonly string[] = Object.freeze([]);

const TESTS: Record<"$eq" | "$gt" | "$gte" | "$lt" | "$lte", Test> = {
  $eq: eqScalar,
  $gt: (a, b) => { const c = orderScalar(a, b); return c === null ? null : c > 0; },
  $gte: (a, b) => { const c = orderScalar(a, b); return c === null ? null : c >= 0; },
  $lt: (a, b) => { const c = orderScalar(a, b); return c === null ? null : c < 0; },
  $lte: (a, b) => { const c = orderScalar(a, b); return c === null ? null : c <= 0; },
};

/**
 * Compiles `query` against a domain's fields into `(row) => boolean`. NULL and false both exclude a
 * row (§2.9.2 "Truthiness at the top level").
 * @throws WeftError `INVALID_FIELD` for a `$getField`/field the catalog does not know (before any row is read)
 * @throws WeftError `VALIDATION` for dict/list `$literal`s ("Unknown value type"), empty `$and`/`$or`,
 *   or an object that is not an operation
 */
export function compileQuery<Row>(query: Query, catalog: FieldCatalog<Row>): (row: Row) => boolean {
  const fields = new Map<string, ResolvedField<Row>>();
  const resolve = (name: string): ResolvedField<Row> => {
    let field = fields.get(name);
    if (!field) fields.set(name, (field = catalog.resolve(name)));
    return field;
  };
  const condition = asLogical(compileOperand(query.$expr, "$expr", resolve));
  return (row) => condition(row) === true;
}

function compileOperand<Row>(op: Operand, path: string, resolve: (name: string) => ResolvedField<Row>): Node<Row> {
  const sub = (o: Operand, p: string): Node<Row> => compileOperand(o, `${path}.${p}`, resolve);
  if (typeof op !== "object" || op === null || Object.keys(op).length !== 1) {
    throw validationError(path, "expected an object with exactly one operator ($eq, $and, $literal, …)");
  }
  if ("$literal" in op) {
    const value = op.$literal;
    if (value !== null && typeof value === "object") throw validationError(`${path}.$literal`, "Unknown value type");
    return constant(value);
  }
  if ("$getField" in op) return fieldNode(resolve(op.$getField));
  if ("$convert" in op) return castNode(sub(op.$convert.input, "$convert.input"), op.$convert.to);
  const junction = (items: readonly Operand[], key: "$and" | "$or"): Node<Row> => {
    if (items.length === 0) throw validationError(`${path}.${key}`, "Empty AND/OR operation");
    // A single operand is that operand's value (Weave emits it unwrapped), but no longer a bare
    // literal or field, so literal coercion and cast inference do not apply through it.
    if (items.length === 1) {
      const only = sub(items[0] as Operand, `${key}[0]`);
      return { kind: only.kind, list: only.list, json: false, ev: only.ev };
    }
    const evs = items.map((o, i) => asLogical(sub(o, `${key}[${i}]`)));
    return logical(key === "$and" ? andOf(evs) : orOf(evs));
  };
  if ("$and" in op) return junction(op.$and, "$and");
  if ("$or" in op) return junction(op.$or, "$or");
  if ("$not" in op) {
    const inner = asLogical(sub(op.$not[0], "$not[0]"));
    return logical((row) => { const v = inner(row); return v === null ? null : !v; });
  }
  if ("$in" in op) return compileIn(op, sub);
  if ("$contains" in op) return compileContains(op, sub);
  for (const key of ["$eq", "$gt", "$gte", "$lt", "$lte"] as const) {
    if (key in op) {
      const [left, right] = (op as Record<typeof key, readonly [Operand, Operand]>)[key];
      // Only a literal null on the right turns `$eq` into IS NULL (Weave's rule); on the left it is
      // an ordinary comparison with NULL, which never matches.
      if (key === "$eq" && isNullLiteral(right)) return isNull(sub(left, "$eq[0]"));
      const [l, r] = prepare(sub(left, `${key}[0]`), sub(right, `${key}[1]`));
      return logical(binary(l, r, TESTS[key]));
    }
  }
  throw validationError(path, `unknown operator ${Object.keys(op).join(", ")}`);
}

function isNullLiteral(op: Operand): boolean {
  return typeof op === "object" && op !== null && "$literal" in op && op.$literal === null;
}

function constant<Row>(value: Scalar, kind?: Kind): Node<Row> {
  const k: Kind = kind ?? (value === null ? "null" : typeof value === "string" ? "string" : typeof value === "number" ? "number" : "bool");
  return { kind: k, list: "none", json: false, constant: { value }, ev: () => value };
}

function logical<Row>(ev: (row: Row) => boolean | null): Node<Row> {
  return { kind: "logical", list: "none", json: false, ev };
}

function asLogical<Row>(node: Node<Row>): (row: Row) => boolean | null {
  if (node.kind === "logical" && node.list === "none") return node.ev as (row: Row) => boolean | null;
  if (node.list !== "none") return () => null;
  const ev = node.ev;
  return (row) => truthy(ev(row));
}

function andOf<Row>(evs: Array<(row: Row) => boolean | null>): (row: Row) => boolean | null {
  return (row) => {
    let sawNull = false;
    for (const ev of evs) {
      const v = ev(row);
      if (v === false) return false;
      if (v === null) sawNull = true;
    }
    return sawNull ? null : true;
  };
}

function orOf<Row>(evs: Array<(row: Row) => boolean | null>): (row: Row) => boolean | null {
  return (row) => {
    let sawNull = false;
    for (const ev of evs) {
      const v = ev(row);
      if (v === true) return true;
      if (v === null) sawNull = true;
    }
    return sawNull ? null : false;
  };
}

/** A field as a node: JSON paths evaluate to their ClickHouse string form (§2.9.2). */
function fieldNode<Row>(field: ResolvedField<Row>): Node<Row> {
  const get = field.get.bind(field);
  switch (field.type) {
    case "json":
      return { kind: "string", list: "none", json: true, ev: (row) => jsonToChString(get(row)) };
    case "json_list":
      return {
        kind: "string", list: "any", json: true,
        ev: (row) => {
          const values = get(row) as unknown[] | undefined;
          return values === undefined || values.length === 0 ? EMPTY : values.map(jsonToChString);
        },
      };
    case "string_list":
      return { kind: "string", list: "member", json: false, ev: (row) => (get(row) as string[] | null) ?? EMPTY };
    default:
      return {
        kind: field.type, list: "none", json: field.castsLikeJson === true,
        ev: (row) => { const v = get(row); return v === undefined ? null : v; },
      };
  }
}

/** `$convert` (and inferred casts): stringify a non-string operand, then `to*OrNull` (§2.9.2). */
function castNode<Row>(node: Node<Row>, to: CastTo): Node<Row> {
  if (to === "exists") {
    // "is not NULL": a JSON field is '' when missing, so this is always true for it (§2.9.2);
    // arrays are never NULL either.
    if (node.list !== "none") return logical(() => true);
    const ev = node.ev;
    return logical((row) => ev(row) !== null);
  }
  const toStr: (v: Scalar) => string | null =
    node.kind === "datetime" ? (v) => (v === null ? null : datetimeToString(v as number))
    : node.kind === "logical" ? (v) => (v === null ? null : v ? "1" : "0") // ClickHouse UInt8
    : scalarToChString;
  const parse = to === "int" ? toIntOrNull : to === "double" ? toFloatOrNull : to === "bool" ? toBoolOrNull : undefined;
  const fn = (v: Scalar): Scalar => { const s = toStr(v); return s === null || !parse ? s : parse(s); };
  const kind: Kind = to === "string" ? "string" : "number";
  const ev = node.ev;
  if (node.list !== "none") return { kind, list: node.list, json: false, ev: (row) => (ev(row) as Scalar[]).map(fn) };
  return { kind, list: "none", json: false, ev: (row) => fn(ev(row) as Scalar) };
}

function isNull<Row>(node: Node<Row>): Node<Row> {
  const ev = node.ev;
  // A list is "NULL" when it is empty: `$eq null` on a feedback field means "no such feedback" (§2.9.2).
  if (node.list !== "none") return logical((row) => (ev(row) as unknown[]).length === 0);
  return logical((row) => ev(row) === null);
}

/** The cast a literal implies for a JSON field it is compared with (HEAD literal-driven inference, §2.9.2). */
function castFor(value: Scalar): CastTo | undefined {
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "double";
  return undefined;
}

/**
 * Aligns the two sides of a comparison before any row is read:
 * 1. a bare JSON field against a number/bool literal is cast to int/double/bool (§2.9.2);
 * 2. a datetime against a literal: numbers are unix seconds, strings ISO-8601; an unparseable string
 *    compares with the datetime's ISO string form instead;
 * 3. a numeric/bool operand against a string literal: ClickHouse converts the string constant to the
 *    other side's type (`1 = '1'` is true); one that does not convert never matches.
 * A JSON field against a *string* literal stays a string comparison (byte order). That is why Q-23's
 * `inputs.value > "300"` matches 400 and 500: `'400' > '300'` as strings, exactly as ClickHouse
 * compares `JSON_VALUE(...)` with a String parameter. It is not numeric: `1000 > "300"` is false
 * there (and here), although Weave's in-memory fake would say true.
 */
function prepare<Row>(l: Node<Row>, r: Node<Row>): [Node<Row>, Node<Row>] {
  let cast = r.constant && l.json ? castFor(r.constant.value) : undefined;
  if (cast) l = castNode(l, cast);
  cast = l.constant && r.json ? castFor(l.constant.value) : undefined;
  if (cast) r = castNode(r, cast);
  if (r.constant) [l, r] = coerce(l, r);
  if (l.constant) [r, l] = coerce(r, l);
  return [l, r];
}

function coerce<Row>(typed: Node<Row>, lit: Node<Row>): [Node<Row>, Node<Row>] {
  const value = (lit.constant as { value: Scalar }).value;
  if (typed.kind === "datetime") {
    const v = coerceDatetimeLiteral(value);
    return typeof v === "string" ? [castNode(typed, "string"), lit] : [typed, constant(v, "datetime")];
  }
  if (typeof value === "string" && (typed.kind === "number" || typed.kind === "bool" || typed.kind === "logical")) {
    return [typed, constant(typed.kind === "number" ? toFloatOrNull(value) : toBoolOrNull(value), "number")];
  }
  return [typed, lit];
}

/** A comparison; when a side is a list, true if any element satisfies it (§2.9.2 feedback lists). */
function binary<Row>(l: Node<Row>, r: Node<Row>, test: Test): (row: Row) => boolean | null {
  const le = l.ev;
  const re = r.ev;
  if (l.list === "none" && r.list === "none") {
    if (r.constant) { const b = r.constant.value; return (row) => test(le(row) as Scalar, b); }
    if (l.constant) { const a = l.constant.value; return (row) => test(a, re(row) as Scalar); }
    return (row) => test(le(row) as Scalar, re(row) as Scalar);
  }
  return (row) => {
    const a = le(row);
    const b = re(row);
    const as = l.list === "none" ? [a as Scalar] : (a as Scalar[]);
    const bs = r.list === "none" ? [b as Scalar] : (b as Scalar[]);
    for (const x of as) for (const y of bs) if (test(x, y) === true) return true;
    return false;
  };
}

/** `$in`: NULL lhs → NULL; otherwise true when it equals any listed value (NULLs in the list never match). */
function compileIn<Row>(op: InOperation, sub: (o: Operand, p: string) => Node<Row>): Node<Row> {
  let l = sub(op.$in[0], "$in[0]");
  const items = op.$in[1].map((o, i) => sub(o, `$in[1][${i}]`));
  if (l.json && items.length > 0 && items.every((n) => n.constant)) {
    const values = items.map((n) => (n.constant as { value: Scalar }).value);
    const cast = values.every((v) => typeof v === "number")
      ? (values.every(Number.isInteger) ? "int" : "double")
      : values.every((v) => typeof v === "boolean") ? "bool" : undefined;
    if (cast) l = castNode(l, cast);
  }
  const pairs = items.map((n) => (n.constant ? coerce(l, n) : ([l, n] as [Node<Row>, Node<Row>])));
  const le = l.ev;
  if (l.list === "none" && pairs.every(([pl, pn]) => pl === l && pn.constant)) {
    const strings = new Set<string>();
    const numbers = new Set<number>();
    for (const [, pn] of pairs) {
      const v = (pn.constant as { value: Scalar }).value;
      if (typeof v === "string") strings.add(v);
      else if (v !== null) numbers.add(Number(v));
    }
    return logical((row) => {
      const a = le(row) as Scalar;
      if (a === null) return null;
      return typeof a === "string" ? strings.has(a) : numbers.has(Number(a));
    });
  }
  const tests = pairs.map(([pl, pn]) => binary(pl, pn, eqScalar));
  return logical((row) => {
    if (l.list === "none" && le(row) === null) return null;
    for (const t of tests) if (t(row) === true) return true;
    return false;
  });
}

/**
 * `$contains`: ClickHouse `position(input, substr) > 0` (`positionCaseInsensitive` folds ASCII only).
 * An empty substring matches every string, including the `''` of a missing JSON path. NULL or
 * non-string operands give NULL. On an array column it is membership (§3.4 `scorer_tags`), on a
 * feedback list "any element contains".
 */
function compileContains<Row>(op: ContainsOperation, sub: (o: Operand, p: string) => Node<Row>): Node<Row> {
  const input = sub(op.$contains.input, "$contains.input");
  const needle = sub(op.$contains.substr, "$contains.substr");
  const fold = op.$contains.case_insensitive === true ? asciiLower : (s: string) => s;
  const member = input.list === "member";
  const one = (hay: Scalar, n: string): boolean | null =>
    typeof hay !== "string" ? null : member ? fold(hay) === n : fold(hay).includes(n);
  const ie = input.ev;
  const ne = needle.ev;
  const fixed = needle.constant && typeof needle.constant.value === "string" ? fold(needle.constant.value) : undefined;
  return logical((row) => {
    const n = fixed ?? (needle.list === "none" ? ne(row) : null);
    if (typeof n !== "string") return null;
    const nf = fixed ?? fold(n);
    if (input.list === "none") return one(ie(row) as Scalar, nf);
    for (const hay of ie(row) as Scalar[]) if (one(hay, nf) === true) return true;
    return false;
  });
}
