/**
 * Bundles read as streams: `gunzipLines` feeds the decompressor small pieces and splits what comes
 * out into lines whatever the chunk boundaries (long lines, multi-byte characters, no final newline); `importBundle` checks the whole
 * file in one streamed pass and reads the calls in a second, in batches with two in flight, every
 * call arriving once, each batch sent in a task of its own, and a failing batch stops it with
 * nothing left writing.
 */
import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { WeftError } from "../../src/errors";
import { exportBundle, importBundle, readBundle } from "../../src/export";
import { gunzipLines } from "../../src/export/bundle-lines";
import type { LocalTraceServer } from "../../src/server";
import { expectSameAnswers, seedProject, storeDigest, tickingClock } from "./export-fixture";
import { makeServer } from "./support/server";

const SOURCE = "me/streamed";

/** What the import did, in order: "turn" for each turn of the event loop it gave, "send" for each batch. */
const steps = vi.hoisted(() => [] as string[]);
vi.mock("../../src/export/next-task", () => ({
  nextTask: async (): Promise<void> => {
    steps.push("turn");
    await new Promise((resolve) => setTimeout(resolve, 0));
  },
}));

/** `bytes` as a stream of `size`-byte chunks. */
function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

async function allLines(bytes: Uint8Array, size: number): Promise<Array<{ no: number; text: string; bytes: string }>> {
  const out: Array<{ no: number; text: string; bytes: string }> = [];
  const decoder = new TextDecoder();
  for await (const batch of gunzipLines(chunked(bytes, size))) for (const line of batch) out.push({ no: line.no, text: line.text, bytes: decoder.decode(line.bytes) });
  return out;
}

describe("gunzipLines", () => {
  // Long lines and multi-byte characters (é, 🎉) straddle the decompressor's chunks.
  const lines = ["first", "é".repeat(70_000), "", `${"🎉".repeat(40_000)} end`, "last, no newline"];
  const text = lines.join("\n");

  it("yields every line once, numbered from 1, with its exact bytes, whatever the chunking", async () => {
    for (const size of [1, 7, 4096, 1 << 20]) {
      const got = await allLines(gzipSync(text), size);
      expect(got.map((l) => l.text)).toEqual(lines);
      expect(got.map((l) => l.no)).toEqual([1, 2, 3, 4, 5]);
      expect(got.map((l) => l.bytes).join("")).toBe(text);
    }
  });

  it("a final newline ends the last line instead of starting an empty one", async () => {
    const got = await allLines(gzipSync(`${text}\n`), 4096);
    expect(got.map((l) => l.text)).toEqual(lines);
    expect(got.at(-1)?.bytes).toBe("last, no newline\n");
  });

  it("text that is not UTF-8 is VALIDATION, once the whole file has been read", async () => {
    const bad = Buffer.concat([Buffer.from("ok\n"), Buffer.from([0xff, 0xfe, 0x0a]), Buffer.from("more\n")]);
    const error = await allLines(gzipSync(bad), 4096).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WeftError);
    expect(error).toMatchObject({ code: "VALIDATION", message: "Not a valid weft bundle: the content is not UTF-8 text." });
  });

  it("feeds the decompressor at most 64 KiB at a time, whatever the source's chunks", async () => {
    // The decompressor inflates each chunk it is given in one go: a Blob's 2 MiB chunks held a
    // page for up to 135 ms each in Chromium.
    const fed: number[] = [];
    const Real = globalThis.DecompressionStream;
    vi.stubGlobal(
      "DecompressionStream",
      class {
        readonly readable: ReadableStream<Uint8Array>;
        readonly writable: WritableStream<Uint8Array>;
        constructor(format: CompressionFormat) {
          const real = new Real(format);
          const spy = new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              fed.push(chunk.byteLength);
              controller.enqueue(chunk);
            },
          });
          void spy.readable.pipeTo(real.writable as WritableStream<Uint8Array>);
          this.writable = spy.writable;
          this.readable = real.readable;
        }
      },
    );
    try {
      // Hex of random bytes compresses about 2:1, so the gzip is ~300 KB, in one 1 MiB chunk.
      const hexLines = Array.from({ length: 1000 }, () => randomBytes(300).toString("hex"));
      const gz = gzipSync(hexLines.join("\n"));
      expect(gz.byteLength).toBeGreaterThan(4 * 64 * 1024);
      expect((await allLines(gz, 1 << 20)).map((l) => l.text)).toEqual(hexLines);
      expect(fed.reduce((a, b) => a + b, 0)).toBe(gz.byteLength);
      expect(Math.max(...fed)).toBeLessThanOrEqual(64 * 1024);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it("hands the consumer at most 64 lines at a time, so its work on them is checked against the clock often", async () => {
    // ~300 short lines inflate from one 64 KiB piece; all of them in one batch held the page too long.
    const many = Array.from({ length: 1000 }, (_, i) => `line ${i}`);
    const sizes: number[] = [];
    const got: string[] = [];
    for await (const batch of gunzipLines(chunked(gzipSync(many.join("\n")), 1 << 20))) {
      sizes.push(batch.length);
      for (const line of batch) got.push(line.text);
    }
    expect(got).toEqual(many);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(64);
    expect(sizes.length).toBeGreaterThanOrEqual(1000 / 64);
  });

  it("data that is not gzip is VALIDATION", async () => {
    await expect(allLines(new TextEncoder().encode("plain text\n"), 4096)).rejects.toMatchObject({ code: "VALIDATION", message: expect.stringContaining("not gzip data") });
  });
});

describe("importBundle streams the calls in pipelined batches", { timeout: 60_000 }, () => {
  let local: LocalTraceServer;
  let target: LocalTraceServer;
  let bundle: Blob;
  beforeEach(async () => {
    local = makeServer({ now: tickingClock() });
    // 23 calls of the fixture plus 300 more, so small batches make many requests.
    await seedProject(local, SOURCE, 300);
    bundle = await exportBundle({ from: local, project: SOURCE });
    target = makeServer();
  });
  afterEach(async () => {
    await local.close();
    await target.close();
  });

  /** `target` with `call_start_batch` watched: requests, how many ran at once, and a failure on request `failAt`. */
  function watched(failAt = 0) {
    const seen = { requests: 0, items: 0, running: 0, most: 0, runningAtEnd: -1 };
    const to = Object.create(target) as LocalTraceServer;
    to.call_start_batch = async (req) => {
      const n = ++seen.requests;
      seen.running++;
      seen.most = Math.max(seen.most, seen.running);
      try {
        // A turn of the event loop, so that a second batch can be sent while this one is stored.
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (n === failAt) throw new WeftError("QUOTA_EXCEEDED", "The browser refused to store more (test).");
        seen.items += req.batch.length;
        return await target.call_start_batch(req);
      } finally {
        seen.running--;
      }
    };
    return { to, seen };
  }

  it("every call once, in batches of the limit, two in flight; the same answers as the source", async () => {
    const { to, seen } = watched();
    const result = await importBundle(bundle, { to, project: "you/streamed", batch: { maxItems: 40 } });
    expect(result.counts.calls).toBe(323);
    // 20 whole calls (start and end) per request of 40 items.
    expect(seen.requests).toBe(Math.ceil(323 / 20));
    // A start and an end per call, but the fixture's running call has no end.
    expect(seen.items).toBe(2 * 323 - 1);
    expect(seen.most).toBe(2);
    await expectSameAnswers(local, SOURCE, target, "you/streamed");
  });

  it("a stream as input is kept compressed for the second pass: the same import as from a Blob", async () => {
    const bytes = new Uint8Array(await bundle.arrayBuffer());
    await importBundle(chunked(bytes, 1000), { to: target, project: "you/from-stream", batch: { maxItems: 64 } });
    await importBundle(bundle, { to: target, project: "you/from-blob" });
    const digest = await storeDigest(target, "you/from-stream");
    expect(digest).toMatchObject({ calls: 323, objects: 6, feedback: 3, costs: 1 });
    expect(await storeDigest(target, "you/from-blob")).toEqual(digest);
  });

  it("a batch the store refuses fails the import with its error, and no batch is still being written", async () => {
    const { to, seen } = watched(3);
    const error = await importBundle(bundle, { to, project: "you/refused", batch: { maxItems: 40 } }).catch((e: unknown) => e);
    seen.runningAtEnd = seen.running;
    expect(error).toMatchObject({ code: "QUOTA_EXCEEDED" });
    expect(seen.runningAtEnd).toBe(0);
    // Batches 1, 2 and 4 (sent while 3 was stored) went through; nothing after.
    expect(seen.requests).toBe(4);
    expect((await target.calls_query_stats({ project_id: "you/refused" })).count).toBe(60);
  });

  it("each batch of calls is rewritten and sent in a task of its own, after a turn of the event loop", async () => {
    // The import runs on the page's main thread: reading lines and then building and copying a batch
    // into its message in one task made tasks of 55–120 ms (10k calls, Chromium).
    const to = Object.create(target) as LocalTraceServer;
    to.call_start_batch = (req) => {
      steps.push("send");
      return target.call_start_batch(req);
    };
    steps.length = 0;
    await importBundle(bundle, { to, project: "you/in-turns", batch: { maxItems: 40 } });
    const sends = steps.flatMap((step, i) => (step === "send" ? [i] : []));
    expect(sends).toHaveLength(Math.ceil(323 / 20));
    for (const i of sends) expect(steps[i - 1]).toBe("turn");
  });

  it("readBundle still returns every record of a checked file", async () => {
    const read = await readBundle(bundle.stream());
    expect(read.fromProject).toBe(SOURCE);
    expect(read.records.filter((r) => r.type === "call")).toHaveLength(323);
    expect(read.records).toHaveLength(3 + 1 + 6 + 323 + 3 + 1);
  });
});
