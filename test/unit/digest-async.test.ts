/**
 * The WebCrypto digests (src/server/digest-async.ts) and the bulk row preparation built on them give
 * exactly the digests of the synchronous functions: the gold vectors of weave-conformance-cases.md §0
 * (D-01, D-02, D-14), random strings (fast-check), the same refusals, and the fallback used where
 * `crypto.subtle` does not exist (insecure browser contexts).
 */
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { WeftError } from "../../src/errors";
import { bytesDigest, strDigest, tableDigest, valueDigest } from "../../src/server/digest";
import { bytesDigestAsync, strDigests, tableDigestAsync } from "../../src/server/digest-async";
import { pythonJsonDumps } from "../../src/server/python-json";
import { prepareRow, prepareRows } from "../../src/server/tables/rows";

const D01_ROWS = Array.from({ length: 16 }, (_, i) => ({ a: i, b: "x".repeat(1024) }));
const D02_TABLE = "15696550bde28f9231173a085ce107c823e7eab6744a97adaa7da55bc9c93347";
const EMPTY_TABLE = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

describe("WebCrypto digests equal the synchronous ones", () => {
  it("runs on WebCrypto here (Node ≥ 20 has globalThis.crypto.subtle)", () => {
    expect(typeof globalThis.crypto?.subtle?.digest).toBe("function");
  });

  it("file bytes: random contents, a view into a larger buffer, and the empty file", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 5000 }), async (bytes) => {
        expect(await bytesDigestAsync(bytes)).toBe(bytesDigest(bytes));
      }),
      { numRuns: 100 },
    );
    const big = new Uint8Array(70_000).map((_, i) => (i * 31) & 255);
    const view = big.subarray(1234, 60_000);
    expect(await bytesDigestAsync(view)).toBe(bytesDigest(view));
    expect(await bytesDigestAsync(new Uint8Array(0))).toBe(bytesDigest(new Uint8Array(0)));
  });

  it("D-01 / D-02 row digests and table digest", async () => {
    const rowDigests = await strDigests(D01_ROWS.map((row) => pythonJsonDumps(row)));
    expect(rowDigests).toEqual(D01_ROWS.map(valueDigest));
    expect(rowDigests[0]).toBe("2df5YAp2sqlYyxEpTKsIrUlf9Kc5ZxEkbqtqUnYOLhk");
    expect(await tableDigestAsync(rowDigests)).toBe(D02_TABLE);
  });

  it("D-14 small tables and the empty table", async () => {
    const rowDigests = await strDigests([1, 2, 3].map((val) => pythonJsonDumps({ val })));
    expect(rowDigests).toEqual(["Y13JwuYFEqtYKJNxsvw7imqBgCJuke2NoOMecEcFqJw", "M24gG0mNvQYVmXX5AWPRstmzYqY5uquLntIrg3vXjlo", "Izg1gNbOyFM8zXBU1bBUwKQz8YyfmJSApDHLy7ocZvA"]);
    expect(await tableDigestAsync(rowDigests)).toBe("13415f3eb4a91cea3c9b31df95eee0cca89a617518c84c0e65523005eec1600f");
    expect(await tableDigestAsync([])).toBe(EMPTY_TABLE);
    expect(await strDigests([])).toEqual([]);
  });

  it("any strings (full unicode, no lone surrogates), any table", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ unit: "grapheme" }), { maxLength: 20 }), async (texts) => {
        expect(await strDigests(texts)).toEqual(texts.map((t) => strDigest(t)));
        expect(await tableDigestAsync(texts)).toBe(tableDigest(texts));
      }),
    );
  });

  it("refuses a lone surrogate as strDigest does, naming the entry, before anything is awaited", async () => {
    let thrown: unknown;
    try {
      void strDigests(["ok", "a\ud800b"], "texts");
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(WeftError);
    expect((thrown as WeftError).code).toBe("VALIDATION");
    expect((thrown as WeftError).message).toMatch(/texts\[1\].*lone UTF-16 surrogate/);
    await expect(tableDigestAsync(["abc", "\udc00"])).rejects.toThrow(/row_digests\[1\].*lone UTF-16 surrogate/);
  });
});

describe("prepareRows", () => {
  it("equals prepareRow row by row, across hashing chunks", async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => ({ id: i, text: `row ${i} \u00e9\u{1F600}`, nested: { ok: i % 3 === 0 } }));
    const prepared = await prepareRows("e/p", rows, (i) => `rows[${i}]`);
    expect(prepared).toEqual(rows.map((row, i) => prepareRow("e/p", row, `rows[${i}]`)));
  });

  it("a bad row in a later chunk rejects, naming its path", async () => {
    const rows: unknown[] = Array.from({ length: 1500 }, (_, i) => ({ id: i }));
    rows[1234] = [1, 2];
    const error = await prepareRows("e/p", rows, (i) => `table.rows[${i}]`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WeftError);
    expect((error as WeftError).code).toBe("VALIDATION");
    expect((error as WeftError).message).toBe("All rows must be dictionaries: table.rows[1234] is an array");
  });
});

describe("without crypto.subtle (an insecure browser context)", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  it("falls back to the synchronous hash with the same results", async () => {
    // Calling a missing `subtle` would throw, so equal results mean the fallback ran.
    vi.stubGlobal("crypto", { subtle: undefined });
    vi.resetModules();
    const fallback = await import("../../src/server/digest-async");
    const dumps = D01_ROWS.map((row) => pythonJsonDumps(row));
    expect(await fallback.strDigests(dumps)).toEqual(D01_ROWS.map(valueDigest));
    expect(await fallback.tableDigestAsync(D01_ROWS.map(valueDigest))).toBe(D02_TABLE);
  });
});
