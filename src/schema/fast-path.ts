/**
 * The pieces every validation fast path is built from (`calls-fast-path.ts` for call parts,
 * `calls-query-fast-path.ts` for calls reads): one rule per field of a schema's shape, each of which
 * either gives what the schema would output for a value or refuses it. A fast path only ever
 * accepts: whatever a rule refuses goes to the zod schema, which alone decides and names the field.
 */
import { isPlainObject } from "./common";

/** A field check's answer for a value the fast path does not accept. */
export const REFUSED: unique symbol = Symbol("refused");

/** Checks one field's value; returns what the schema would output for it, or `REFUSED`. */
export type FieldCheck = (value: unknown) => unknown;

/** How one field is checked, and whether the object must have it (the schema's required fields). */
export interface FieldRule {
  check: FieldCheck;
  required: boolean;
}

/** `value` when `ok`, else `REFUSED`. */
export const same = (ok: boolean, value: unknown): unknown => (ok ? value : REFUSED);

/** The keys of `rules` that are required. */
export function requiredKeys(rules: Record<string, FieldRule>): string[] {
  return Object.keys(rules).filter((key) => rules[key]?.required === true);
}

/**
 * The schema's output for a plain object whose fields all pass `rules` (and that has every key of
 * `required`), or undefined. A key set to `undefined` is refused unless `keepUndefined` (zod keeps
 * such a key of an optional field in its output, as `undefined`; the call-parts path leaves them to
 * zod, the reads path passes them on).
 */
export function parseFields(
  value: unknown,
  rules: Record<string, FieldRule>,
  required: readonly string[],
  keepUndefined = false,
): Record<string, unknown> | undefined {
  if (!isPlainObject(value)) return undefined;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    // hasOwn: a key such as "constructor" must not find Object.prototype's.
    const rule = Object.hasOwn(rules, key) ? rules[key] : undefined;
    if (rule === undefined) return undefined;
    const field = value[key];
    if (field === undefined) {
      if (!keepUndefined || rule.required) return undefined;
      out[key] = undefined;
      continue;
    }
    const parsed = rule.check(field);
    if (parsed === REFUSED) return undefined;
    out[key] = parsed;
  }
  for (const key of required) if (!Object.hasOwn(out, key)) return undefined;
  return out;
}

/** True when `value` is a plain object whose only own key is `key`. */
export function hasOnlyKey(value: unknown, key: string): value is Record<string, unknown> {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === key;
}
