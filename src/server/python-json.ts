/**
 * Byte-for-byte Python `json.dumps(value, sort_keys=True)` in TypeScript. Weave hashes and stores object
 * values and table rows as the text Python's json module writes (weave-semantics.md §1.2, §1.3), so the
 * same value only gets the same digest here and on a Weave server if we write exactly the same bytes.
 *
 * Value model (how a JS value maps onto the Python value it stands for):
 * - integral `number` → Python `int` (a JSON `1` or `10000000000000000` parses to an int in Python);
 *   `-0` → `0`; `bigint` → `int`.
 * - non-integral `number`, `NaN`, `±Infinity` → Python `float`.
 * - `PyFloat(x)` → Python `float` even when `x` is integral, so `PyFloat(1)` prints `1.0`.
 * - string → `str` (UTF-16 code units map 1:1 onto ensure_ascii's `\uXXXX` escapes; a lone
 *   surrogate is a lone surrogate code point in Python, which json.dumps also writes as `\udXXX`).
 * - array → `list`, plain object → `dict`, `true/false/null` → `True/False/None`.
 * - `undefined` object values are skipped and `undefined` array items print `null`, as JSON.stringify.
 */
import { WeftError } from "../errors";

/**
 * Marks a number as a Python `float`, for values whose int-vs-float distinction matters to the digest
 * (`1.0` and `1` hash differently). Only integral values need it; other numbers are floats anyway.
 */
export class PyFloat {
  /** @param value the float's value; NaN and ±Infinity are allowed (Python writes `NaN`, `Infinity`). */
  constructor(readonly value: number) {}
}

/** Options for {@link pythonJsonDumps}. */
export interface PythonJsonOptions {
  /**
   * Sort object keys by code point, as `sort_keys=True` (default `true`, which is what Weave hashes at
   * HEAD). With `false` keys keep JS own-key order, which puts integer-like keys first: unlike a
   * Python dict's insertion order, so `false` only reproduces Python for objects without such keys.
   */
  sortKeys?: boolean;
}

// Python's ensure_ascii writes printable ASCII except `"` and `\` verbatim; anything else is escaped.
const NEEDS_ESCAPE = /[^\x20-\x7e]|["\\]/;
const ESCAPABLE = /[^\x20\x21\x23-\x5b\x5d-\x7e]/g;
const SURROGATE = /[\ud800-\udfff]/;
// Python's recursion limit stops json.dumps near 1000 levels; a cap also bounds the cycle check's cost.
const MAX_DEPTH = 1000;

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};

function escapeUnit(ch: string): string {
  return SHORT_ESCAPES[ch] ?? "\\u" + ch.charCodeAt(0).toString(16).padStart(4, "0");
}

/** A string as ensure_ascii JSON; the regex test lets clean strings (the vast majority) skip the scan. */
function quote(s: string): string {
  return NEEDS_ESCAPE.test(s) ? '"' + s.replace(ESCAPABLE, escapeUnit) + '"' : '"' + s + '"';
}

/**
 * Python string order is code point order; JS `sort()` compares UTF-16 code units, which disagrees
 * when an astral char (surrogates D800–DFFF) meets U+E000–U+FFFF. `codePointAt` also yields a lone
 * surrogate's own value, which is exactly the code point Python holds for it.
 */
function compareCodePoints(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a.codePointAt(i) ?? 0;
    const y = b.codePointAt(j) ?? 0;
    if (x !== y) return x - y;
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  return a.length - i - (b.length - j);
}

/** Python `repr(float)`: shortest round-trip digits, exponent form when exp < -4 or exp >= 16. */
function floatRepr(v: number): string {
  if (v !== v) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "-Infinity";
  const abs = Math.abs(v);
  if (abs >= 1e-4 && abs < 1e16) {
    // Same shortest digits and fixed notation as JS; Python never drops the `.0` of a float.
    if (Number.isInteger(v)) return String(v) + ".0";
    return String(v);
  }
  if (v === 0) return Object.is(v, -0) ? "-0.0" : "0.0";
  // Here |v| < 1e-4 or >= 1e16, i.e. Python's exponent form. `toExponential()` without an argument
  // gives the shortest round-trip digits, like repr; only the exponent's format differs.
  const text = v.toExponential();
  const e = text.indexOf("e");
  const exp = Number(text.slice(e + 1));
  const mantissa = text.slice(0, e);
  const sign = exp < 0 ? "-" : "+";
  const digits = String(Math.abs(exp));
  return mantissa + "e" + sign + (digits.length < 2 ? "0" + digits : digits);
}

/** A JS number as Python would print the value it stands for (see the module comment). */
function numberRepr(v: number): string {
  if (Number.isInteger(v)) {
    // String() is exact only up to 2^53 (and turns -0 into "0"): above, it prints the shortest digits
    // that round-trip (2^64 → "18446744073709552000") or exponent form, where Python's int is exact.
    return Math.abs(v) <= Number.MAX_SAFE_INTEGER ? String(v) : BigInt(v).toString();
  }
  return floatRepr(v);
}

function isPlainObject(v: object): boolean {
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) return true;
  // An object from another realm (iframe, vm context) has that realm's Object.prototype.
  return typeof proto === "object" && Object.getPrototypeOf(proto) === null && (proto as { constructor?: { name?: unknown } }).constructor?.name === "Object";
}

function pathOf(keys: readonly (string | number)[], depth: number): string {
  let out = "";
  for (let i = 0; i < depth; i++) {
    const k = keys[i];
    if (typeof k === "number") out += `[${k}]`;
    else out += out ? `.${String(k)}` : String(k);
  }
  return out || "(root)";
}

class Writer {
  // Parallel stacks indexed by depth: the containers being written (for cycle detection) and the
  // key or index under which each child sits (for the error path). Stores, not pushes: no allocation.
  private readonly ancestors: object[] = [];
  private readonly keys: (string | number)[] = [];

  constructor(private readonly sortKeys: boolean) {}

  private fail(depth: number, message: string): never {
    const path = pathOf(this.keys, depth);
    throw new WeftError("VALIDATION", `Invalid value at ${path}: ${message}`, { issues: [{ path, message }] });
  }

  write(v: unknown, depth: number): string {
    switch (typeof v) {
      case "string":
        return quote(v);
      case "number":
        return numberRepr(v);
      case "boolean":
        return v ? "true" : "false";
      case "bigint":
        return v.toString();
      case "object":
        if (v === null) return "null";
        if (v instanceof PyFloat) return floatRepr(v.value);
        return this.container(v, depth);
      default:
        return this.fail(depth, `values of type ${typeof v} cannot be written as JSON; pass plain data (objects, arrays, strings, numbers, booleans, null)`);
    }
  }

  private container(v: object, depth: number): string {
    if (depth >= MAX_DEPTH) this.fail(depth, `nested deeper than ${MAX_DEPTH} levels`);
    for (let i = 0; i < depth; i++) {
      if (this.ancestors[i] === v) this.fail(depth, "circular reference; the value contains itself");
    }
    this.ancestors[depth] = v;
    const inner = depth + 1;
    if (Array.isArray(v)) {
      const n = v.length;
      if (n === 0) return "[]";
      let out = "[";
      for (let i = 0; i < n; i++) {
        this.keys[depth] = i;
        const item: unknown = v[i];
        if (i > 0) out += ", ";
        out += item === undefined ? "null" : this.write(item, inner);
      }
      return out + "]";
    }
    if (!isPlainObject(v)) {
      const name = (v as { constructor?: { name?: unknown } }).constructor?.name;
      this.fail(depth, `a ${typeof name === "string" ? name : "non-plain object"} cannot be written as JSON; convert it to plain data first (e.g. an ISO string for a Date)`);
    }
    const record = v as Record<string, unknown>;
    const keys = Object.keys(record);
    if (this.sortKeys) {
      keys.sort();
      // Default sort is code-unit order, already right unless a key holds a surrogate (see compareCodePoints).
      for (const k of keys) {
        if (SURROGATE.test(k)) {
          keys.sort(compareCodePoints);
          break;
        }
      }
    }
    let out = "{";
    let first = true;
    for (const k of keys) {
      const item = record[k];
      if (item === undefined) continue;
      this.keys[depth] = k;
      if (!first) out += ", ";
      first = false;
      out += quote(k) + ": " + this.write(item, inner);
    }
    return out + "}";
  }
}

/**
 * Writes `value` exactly as Python's `json.dumps(value, sort_keys=True)` writes the Python value it
 * stands for (default separators `", "` / `": "`, `ensure_ascii=True`, float `repr`, bare `NaN` /
 * `Infinity`). See the module comment for the JS → Python value mapping.
 *
 * @param value plain JSON-like data; `PyFloat` and `bigint` are accepted as well.
 * @param opts `sortKeys` (default `true`).
 * @returns pure-ASCII JSON text.
 * @throws WeftError `VALIDATION` (with the offending path) for functions, symbols, cycles, nesting
 *   deeper than 1000 levels, and non-plain objects such as `Date`, `Map` or class instances.
 */
export function pythonJsonDumps(value: unknown, opts?: PythonJsonOptions): string {
  return new Writer(opts?.sortKeys ?? true).write(value, 0);
}
