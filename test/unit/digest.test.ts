/**
 * Weave's digest algorithms against the gold vectors of weave-conformance-cases.md §0 (D-xx), plus the
 * Python-compatible serializer on the cases where JS and Python JSON differ. Every expected string was
 * printed by Python 3.11 (`json.dumps(v, sort_keys=True)`, `hashlib`) or copied from the catalogue.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { WeftError } from "../../src/errors";
import { bytesDigest, bytesDigestChunks, strDigest, tableDigest, valueDigest } from "../../src/server/digest";
import { PyFloat, pythonJsonDumps } from "../../src/server/python-json";

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

const D01_ROW_DIGESTS = [
  "2df5YAp2sqlYyxEpTKsIrUlf9Kc5ZxEkbqtqUnYOLhk", "DMjRIeuM76SCqXqsqehYyfL3KYV5fL0DBr6g4RJ4izA",
  "f949WksZQdTgf5Ac3cXS5cMuGf0otLvpULOfOsAGiYs", "YaFBweA0HU7w51Sdt8X4uhSmjk7N4WqSfuknmBRpWcc",
  "BBzLkGZ6fFraXdoFOSjj7p2d1qSiyMXjRnk7Zas2FEA", "i6i1XJ7QecqWkB8MdljoWu35tpjwk8npzFAd67aisB4",
  "IsjSZ4usQrHUcu0cNtKedBlUWrIW1f4cSDck1lGCSMw", "MkL0DTiDMCW3agkcIeZ5g5VP0MyFuQcVpa1yqGGVZwk",
  "Vu6S8c4XdXgWNYaAXKqsxuicY6XbYDKLIUkd2M0YPF8", "IkIjQFARp0Qny3AUav18zZuzY4INFXsREPkS3iFCrWo",
  "E3T6ngUGSpXY9u2l58sb9smleJ7GO2YlYJY0tq2oV5U", "uNmcjBhJyiC6qvJZ0JRlGLpRm68ARrXVYlBgjGRqRdA",
  "0bzwVP0JFd7Y2W9YmpPUv62aAkyY2RCaFVxMnEfjIqY", "3bZG40U188x6bVfm9aQX2xvYVqlCftD82O4UsDZtRVU",
  "KW40nfHplo7BDJux0kP8PeYQ95lnOEGaeYfgNtsQ1oE", "u10rDrPoYXl58eQStkQP4dPH6KfmE7I88f0FYI7L9fg",
];
const D01_ROWS = Array.from({ length: 16 }, (_, i) => ({ a: i, b: "x".repeat(1024) }));

const DATASET_TABLE = "6ca638095afa4d3b33fe2314375de840dc058c55a0ef5d466818d81c8a417944";
const datasetVal = (rowsRef: string) => ({
  _type: "Dataset",
  name: null,
  description: null,
  rows: rowsRef,
  _class_name: "Dataset",
  _bases: ["Object", "BaseModel"],
});

describe("gold vectors (weave-conformance-cases.md §0)", () => {
  it("D-01 table partitioning row digests", () => {
    expect(D01_ROWS.map(valueDigest)).toEqual(D01_ROW_DIGESTS);
  });

  it("D-02 table partitioning table digest", () => {
    expect(tableDigest(D01_ROW_DIGESTS)).toBe("15696550bde28f9231173a085ce107c823e7eab6744a97adaa7da55bc9c93347");
  });

  it("D-03 dataset row digest", () => {
    expect(valueDigest({ a: 5, b: 6 })).toBe("XfhC9dNA5D4taMvhKT4MKN2uce7F56Krsyv4Q6mvVMA");
    expect(valueDigest({ a: 7, b: 10 })).toBe("G6XnO6PDsyRcuPNuEuEKAprSjBBtbhKk55Ba7ArL5JQ");
  });

  it("D-04 dataset table digest", () => {
    expect(tableDigest([{ a: 5, b: 6 }, { a: 7, b: 10 }].map(valueDigest))).toBe(DATASET_TABLE);
  });

  it("D-05 Dataset object digest (internal ref form)", () => {
    const val = datasetVal(`weave-trace-internal:///c2hhd24vdGVzdC1wcm9qZWN0/table/${DATASET_TABLE}`);
    expect(valueDigest(val)).toBe("FkWFKCRcl9wsGp3yclN7v1IIAICTPenpZYrWo0otI4Y");
  });

  it("D-06 hashing the external ref form gives a different digest", () => {
    const val = datasetVal(`weave:///shawn/test-project/table/${DATASET_TABLE}`);
    expect(valueDigest(val)).toBe("uNn9idBcjv1cASlrXB79zC2fmpmYvHWXRCt25N8S2zA");
  });

  it("D-08 builtin object", () => {
    const val = {
      _type: "TestOnlyNestedBaseObject",
      name: null,
      description: null,
      b: 3,
      _class_name: "TestOnlyNestedBaseObject",
      _bases: ["BaseObject", "BaseModel"],
    };
    expect(valueDigest(val)).toBe("zg8WgbAC5GBqld3Ka5XMY8YpAQkEVoJDXePQqXgrA4E");
  });

  it("D-09 op source file digest #1", () => {
    const src = 'import weave\n\n@weave.op\ndef say_hello(name: str):\n    return "hello " + name\n';
    expect(bytesDigest(utf8(src))).toBe("uArqT16jBFwMsG3X0XdoxTYXY2iTBX4OEYDQtWM6zME");
  });

  it("D-10 op source file digest #2", () => {
    const src = 'import weave\n\n@weave.op\ndef say_hello(self):\n    return "hello " + self.my_name\n';
    expect(bytesDigest(utf8(src))).toBe("ZiIEs8e6ZXWEtOAQMh342bCbSGM7XdotgQ0HIK1wZV4");
  });

  it("D-11 op object digest", () => {
    const val = {
      _type: "CustomWeaveType",
      weave_type: { type: "Op" },
      files: { "obj.py": "ZiIEs8e6ZXWEtOAQMh342bCbSGM7XdotgQ0HIK1wZV4" },
    };
    expect(valueDigest(val)).toBe("uAuGcTP39TqYOX27waNSJL9YGZIxbiy4KyJoEDkJeIM");
  });

  it("D-12 key-order independence", () => {
    const expected = "IVAduvcYUiOTTSIoPwHKY0EyvB3kqVUMHtDfYrOXoyM";
    expect(valueDigest({ b: 1, a: 2 })).toBe(expected);
    expect(valueDigest({ a: 2, b: 1 })).toBe(expected);
    // Without sort_keys the raw strings differ, as the catalogue notes.
    expect(pythonJsonDumps({ b: 1, a: 2 }, { sortKeys: false })).toBe('{"b": 1, "a": 2}');
    expect(strDigest(pythonJsonDumps({ b: 1, a: 2 }, { sortKeys: false }))).not.toBe(expected);
  });

  it("D-13 simple object digests", () => {
    expect(valueDigest({ k: 1 })).toBe("RRSgxm1g7P63Fwys7dXz0BKn7eGv6khjuovMSQzPY7g");
    expect(valueDigest({ k: 2 })).toBe("4WxTGZdcPYIovtbmNhgX54Z3AMzZpkukxNNFgYjLQ3g");
    expect([0, 1, 2, 3].map((i) => valueDigest({ i }))).toEqual([
      "j1v4GP64hO7Y13afjoaARK2QTyYJNtVCFbCfIWzP5kQ",
      "X9JzV19XGsTuoYkllRKAipPm3SFXfSO3ce8QJUxep1k",
      "4Se5vtRH1nxQJkbiTG38MeaOXjl5TU8ZA5A3tFiNKWQ",
      "eCBrmAxqOqH1AIKmMSfFYVWvYpXCg2bZTyfCJf1vgXQ",
    ]);
    expect(valueDigest({ x: 1 })).toBe("YTYlqmU0Pbsbmr5qusZ3P1yRvWDT8vX34urmnh24sic");
    expect(valueDigest({ shared: true })).toBe("jCnqJE0Qu2GMireW00UeY8afi22ErP2xY6c4cnwobR8");
  });

  it("D-14 small tables and the empty table", () => {
    const rows = [{ val: 1 }, { val: 2 }, { val: 3 }].map(valueDigest);
    expect(rows).toEqual([
      "Y13JwuYFEqtYKJNxsvw7imqBgCJuke2NoOMecEcFqJw",
      "M24gG0mNvQYVmXX5AWPRstmzYqY5uquLntIrg3vXjlo",
      "Izg1gNbOyFM8zXBU1bBUwKQz8YyfmJSApDHLy7ocZvA",
    ]);
    expect(tableDigest(rows)).toBe("13415f3eb4a91cea3c9b31df95eee0cca89a617518c84c0e65523005eec1600f");
    expect(tableDigest([])).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  it("D-15 file digest", () => {
    expect(bytesDigest(utf8("hello"))).toBe("LPJNulXwow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ");
    expect(bytesDigestChunks([utf8("he"), new Uint8Array(0), utf8("llo")])).toBe("LPJNulXwow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ");
  });

  it("D-16 digest alphabet, str/bytes agreement, table order dependence", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string(), (s, t) => {
        const d = strDigest(s);
        expect(d).toMatch(/^[A-Za-z0-9]{43}$/);
        expect(d).toBe(bytesDigest(utf8(s)));
        const [r1, r2] = [valueDigest({ s }), valueDigest({ t })];
        expect(tableDigest([r1, r2])).toMatch(/^[0-9a-f]{64}$/);
        if (r1 !== r2) expect(tableDigest([r1, r2])).not.toBe(tableDigest([r2, r1]));
      }),
    );
  });
});

describe("bytesDigestChunks", () => {
  it("equals bytesDigest of the concatenation for any split", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(300), { maxLength: 6 }), (bytes, cuts) => {
        const points = [0, ...cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b), bytes.length];
        const chunks = points.slice(1).map((end, i) => bytes.subarray(points[i], end));
        expect(bytesDigestChunks(chunks)).toBe(bytesDigest(bytes));
      }),
    );
  });
});

describe("pythonJsonDumps matches Python json.dumps(v, sort_keys=True)", () => {
  it("floats use Python repr", () => {
    const floats = [1e-5, 1e16, 0.1, 1.5e300, 123456789.123, 5e-324, -0, 1, 1e15, 0.0001, 9.999e-5, 1e22, 1.23e-18, -2.5e-7, 2 ** 53, 1.7976931348623157e308, 0.1 + 0.2];
    expect(pythonJsonDumps(floats.map((f) => new PyFloat(f)))).toBe(
      "[1e-05, 1e+16, 0.1, 1.5e+300, 123456789.123, 5e-324, -0.0, 1.0, 1000000000000000.0, 0.0001, 9.999e-05, 1e+22, 1.23e-18, -2.5e-07, 9007199254740992.0, 1.7976931348623157e+308, 0.30000000000000004]",
    );
    // Non-integral plain numbers are floats without the marker.
    expect(pythonJsonDumps([1e-5, 0.1, 123456789.123, 5e-324, -2.5e-7])).toBe("[1e-05, 0.1, 123456789.123, 5e-324, -2.5e-07]");
  });

  it("integral numbers and bigints are exact Python ints; -0 prints 0", () => {
    expect(pythonJsonDumps([0, -0, -1, 2 ** 53, 2 ** 64, -(2 ** 63), 10n ** 30n])).toBe(
      "[0, 0, -1, 9007199254740992, 18446744073709551616, -9223372036854775808, 1000000000000000000000000000000]",
    );
    // What Python prints for int(1.5e300): the exact value of the double.
    expect(pythonJsonDumps(1.5e300)).toBe(
      "1500000000000000078757140382806630373056702871662238732373781173267703686983362293679557062620671796065556665749325817265413784853040645863467188277180060474272580801389863705606745350692182135089053429852456199917621678558451461320111979114170213741868888183230085264257173504208294580298189100810240",
    );
  });

  it("NaN and infinities are bare tokens", () => {
    expect(pythonJsonDumps([NaN, Infinity, -Infinity, new PyFloat(NaN), new PyFloat(-Infinity)])).toBe("[NaN, Infinity, -Infinity, NaN, -Infinity]");
  });

  it("strings: ensure_ascii, astral chars as surrogate pairs, lone surrogates kept", () => {
    expect(pythonJsonDumps("smile \u{1F600}!")).toBe(String.raw`"smile \ud83d\ude00!"`);
    expect(pythonJsonDumps(["\ud800", "a\udfffb", "\udc00\ud800"])).toBe(String.raw`["\ud800", "a\udfffb", "\udc00\ud800"]`);
    expect(pythonJsonDumps("\x00\x01\x07\b\t\n\x0b\f\r\x1b\x1f \x7f\x80/\"\\\u2028\ufeff")).toBe(
      String.raw`"\u0000\u0001\u0007\b\t\n\u000b\f\r\u001b\u001f \u007f\u0080/\"\\\u2028\ufeff"`,
    );
    expect(pythonJsonDumps("café naïve")).toBe(String.raw`"caf\u00e9 na\u00efve"`);
  });

  it("keys sort by code point: astral after U+E000-U+FFFF, lone surrogates before", () => {
    const obj = { "\u{1F600}": 1, "\ue000": 2, "\uffff": 3, a: 4, "\ud800": 5, B: 6, "": 7, aa: 8, "10": 9, "9": 10 };
    expect(pythonJsonDumps(obj)).toBe(
      String.raw`{"": 7, "10": 9, "9": 10, "B": 6, "a": 4, "aa": 8, "\ud800": 5, "\ue000": 2, "\uffff": 3, "\ud83d\ude00": 1}`,
    );
  });

  it("nested and empty containers", () => {
    const v = { z: [1, [2, [3, {}]], { y: [], x: { w: null } }], a: { c: true, b: false } };
    expect(pythonJsonDumps(v)).toBe('{"a": {"b": false, "c": true}, "z": [1, [2, [3, {}]], {"x": {"w": null}, "y": []}]}');
    expect(pythonJsonDumps({})).toBe("{}");
    expect(pythonJsonDumps([])).toBe("[]");
    expect(pythonJsonDumps([[]])).toBe("[[]]");
  });

  it("undefined: skipped in objects, null in arrays; null-prototype objects and shared subtrees are fine", () => {
    expect(pythonJsonDumps({ a: undefined, b: 1, c: undefined })).toBe('{"b": 1}');
    expect(pythonJsonDumps({ a: undefined })).toBe("{}");
    // eslint-disable-next-line no-sparse-arrays
    expect(pythonJsonDumps([undefined, 1, , 2])).toBe("[null, 1, null, 2]");
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { k: "v" });
    const shared = { s: 1 };
    expect(pythonJsonDumps({ bare, x: shared, y: [shared] })).toBe('{"bare": {"k": "v"}, "x": {"s": 1}, "y": [{"s": 1}]}');
  });

  it("sortKeys: false keeps own-key order", () => {
    expect(pythonJsonDumps({ b: 1, a: { d: 1, c: 2 } }, { sortKeys: false })).toBe('{"b": 1, "a": {"d": 1, "c": 2}}');
  });
});

describe("pythonJsonDumps refuses what Python cannot write", () => {
  const refuses = (value: unknown, path: string, text: RegExp) => {
    let caught: unknown;
    try {
      pythonJsonDumps(value);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(WeftError);
    const err = caught as WeftError;
    expect(err.code).toBe("VALIDATION");
    expect(err.details?.issues?.[0]?.path).toBe(path);
    expect(err.message).toMatch(text);
  };

  it("functions, symbols and undefined at the root, naming the path", () => {
    refuses({ a: [1, { f: () => 1 }] }, "a[1].f", /function/);
    refuses([Symbol("s")], "[0]", /symbol/);
    refuses(undefined, "(root)", /undefined/);
  });

  it("cycles", () => {
    const a: Record<string, unknown> = { x: 1 };
    a.self = { inner: [a] };
    refuses(a, "self.inner[0]", /circular/);
  });

  it("non-plain objects", () => {
    refuses({ when: new Date(0) }, "when", /Date/);
    refuses({ m: new Map() }, "m", /Map/);
    refuses([new Uint8Array(2)], "[0]", /Uint8Array/);
    refuses({ c: new (class Thing {})() }, "c", /Thing/);
  });

  it("strDigest refuses a lone surrogate, which has no UTF-8 form", () => {
    expect(() => strDigest("a\ud800b")).toThrow(WeftError);
    expect(() => strDigest("\udc00")).toThrow(/lone UTF-16 surrogate/);
    expect(strDigest("\u{1F600}")).toBe(bytesDigest(utf8("\u{1F600}")));
  });
});
