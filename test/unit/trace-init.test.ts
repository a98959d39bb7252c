/**
 * `init` and the module-level default: project naming, what it refuses, the `worker` shortcut,
 * and the default-tracer functions before any `init` (a fresh copy of the module).
 */
import type { Endpoint } from "comlink";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { describe, expect, it, vi } from "vitest";
import { exposeLocalTraceServer } from "../../src/worker/index";
import type { TracerClient } from "../../src/trace/index";

const noClient: TracerClient = {
  call_start: () => Promise.resolve({ id: "", trace_id: "" }),
  call_end: () => Promise.resolve({}),
  obj_create: () => Promise.resolve({ digest: "d" }),
  table_create: () => Promise.resolve({ digest: "t", row_digests: [] }),
  flush: () => Promise.resolve(),
};

async function freshModule() {
  vi.resetModules();
  return import("../../src/trace/index");
}

describe("init", () => {
  it("takes entity/project, or a bare project under the `local` entity", async () => {
    const { init, getTracer } = await freshModule();
    expect(init({ project: "team/app", client: noClient }).projectId).toBe("team/app");
    const bare = init({ project: "app", client: noClient });
    expect(bare.projectId).toBe("local/app");
    expect(getTracer()).toBe(bare);
    expect(init({ project: "other", client: noClient, setDefault: false })).not.toBe(getTracer());
  });

  it("refuses bad projects and a missing client", async () => {
    const { init } = await freshModule();
    for (const project of ["a/b/c", "a b", "/x", ""]) {
      // (A fresh module copy has its own WeftError class, hence the message check.)
      expect(() => init({ project, client: noClient })).toThrow(/must be "entity\/project" or "project"/);
    }
    expect(() => init({ project: "a/b" })).toThrow(/needs a client/);
    init({ project: "a/b", client: noClient });
    // Later tracers may reuse the default tracer's client.
    expect(init({ project: "a/c" }).client).toBe(noClient);
  });

  it("refuses a propagation mode the engine lacks", async () => {
    const { init } = await freshModule();
    expect(() => init({ project: "a/b", client: noClient, propagation: "async-context" })).toThrow(/AsyncContext/);
  });

  it("creates the client itself from a worker endpoint", async () => {
    const { init, op } = await freshModule();
    const { port1, port2 } = new MessageChannel();
    exposeLocalTraceServer({ endpoint: port1 as unknown as Endpoint, dbName: "init-worker", indexedDB: new IDBFactory(), IDBKeyRange });
    const tracer = init({ project: "a/w", worker: port2 as unknown as Worker });
    op(() => 1, { name: "viaWorker" })();
    await tracer.flush();
    const client = tracer.client as unknown as { calls_query(req: unknown): Promise<{ calls: Array<{ op_name: string }> }>; close(): Promise<void> };
    expect((await client.calls_query({ project_id: "a/w" })).calls.map((c) => c.op_name)).toEqual(["viaWorker"]);
    await client.close();
    port1.close();
  });

  it("publish and flush before init: a VALIDATION error and a no-op", async () => {
    const { publish, flush } = await freshModule();
    await expect(publish({ a: 1 }, "x")).rejects.toMatchObject({ code: "VALIDATION" });
    await expect(flush()).resolves.toBeUndefined();
  });

  it("uses the native AsyncContext when the engine has one", async () => {
    const { AsyncLocalStorage } = await import("node:async_hooks");
    // A stand-in with the proposal's Variable API, to check detection and use.
    class Variable {
      private readonly als = new AsyncLocalStorage<unknown>();
      get(): unknown {
        return this.als.getStore();
      }
      run<T>(value: unknown, fn: () => T): T {
        return this.als.run(value, fn);
      }
    }
    (globalThis as { AsyncContext?: unknown }).AsyncContext = { Variable };
    try {
      const { init, op, getPropagation, getCurrentCall } = await freshModule();
      init({ project: "a/b", client: noClient });
      expect(getPropagation()).toBe("async-context");
      const inner = op(() => getCurrentCall()?.parentId, { name: "inner" });
      const outer = op(async () => {
        await new Promise((r) => setTimeout(r, 1));
        return [getCurrentCall()?.id, inner()];
      }, { name: "outer" });
      const [outerId, innerParent] = await outer();
      expect(innerParent).toBe(outerId);
    } finally {
      delete (globalThis as { AsyncContext?: unknown }).AsyncContext;
    }
  });
});
