/**
 * Bad input never hurts the store, through the real worker in real Chromium: the guarantee of
 * test/unit/bad-input.property.test.ts, end to end. Hostile requests for every implemented method
 * (`METHOD_NAMES` minus those that need an LLM provider) are generated here in Node with fast-check
 * (fixed seed) against the facts of a store the page seeded through its client, kept to values that
 * survive structured clone, encoded as JSON (tags for NaN, ±Infinity, -0, undefined, bigint, Dates,
 * Maps, Sets, binary, own `__proto__` keys, run-length-compressed huge strings) and rebuilt in
 * `pages/bad-input-page.ts`, which sends each through `client[method](req)` (streams iterated).
 * Each must be refused with a `WeftError` (checked with `instanceof` in the page) of an allowed code
 * and a non-empty message within a timeout, the worker must answer a query after each, and the
 * digest of the worker's IndexedDB database must be the same after the whole run as before. A few
 * requests that cannot be cloned at all (functions, symbols, Proxies, getters, Promises) must come
 * back from the client as VALIDATION, never as a raw DataCloneError.
 *
 * Prints one summary line: `bad-input (worker): N cases over M methods, codes {…}`.
 */
import { types } from "node:util";
import fc from "fast-check";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { METHOD_NAMES, type MethodName } from "../../src/interface";
import { createLocalTraceServer } from "../../src/server";
import { ALLOWED_CODES, describeValue, type HostileCase, hostileCaseArb, NEEDS_EXTERNAL_SERVICE, type SeedFacts, serverCases } from "../support/hostile-arbitraries";
import { startHarness, type Harness } from "./harness";
import type { BadInputPageGlobals, Outcome } from "./pages/bad-input-page";

type G = BadInputPageGlobals;

const SEED = 20_250_101;
/** Random (mutation) cases per method, on top of a few of its server-side rule cases. */
const RANDOM_PER_METHOD = 18;
const SERVER_PER_METHOD = 4;
/** Cases per `page.evaluate`. */
const CHUNK = 50;
const CALL_TIMEOUT_MS = 10_000;

// ---------------------------------------------------------------------------------------------
// Encoding for the page (the inverse is `decode` in pages/bad-input-page.ts)

class Unclonable extends Error {}

const TYPED_NAMES = new Set(["Uint8Array", "Int8Array", "Uint8ClampedArray", "Uint16Array", "Int16Array", "Uint32Array", "Int32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"]);

function bytes(view: ArrayBufferView | ArrayBuffer): number[] {
  return view instanceof ArrayBuffer ? [...new Uint8Array(view)] : [...new Uint8Array(view.buffer, view.byteOffset, view.byteLength)];
}

/** Long runs of one UTF-16 unit become `[unit, count]`, so megabyte strings travel as a few bytes. */
function encodeString(s: string): unknown {
  if (s.length < 256) return s;
  const parts: Array<string | [string, number]> = [];
  let last = 0;
  let i = 0;
  while (i < s.length) {
    let j = i + 1;
    while (j < s.length && s.charCodeAt(j) === s.charCodeAt(i)) j++;
    if (j - i >= 64) {
      if (i > last) parts.push(s.slice(last, i));
      parts.push([s[i] as string, j - i]);
      last = j;
    }
    i = j;
  }
  if (last < s.length) parts.push(s.slice(last));
  return parts.length === 1 && typeof parts[0] === "string" ? s : { $w: "str", parts };
}

/** A value as JSON-safe tagged data; throws `Unclonable` for what cannot (or should not) cross `postMessage`. */
export function encode(v: unknown, depth = 0): unknown {
  if (depth > 5000) throw new Unclonable("too deep to encode");
  switch (typeof v) {
    case "string":
      return encodeString(v);
    case "boolean":
      return v;
    case "number":
      if (Number.isNaN(v) || !Number.isFinite(v) || Object.is(v, -0)) return { $w: "num", v: Object.is(v, -0) ? "-0" : String(v) };
      return v;
    case "undefined":
      return { $w: "undef" };
    case "bigint":
      return { $w: "big", v: v.toString() };
    case "function":
    case "symbol":
      throw new Unclonable(typeof v);
  }
  if (v === null) return null;
  const o = v as object;
  if (types.isProxy(o)) throw new Unclonable("Proxy");
  if (Array.isArray(o)) {
    const out: unknown[] = [];
    for (let i = 0; i < o.length; i++) out.push(i in o ? encode(ownData(o, String(i)), depth + 1) : { $w: "hole" });
    return { $w: "arr", v: out };
  }
  if (o instanceof Date) return { $w: "date", t: encode(o.getTime()) };
  if (o instanceof RegExp) return { $w: "re", source: o.source, flags: o.flags };
  if (o instanceof Map) return { $w: "map", e: [...o].map(([k, val]) => [encode(k, depth + 1), encode(val, depth + 1)]) };
  if (o instanceof Set) return { $w: "set", v: [...o].map((val) => encode(val, depth + 1)) };
  if (o instanceof ArrayBuffer) return { $w: "ab", b: bytes(o) };
  if (o instanceof DataView) return { $w: "dv", b: bytes(o) };
  if (ArrayBuffer.isView(o)) {
    const name = o.constructor.name;
    if (!TYPED_NAMES.has(name)) throw new Unclonable(name);
    return { $w: "ta", k: name, b: bytes(o) };
  }
  if (o instanceof String) return { $w: "box", t: "string", v: o.valueOf() };
  if (o instanceof Number) return { $w: "box", t: "number", v: encode(o.valueOf()) };
  if (o instanceof Boolean) return { $w: "box", t: "boolean", v: o.valueOf() };
  const proto: unknown = Object.getPrototypeOf(o);
  // Plain objects only (and null-prototype ones): Blobs, Promises, WeakMaps, Errors, class instances stay out.
  if (proto !== Object.prototype && proto !== null) throw new Unclonable(describeValue(o));
  const entries: Array<[string, unknown]> = [];
  for (const key of Reflect.ownKeys(o)) {
    if (typeof key === "symbol") throw new Unclonable("symbol key");
    const d = Object.getOwnPropertyDescriptor(o, key);
    if (!d?.enumerable) continue;
    entries.push([key, encode(ownData(o, key), depth + 1)]);
  }
  return proto === null ? { $w: "obj", e: entries, np: true } : { $w: "obj", e: entries };
}

function ownData(o: object, key: string): unknown {
  const d = Object.getOwnPropertyDescriptor(o, key);
  if (!d || !("value" in d)) throw new Unclonable(`accessor ${key}`);
  return d.value;
}

function encodable(c: HostileCase): unknown {
  try {
    return encode(c.req);
  } catch (error) {
    if (error instanceof Unclonable) return undefined;
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------

let h: Harness;
const stats = { cases: 0, skipped: 0, codes: {} as Record<string, number>, perMethod: {} as Record<string, number> };
const methods: MethodName[] = (() => {
  const implemented = createLocalTraceServer({ dbName: "weft-bad-input-worker-names", indexedDB: new IDBFactory(), IDBKeyRange }).implementedMethods as readonly string[];
  return METHOD_NAMES.filter((m) => implemented.includes(m) && !NEEDS_EXTERNAL_SERVICE.includes(m));
})();

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
  const codes = Object.entries(stats.codes)
    .sort((a, b) => b[1] - a[1])
    .map(([code, count]) => `${code}: ${count}`)
    .join(", ");
  console.log(`bad-input (worker): ${stats.cases} cases over ${Object.keys(stats.perMethod).length} methods (${stats.skipped} unclonable skipped), codes {${codes}}`);
});

/** The cases of every method, deterministic: some server-rule cases and random mutations. */
function generate(facts: SeedFacts): Array<{ c: HostileCase; enc: unknown }> {
  const out: Array<{ c: HostileCase; enc: unknown }> = [];
  methods.forEach((method, mi) => {
    const take = (list: readonly HostileCase[], n: number): void => {
      let taken = 0;
      for (const c of list) {
        if (taken >= n) break;
        const enc = encodable(c);
        if (enc === undefined) {
          stats.skipped++;
          continue;
        }
        out.push({ c, enc });
        taken++;
      }
    };
    const server = serverCases(method, facts);
    // Spread over the list rather than the first few, deterministically.
    const step = Math.max(1, Math.floor(server.length / SERVER_PER_METHOD));
    take(server.filter((_, i) => i % step === 0), SERVER_PER_METHOD);
    take(fc.sample(hostileCaseArb(method, facts), { seed: SEED + mi, numRuns: RANDOM_PER_METHOD * 3 }), RANDOM_PER_METHOD);
  });
  return out;
}

function judge(o: Outcome, allowed: readonly string[]): string | undefined {
  if (o.kind === "hang") return `hang: ${o.message}`;
  if (o.kind === "accepted") return `accepted, answered ${o.message}`;
  if (o.kind === "other") return `rejected with a non-WeftError ${o.code ?? "?"}: ${o.message}`;
  if (!allowed.includes(o.code ?? "")) return `code ${o.code ?? "?"}: ${o.message}`;
  if (o.message.trim() === "") return "empty message";
  if (!o.alive) return "the worker did not answer a query afterwards";
  return undefined;
}

describe("hostile requests through the real worker in Chromium", () => {
  it("the encoding rebuilds in the page what JSON cannot carry", async () => {
    const page = await h.newPage(`/bad-input-page.html?db=bad-input-encoding-${Date.now()}`);
    const sample: Record<string, unknown> = {
      nan: NaN, inf: Infinity, ninf: -Infinity, negZero: -0, undef: undefined, big: 10n, date: new Date(0), badDate: new Date(NaN),
      map: new Map([["a", 1]]), set: new Set(["s"]), re: /re/gi, bytes: new Uint8Array([1, 2, 3]), u16: new Uint16Array(2), ab: new ArrayBuffer(2),
      dv: new DataView(new ArrayBuffer(2)), boxed: new String("boxed"), nullProto: Object.create(null) as object,
      huge: `e/${"p".repeat(5 * 1024 * 1024)}z`, surrogate: "\ud800", holes: [1, , 3], // eslint-disable-line no-sparse-arrays
    };
    Object.defineProperty(sample, "__proto__", { value: { polluted: true }, enumerable: true, writable: true, configurable: true });
    const json = JSON.stringify(encode(sample));
    expect(json.length).toBeLessThan(10_000);
    const seen = await page.evaluate((text) => (globalThis as unknown as G).badInputPage.probeDecode(text), json);
    expect(Object.entries(seen).filter(([, ok]) => !ok).map(([k]) => k)).toEqual([]);
    expect(() => encode({ f: () => 1 })).toThrow(Unclonable);
    expect(() => encode({ p: Promise.resolve(1) })).toThrow(Unclonable);
    expect(() => encode(new Proxy({}, {}))).toThrow(Unclonable);
    await page.close();
  });

  it("are all refused with an allowed WeftError, the worker keeps answering and the store is unchanged", async () => {
    const page = await h.newPage(`/bad-input-page.html?db=bad-input-${Date.now()}`);
    const facts = await page.evaluate((m) => (globalThis as unknown as G).badInputPage.seed(m), methods);
    const before = await page.evaluate(() => (globalThis as unknown as G).badInputPage.digest());

    const cases = generate(facts);
    const problems: string[] = [];
    for (let i = 0; i < cases.length; i += CHUNK) {
      const chunk = cases.slice(i, i + CHUNK);
      const json = JSON.stringify(chunk.map(({ c, enc }) => ({ method: c.method, req: enc })));
      const outcomes = await page.evaluate(([text, ms]) => (globalThis as unknown as G).badInputPage.run(text, ms), [json, CALL_TIMEOUT_MS] as const);
      outcomes.forEach((o, j) => {
        const { c } = chunk[j] as { c: HostileCase };
        stats.cases++;
        stats.perMethod[c.method] = (stats.perMethod[c.method] ?? 0) + 1;
        const code = o.kind === "weft" ? (o.code ?? "?") : o.kind === "other" ? `non-WeftError ${o.code ?? "?"}` : o.kind.toUpperCase();
        stats.codes[code] = (stats.codes[code] ?? 0) + 1;
        const problem = judge(o, ALLOWED_CODES);
        if (problem) problems.push(`${c.method} [${c.label}]: ${problem}`);
      });
    }

    expect(await page.evaluate(() => (globalThis as unknown as G).badInputPage.ready())).toBe(true);
    expect(await page.evaluate(() => (globalThis as unknown as G).badInputPage.alive())).toBe(true);
    const after = await page.evaluate(() => (globalThis as unknown as G).badInputPage.digest());
    expect(Object.keys(stats.perMethod).sort()).toEqual([...methods].sort());
    expect(problems, `${problems.length} problem(s):\n${problems.slice(0, 20).join("\n")}`).toEqual([]);
    expect(after, "the store digest changed").toBe(before);
    await page.close();
  }, 110_000);

  it("requests that cannot cross postMessage are refused by the client as VALIDATION, not DataCloneError", async () => {
    const page = await h.newPage(`/bad-input-page.html?db=bad-input-unclonable-${Date.now()}`);
    const facts = await page.evaluate((m) => (globalThis as unknown as G).badInputPage.seed(m), methods);
    const before = await page.evaluate(() => (globalThis as unknown as G).badInputPage.digest());
    const results = await page.evaluate(([f, ms]) => (globalThis as unknown as G).badInputPage.runUnclonable(f, ms), [facts, CALL_TIMEOUT_MS] as const);
    const problems = results.flatMap((r) => {
      stats.cases++;
      stats.perMethod[r.method] = (stats.perMethod[r.method] ?? 0) + 1;
      const code = r.kind === "weft" ? (r.code ?? "?") : r.kind === "other" ? `non-WeftError ${r.code ?? "?"}` : r.kind.toUpperCase();
      stats.codes[code] = (stats.codes[code] ?? 0) + 1;
      const problem = judge(r, ["VALIDATION"]);
      return problem ? [`${r.method} [${r.label}]: ${problem}`] : [];
    });
    expect(results.length).toBeGreaterThanOrEqual(9);
    expect(problems, problems.join("\n")).toEqual([]);
    expect(await page.evaluate(() => (globalThis as unknown as G).badInputPage.digest())).toBe(before);
    await page.close();
  }, 60_000);

  // BUG (src/client/connection.ts `sendError`, src/client/call-batcher.ts `enqueue`): when the
  // request's own code throws while structured clone copies it (a getter, a Proxy trap), the thrown
  // Error is not a DataCloneError, so `toWeftError` turns it into INTERNAL ("Internal error: getter
  // says no") instead of VALIDATION. In-process (test/unit/bad-input.property.test.ts, exotic list)
  // the same requests are VALIDATION. `it.fails`: this starts failing (flip it) once that is fixed.
  it("requests that throw while being copied (getters, Proxy traps) are refused as VALIDATION", async () => {
    const page = await h.newPage(`/bad-input-page.html?db=bad-input-throwing-${Date.now()}`);
    const facts = await page.evaluate((m) => (globalThis as unknown as G).badInputPage.seed(m), methods);
    const before = await page.evaluate(() => (globalThis as unknown as G).badInputPage.digest());
    const results = await page.evaluate(([f, ms]) => (globalThis as unknown as G).badInputPage.runThrowing(f, ms), [facts, CALL_TIMEOUT_MS] as const);
    // Whatever the code, never a hang, never a raw error, the worker lives and the store is unchanged.
    for (const r of results) {
      expect(r.kind, `${r.method} [${r.label}]: ${r.message}`).toBe("weft");
      expect(r.alive, `${r.method} [${r.label}]: worker answers afterwards`).toBe(true);
    }
    expect(await page.evaluate(() => (globalThis as unknown as G).badInputPage.digest())).toBe(before);
    const wrong = results.filter((r) => r.code !== "VALIDATION").map((r) => `${r.method} [${r.label}]: ${r.code ?? "?"}: ${r.message}`);
    if (wrong.length > 0) console.log(`bad-input (worker), known bug, refused with the wrong code:\n  ${wrong.join("\n  ")}`);
    await page.close();
    expect(wrong).toEqual([]);
  }, 60_000);
});
