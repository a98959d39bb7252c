/**
 * The id-only queries `feedback_purge` and `cost_purge` accept (weave-semantics.md §3.5, §8.4): for
 * safety Weave only deletes rows named by id, and refuses every other query with a fixed message
 * (`validate_purge_req_one` / `validate_purge_req_multiple`). Costs reuse this; it sits with feedback
 * because feedback was first, and belongs in `query/` if a third domain needs it.
 */
import { WeftError } from "../../errors";
import type { Query } from "../../schema/query";

/** Options: `allowIn` lets the top level be `$in` on `id` (costs only). */
export interface PurgeQueryOptions {
  allowIn?: boolean;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `{"$getField": "id"}` and nothing else. */
function isIdField(operand: unknown): boolean {
  return isObject(operand) && Object.keys(operand).length === 1 && operand.$getField === "id";
}

/** The string of `{"$literal": "<string>"}`, or undefined. */
function stringLiteral(operand: unknown): string | undefined {
  if (!isObject(operand) || Object.keys(operand).length !== 1) return undefined;
  return typeof operand.$literal === "string" ? operand.$literal : undefined;
}

/** The id of `{"$eq": [{"$getField": "id"}, {"$literal": "<id>"}]}`, or undefined. */
function eqId(op: unknown): string | undefined {
  if (!isObject(op) || Object.keys(op).length !== 1 || !Array.isArray(op.$eq) || op.$eq.length !== 2) return undefined;
  return isIdField(op.$eq[0]) ? stringLiteral(op.$eq[1]) : undefined;
}

/** The ids of `{"$in": [{"$getField": "id"}, [{"$literal": "<id>"}, …]]}`, or undefined. */
function inIds(op: Record<string, unknown>): string[] | undefined {
  const args = op.$in;
  if (!Array.isArray(args) || args.length !== 2 || !isIdField(args[0]) || !Array.isArray(args[1])) return undefined;
  const ids = (args[1] as unknown[]).map(stringLiteral);
  return ids.every((id) => id !== undefined) ? (ids as string[]) : undefined;
}

/**
 * The ids a purge query names: `$eq` on `id` with a string literal, `$or` of such `$eq`s, or (with
 * `allowIn`) `$in` on `id` with string literals.
 * @throws WeftError VALIDATION with `message` for any other query (Weave's InvalidRequest, 400)
 */
export function purgeIds(query: Query, message: string, opts: PurgeQueryOptions = {}): string[] {
  const expr: unknown = query.$expr;
  const refuse = (): never => {
    throw new WeftError("VALIDATION", message, { issues: [{ path: "query", message }] });
  };
  if (!isObject(expr) || Object.keys(expr).length !== 1) return refuse();
  const single = eqId(expr);
  if (single !== undefined) return [single];
  if (opts.allowIn && "$in" in expr) return inIds(expr) ?? refuse();
  if (Array.isArray(expr.$or)) {
    const ids = (expr.$or as unknown[]).map(eqId);
    return ids.every((id) => id !== undefined) ? (ids as string[]) : refuse();
  }
  return refuse();
}
