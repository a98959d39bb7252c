/**
 * Size-bounded batches for the exporter. Weave refuses `/call/*` bodies above 32 MiB (413) and its
 * SDKs aim for ~10 MiB (weave-semantics.md §13, SDK §3); we stay far below, so that a slow link or a
 * proxy with its own body limit is not a problem and a retried batch costs little.
 */

/** Limits of one write request. */
export interface BatchLimits {
  /** Most items per request (call parts for `call_start_batch`, rows per table chunk). Default 500. */
  maxItems: number;
  /** Most UTF-8 bytes of JSON per request. Default 2 MiB. */
  maxBytes: number;
}

/** 500 items, 2 MiB: a few hundred ordinary calls per request. */
export const DEFAULT_BATCH_LIMITS: BatchLimits = { maxItems: 500, maxBytes: 2 * 1024 * 1024 };

/**
 * The limits with `overrides` applied; limits below 1 are raised to 1 (a batch always holds one item).
 * @throws never
 */
export function batchLimits(overrides: Partial<BatchLimits> | undefined): BatchLimits {
  return {
    maxItems: Math.max(1, Math.floor(overrides?.maxItems ?? DEFAULT_BATCH_LIMITS.maxItems)),
    maxBytes: Math.max(1, Math.floor(overrides?.maxBytes ?? DEFAULT_BATCH_LIMITS.maxBytes)),
  };
}

/**
 * UTF-8 byte length of `text` without encoding it (a lone surrogate counts 3, as TextEncoder writes U+FFFD).
 * @throws never
 */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // a surrogate pair: 2 UTF-16 units, 4 bytes
      i++;
    } else bytes += 2;
  }
  return bytes;
}

/**
 * The UTF-8 size of `value` as JSON.
 * @throws never
 */
export function jsonBytes(value: unknown): number {
  return utf8Length(JSON.stringify(value) ?? "null");
}

/**
 * Collects items until the next one would break a limit. A single item above `maxBytes` still gets a
 * batch of its own: refusing it here would stop the export for good, and the server may accept it.
 */
export class SizedBatch<T> {
  items: T[] = [];
  bytes = 0;
  /** Request items held: a call held as one entry becomes two items (start and end). */
  count = 0;

  constructor(private readonly limits: BatchLimits) {}

  /** Whether `count` more request items of `bytes` bytes fit (always true for an empty batch). */
  fits(count: number, bytes: number): boolean {
    if (this.items.length === 0) return true;
    return this.count + count <= this.limits.maxItems && this.bytes + bytes <= this.limits.maxBytes;
  }

  /** Adds `item`, worth `count` request items of `bytes` bytes. */
  add(item: T, bytes: number, count = 1): void {
    this.items.push(item);
    this.bytes += bytes;
    this.count += count;
  }

  /** Empties the batch and returns what it held. */
  take(): { items: T[]; bytes: number } {
    const out = { items: this.items, bytes: this.bytes };
    this.items = [];
    this.bytes = 0;
    this.count = 0;
    return out;
  }
}

/**
 * Splits `items` into consecutive chunks within `limits` (sizes from `sizeOf`), in order.
 * @throws never
 */
export function chunkBySize<T>(items: readonly T[], limits: BatchLimits, sizeOf: (item: T) => number): T[][] {
  const chunks: T[][] = [];
  const batch = new SizedBatch<T>(limits);
  for (const item of items) {
    const size = sizeOf(item);
    if (!batch.fits(1, size)) chunks.push(batch.take().items);
    batch.add(item, size);
  }
  if (batch.items.length > 0) chunks.push(batch.take().items);
  return chunks;
}
