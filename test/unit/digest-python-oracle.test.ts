/**
 * Property test: `pythonJsonDumps(v)` equals what a real `python3` prints for `json.dumps(v,
 * sort_keys=True)`, for random nested values with full-unicode strings (astral chars, lone surrogates,
 * control chars, U+E000–U+FFFF keys), ints up to and beyond 2^53, and doubles across the exponent range.
 *
 * Transmission: Python must receive exactly the value weft believes `v` stands for (the mapping in
 * python-json.ts), so we do NOT send `JSON.stringify(v)`: it writes the integral double 1e21 as `1e+21`,
 * which Python parses as a float while weft prints an int, and it cannot express `PyFloat(1)` or NaN.
 * Instead `toPythonInput` writes a type-exact JSON text that Python's `json.loads` reads back as that
 * value: integral numbers and bigints as full decimal digits (Python int, exact); floats via
 * `toExponential()`, which always has an `e` (so Python reads a float) and the shortest round-trip
 * digits (so it is the same double); `NaN`/`Infinity`/`-Infinity` as the bare tokens json.loads
 * accepts; strings via `JSON.stringify`, which escapes lone surrogates as `\udXXX`, which json.loads
 * turns into the same lone code point. So every generated value is compared; none is filtered out.
 * Only `sortKeys: true` is checked: with `false`, JS own-key order puts integer-like keys first while
 * a Python dict keeps insertion order (documented on `PythonJsonOptions`).
 *
 * All values of one run go to ONE python3 process (stdin: a JSON array; stdout: one line per value).
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { PyFloat, pythonJsonDumps } from "../../src/server/python-json";

const hasPython = spawnSync("python3", ["--version"], { encoding: "utf8" }).status === 0;
if (!hasPython) console.warn("digest-python-oracle: python3 is not on PATH; skipping the Python oracle test");

const PY_SCRIPT = [
  "import json, sys",
  "vals = json.loads(sys.stdin.buffer.read().decode('utf-8'))",
  "sys.stdout.write(''.join(json.dumps(v, sort_keys=True) + '\\n' for v in vals))",
].join("\n");

/** Python's output for each value, in order (ensure_ascii output never contains a raw newline). */
function pythonDumps(values: readonly unknown[]): string[] {
  const res = spawnSync("python3", ["-c", PY_SCRIPT], { input: toPythonInput(values), encoding: "utf8", maxBuffer: 1 << 28 });
  if (res.status !== 0) throw new Error(`python3 failed: ${res.stderr}`);
  return res.stdout.split("\n").slice(0, values.length);
}

function floatText(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  return x.toExponential(); // `-0` gives "0e+0": loses the sign, so handled below
}

/** A type-exact JSON text for Python (see the module comment). */
function toPythonInput(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return String(v);
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number") return Number.isInteger(v) ? BigInt(v).toString() : floatText(v);
  if (v instanceof PyFloat) return Object.is(v.value, -0) ? "-0.0" : floatText(v.value);
  if (Array.isArray(v)) return "[" + v.map(toPythonInput).join(",") + "]";
  const entries = Object.entries(v as Record<string, unknown>);
  return "{" + entries.map(([k, x]) => JSON.stringify(k) + ":" + toPythonInput(x)).join(",") + "}";
}

// One UTF-16 code unit or code point from the regions where JS and Python JSON disagree or where
// ordering is subtle, mixed with ordinary text so strings are not all exotic.
const unit = fc.oneof(
  fc.constantFrom("a", "b", "Z", "0", " ", "/", '"', "\\", "\x7f", "\u00e9", "\u2028", "\ue000", "\uffff", "\u{1F600}", "\u{10FFFF}"),
  fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), // includes lone surrogates
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
);
const str = fc.string({ unit, maxLength: 12 });
// Keys drawn often from the units where code-unit and code-point order disagree, so that objects
// regularly hold several such keys at once.
const orderingUnit = fc.constantFrom("a", "\ue000", "\uffff", "\u{1F600}", "\u{10000}", "\ud800", "\udbff", "\udc00");
const key = fc.oneof(str, fc.string({ unit: orderingUnit, minLength: 1, maxLength: 3 }));

const num = fc.oneof(
  fc.integer(),
  fc.maxSafeInteger(),
  fc.constantFrom(2 ** 53, -(2 ** 53), 2 ** 64, 1e21, 1e16, 0.1, 1e-5, 5e-324, -0, 1.5e300),
  fc.double(), // every double: NaN, ±Infinity, -0, subnormals, integral and huge values
  fc.double({ min: 1e-8, max: 1e18, noNaN: true }),
  fc.integer({ min: -400, max: 400 }).chain((e) => fc.double({ min: 1, max: 10, noNaN: true }).map((m) => m * 10 ** e)),
);
const pyFloat = fc.double().map((x) => new PyFloat(x));

const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    num,
    pyFloat,
    fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }),
    str,
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(key, tie("value"), { maxKeys: 6 }),
  ),
}));

describe("pythonJsonDumps vs python3 json.dumps(v, sort_keys=True)", () => {
  it.skipIf(!hasPython)("matches Python byte for byte on random values", () => {
    // 3 runs of ~100 values: 3 python processes. On failure fast-check shrinks the batch to the
    // offending value(s), which the assertion message shows.
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 100, size: "max" }), (values) => {
        const expected = pythonDumps(values);
        const actual = values.map((v) => pythonJsonDumps(v));
        expect(actual).toEqual(expected);
      }),
      { numRuns: 3 },
    );
  }, 30_000); // generous: ~0.5 s normally, but python3 start-up varies on a loaded machine

  it.skipIf(!hasPython)("the transmission itself round-trips (guards the oracle)", () => {
    // If json.loads read a different value than we meant, both sides could agree by accident only on
    // that wrong value; check a few values whose Python type is the whole point.
    expect(pythonDumps([1e21, new PyFloat(1e21), new PyFloat(-0), -0, new PyFloat(1), "\ud800", 2n ** 70n])).toEqual([
      "1000000000000000000000",
      "1e+21",
      "-0.0",
      "0",
      "1.0",
      '"\\ud800"',
      "1180591620717411303424",
    ]);
  });
});
