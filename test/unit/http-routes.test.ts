/**
 * Weave's HTTP API served by `createFetchHandler` (weave-semantics.md §13, §0.5): every route of the
 * table against a real `LocalTraceServer` on fake-indexeddb (200 and the right content type for the
 * methods it implements, 501 for the others), JSONL streaming, multipart `/file/create`, the HTTP
 * layer's own errors, and every `WeftError` code's status and body. Behaviours the server cannot be
 * made to show (a stream that waits, an error of each code) use tiny hand-written servers.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ERROR_STATUS, WeftError, type WeftErrorCode } from "../../src/errors";
import { createFetchHandler, toCustomFetch, type FetchHandler } from "../../src/http";
import { METHOD_ROUTES, POST_ROUTES } from "../../src/http/route-table";
import { METHOD_NAMES, METHODS, type MethodName, type TraceServerInterface } from "../../src/interface";
import type { LocalTraceServer } from "../../src/server";
import { CallLog } from "./support/fixtures";
import { makeServer, PROJECT } from "./support/server";

const BASE = "http://weft.test";
const OP_VAL = { _type: "CustomWeaveType", weave_type: { type: "Op" }, files: { "obj.py": "opSourceDigest" }, load_op: "NO_LOAD_OP" };
const FILE_BYTES = new Uint8Array([0, 1, 2, 250, 255, 10, 13]);

function post(handler: FetchHandler, path: string, body: unknown, headers: Record<string, string> = { "content-type": "application/json" }): Promise<Response> {
  return handler(new Request(`${BASE}${path}`, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) }));
}

function fileForm(fields: { project_id?: string; expected_digest?: string; file?: Blob; filename?: string }): FormData {
  const form = new FormData();
  if (fields.project_id !== undefined) form.append("project_id", fields.project_id);
  if (fields.expected_digest !== undefined) form.append("expected_digest", fields.expected_digest);
  if (fields.file) form.append("file", fields.file, fields.filename ?? "blob");
  return form;
}

function postForm(handler: FetchHandler, path: string, form: FormData): Promise<Response> {
  return handler(new Request(`${BASE}${path}`, { method: "POST", body: form }));
}

function jsonlLines(text: string): unknown[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as unknown);
}

/** Digests and ids the samples refer to, filled in by the setup. */
interface Made {
  objDigest: string;
  opDigest: string;
  tableDigest: string;
  rowDigests: string[];
  fileDigest: string;
  feedbackId: string;
}

/** A valid request for each method, shaped as Weave's clients send it (JSON, ISO datetimes). */
const SAMPLES: Partial<Record<MethodName, (m: Made) => unknown>> = {
  call_start: () => ({ start: { project_id: PROJECT, id: "http-start", op_name: "op", started_at: "2025-01-01T00:00:00Z", attributes: {}, inputs: { x: 1 } } }),
  call_end: () => ({ end: { project_id: PROJECT, id: "http-start", ended_at: "2025-01-01T00:00:01.5Z", output: 2, summary: {} } }),
  call_start_batch: () => ({
    batch: [{ mode: "start", req: { start: { project_id: PROJECT, id: "http-batch", op_name: "op", started_at: "2025-01-01T00:00:00Z", attributes: {}, inputs: {} } } }],
  }),
  call_read: () => ({ project_id: PROJECT, id: "c1" }),
  calls_query: () => ({ project_id: PROJECT, limit: 5 }),
  calls_query_stream: () => ({ project_id: PROJECT, filter: { trace_roots_only: true } }),
  calls_query_stats: () => ({ project_id: PROJECT }),
  calls_delete: () => ({ project_id: PROJECT, call_ids: ["doomed-call"] }),
  call_update: () => ({ project_id: PROJECT, call_id: "c1", display_name: "renamed" }),
  obj_create: () => ({ obj: { project_id: PROJECT, object_id: "http_obj", val: { n: 1 } } }),
  obj_read: (m) => ({ project_id: PROJECT, object_id: "thing", digest: m.objDigest }),
  objs_query: () => ({ project_id: PROJECT, filter: { latest_only: true } }),
  obj_delete: () => ({ project_id: PROJECT, object_id: "doomed" }),
  op_create: () => ({ op_obj: { project_id: PROJECT, object_id: "http_op", val: OP_VAL } }),
  op_read: (m) => ({ project_id: PROJECT, name: "my_op", digest: m.opDigest }),
  ops_query: () => ({ project_id: PROJECT }),
  table_create: () => ({ table: { project_id: PROJECT, rows: [{ a: 1 }, { a: 2 }] } }),
  table_create_from_digests: (m) => ({ project_id: PROJECT, row_digests: m.rowDigests }),
  table_update: (m) => ({ project_id: PROJECT, base_digest: m.tableDigest, updates: [{ append: { row: { a: 9 } } }] }),
  table_query: (m) => ({ project_id: PROJECT, digest: m.tableDigest }),
  table_query_stream: (m) => ({ project_id: PROJECT, digest: m.tableDigest }),
  table_query_stats: (m) => ({ project_id: PROJECT, digest: m.tableDigest }),
  table_query_stats_batch: (m) => ({ project_id: PROJECT, digests: [m.tableDigest] }),
  refs_read_batch: (m) => ({ refs: [`weave:///${PROJECT}/object/thing:${m.objDigest}`] }),
  file_create: () => fileForm({ project_id: PROJECT, file: new Blob([FILE_BYTES]), filename: "data.bin" }),
  file_content_read: (m) => ({ project_id: PROJECT, digest: m.fileDigest }),
  files_stats: () => ({ project_id: PROJECT }),
  feedback_create: () => ({ project_id: PROJECT, weave_ref: `weave:///${PROJECT}/call/c1`, feedback_type: "custom", payload: { score: 1 } }),
  feedback_create_batch: () => ({ batch: [{ project_id: PROJECT, weave_ref: `weave:///${PROJECT}/call/c1`, feedback_type: "custom", payload: {} }] }),
  feedback_query: () => ({ project_id: PROJECT }),
  feedback_replace: (m) => ({
    project_id: PROJECT,
    feedback_id: m.feedbackId,
    weave_ref: `weave:///${PROJECT}/call/c1`,
    feedback_type: "custom",
    payload: { score: 2 },
  }),
  feedback_purge: () => ({ project_id: PROJECT, query: { $expr: { $eq: [{ $getField: "id" }, { $literal: "none" }] } } }),
  cost_create: () => ({ project_id: PROJECT, costs: { "my-model": { prompt_token_cost: 1, completion_token_cost: 2 } } }),
  cost_query: () => ({ project_id: PROJECT }),
  cost_purge: () => ({ project_id: PROJECT, query: { $expr: { $eq: [{ $getField: "id" }, { $literal: "none" }] } } }),
};

describe("the route table", () => {
  it("has POST <path> and every alias for each method with a Weave path, and nothing for ensure_project_exists", () => {
    for (const name of METHOD_NAMES) {
      const spec = METHODS[name] as { path: string | null; aliases?: readonly string[] };
      if (spec.path === null) {
        expect(METHOD_ROUTES[name]).toBeUndefined();
        continue;
      }
      for (const path of [spec.path, ...(spec.aliases ?? [])]) expect(POST_ROUTES.get(path)?.method).toBe(name);
    }
    expect(POST_ROUTES.get("/calls/stream_query")).toMatchObject({ body: "json", response: "jsonl" });
    expect(POST_ROUTES.get("/files/create")).toMatchObject({ method: "file_create", path: "/file/create", body: "multipart", response: "json" });
    expect(POST_ROUTES.get("/files/content")).toMatchObject({ method: "file_content_read", response: "bytes" });
    expect(METHOD_ROUTES.ensure_project_exists).toBeUndefined();
  });
});

describe("every route through createFetchHandler(LocalTraceServer)", () => {
  let server: LocalTraceServer;
  let handler: FetchHandler;
  const made: Made = { objDigest: "", opDigest: "", tableDigest: "", rowDigests: [], fileDigest: "", feedbackId: "" };
  const has = (m: MethodName): boolean => (server.implementedMethods as readonly string[]).includes(m);
  const any = (): Partial<TraceServerInterface> => server as Partial<TraceServerInterface>;

  beforeAll(async () => {
    server = makeServer();
    handler = createFetchHandler(server);
    const log = new CallLog();
    log.call({ id: "c1" });
    log.call({ id: "doomed-call" });
    await log.write(server);
    if (has("obj_create")) {
      made.objDigest = (await any().obj_create!({ obj: { project_id: PROJECT, object_id: "thing", val: { k: "v" } } })).digest;
      made.opDigest = (await any().obj_create!({ obj: { project_id: PROJECT, object_id: "my_op", val: OP_VAL } })).digest;
      await any().obj_create!({ obj: { project_id: PROJECT, object_id: "doomed", val: 1 } });
    }
    if (has("table_create")) {
      const table = await any().table_create!({ table: { project_id: PROJECT, rows: [{ q: 1 }, { q: 2 }, { q: 3 }] } });
      made.tableDigest = table.digest;
      made.rowDigests = table.row_digests;
    }
    if (has("file_create")) made.fileDigest = (await any().file_create!({ project_id: PROJECT, name: "f.bin", content: FILE_BYTES })).digest;
    if (has("feedback_create")) {
      const feedback = { project_id: PROJECT, weave_ref: `weave:///${PROJECT}/call/c1`, feedback_type: "custom", payload: { score: 0 } };
      made.feedbackId = (await any().feedback_create!(feedback)).id;
    }
  });
  afterAll(() => server.close());

  it.each([...POST_ROUTES.keys()])("POST %s", async (path) => {
    const route = POST_ROUTES.get(path)!;
    const sample = SAMPLES[route.method];
    if (!has(route.method)) {
      const res = await post(handler, path, sample ? sample(made) : {});
      expect(res.status).toBe(501);
      expect(await res.json()).toMatchObject({ reason: expect.stringContaining(route.method), error_type: "NotImplementedError" });
      return;
    }
    if (!sample) {
      // Implemented, but no sample yet (e.g. completions need a provider): the route must still reach it.
      const res = await post(handler, path, {});
      expect([404, 405, 415, 501]).not.toContain(res.status);
      expect(await res.json()).toBeDefined();
      return;
    }
    const body = sample(made);
    const res = body instanceof FormData ? await postForm(handler, path, body) : await post(handler, path, body);
    const text = route.response === "bytes" ? "" : await res.clone().text();
    expect(res.status, text).toBe(200);
    if (route.response === "bytes") {
      expect(res.headers.get("content-type")).toBe("application/octet-stream");
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(FILE_BYTES);
    } else if (route.response === "jsonl") {
      expect(res.headers.get("content-type")).toBe("application/jsonl");
      const items = jsonlLines(text);
      expect(items.length).toBeGreaterThan(0);
      for (const item of items) expect(METHODS[route.method].res.safeParse(item).success).toBe(true);
    } else {
      expect(res.headers.get("content-type")).toBe("application/json");
      const parsed = METHODS[route.method].res.safeParse(JSON.parse(text));
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    }
  });

  it("calls_query answers what the server stores, datetimes as ISO strings; stream_query is JSONL of the same calls", async () => {
    const query = { project_id: PROJECT, filter: { call_ids: ["c1", "doomed-call"] }, sort_by: [{ field: "started_at", direction: "asc" }] };
    const { calls } = (await (await post(handler, "/calls/query", query)).json()) as { calls: Array<{ id: string; started_at: string }> };
    expect(calls).toEqual((await server.calls_query(query)).calls);
    const streamed = jsonlLines(await (await post(handler, "/calls/stream_query", query)).text());
    expect(streamed).toEqual(calls);
  });

  it("a stream's request error still gets its status, since it surfaces before the first line", async () => {
    const res = await post(handler, "/calls/stream_query", { project_id: PROJECT, limit: -1 });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ reason: expect.stringContaining("Limit must be a positive integer"), error_type: "InvalidRequest" });
  });

  it("server errors keep Weave's status and body: 400 with issues, 404 NotFoundError, 404 with deleted_at", async () => {
    const bad = await post(handler, "/call/read", { project_id: "no-slash", id: "c1" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error_type: "InvalidRequest", issues: [{ path: "project_id" }] });
    if (!has("obj_read")) return;
    const missing = await post(handler, "/obj/read", { project_id: PROJECT, object_id: "nothing", digest: "latest" });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error_type: "NotFoundError", reason: expect.any(String) });
    const { digest } = await any().obj_create!({ obj: { project_id: PROJECT, object_id: "gone", val: 7 } });
    await any().obj_delete!({ project_id: PROJECT, object_id: "gone" });
    const deleted = await post(handler, "/obj/read", { project_id: PROJECT, object_id: "gone", digest });
    expect(deleted.status).toBe(404);
    expect(await deleted.json()).toMatchObject({ error_type: "ObjectDeletedError", deleted_at: expect.stringMatching(/Z$/) });
  });

  it("multipart /file/create stores the bytes that /files/content returns", async (ctx) => {
    if (!has("file_create") || !has("file_content_read")) ctx.skip();
    const bytes = new Uint8Array(120_000).map((_, i) => (i * 7) % 256);
    const created = await postForm(handler, "/files/create", fileForm({ project_id: PROJECT, file: new Blob([bytes]), filename: "big.bin" }));
    expect(created.status).toBe(200);
    const { digest } = (await created.json()) as { digest: string };
    const read = await post(handler, "/files/content", { project_id: PROJECT, digest });
    const back = new Uint8Array(await read.arrayBuffer());
    // Buffer.equals, not toEqual: a deep diff of 120 000 elements takes seconds.
    expect(back.byteLength).toBe(bytes.byteLength);
    expect(Buffer.from(back).equals(Buffer.from(bytes))).toBe(true);
  });
});

describe("multipart /file/create parsing", () => {
  /** A real `file_create` that records what it was given and digests by length. */
  function recordingFiles(): Partial<TraceServerInterface> & { got: unknown[] } {
    const got: unknown[] = [];
    return {
      got,
      file_create: async (req) => {
        got.push(req);
        return { digest: `len-${req.content.byteLength}` };
      },
    };
  }

  it("reads project_id, expected_digest and the file part (filename → name)", async () => {
    const files = recordingFiles();
    const res = await postForm(createFetchHandler(files), "/file/create", fileForm({ project_id: PROJECT, expected_digest: "abc", file: new Blob(["hello"]), filename: "obj.py" }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ digest: "len-5" });
    expect(files.got).toEqual([{ project_id: PROJECT, name: "obj.py", content: new TextEncoder().encode("hello"), expected_digest: "abc" }]);
  });

  it("names a file part without filename <unnamed_file>, as Weave's route does", async () => {
    const files = recordingFiles();
    const b = "weftBoundary";
    const body =
      `--${b}\r\nContent-Disposition: form-data; name="project_id"\r\n\r\n${PROJECT}\r\n` +
      `--${b}\r\nContent-Disposition: form-data; name="file"; filename=""\r\nContent-Type: application/octet-stream\r\n\r\nxy\r\n--${b}--\r\n`;
    const res = await post(createFetchHandler(files), "/file/create", body, { "content-type": `multipart/form-data; boundary=${b}` });
    expect(res.status).toBe(200);
    expect(files.got).toEqual([{ project_id: PROJECT, name: "<unnamed_file>", content: new TextEncoder().encode("xy") }]);
  });

  it("refuses a missing file or project_id (400) and a JSON body (415)", async () => {
    const handler = createFetchHandler(recordingFiles());
    const noFile = await postForm(handler, "/file/create", fileForm({ project_id: PROJECT }));
    expect(noFile.status).toBe(400);
    expect(await noFile.json()).toMatchObject({ reason: expect.stringContaining("file"), error_type: "InvalidRequest" });
    const noProject = await postForm(handler, "/file/create", fileForm({ file: new Blob(["x"]) }));
    expect(noProject.status).toBe(400);
    expect(await noProject.json()).toMatchObject({ reason: expect.stringContaining("project_id") });
    const json = await post(handler, "/file/create", { project_id: PROJECT });
    expect(json.status).toBe(415);
    expect(await json.json()).toMatchObject({ reason: expect.stringContaining("multipart/form-data") });
  });
});

describe("JSONL streaming", () => {
  it("writes lines as the server yields them, not after the stream ends, and cancels the server's iterator", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let closed = false;
    const server: Partial<TraceServerInterface> = {
      calls_query_stream: () => ({
        async *[Symbol.asyncIterator]() {
          try {
            yield { id: "first" } as never;
            await gate; // the second item waits until the client has read the first
            yield { id: "second" } as never;
            yield { id: "third" } as never;
          } finally {
            closed = true;
          }
        },
      }),
    };
    const res = await post(createFetchHandler(server), "/calls/stream_query", { project_id: PROJECT });
    expect(res.headers.get("content-type")).toBe("application/jsonl");
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('{"id":"first"}\n');
    release();
    const second = await reader.read();
    expect(new TextDecoder().decode(second.value)).toBe('{"id":"second"}\n');
    await reader.cancel();
    expect(closed).toBe(true);
  });
});

describe("a LocalTraceServer's calls reads as its own JSON text", () => {
  async function seeded(): Promise<LocalTraceServer> {
    const server = makeServer();
    const log = new CallLog();
    const root = log.start({ id: "r", inputs: { q: "ünïcode \u2028 text", n: [1, 2.5, null] }, attributes: { env: "test" } });
    log.start({ id: "k", parent_id: root, trace_id: root, inputs: { deep: { a: [{ b: "c" }] } } });
    log.end("k", { output: { ok: true } });
    log.end(root, { output: "done", summary: { usage: { "gpt-4o-mini": { requests: 1, prompt_tokens: 10, completion_tokens: 5 } } } });
    await log.write(server);
    return server;
  }

  it("answers /calls/query, /call/read and /calls/stream_query with the same bytes as the objects would give", async () => {
    const server = await seeded();
    const used: string[] = [];
    const counted = {
      ...server,
      answerJson: (method: never, req: unknown) => (used.push(`answer ${method}`), server.answerJson(method, req)),
      streamJson: (method: never, req: unknown) => (used.push(`stream ${method}`), server.streamJson(method, req)),
    };
    // The same methods without the JSON text: what any other server gives.
    const objects: Partial<TraceServerInterface> = {
      calls_query: (req) => server.calls_query(req),
      call_read: (req) => server.call_read(req),
      calls_query_stream: (req) => server.calls_query_stream(req),
    };
    const [viaText, viaObjects] = [createFetchHandler(counted), createFetchHandler(objects)];
    const cases: Array<[string, unknown]> = [
      ["/calls/query", { project_id: PROJECT }],
      ["/calls/query", { project_id: PROJECT, columns: ["inputs", "summary"], include_costs: true, sort_by: [{ field: "started_at", direction: "desc" }] }],
      ["/call/read", { project_id: PROJECT, id: "k" }],
      ["/call/read", { project_id: PROJECT, id: "missing" }],
      ["/calls/stream_query", { project_id: PROJECT }],
      ["/calls/stream_query", { project_id: PROJECT, filter: { trace_roots_only: true }, include_costs: true }],
    ];
    for (const [path, body] of cases) {
      const [a, b] = [await post(viaText, path, body), await post(viaObjects, path, body)];
      expect([a.status, a.headers.get("content-type")], path).toEqual([b.status, b.headers.get("content-type")]);
      expect(await a.text(), `${path} ${JSON.stringify(body)}`).toBe(await b.text());
    }
    expect(used).toEqual([
      "answer calls_query",
      "answer calls_query",
      "answer call_read",
      "answer call_read",
      "stream calls_query_stream",
      "stream calls_query_stream",
    ]);
  });

  it("a bad request through the text path gets the method's error status", async () => {
    const handler = createFetchHandler(await seeded());
    const query = await post(handler, "/calls/query", { project_id: PROJECT, columns: ["nope"] });
    const stream = await post(handler, "/calls/stream_query", { project_id: PROJECT, columns: ["nope"] });
    for (const res of [query, stream]) {
      expect(res.status).toBe(ERROR_STATUS.INVALID_FIELD);
      expect(await res.json()).toMatchObject({ reason: expect.stringContaining("nope") });
    }
  });
});

describe("errors of the HTTP layer", () => {
  const handler = createFetchHandler(makeServer());

  it("bad JSON → 400 {reason}; empty body → 400; text/plain → 415", async () => {
    const bad = await post(handler, "/call/read", "{not json");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ reason: expect.stringContaining("not valid JSON"), error_type: "InvalidRequest" });
    const empty = await post(handler, "/call/read", "");
    expect(empty.status).toBe(400);
    const plain = await post(handler, "/call/read", JSON.stringify({ project_id: PROJECT, id: "x" }), { "content-type": "text/plain" });
    expect(plain.status).toBe(415);
    expect(await plain.json()).toMatchObject({ reason: expect.stringContaining("application/json") });
  });

  it("a JSON body without a content type is read as JSON, as FastAPI does", async () => {
    const res = await handler(new Request(`${BASE}/calls/query_stats`, { method: "POST", body: new TextEncoder().encode(JSON.stringify({ project_id: PROJECT })) }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ count: 0 });
  });

  it('unknown route → 404 {"reason":"Not Found"}; wrong verb → 405 with Allow', async () => {
    const unknown = await post(handler, "/calls/nope", {});
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ reason: "Not Found" });
    const get = await handler(new Request(`${BASE}/call/start`));
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect(await get.json()).toEqual({ reason: "Method Not Allowed" });
    const postHealth = await post(handler, "/health", {});
    expect(postHealth.status).toBe(405);
    expect(postHealth.headers.get("allow")).toBe("GET, HEAD");
  });

  it("a method the server lacks → 501, whether missing, undeclared, or refused by a worker", async () => {
    const none = await post(createFetchHandler({}), "/call/start", SAMPLES.call_start!({} as Made));
    expect(none.status).toBe(501);
    expect(await none.json()).toEqual({ reason: "call_start (POST /call/start) is not implemented by this weft server yet.", error_type: "NotImplementedError" });
    const declared = { implementedMethods: ["call_read"], call_start: async () => ({ id: "x", trace_id: "y" }) } as Partial<TraceServerInterface>;
    expect((await post(createFetchHandler(declared), "/call/start", SAMPLES.call_start!({} as Made))).status).toBe(501);
    const worker: Partial<TraceServerInterface> = {
      cost_query: () => Promise.reject(new WeftError("VALIDATION", "cost_query is not implemented by this weft version yet.", { implemented: false })),
    };
    const refused = await post(createFetchHandler(worker), "/cost/query", { project_id: PROJECT });
    expect(refused.status).toBe(501);
    expect(await refused.json()).toMatchObject({ reason: "cost_query is not implemented by this weft version yet." });
  });

  it("GET /health, /server_info, /version (and HEAD), under a basePath too", async () => {
    const based = createFetchHandler({}, { basePath: "/traces/", serverVersion: "1.2.3" });
    expect(await (await based(new Request(`${BASE}/traces/health`))).json()).toEqual({ status: "ok" });
    expect(await (await based(new Request(`${BASE}/traces/server_info`))).json()).toEqual({ min_required_weave_python_version: "0.0.0", trace_server_version: "1.2.3" });
    expect(await (await based(new Request(`${BASE}/traces/version`))).json()).toBe("1.2.3");
    const head = await based(new Request(`${BASE}/traces/health`, { method: "HEAD" }));
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    expect((await based(new Request(`${BASE}/health`))).status).toBe(404);
    expect(await (await handler(new Request(`${BASE}/version`))).json()).toBe("0.0.0+weft");
  });
});

describe("every WeftError code → its status and Weave's body", () => {
  const codes = Object.keys(ERROR_STATUS) as WeftErrorCode[];
  const throwing = (error: unknown): Partial<TraceServerInterface> => ({ call_read: () => Promise.reject(error) });

  it.each(codes)("%s", async (code) => {
    const details = code === "OBJECT_DELETED" ? { deleted_at: "2025-01-01T00:00:00Z" } : { field: "x" };
    const res = await post(createFetchHandler(throwing(new WeftError(code, `boom ${code}`, details))), "/call/read", { project_id: PROJECT, id: "c" });
    expect(res.status).toBe(ERROR_STATUS[code]);
    expect(res.headers.get("content-type")).toBe("application/json");
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.reason).toBe(`boom ${code}`);
    expect(typeof body.error_type).toBe("string");
    if (code === "OBJECT_DELETED") expect(body).toEqual({ reason: "boom OBJECT_DELETED", error_type: "ObjectDeletedError", deleted_at: "2025-01-01T00:00:00Z" });
    else expect(body.field).toBe("x");
  });

  it("Weave's class names for the codes Weave has", async () => {
    const types: Partial<Record<WeftErrorCode, string>> = {
      VALIDATION: "InvalidRequest",
      INVALID_FIELD: "InvalidFieldError",
      NOT_FOUND: "NotFoundError",
      DIGEST_MISMATCH: "DigestMismatchError",
      REQUEST_TOO_LARGE: "RequestTooLarge",
      QUOTA_EXCEEDED: "QUOTA_EXCEEDED",
    };
    for (const [code, type] of Object.entries(types)) {
      const res = await post(createFetchHandler(throwing(new WeftError(code as WeftErrorCode, "m"))), "/call/read", {});
      expect(((await res.json()) as { error_type: string }).error_type).toBe(type);
    }
  });

  it("a wire-form error is rebuilt; anything else is an opaque 500 reported to onError", async () => {
    const wire = new WeftError("NOT_FOUND", "gone").toWire();
    expect((await post(createFetchHandler(throwing(wire)), "/call/read", {})).status).toBe(404);
    const seen: unknown[] = [];
    const bug = new TypeError("x is undefined");
    const res = await post(createFetchHandler(throwing(bug), { onError: (e) => seen.push(e) }), "/call/read", {});
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ reason: "Internal server error", error_type: "INTERNAL" });
    expect(seen).toEqual([bug]);
    const sync = { call_read: () => { throw new RangeError("sync"); } } as unknown as Partial<TraceServerInterface>;
    expect((await post(createFetchHandler(sync), "/call/read", {})).status).toBe(500);
  });
});

describe("toCustomFetch", () => {
  it("takes (url, init) as the SDK passes them: a JSON string without content type, a FormData, a relative URL", async () => {
    const server = makeServer();
    const customFetch = toCustomFetch(createFetchHandler(server));
    const res = await customFetch("/calls/query_stats", { method: "POST", body: JSON.stringify({ project_id: PROJECT }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ count: 0 });
    const got: unknown[] = [];
    const files = toCustomFetch(createFetchHandler({ file_create: async (req) => (got.push(req.name), { digest: "d" }) }));
    const form = fileForm({ project_id: PROJECT, file: new Blob(["src"]) });
    expect(await (await files(new URL("http://weave.local/file/create"), { method: "POST", body: form })).json()).toEqual({ digest: "d" });
    expect(got).toEqual(["blob"]);
    const asRequest = await customFetch(new Request("http://weave.local/health"));
    expect(await asRequest.json()).toEqual({ status: "ok" });
    await server.close();
  });
});
