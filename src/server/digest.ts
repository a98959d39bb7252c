/**
 * Weave's content digests (weave-semantics.md §1): objects, table rows, tables and files are addressed
 * by these, so the same value gets the same digest here and on a Weave server. Hashing here is
 * synchronous (@noble/hashes): it runs the same in Node, workers and the main thread, and keeps write
 * paths free of awaits. Bulk row hashing, where the caller is async anyway, uses WebCrypto instead
 * (digest-async.ts). Nothing here uses Node's Buffer, since it runs in browsers.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { WeftError } from "../errors";
import { pythonJsonDumps } from "./python-json";

// URL-safe base64 with Weave's substitutions already applied (`-` → `X`, `_` → `Y`), so encoding is
// one pass. A hand-written loop beats `btoa(String.fromCharCode(...))` + two replaces for 32 bytes.
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789XY";

/**
 * Unpadded base64 of a 32-byte sha256 in Weave's digest alphabet: ten 3-byte groups, then the last two
 * bytes as three characters (Python strips the one `=` of padding).
 * @returns 43 characters from `[A-Za-z0-9]`.
 */
export function encodeDigest(b: Uint8Array): string {
  let out = "";
  let n = 0;
  for (let i = 0; i < 30; i += 3) {
    n = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]! + ALPHABET[n & 63]!;
  }
  n = (b[30]! << 16) | (b[31]! << 8);
  return out + ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]!;
}

const encoder = new TextEncoder();
// A lone surrogate (one half of a UTF-16 pair without the other) has no UTF-8 form.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** Matches any character outside ASCII, whose UTF-8 form needs the surrogate check. */
export const NON_ASCII = /[^\x00-\x7f]/;

/**
 * UTF-8 bytes of `s` as Python's `s.encode("utf-8")` gives them. Python refuses lone surrogates
 * (UnicodeEncodeError) where TextEncoder would silently write U+FFFD, which would hash a different
 * string than the caller gave, so we refuse them too.
 * @param what names `s` in the error message.
 * @throws WeftError `VALIDATION` if `s` holds a lone surrogate.
 */
export function utf8Strict(s: string, what: string): Uint8Array<ArrayBuffer> {
  if (NON_ASCII.test(s) && LONE_SURROGATE.test(s)) {
    throw new WeftError("VALIDATION", `Invalid ${what}: contains a lone UTF-16 surrogate, which has no UTF-8 encoding; remove it or pair it`, {
      issues: [{ path: what, message: "lone UTF-16 surrogate" }],
    });
  }
  return encoder.encode(s);
}

/**
 * Weave's `bytes_digest`: sha256 of `b`, URL-safe base64 with `-` → `X`, `_` → `Y`, no `=` padding.
 * @returns 43 characters from `[A-Za-z0-9]`.
 */
export function bytesDigest(b: Uint8Array): string {
  return encodeDigest(sha256(b));
}

/**
 * `bytesDigest` over content that arrives in pieces (files up to 64 MB are stored in chunks), without
 * joining them: equal to `bytesDigest` of the concatenation.
 * @returns 43 characters from `[A-Za-z0-9]`.
 */
export function bytesDigestChunks(chunks: Iterable<Uint8Array>): string {
  const h = sha256.create();
  for (const chunk of chunks) h.update(chunk);
  return encodeDigest(h.digest());
}

/**
 * Weave's `str_digest`: `bytesDigest` of the UTF-8 encoding of `s`.
 * @throws WeftError `VALIDATION` if `s` holds a lone surrogate (Python cannot encode it either).
 */
export function strDigest(s: string): string {
  return encodeDigest(sha256(utf8Strict(s, "string to digest")));
}

/**
 * Digest of an object value or a table row: `str_digest(json.dumps(value, sort_keys=True))`
 * (weave-semantics.md §1.2, §1.3). The caller passes the value already processed the way Weave
 * processes it (e.g. refs rewritten to their internal form, conformance case D-06).
 * @throws WeftError `VALIDATION` for values `pythonJsonDumps` refuses.
 */
export function valueDigest(value: unknown): string {
  // The JSON text is pure ASCII (ensure_ascii), so the surrogate check is not needed.
  return encodeDigest(sha256(encoder.encode(pythonJsonDumps(value))));
}

/**
 * Weave's table digest: lowercase hex sha256 over the row digest strings (UTF-8) concatenated in row
 * order, no separator (weave-semantics.md §1.3). An empty table gives sha256 of empty input.
 * @returns 64 lowercase hex characters.
 * @throws WeftError `VALIDATION` if a row digest holds a lone surrogate.
 */
export function tableDigest(rowDigests: readonly string[]): string {
  const joined = rowDigests.join("");
  if (!NON_ASCII.test(joined)) return bytesToHex(sha256(encoder.encode(joined)));
  // Not real digests, but hash them as Python would: each string encoded on its own, so a surrogate
  // pair split across two entries is refused rather than joined.
  const h = sha256.create();
  rowDigests.forEach((d, i) => h.update(utf8Strict(d, `row_digests[${i}]`)));
  return bytesToHex(h.digest());
}
