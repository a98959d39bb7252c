/**
 * Bad bundles are refused with VALIDATION before anything is written: flipped bytes, a file cut
 * short (mid-gzip, or re-compressed without its trailer), a record dropped or edited (checksum),
 * counts that do not add up, a record of the wrong shape, another version, a random gzip'd JSONL
 * file, a file that is not gzip at all, an empty file. The target store is compared before and
 * after (every count it answers, in the target project and in the bundle's own project).
 */
import { createHash } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WeftError } from "../../src/errors";
import { exportBundle, importBundle } from "../../src/export";
import type { LocalTraceServer } from "../../src/server";
import { seedProject, storeDigest, tickingClock } from "./export-fixture";
import { makeServer } from "./support/server";

const SOURCE = "me/bundled";
const TARGET = "you/target";

let target: LocalTraceServer;
let good: Uint8Array;
let lines: string[];

beforeAll(async () => {
  const local = makeServer({ now: tickingClock() });
  await seedProject(local, SOURCE);
  good = new Uint8Array(await (await exportBundle({ from: local, project: SOURCE })).arrayBuffer());
  await local.close();
  lines = gunzipSync(good).toString("utf8").trimEnd().split("\n");
  target = makeServer();
  // Some data already there, which a refused import must leave alone.
  await target.call_start_batch({ batch: [{ mode: "start", req: { start: { project_id: TARGET, id: "pre", trace_id: "t", op_name: "op", started_at: "2025-01-01T00:00:00Z", attributes: {}, inputs: {} } } }] });
});
afterAll(async () => {
  await target.close();
});

/** Re-assembles lines into a gzip'd bundle, with the trailer's checksum recomputed unless `keepSha`. */
function rebuild(body: string[], options: { keepSha?: boolean; trailer?: (t: Record<string, unknown>) => void } = {}): Uint8Array {
  const head = body.slice(0, -1).map((l) => `${l}\n`).join("");
  const trailer = JSON.parse(body.at(-1) as string) as Record<string, unknown>;
  if (!options.keepSha) trailer.sha256 = createHash("sha256").update(head).digest("hex");
  options.trailer?.(trailer);
  return gzipSync(`${head}${JSON.stringify(trailer)}\n`);
}

/** Imports `bytes`, expects VALIDATION matching `message`, and that the target did not change. */
async function refused(bytes: Uint8Array, message: RegExp): Promise<void> {
  const before = [await storeDigest(target, TARGET), await storeDigest(target, SOURCE)];
  const error = await importBundle(new Blob([new Uint8Array(bytes)]), { to: target, project: TARGET }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WeftError);
  expect(error).toMatchObject({ code: "VALIDATION", message: expect.stringMatching(/^Not a valid weft bundle: /) });
  expect((error as WeftError).message).toMatch(message);
  expect([await storeDigest(target, TARGET), await storeDigest(target, SOURCE)]).toEqual(before);
  expect(before[0]).toMatchObject({ calls: 1, objects: 0 });
}

describe("importBundle refuses bad files and writes nothing", { timeout: 30_000 }, () => {
  it("flipped bytes in the compressed data", async () => {
    const bad = good.slice();
    for (const at of [Math.floor(bad.length / 2), Math.floor(bad.length / 2) + 7]) bad[at] = (bad[at] as number) ^ 0xff;
    await refused(bad, /not gzip data, or it is damaged|checksum|not JSON|not UTF-8/);
  });

  it("a file cut short in the middle of the gzip stream", async () => {
    await refused(good.slice(0, Math.floor(good.length * 0.6)), /damaged or cut short/);
  });

  it("a file cut short at a line and re-compressed: no trailer", async () => {
    await refused(gzipSync(lines.slice(0, 20).join("\n") + "\n"), /trailer is missing: the file was cut short/);
  });

  it("a record dropped, trailer kept: the checksum does not match", async () => {
    await refused(rebuild([...lines.slice(0, 12), ...lines.slice(13)], { keepSha: true }), /checksum does not match/);
  });

  it("a record edited, trailer kept: the checksum does not match", async () => {
    const edited = lines.map((l, i) => (i === 15 ? l.replace('"output"', '"outpuT"') : l));
    await refused(rebuild(edited, { keepSha: true }), /checksum does not match/);
  });

  it("a record dropped with a recomputed checksum: the counts do not add up", async () => {
    await refused(rebuild([...lines.slice(0, 12), ...lines.slice(13)]), /holds 22 calls records, but its header says 23 and its trailer 23/);
  });

  it("a record of the wrong shape (checksum and counts fine)", async () => {
    const edited = lines.map((l, i) => (i === 1 ? JSON.stringify({ ...(JSON.parse(l) as object), content: "not base64!" }) : l));
    await refused(rebuild(edited), /line 2 is not a valid record \(content: /);
  });

  it("a bundle of another version", async () => {
    const edited = lines.map((l, i) => (i === 0 ? JSON.stringify({ ...(JSON.parse(l) as object), version: 2 }) : l));
    await refused(rebuild(edited), /bundle version 2 is not supported; this weft reads version 1/);
  });

  it("a random gzip'd JSONL file", async () => {
    const jsonl = Array.from({ length: 50 }, (_, i) => JSON.stringify({ id: i, text: Math.random().toString(36) })).join("\n");
    await refused(gzipSync(jsonl), /first line is not a "weft-bundle" header/);
  });

  it("a file that is not gzip at all (plain JSONL, the right lines)", async () => {
    await refused(new TextEncoder().encode(lines.join("\n")), /not gzip data/);
  });

  it("an empty file, and a gzip'd empty file", async () => {
    await refused(new Uint8Array(), /not gzip data|empty/);
    await refused(gzipSync(""), /the file is empty/);
  });

  it("a bad target project id is VALIDATION before the file is read", async () => {
    await expect(importBundle(new Blob([new Uint8Array(good)]), { to: target, project: "nope" })).rejects.toMatchObject({ code: "VALIDATION", message: expect.stringContaining("project") });
  });

  it("after all that, the good bundle still imports", async () => {
    const result = await importBundle(new Blob([new Uint8Array(good)]), { to: target, project: TARGET });
    expect(result.counts.calls).toBe(23);
    expect(await storeDigest(target, TARGET)).toMatchObject({ calls: 24, objects: 6, feedback: 3, costs: 1 });
  });
});
