/**
 * The official `weave` npm package (0.11.1, unmodified) tracing into weft in Node: `weave.init`
 * with env credentials, then its generated trace-server client pointed at `createFetchHandler` over
 * an in-process `LocalTraceServer` via `customFetch` + `baseUrl` (the injection points found in
 * weave-ts-sdk-and-http-api.md §1). `globalThis.fetch` throws during the test, so no request can
 * leave the process. Afterwards weft's own `calls_query` must show what the SDK traced.
 */
import * as weave from "weave";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createFetchHandler, toCustomFetch } from "../../src/http";
import type { MethodName } from "../../src/interface";
import type { CallSchema } from "../../src/schema/calls";
import type { LocalTraceServer } from "../../src/server";
import { makeServer } from "./support/server";

const PROJECT = "sdk-entity/sdk-project";
const ENV = { WANDB_API_KEY: "dummy", WF_TRACE_SERVER_URL: "http://127.0.0.1:9", WEAVE_PRINT_CALL_LINK: "false" };

/** What the SDK needs beyond calls: ops (`/file/create` + `/obj/create`), Datasets (`/table/create` + `/table/query`). */
const NEEDED_FOR_OPS: MethodName[] = ["file_create", "obj_create"];
const NEEDED_FOR_DATASETS: MethodName[] = ["table_create", "table_query", "obj_create", "obj_read"];

describe("the official weave SDK traces into weft through the fetch handler", () => {
  let server: LocalTraceServer;
  let client: weave.WeaveClient;
  const requests: string[] = [];
  const realFetch = globalThis.fetch;
  const savedEnv: Record<string, string | undefined> = {};
  let exitSpy: { mockRestore(): void } | undefined;
  const has = (methods: MethodName[]): boolean => methods.every((m) => (server.implementedMethods as readonly string[]).includes(m));

  beforeAll(async () => {
    server = makeServer();
    for (const [key, value] of Object.entries(ENV)) {
      savedEnv[key] = process.env[key];
      process.env[key] = value;
    }
    globalThis.fetch = (input: string | URL | Request) => {
      throw new Error(`real network request attempted: ${String(input instanceof Request ? input.url : input)}`);
    };
    // After 10 failed batches the SDK calls process.exit(1): turn that into a test failure instead.
    exitSpy = vi.spyOn(process, "exit").mockImplementation((code) => {
      throw new Error(`the weave SDK tried to exit the process (code ${String(code)})`);
    });
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    client = await weave.init(PROJECT);
    const handler = toCustomFetch(createFetchHandler(server));
    client.traceServerApi.baseUrl = "http://weave.local";
    // `customFetch` is private in the SDK's .d.ts but a plain field that every request goes through.
    const api = client.traceServerApi as unknown as { customFetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response> };
    api.customFetch = async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      requests.push(`${init?.method ?? "GET"} ${url.pathname}`);
      return handler(input, init);
    };
  });

  afterAll(async () => {
    globalThis.fetch = realFetch;
    for (const [key, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    exitSpy?.mockRestore();
    vi.restoreAllMocks();
    await server.close();
  });

  /** weft's view of the project, oldest first. */
  async function weftCalls(): Promise<CallSchema[]> {
    return (await server.calls_query({ project_id: PROJECT, sort_by: [{ field: "started_at", direction: "asc" }] })).calls;
  }

  it("nested ops, a failing op and a display name land in weft as the same tree", async () => {
    const add = weave.op(async function add(a: number, b: number) {
      return a + b;
    });
    const outer = weave.op(async function outer(x: number) {
      return await add(x, 1);
    });
    const kaboom = weave.op(async function kaboom() {
      throw new Error("kaboom");
    });
    const named = weave.op(async function named(x: number) {
      return x * 2;
    }, { callDisplayName: () => "initial name" });

    expect(await outer(41)).toBe(42);
    await expect(kaboom()).rejects.toThrow("kaboom");
    const [doubled, call] = await named.invoke(5);
    expect(doubled).toBe(10);
    // Sent at once as /call/update, possibly before the batch carrying the call itself (§2.8 merge).
    await call.setDisplayName("renamed after the fact");
    await client.waitForBatchProcessing();

    const calls = await weftCalls();
    const byOp = (name: string): CallSchema[] => calls.filter((c) => c.op_name.startsWith(`weave:///${PROJECT}/op/${name}:`));
    const [outerCall] = byOp("outer");
    const [addCall] = byOp("add");
    const [failed] = byOp("kaboom");
    const [namedCall] = byOp("named");
    expect(calls).toHaveLength(4);
    expect(outerCall).toMatchObject({ parent_id: null, inputs: { arg0: 41 }, output: 42, exception: null });
    expect(addCall).toMatchObject({ parent_id: outerCall!.id, trace_id: outerCall!.trace_id, inputs: { arg0: 41, arg1: 1 }, output: 42 });
    expect(outerCall!.summary).toMatchObject({ weave: { status: "success", trace_name: "outer" } });
    expect(failed).toMatchObject({ exception: "kaboom", output: null, summary: { weave: { status: "error" } } });
    expect(namedCall).toMatchObject({ display_name: "renamed after the fact", output: 10 });
    expect(outerCall!.attributes).toMatchObject({ weave: { source: "js-sdk" } });
    expect(requests).toContain("POST /call/upsert_batch");
    expect(requests).toContain("POST /call/update");
  });

  it("saves each op as a file (its source) and an Op object", async (ctx) => {
    if (!has([...NEEDED_FOR_OPS, "objs_query", "file_content_read"])) ctx.skip();
    const { objs } = await server.objs_query({ project_id: PROJECT, filter: { is_op: true } });
    expect(objs.map((o) => o.object_id).sort()).toEqual(["add", "kaboom", "named", "outer"]);
    const addOp = objs.find((o) => o.object_id === "add")!;
    expect(addOp.val).toMatchObject({ _type: "CustomWeaveType", weave_type: { type: "Op" } });
    const digest = (addOp.val as { files: Record<string, string> }).files["obj.py"]!;
    const { content } = await server.file_content_read({ project_id: PROJECT, digest });
    expect(new TextDecoder().decode(content)).toContain("return a + b");
    // The op ref in op_name is the digest obj_create answered.
    const calls = await weftCalls();
    expect(calls.some((c) => c.op_name === `weave:///${PROJECT}/op/add:${addOp.digest}`)).toBe(true);
    expect(requests).toContain("POST /file/create");
  });

  it("publishes a Dataset: a table with its rows in order and a Dataset object pointing at it", async (ctx) => {
    if (!has(NEEDED_FOR_DATASETS)) ctx.skip();
    const dataset = new weave.Dataset({ name: "my dataset", rows: [{ q: "one", a: 1 }, { q: "two", a: 2 }] });
    const ref = await dataset.save();
    expect(ref.uri()).toMatch(new RegExp(`^weave:///${PROJECT}/object/my-dataset:`));
    const { obj } = await server.obj_read({ project_id: PROJECT, object_id: "my-dataset", digest: ref.digest });
    expect(obj).toMatchObject({ base_object_class: "Dataset", val: { _type: "Dataset", name: "my dataset" } });
    const tableRef = (obj.val as { rows: string }).rows;
    expect(tableRef).toMatch(new RegExp(`^weave:///${PROJECT}/table/`));
    const { rows } = await server.table_query({ project_id: PROJECT, digest: tableRef.split("/table/")[1]! });
    expect(rows.map((r) => r.val)).toEqual([{ q: "one", a: 1 }, { q: "two", a: 2 }]);
    // The SDK takes row i's ref from rows[i].digest of its own /table/query.
    const row = dataset.getRow(1) as unknown as { __savedRef: Promise<{ uri(): string }> };
    expect((await row.__savedRef).uri()).toContain(`/attr/rows/id/${rows[1]!.digest}`);
  });

  it("getCalls reads weft's JSONL stream: the same calls, inputs, outputs and statuses", async () => {
    const sdkCalls = await client.getCalls({ trace_roots_only: true });
    expect(requests).toContain("POST /calls/stream_query");
    const roots = (await weftCalls()).filter((c) => c.parent_id === null);
    expect(sdkCalls.map((c) => c.id).sort()).toEqual(roots.map((c) => c.id).sort());
    const failed = sdkCalls.find((c) => c.exception === "kaboom");
    expect(failed?.summary).toMatchObject({ weave: { status: "error" } });
    const outer = sdkCalls.find((c) => c.op_name.includes("/op/outer:"));
    expect(outer).toMatchObject({ inputs: { arg0: 41 }, output: 42 });
    const child = await client.getCall((await weftCalls()).find((c) => c.op_name.includes("/op/add:"))!.id);
    expect(child.parent_id).toBe(outer!.id);
  });
});
