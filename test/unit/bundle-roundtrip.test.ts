/**
 * Bundles in Node: `exportBundle` writes a gzip'd JSONL file (header, records in dependency order,
 * trailer with counts and sha256); `importBundle` reads it into another store, under another project
 * name, after which that store answers like the source (refs resolving to the same values); under
 * the same name the digests are the same too. Importing twice changes nothing.
 */
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { exportBundle, importBundle, type ExportProgress } from "../../src/export";
import type { LocalTraceServer } from "../../src/server";
import { expectSameAnswers, seedProject, storeDigest, tickingClock } from "./export-fixture";
import { makeServer } from "./support/server";

const SOURCE = "me/bundled";

let local: LocalTraceServer;
let target: LocalTraceServer;

beforeEach(async () => {
  local = makeServer({ now: tickingClock() });
  await seedProject(local, SOURCE);
  target = makeServer();
});
afterEach(async () => {
  await local.close();
  await target.close();
});

const lines = async (blob: Blob): Promise<Array<Record<string, unknown>>> =>
  gunzipSync(Buffer.from(await blob.arrayBuffer()))
    .toString("utf8")
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe("bundle round trip", { timeout: 30_000 }, () => {
  it("writes one gzip'd JSONL file: header, records in dependency order, trailer with counts and sha256", async () => {
    const blob = await exportBundle({ from: local, project: SOURCE });
    const bytes = new Uint8Array(await blob.arrayBuffer());
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    const records = await lines(blob);
    const counts = { files: 3, tables: 1, objects: 6, calls: 23, feedback: 3, costs: 1 };
    expect(records[0]).toMatchObject({ type: "header", format: "weft-bundle", version: 1, project: SOURCE, counts });
    expect(records.at(-1)).toMatchObject({ type: "trailer", counts });
    const types = records.map((r) => r.type as string);
    // Files, then the table/objects interleaved as dependencies demand, then calls, feedback, prices.
    expect(types.slice(1, 4)).toEqual(["file", "file", "file"]);
    expect(types.indexOf("table")).toBeGreaterThan(types.indexOf("object"));
    expect(types.slice(11, 34).every((t) => t === "call")).toBe(true);
    expect(types.slice(34, 38)).toEqual(["feedback", "feedback", "feedback", "cost"]);
    const text = gunzipSync(Buffer.from(bytes)).toString("utf8");
    const body = text.slice(0, text.trimEnd().lastIndexOf("\n") + 1);
    expect(records.at(-1)?.sha256).toBe(createHash("sha256").update(body).digest("hex"));
    // Derived summary fields are not stored: the importing server derives them again.
    const call = records.find((r) => r.type === "call") as { call: { summary: Record<string, unknown> } };
    expect(call.call.summary.weave).toBeUndefined();
  });

  it("imports into another store under another project: same answers, refs resolve to the same values", async () => {
    const blob = await exportBundle({ from: local, project: SOURCE });
    const result = await importBundle(blob, { to: target, project: "you/imported" });
    expect(result).toEqual({ fromProject: SOURCE, project: "you/imported", counts: { files: 3, tables: 1, objects: 6, calls: 23, feedback: 3, costs: 1 } });
    await expectSameAnswers(local, SOURCE, target, "you/imported");
  });

  it("under the same project name the digests are the same as in the source", async () => {
    await importBundle(await exportBundle({ from: local, project: SOURCE }), { to: target, project: SOURCE });
    const digests = async (s: LocalTraceServer) => (await s.objs_query({ project_id: SOURCE })).objs.map((o) => `${o.object_id}:${o.digest}`).sort();
    expect(await digests(target)).toEqual(await digests(local));
    const a = await local.calls_query({ project_id: SOURCE, sort_by: [{ field: "id", direction: "asc" }] });
    const b = await target.calls_query({ project_id: SOURCE, sort_by: [{ field: "id", direction: "asc" }] });
    expect(b.calls).toEqual(a.calls);
  });

  it("importing the same bundle twice changes nothing; a ReadableStream works as input", async () => {
    const blob = await exportBundle({ from: local, project: SOURCE });
    await importBundle(blob, { to: target, project: "you/twice" });
    const once = await storeDigest(target, "you/twice");
    await importBundle(blob.stream(), { to: target, project: "you/twice" });
    expect(await storeDigest(target, "you/twice")).toEqual(once);
    expect(once).toMatchObject({ calls: 23, objects: 6, feedback: 3, costs: 1 });
  });

  it("a bundle of selected calls holds them and what they need; progress ends complete", async () => {
    const events: ExportProgress[] = [];
    const blob = await exportBundle({ from: local, project: SOURCE, filter: { trace_ids: ["trace-0"] }, onProgress: (e) => events.push(e) });
    expect((await lines(blob))[0]).toMatchObject({ counts: { files: 3, tables: 1, objects: 4, calls: 7, feedback: 1, costs: 1 } });
    expect(events.at(-1)?.overall).toMatchObject({ done: 17, total: 17 });
    const imported: ExportProgress[] = [];
    await importBundle(blob, { to: target, project: "you/part", onProgress: (e) => imported.push(e) });
    expect(imported.at(-1)?.overall).toMatchObject({ done: 17, total: 17 });
    expect((await target.calls_query_stats({ project_id: "you/part" })).count).toBe(7);
  });

  it("an aborted import is ABORTED", async () => {
    const blob = await exportBundle({ from: local, project: SOURCE });
    const controller = new AbortController();
    controller.abort();
    await expect(importBundle(blob, { to: target, project: "you/stopped", signal: controller.signal })).rejects.toMatchObject({ code: "ABORTED" });
  });
});
