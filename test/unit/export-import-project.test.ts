/**
 * `importProject`: pulling a project from a Weave server (weft's fetch handler on 127.0.0.1, reached
 * with `createRemoteTraceServer`) into a local store for offline viewing: everything, or only the
 * calls a query selects with what they need; twice without change; a refused key explained.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { importProject } from "../../src/export";
import { createRemoteTraceServer, type RemoteTraceServer } from "../../src/http";
import type { LocalTraceServer } from "../../src/server";
import { expectSameAnswers, seedProject, startReceiver, storeDigest, tickingClock, type Receiver } from "./export-fixture";
import { makeServer } from "./support/server";

const REMOTE = "team/online";
const LOCAL = "me/offline";

let server: Receiver;
let remote: RemoteTraceServer;
let local: LocalTraceServer;

beforeEach(async () => {
  server = await startReceiver();
  // The receiving store plays the Weave server here; its clock decides version order.
  await seedProject(server.store, REMOTE);
  remote = createRemoteTraceServer({ baseUrl: server.url, apiKey: "k", sleep: async () => undefined });
  local = makeServer({ now: tickingClock() });
});
afterEach(async () => {
  await server.close();
  await local.close();
});

describe("importProject from a Weave server", { timeout: 30_000 }, () => {
  it("pulls every call, object, table, file, feedback row and price; the local store answers the same", async () => {
    const result = await importProject({ from: remote, to: local, project: REMOTE, toProject: LOCAL });
    expect(result.sent).toEqual({ files: 3, tables: 1, objects: 6, calls: 23, feedback: 3, costs: 1 });
    await expectSameAnswers(server.store, REMOTE, local, LOCAL);
    // Reads only: the server was never written to.
    expect(server.seen.map((s) => s.path).filter((p) => !["/calls/stream_query", "/objs/query", "/obj/read", "/table/query", "/file/content", "/feedback/query", "/cost/query"].includes(p))).toEqual([]);
  });

  it("pulls only the calls a query selects, and what they refer to", async () => {
    const query = { $expr: { $eq: [{ $getField: "op_name" }, { $literal: "evaluate" }] } } as const;
    const result = await importProject({ from: remote, to: local, project: REMOTE, toProject: LOCAL, query });
    expect(result.sent).toMatchObject({ calls: 3, objects: 4, tables: 1, feedback: 2 });
    const ids = (await local.calls_query({ project_id: LOCAL })).calls.map((c) => c.id).sort();
    expect(ids).toEqual(["root-0", "root-1", "root-2"]);
    const objects = (await local.objs_query({ project_id: LOCAL })).objs.map((o) => o.object_id).sort();
    expect(objects).toEqual(["ds", "model", "predict", "rating"]);
  });

  it("importing again changes nothing", async () => {
    await importProject({ from: remote, to: local, project: REMOTE });
    const once = await storeDigest(local, REMOTE);
    await importProject({ from: remote, to: local, project: REMOTE });
    expect(await storeDigest(local, REMOTE)).toEqual(once);
  });

  it("a refused key is UNAUTHORIZED with advice", async () => {
    server.hook = (_n, _req, res) => {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ reason: "bad key" }));
    };
    await expect(importProject({ from: remote, to: local, project: REMOTE })).rejects.toMatchObject({ code: "UNAUTHORIZED", message: expect.stringContaining("Check the API key") });
  });
});
