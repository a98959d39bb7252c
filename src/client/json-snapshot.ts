/**
 * The batcher's snapshot of a queued call part as JSON text, for the parts where JSON says exactly
 * what structured clone would.
 *
 * Why: a queued part must be copied at queue time (callers mutate what they traced), and the copy
 * lives until the worker has stored its batch (page hide parks unacknowledged batches from it).
 * `structuredClone` per part cost ~8 µs in Chromium 156 (the call's fixed cost dominates ~1 KB
 * parts), and every copy was a tree of objects the main thread's GC traced until acknowledged;
 * posting the batch then serialized those objects again. A check plus `JSON.stringify` cost
 * ~2.4 µs, gives one flat string per part (nothing for the GC to trace), posts as a plain string
 * copy, and is already the form the page-hide outbox stores.
 *
 * JSON text is only used when it is exact: parsing it in the worker must give what structured clone
 * would have delivered, as far as validation and storage can tell. Anything else (NaN, ±Infinity,
 * -0, Maps, class instances, typed arrays, functions, symbols, bigints, undefined in arrays, very
 * deep or very large values, …) returns `undefined` and the caller falls back to `structuredClone`, so such
 * values are refused or stored exactly as before.
 */

/** Deeper parts fall back to structured clone (which also copes with cycles); the server allows 200. */
const MAX_DEPTH = 64;
/** Most values visited; bounds the check on values that share subtrees (a DAG can grow exponentially). */
const MAX_NODES = 100_000;
/**
 * Depth of the fields of `start` / `end` in a batch item (`{mode, req: {start: {…}}}`). From there
 * on, `undefined` (dropped by JSON) reads the same as absent: those objects are not strict, their
 * optional fields treat both alike, and payload JSON drops it too. Above, a strict object would
 * refuse an unknown key even when its value is undefined, so JSON must not hide it.
 */
const FIELD_DEPTH = 3;
/** `Date`s whose ISO text has four-digit years (0000–9999) parse back to the same milliseconds. */
const MIN_ISO_MS = -62_167_219_200_000;
const MAX_ISO_MS = 253_402_300_800_000;

/** The datetime fields of a start or end part, which accept a `Date` or its ISO text alike. */
const DATETIME_FIELDS = new Set(["started_at", "ended_at"]);

/** A plain, valid `Date` whose ISO text (four-digit year) parses back to the same milliseconds. */
function isIsoExactDate(date: Date): boolean {
  if (Object.getPrototypeOf(date) !== Date.prototype || Object.keys(date).length > 0) return false;
  const ms = date.getTime();
  return ms >= MIN_ISO_MS && ms < MAX_ISO_MS;
}

/**
 * The JSON text of a batch item when it round-trips exactly, else `undefined` (use structured clone).
 * Reads every property once for the check and once for the text (a getter runs twice).
 * @throws whatever the value's own getters or Proxy traps throw (the caller reports it as input)
 */
export function jsonSnapshot(item: unknown): string | undefined {
  const budget = { nodes: 0 };
  return isJsonExact(item, 0, budget) ? JSON.stringify(item) : undefined;
}

function isJsonExact(value: unknown, depth: number, budget: { nodes: number }): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      // NaN and ±Infinity become null in JSON (the server refuses them); -0 becomes 0.
      return Number.isFinite(value) && (value !== 0 || 1 / value > 0);
    case "undefined":
      return depth >= FIELD_DEPTH;
    case "object": {
      if (value === null) return true;
      if (depth >= MAX_DEPTH || ++budget.nodes > MAX_NODES) return false;
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto === Array.prototype) {
        const list = value as unknown[];
        for (let i = 0; i < list.length; i++) {
          const item = list[i];
          // undefined and holes become null in JSON but stay what they are in a structured clone.
          if (item === undefined || !isJsonExact(item, depth + 1, budget)) return false;
        }
        return true;
      }
      if (proto === Object.prototype || proto === null) {
        for (const key in value) {
          const field = (value as Record<string, unknown>)[key];
          if (depth + 1 === FIELD_DEPTH && field instanceof Date && DATETIME_FIELDS.has(key)) {
            if (!isIsoExactDate(field)) return false;
          } else if (!isJsonExact(field, depth + 1, budget)) {
            return false;
          }
        }
        return true;
      }
      return false;
    }
    default:
      // functions, symbols, bigints
      return false;
  }
}
