/**
 * Call and trace ids: uuidv7, as Weave's SDKs make them, ordered by creation within this page.
 * `uuid`'s default `v7()` asks `crypto.getRandomValues` for 16 bytes per id, which costs several µs
 * (the largest part of an op call in Node); here random bytes come from a pool filled 4 KiB at a
 * time, and the ms/sequence state follows RFC 9562 §6.2 method 1 (as `uuid` does internally), so
 * ids made in the same millisecond still sort in creation order.
 */
import { v7 } from "uuid";

const POOL_BYTES = 4096;
const pool = new Uint8Array(POOL_BYTES);
let offset = POOL_BYTES;
let lastMs = -Infinity;
let seq = 0;

/** 16 fresh random bytes (a view into the pool, used before the pool is refilled). */
function random16(): Uint8Array {
  if (offset + 16 > POOL_BYTES) {
    crypto.getRandomValues(pool);
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + 16);
  offset += 16;
  return bytes;
}

/**
 * A new uuidv7 string, greater than every id this function returned before.
 * @throws never
 */
export function newId(): string {
  const random = random16();
  const now = Date.now();
  if (now > lastMs) {
    // A random 31-bit start leaves room to count up within the millisecond.
    seq = (((random[6] ?? 0) & 0x7f) << 24) | ((random[7] ?? 0) << 16) | ((random[8] ?? 0) << 8) | (random[9] ?? 0);
    lastMs = now;
  } else {
    seq = (seq + 1) | 0;
    if (seq === 0) lastMs++;
  }
  return v7({ random, msecs: lastMs, seq });
}
