/**
 * What the validation fast paths' property tests share: values that pass some field's rule and
 * fail others', a valid object with one field changed, and the agreement check itself (whatever a
 * fast path accepts, its schema accepts with an equal result).
 */
import fc from "fast-check";
import { expect } from "vitest";

/** Cases per property. */
export const RUNS = 3000;

/** Values that pass some field's rule and fail others'. */
export const anyFieldValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    undefined,
    null,
    "",
    "a",
    "a/b",
    "a b",
    "ent/proj",
    "ent/ proj",
    "x".repeat(128),
    "x".repeat(129),
    "y".repeat(1024),
    "y".repeat(1025),
    "weave:///ent/proj/op/name:digest",
    "weave:///ent/proj/op/name",
    "weave-trace-internal:///ZW50L3Byb2o=/op/f:abc",
    "2025-01-31T12:00:00.000Z",
    "2024-02-29T23:59:59.999Z",
    "2023-02-29T00:00:00.000Z",
    "2025-01-31T24:00:00.000Z",
    "0099-01-01T00:00:00.000Z",
    "2025-01-31T12:00:00.123456Z",
    "2025-01-31 12:00:00",
    "2025-01-31",
    "not a date",
    0,
    -0,
    1,
    -1,
    1.5,
    2 ** 53,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    true,
    [],
    {},
    { a: 1 },
    { a: Number.NaN },
    { a: undefined },
    { nested: { list: [1, "two", null, { deep: true }] } },
    [1, 2, 3],
    new Date(Date.UTC(2025, 0, 1)),
    new Date(Number.NaN),
    new Map(),
    Object.create(null) as object,
  ),
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.jsonValue(),
  fc.date({ noInvalidDate: false }),
);

/** A valid part with one field replaced, removed or added (unknown and prototype-named keys too). */
export function mutated<T extends Record<string, unknown>>(valid: fc.Arbitrary<T>, keys: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(valid, fc.constantFrom(...keys, "extra", "__proto__", "constructor", "toString"), anyFieldValue, fc.boolean())
    .map(([part, key, value, remove]) => {
      const copy: Record<string, unknown> = { ...part };
      if (remove) delete copy[key];
      else Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
      return copy;
    });
}

/** How often the fast path accepted and passed over, so a property cannot hold vacuously. */
export interface Tally {
  accepted: number;
  passedOver: number;
}

/** Whatever `fast` accepts, `schema` accepts with an equal result. */
export function agrees(fast: (req: unknown) => unknown, schema: { safeParse(req: unknown): { success: boolean; data?: unknown } }, req: unknown, tally: Tally): void {
  const quick = fast(req);
  if (quick === undefined) {
    tally.passedOver++;
    return;
  }
  tally.accepted++;
  const full = schema.safeParse(req);
  expect(full.success).toBe(true);
  expect(quick).toStrictEqual(full.data);
}

/** Both outcomes were seen often enough to mean something. */
export function expectBoth(tally: Tally): void {
  expect(tally.accepted).toBeGreaterThan(RUNS / 10);
  expect(tally.passedOver).toBeGreaterThan(RUNS / 10);
}

