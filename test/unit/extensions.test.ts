/**
 * weft's own operations (the extension table, `src/extensions.ts`) through a real client over a Node
 * `MessageChannel`: `exposeLocalTraceServer` with fake-indexeddb on one port, `createClient` on the
 * other, as in `client.test.ts`.
 */
import { expose, wrap } from "comlink";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { afterEach, describe, expect, it } from "vitest";
import { createClient, type WeftClient } from "../../src/client";
import { EXTENSION_NAMES, EXTENSIONS } from "../../src/extensions";
import { installErrorTransfer } from "../../src/transport/error-transfer";
import { PROTOCOL_VERSION, type WorkerApi } from "../../src/transport/protocol";
import { exposeLocalTraceServer } from "../../src/worker";
import { at } from "./support/server";
import { caught } from "./support/fixtures";

const P = "shawn/ext-test";
const KEY = "sk-secret-0123456789";
const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
});

function setup() {
  const { port1, port2 } = new MessageChannel();
  const server = exposeLocalTraceServer({ endpoint: port1, dbName: "ext-test", indexedDB: new IDBFactory(), IDBKeyRange });
  const client = createClient({ worker: port2 });
  open.push(client);
  return { client, server };
}

/** Two traces: one whose root started at at(0), one at at(2h); a note on each root. */
async function trace(client: WeftClient, project = P): Promise<void> {
  for (const [id, ms] of [["old", 0], ["new", 7_200_000]] as const) {
    void client.call_start({ start: { project_id: project, id, trace_id: `t-${id}`, op_name: "op", started_at: at(ms), attributes: {}, inputs: { id } } });
    void client.call_end({ end: { project_id: project, id, ended_at: at(ms + 1), summary: {}, output: id } });
  }
  await client.flush();
  for (const id of ["old", "new"]) {
    await client.feedback_create({ project_id: project, weave_ref: `weave:///${project}/call/${id}`, feedback_type: "wandb.note.1", payload: { note: id } });
  }
}

describe("the extension table", () => {
  it("is served whole by the server and the client, outside Weave's method names", () => {
    const { client, server } = setup();
    for (const name of EXTENSION_NAMES) {
      expect(typeof (client as unknown as Record<string, unknown>)[name]).toBe("function");
      expect(typeof (server as unknown as Record<string, unknown>)[name]).toBe("function");
      expect(server.implementedMethods as readonly string[]).not.toContain(name);
    }
    expect(Object.keys(EXTENSIONS)).toEqual(["setProvider", "removeProvider", "listProviders", "purge", "deleteProject", "storageInfo"]);
  });
});

describe("providers", () => {
  it("sets, lists and removes providers; no key ever comes back", async () => {
    const { client } = setup();
    const info = await client.setProvider({
      provider: { name: "stub", baseUrl: "http://127.0.0.1:9/v1/", apiKey: KEY, headers: { "x-org": KEY }, models: ["m-1"] },
      default: true,
    });
    expect(info).toEqual({ name: "stub", baseUrl: "http://127.0.0.1:9/v1", hasKey: true, headerNames: ["x-org"], models: ["m-1"], persisted: false, isDefault: true });
    await client.setProvider({ provider: { name: "other", baseUrl: "https://example.com/v1" }, persist: true });
    const listed = await client.listProviders();
    expect(listed.providers.map((p) => [p.name, p.hasKey, p.persisted])).toEqual([
      ["stub", true, false],
      ["other", false, true],
    ]);
    expect(JSON.stringify([info, listed])).not.toContain(KEY);
    expect(await client.removeProvider({ name: "stub" })).toEqual({ removed: true });
    expect(await client.removeProvider({ name: "stub" })).toEqual({ removed: false });
    expect((await client.listProviders({})).providers.map((p) => p.name)).toEqual(["other"]);
  });

  it("rejects a bad provider with VALIDATION naming each field", async () => {
    const { client } = setup();
    const error = await caught(client.setProvider({ provider: { name: "a/b", baseUrl: "ftp://example.com" } }));
    expect(error.code).toBe("VALIDATION");
    expect(error.details?.issues?.map((i) => i.path)).toEqual(["provider.name", "provider.baseUrl"]);
    expect(error.message).toMatch(/^Invalid setProvider request: provider\.name: /);
  });
});

describe("retention through the client", () => {
  it("purges old traces and their feedback; olderThan may be a Date", async () => {
    const { client } = setup();
    await trace(client);
    const res = await client.purge({ project: P, olderThan: new Date(at(3_600_000)) });
    expect(res).toEqual({ traces_deleted: 1, calls_deleted: 1, feedback_deleted: 1, objects_deleted: 0, tables_deleted: 0, rows_deleted: 0, files_deleted: 0 });
    expect((await client.calls_query({ project_id: P })).calls.map((c) => c.id)).toEqual(["new"]);
    expect((await client.feedback_query({ project_id: P })).result.map((f) => f["weave_ref"])).toEqual([`weave:///${P}/call/new`]);
  });

  it("deletes one project and reports what went", async () => {
    const { client } = setup();
    await trace(client);
    await trace(client, "shawn/other");
    expect(await client.deleteProject({ project: P })).toEqual({
      calls_deleted: 2,
      feedback_deleted: 2,
      objects_deleted: 0,
      tables_deleted: 0,
      rows_deleted: 0,
      files_deleted: 0,
      costs_deleted: 0,
    });
    expect((await client.calls_query({ project_id: P })).calls).toEqual([]);
    expect((await client.calls_query({ project_id: "shawn/other" })).calls).toHaveLength(2);
  });

  it("rejects bad retention requests with VALIDATION naming the field", async () => {
    const { client } = setup();
    const noProject = await caught(client.purge({ project: "no-slash", olderThan: at(0) }));
    expect(noProject).toMatchObject({ code: "VALIDATION", details: { issues: [{ path: "project" }] } });
    const badTime = await caught(client.purge({ project: P, olderThan: "yesterday" }));
    expect(badTime.details?.issues?.map((i) => i.path)).toEqual(["olderThan"]);
    const missing = await caught(client.deleteProject({} as never));
    expect(missing.details?.issues?.map((i) => i.path)).toEqual(["project"]);
    const extra = await caught(client.purge({ project: P, olderThan: at(0), older_than: at(0) } as never));
    expect(extra.message).toMatch(/older_than/);
  });
});

describe("storage", () => {
  it("storageInfo answers nulls where the realm has no StorageManager (Node)", async () => {
    const { client } = setup();
    expect(await client.storageInfo()).toEqual({ usage: null, quota: null, persisted: null });
  });

  it("requestPersistentStorage is false without a document's StorageManager", async () => {
    const { client } = setup();
    expect(await client.requestPersistentStorage()).toBe(false);
  });
});

describe("the worker's extension entry", () => {
  it("refuses an unknown extension name", async () => {
    installErrorTransfer();
    const { port1, port2 } = new MessageChannel();
    exposeLocalTraceServer({ endpoint: port1, dbName: "ext-raw", indexedDB: new IDBFactory(), IDBKeyRange });
    const api = wrap<WorkerApi>(port2);
    const error = await caught(api.extension("toString", {}));
    expect(error).toMatchObject({ code: "VALIDATION", details: { extension: "toString" } });
    expect((await api.hello()).extensions).toEqual(EXTENSION_NAMES);
    await api.close();
    port2.close();
  });

  it("a worker from before the extension table gets a clear VALIDATION from the client", async () => {
    installErrorTransfer();
    const { port1, port2 } = new MessageChannel();
    expose({ hello: async () => ({ protocol: PROTOCOL_VERSION, dbName: "x", implementedMethods: [] }), ping: async () => "pong" }, port1);
    const client = createClient({ worker: port2 });
    open.push(client);
    const error = await caught(client.storageInfo());
    expect(error).toMatchObject({ code: "VALIDATION", details: { extension: "storageInfo", implemented: false } });
  });
});
