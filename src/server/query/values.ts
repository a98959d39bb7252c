/**
 * ClickHouse value semantics for the query engine (weave-semantics.md §2.9.2 "Value semantics").
 * Weave's ClickHouse server reads every dynamic JSON path with
 * `coalesce(nullIf(JSON_VALUE(col, path), 'null'), '')`, so a JSON field is always a *string* and
 * every cast goes through a ClickHouse `to*OrNull` function. These helpers reproduce exactly that,
 * so a query means the same thing here as on a Weave server.
 */
import { formatDateTime, parseIsoDateTime } from "../../schema/common";

/** A scalar as the compiled query sees it: SQL NULL is `null`. */
export type Scalar = string | number | boolean | null;

/**
 * Formats a number the way ClickHouse prints a Float64/Int64: integers without a fraction
 * (`5.0` → `'5'`, `1e3` → `'1000'`), exponents without `+` (`1e21` → `'1e21'`).
 */
export function formatChNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  if (Number.isNaN(n)) return "nan";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  return String(n).replace("e+", "e");
}

/**
 * The string a dynamic JSON field evaluates to (§2.9.2): missing or JSON null → `''` (never NULL),
 * a string → itself, a bool → `'true'`/`'false'`, a number → `formatChNumber`, an object or array →
 * minified JSON (`{"a":1}`).
 */
export function jsonToChString(value: unknown): string {
  switch (typeof value) {
    case "string":
      return value;
    case "number":
      return formatChNumber(value);
    case "boolean":
      return value ? "true" : "false";
    case "object":
      return value === null ? "" : JSON.stringify(value);
    default:
      return "";
  }
}

const INT_RE = /^[+-]?\d+$/;
const FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL_FLOAT_RE = /^([+-]?)(inf|infinity|nan)$/i;
const INT64_MAX = 9223372036854775807;

/** ClickHouse `toInt64OrNull` on a string: the trimmed text must match `^[+-]?\d+$` and fit in Int64. */
export function toIntOrNull(text: string): number | null {
  const t = text.trim();
  if (!INT_RE.test(t)) return null;
  const n = Number(t);
  return n > INT64_MAX || n < -INT64_MAX - 1 ? null : n;
}

/** ClickHouse `toFloat64OrNull` on a string: a decimal/exponent number, `inf` or `nan`; `''` → NULL. */
export function toFloatOrNull(text: string): number | null {
  const t = text.trim();
  if (FLOAT_RE.test(t)) return Number(t);
  const special = SPECIAL_FLOAT_RE.exec(t);
  if (!special) return null;
  if (special[2]?.toLowerCase() === "nan") return Number.NaN;
  return special[1] === "-" ? -Infinity : Infinity;
}

/**
 * The bool cast Weave applies (§2.9.2): `'true'` → 1, `'false'` → 0, otherwise a UInt8 parse
 * (0..255) or NULL. The result is a number, as in ClickHouse (UInt8), so `toString` of it is `'1'`.
 */
export function toBoolOrNull(text: string): number | null {
  if (text === "true") return 1;
  if (text === "false") return 0;
  const t = text.trim();
  if (!/^\+?\d+$/.test(t)) return null;
  const n = Number(t);
  return n <= 255 ? n : null;
}

/**
 * ClickHouse `toString` of a scalar (what `$convert` applies to a non-string operand before casting,
 * §2.9.2). Booleans print as `'true'`/`'false'` (ClickHouse `Bool`). Datetimes are numbers here, so
 * the caller formats them with `formatDateTime` before reaching this.
 */
export function scalarToChString(value: Scalar): string | null {
  if (value === null) return null;
  if (typeof value === "string") return value;
  if (typeof value === "number") return formatChNumber(value);
  return value ? "true" : "false";
}

/**
 * Coerces a `$literal` compared with a datetime column (§2.9.2): a number is unix *seconds*, a string
 * is ISO-8601 (`Z` allowed, naive = UTC, date-only = midnight). Both become epoch ms. A string that
 * does not parse is returned unchanged; the comparison then treats both sides as strings.
 */
export function coerceDatetimeLiteral(value: Scalar): Scalar {
  if (typeof value === "number") return value * 1000;
  if (typeof value === "string") return parseIsoDateTime(value) ?? value;
  return value;
}

/** The string form of a datetime (epoch ms) used when it must be compared as a string: ISO-8601 with `Z`. */
export function datetimeToString(ms: number): string {
  return formatDateTime(ms);
}

/**
 * Compares strings in UTF-8 byte order, which is ClickHouse's `String` order (§2.9.2 "Strings compare
 * lexicographically (byte order)"). UTF-16 code-unit order differs from it only when a surrogate
 * meets a code unit in U+E000..U+FFFF, so that case is fixed up and everything else is a plain scan.
 */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) return surrogateRank(x) - surrogateRank(y);
      return x - y;
    }
  }
  return a.length - b.length;
}

/** Surrogates (astral code points, 4 UTF-8 bytes) sort after U+E000..U+FFFF (3 UTF-8 bytes). */
function surrogateRank(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

/**
 * Folds ASCII letters only, like ClickHouse `positionCaseInsensitive` (§2.9.2): `'É'` stays `'É'`.
 */
export function asciiLower(text: string): string {
  return /[A-Z]/.test(text) ? text.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : text;
}

/**
 * `a = b` with SQL NULL semantics: NULL on either side → NULL. Numbers and bools compare as numbers
 * (bools are 0/1, §2.9.2); a number against a string has no common type in ClickHouse, so it is
 * treated as no match (NULL) rather than an error.
 */
export function eqScalar(a: Scalar, b: Scalar): boolean | null {
  if (a === null || b === null) return null;
  if (typeof a === typeof b) return a === b;
  if (typeof a === "string" || typeof b === "string") return null;
  return Number(a) === Number(b);
}

/**
 * Orders two scalars: negative, zero or positive; NULL when either is NULL or the types have no
 * common type (number vs string); NaN when a NaN is involved, so that every ordering test on it is
 * false (not NULL), as in ClickHouse.
 */
export function orderScalar(a: Scalar, b: Scalar): number | null {
  if (a === null || b === null) return null;
  if (typeof a === "string") return typeof b === "string" ? compareStrings(a, b) : null;
  if (typeof b === "string") return null;
  const x = Number(a);
  const y = Number(b);
  return x < y ? -1 : x > y ? 1 : x === y ? 0 : Number.NaN;
}

/**
 * A value used as a condition (`$and`/`$or`/`$not` operands, the top-level `$expr`): NULL stays NULL,
 * numbers are true unless 0 (ClickHouse UInt8 logic). A string is not a valid condition in
 * ClickHouse (an error there), so it is NULL here: neither it nor its negation matches.
 */
export function truthy(value: unknown): boolean | null {
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0;
  return null;
}
