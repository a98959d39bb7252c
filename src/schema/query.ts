/**
 * Weave's query language (`Query = {"$expr": Operation}`), a Mongo-aggregation-style subset
 * (weave-semantics.md §2.9.2; upstream `interface/query.py`). Used by `calls_query`, `calls_query_stats`,
 * `feedback_query`, `cost_query` and the purge methods. The schemas only check shape; meaning
 * (field names, casts, three-valued logic) lives in `server/query/compile-expr.ts`.
 *
 * Every operator object is strict: an unknown `$key` (or a typo such as `$Eq`) is a validation error,
 * never silently ignored. The types are written by hand because TypeScript cannot infer a
 * recursive type from a schema; each schema is checked against its type by the `z.ZodType<…>` annotation.
 * Arrays are `readonly` so that `as const` query literals type-check.
 */
import { z } from "zod";

/** A `$literal` value: a JSON scalar, or (schema-wise) a list/dict of nested `{$literal}` operations. */
export type LiteralValue = string | number | boolean | null | readonly LiteralOperation[] | { readonly [key: string]: LiteralOperation };
/** `{"$literal": v}`: a constant. */
export interface LiteralOperation {
  $literal: LiteralValue;
}
/** `{"$getField": "dotted.path"}`: a field of the queried row (see each domain's field catalog). */
export interface GetFieldOperator {
  $getField: string;
}
/** The `to` of `$convert`: the types it casts to (ClickHouse `to*OrNull`, §2.9.2). */
export const CastToSchema = z.enum(["double", "string", "int", "bool", "exists"], {
  message: 'to must be one of "double", "string", "int", "bool", "exists"',
});
/** The types `$convert` casts to. */
export type CastTo = z.infer<typeof CastToSchema>;
/** `{"$convert": {input, to}}`. */
export interface ConvertOperation {
  $convert: { input: Operand; to: CastTo };
}
/** `{"$and": [...]}`: all operands true (non-empty). */
export interface AndOperation {
  $and: readonly Operand[];
}
/** `{"$or": [...]}`: any operand true (non-empty). */
export interface OrOperation {
  $or: readonly Operand[];
}
/** `{"$not": [x]}`: exactly one operand; NOT NULL stays NULL. */
export interface NotOperation {
  $not: readonly [Operand];
}
/** `{"$eq": [a, b]}`; `b = {"$literal": null}` means `a IS NULL`. */
export interface EqOperation {
  $eq: readonly [Operand, Operand];
}
/** `{"$gt": [a, b]}`. */
export interface GtOperation {
  $gt: readonly [Operand, Operand];
}
/** `{"$gte": [a, b]}`. */
export interface GteOperation {
  $gte: readonly [Operand, Operand];
}
/** `{"$lt": [a, b]}` (newer servers). */
export interface LtOperation {
  $lt: readonly [Operand, Operand];
}
/** `{"$lte": [a, b]}` (newer servers). */
export interface LteOperation {
  $lte: readonly [Operand, Operand];
}
/** `{"$in": [a, [b, c, …]]}`: a equals any of the listed operands. */
export interface InOperation {
  $in: readonly [Operand, readonly Operand[]];
}
/** `{"$contains": {input, substr, case_insensitive?}}`: substring test (Weave addition). */
export interface ContainsOperation {
  $contains: { input: Operand; substr: Operand; case_insensitive?: boolean | null | undefined };
}
/** Any operation: what `$expr` must be. */
export type Operation =
  | AndOperation
  | OrOperation
  | NotOperation
  | EqOperation
  | GtOperation
  | GteOperation
  | LtOperation
  | LteOperation
  | InOperation
  | ContainsOperation;
/** Anything that yields a value: a literal, a field, a conversion, or an operation. */
export type Operand = LiteralOperation | GetFieldOperator | ConvertOperation | Operation;
/** The top-level query object. */
export interface Query {
  $expr: Operation;
}

const EMPTY_AND_OR = "Empty AND/OR operation";

/** `{"$literal": …}`. Dict/list literals pass the schema but are rejected when compiled (§2.9.2). */
export const LiteralOperationSchema: z.ZodType<LiteralOperation> = z.strictObject({
  get $literal(): z.ZodType<LiteralValue> {
    return z.union([
      z.string(),
      z.number(),
      z.boolean(),
      z.null(),
      z.array(LiteralOperationSchema),
      z.record(z.string(), LiteralOperationSchema),
    ]);
  },
});

/** `{"$getField": "path"}`. */
export const GetFieldOperatorSchema: z.ZodType<GetFieldOperator> = z.strictObject({ $getField: z.string() });

/** `{"$convert": {input, to}}`. */
export const ConvertOperationSchema: z.ZodType<ConvertOperation> = z.strictObject({
  get $convert() {
    return z.strictObject({ input: OperandSchema, to: CastToSchema });
  },
});

const operandList = (): z.ZodType<readonly Operand[]> => z.array(OperandSchema).min(1, EMPTY_AND_OR);
const pair = (): z.ZodType<readonly [Operand, Operand]> => z.tuple([OperandSchema, OperandSchema]);

/** `{"$and": [...]}`; an empty list is "Empty AND/OR operation". */
export const AndOperationSchema: z.ZodType<AndOperation> = z.strictObject({
  get $and() {
    return operandList();
  },
});
/** `{"$or": [...]}`; an empty list is "Empty AND/OR operation". */
export const OrOperationSchema: z.ZodType<OrOperation> = z.strictObject({
  get $or() {
    return operandList();
  },
});
/** `{"$not": [x]}`: a one-element list. */
export const NotOperationSchema: z.ZodType<NotOperation> = z.strictObject({
  get $not(): z.ZodType<readonly [Operand]> {
    return z.tuple([OperandSchema]);
  },
});
/** `{"$eq": [a, b]}`. */
export const EqOperationSchema: z.ZodType<EqOperation> = z.strictObject({
  get $eq() {
    return pair();
  },
});
/** `{"$gt": [a, b]}`. */
export const GtOperationSchema: z.ZodType<GtOperation> = z.strictObject({
  get $gt() {
    return pair();
  },
});
/** `{"$gte": [a, b]}`. */
export const GteOperationSchema: z.ZodType<GteOperation> = z.strictObject({
  get $gte() {
    return pair();
  },
});
/** `{"$lt": [a, b]}`. */
export const LtOperationSchema: z.ZodType<LtOperation> = z.strictObject({
  get $lt() {
    return pair();
  },
});
/** `{"$lte": [a, b]}`. */
export const LteOperationSchema: z.ZodType<LteOperation> = z.strictObject({
  get $lte() {
    return pair();
  },
});
/** `{"$in": [a, [b, …]]}`. */
export const InOperationSchema: z.ZodType<InOperation> = z.strictObject({
  get $in(): z.ZodType<readonly [Operand, readonly Operand[]]> {
    return z.tuple([OperandSchema, z.array(OperandSchema)]);
  },
});
/** `{"$contains": {input, substr, case_insensitive?}}`; `case_insensitive` defaults to false. */
export const ContainsOperationSchema: z.ZodType<ContainsOperation> = z.strictObject({
  get $contains() {
    return z.strictObject({ input: OperandSchema, substr: OperandSchema, case_insensitive: z.boolean().nullish() });
  },
});

/** Operator name → schema of the object that holds it. */
const OPERATION_SCHEMAS = {
  $and: AndOperationSchema,
  $or: OrOperationSchema,
  $not: NotOperationSchema,
  $eq: EqOperationSchema,
  $gt: GtOperationSchema,
  $gte: GteOperationSchema,
  $lt: LtOperationSchema,
  $lte: LteOperationSchema,
  $in: InOperationSchema,
  $contains: ContainsOperationSchema,
} as const;
const OPERAND_SCHEMAS = {
  ...OPERATION_SCHEMAS,
  $literal: LiteralOperationSchema,
  $getField: GetFieldOperatorSchema,
  $convert: ConvertOperationSchema,
} as const;

/**
 * Picks the schema by the object's single `$key` instead of trying every union member, so an error
 * names the operator and the real problem ("$eq: expected 2 items") rather than "no union member
 * matched". Weave (pydantic) also rejects unknown keys with a 400.
 */
function dispatch<T>(table: Record<string, z.ZodType>, what: string): z.ZodType<T, T> {
  const names = Object.keys(table).join(", ");
  return z.unknown().superRefine((input, ctx) => {
    const keys = typeof input === "object" && input !== null && !Array.isArray(input) ? Object.keys(input) : [];
    const key = keys.length === 1 ? keys[0] : undefined;
    const schema = key !== undefined && Object.hasOwn(table, key) ? table[key] : undefined;
    if (!schema) {
      const found = keys.length === 0 ? "no operator" : `keys ${keys.map((k) => JSON.stringify(k)).join(", ")}`;
      ctx.addIssue({ code: "custom", message: `expected ${what}: an object with exactly one of ${names}; got ${found}` });
      return;
    }
    const parsed = schema.safeParse(input);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ code: "custom", message: issue.message, path: issue.path });
    }
  }) as unknown as z.ZodType<T, T>;
}

/** Any operation (`$and $or $not $eq $gt $gte $lt $lte $in $contains`). */
export const OperationSchema: z.ZodType<Operation, Operation> = dispatch<Operation>(OPERATION_SCHEMAS, "an operation");
/** Any operand: an operation, `$literal`, `$getField` or `$convert`. */
export const OperandSchema: z.ZodType<Operand, Operand> = dispatch<Operand>(OPERAND_SCHEMAS, "an operand");

/** `{"$expr": Operation}`; `$expr` must be an operation, not a bare literal or field (§2.9.2). */
export const QuerySchema: z.ZodType<Query, Query> = z.strictObject({ $expr: OperationSchema });
