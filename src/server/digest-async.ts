/**
 * Many digests at once, with WebCrypto (`crypto.subtle.digest`): the same values as digest.ts, for
 * the bulk paths that are async anyway (a table's rows). WebCrypto hashes natively and off the
 * calling thread, several times faster per row than the pure-JS hash, and the caller can keep
 * serializing the next rows while earlier ones are hashed.
 *
 * `crypto.subtle` only exists in secure contexts (https, localhost) and Node ≥ 19; elsewhere (a page
 * served over plain http from a LAN address) these fall back to the synchronous hash of digest.ts.
 */
import { bytesToHex } from "@noble/hashes/utils.js";
import { bytesDigest, encodeDigest, NON_ASCII, strDigest, tableDigest, utf8Strict } from "./digest";

const subtle: SubtleCrypto | undefined = globalThis.crypto?.subtle;

function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  return (subtle as SubtleCrypto).digest("SHA-256", bytes).then((buffer) => new Uint8Array(buffer));
}

/**
 * `strDigest` of every text, hashed concurrently. Each text is encoded (and checked) before this
 * returns its promise, so a bad text throws synchronously, before anything is awaited.
 * @param what names the texts in an error message (`what[i]`).
 * @returns the digests in order.
 * @throws WeftError `VALIDATION` if a text holds a lone surrogate (Python cannot encode it either).
 */
export function strDigests(texts: readonly string[], what = "string to digest"): Promise<string[]> {
  if (!subtle) return Promise.resolve(texts.map((text) => strDigest(text)));
  const pending = texts.map((text, i) => sha256(utf8Strict(text, `${what}[${i}]`)).then(encodeDigest));
  return Promise.all(pending);
}

/**
 * `tableDigest` (weave-semantics.md §1.3) of a long list in one native hash.
 * @returns 64 lowercase hex characters, equal to `tableDigest(rowDigests)`.
 * @throws WeftError `VALIDATION` if a row digest holds a lone surrogate.
 */
export async function tableDigestAsync(rowDigests: readonly string[]): Promise<string> {
  const joined = rowDigests.join("");
  // Only non-ASCII input needs digest.ts's per-entry encoding checks; real digests never do.
  if (!subtle || NON_ASCII.test(joined)) return tableDigest(rowDigests);
  return bytesToHex(await sha256(new TextEncoder().encode(joined)));
}

/**
 * `bytesDigest` of a file's content, hashed natively where WebCrypto exists: a 64 MB upload hashes
 * in a fraction of the pure-JS time, and the worker is not blocked while it does.
 * @returns 43 characters from `[A-Za-z0-9]`, equal to `bytesDigest(content)`.
 */
export async function bytesDigestAsync(content: Uint8Array): Promise<string> {
  if (!subtle) return bytesDigest(content);
  // WebCrypto takes an ArrayBuffer-backed view; a SharedArrayBuffer-backed one is copied first.
  const view = content.buffer instanceof ArrayBuffer ? (content as Uint8Array<ArrayBuffer>) : new Uint8Array(content);
  return encodeDigest(await sha256(view));
}
