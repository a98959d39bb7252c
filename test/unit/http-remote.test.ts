/**
 * `RemoteTraceServer` against weft's own fetch handler behind `node:http` on 127.0.0.1 (random
 * port): conformance cases of the calls API run through HTTP (LINE-BOOTSTRAP filters, FILTER-13
 * queries, sorting, stats, delete, update, streaming), errors rebuilt from Weave's bodies, files,
 * tables; then retries against tiny `node:http` servers that fail on purpose. Delays are recorded
 * through the `sleep` option, never measured.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WeftError } from "../../src/errors";
import { createFetchHandler, createRemoteTraceServer, toCustomFetch, toNodeListener, type RemoteTraceServer } from "../../src/http";
import type { TraceServerInterface } from "../../src/interface";
import type { LocalTraceServer } from "../../src/server";
import {
  BASIC_OP,
  CallLog,
  caught,
  collect,
  countCalls,
  expr,
  field,
  FILTER13_CASES,
  filter13,
  lineBootstrap,
  LINE_OPS,
  lit,
  numberRef,
  opWildcard,
  queryCalls,
  queryIds,
  type LineBootstrap,
} from "./support/fixtures";
import { makeServer, PROJECT } from "./support/server";

async function listen(listener: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

describe("RemoteTraceServer → node:http → createFetchHandler → LocalTraceServer", () => {
  let local: LocalTraceServer;
  let http: { server: Server; url: string };
  let remote: RemoteTraceServer;
  /** The remote, typed as the fixtures expect: they only call methods both servers have. */
  let via: LocalTraceServer;
  const seen: Array<{ path: string; authorization: string | undefined }> = [];

  beforeAll(async () => {
    local = makeServer();
    const listener = toNodeListener(createFetchHandler(local));
    http = await listen((req, res) => {
      seen.push({ path: req.url ?? "", authorization: req.headers.authorization });
      listener(req, res);
    });
    remote = createRemoteTraceServer({ baseUrl: `${http.url}/`, apiKey: "test-key" });
    via = remote as unknown as LocalTraceServer;
  });
  afterAll(async () => {
    await close(http.server);
    await local.close();
  });

  it("sends Basic api:<key> and answers ensure_project_exists locally (Weave does it over GraphQL, §11)", async () => {
    const before = seen.length;
    expect(await remote.ensure_project_exists({ entity: "e", project: "p" })).toEqual({ project_name: "p" });
    expect(seen.length).toBe(before);
    await remote.calls_query_stats({ project_id: PROJECT });
    expect(seen.at(-1)).toEqual({ path: "/calls/query_stats", authorization: `Basic ${btoa("api:test-key")}` });
    await expect(remote.ensure_project_exists({ entity: "e/x", project: "p" })).rejects.toMatchObject({ code: "VALIDATION" });
  });

  describe("LINE-BOOTSTRAP filters", () => {
    let line: LineBootstrap;
    beforeAll(async () => {
      const log = new CallLog();
      line = lineBootstrap(log);
      await log.write(via);
    });

    it("F-01 op_names (exact versions, wildcard) and F-02 input_refs, on query, stream and stats", async () => {
      const count = (filter: object | null): Promise<number> => countCalls(via, { project_id: PROJECT, filter });
      expect(await count(null)).toBe(25);
      expect(await count({ op_names: [LINE_OPS.adder] })).toBe(7);
      expect(await count({ op_names: [opWildcard("adder"), LINE_OPS.subtractor] })).toBe(11);
      expect(await count({ input_refs: [numberRef(0), numberRef(1), numberRef(2)] })).toBe(17);
      expect(await count({ parent_ids: line.parents })).toBe(10);
      expect(await count({ trace_roots_only: true })).toBe(15);
      expect(await count({ trace_ids: [line.traceIds[0]!] })).toBe(1);
    });

    it("T-01 stats with limit and a status query", async () => {
      const success = expr({ $eq: [field("summary.weave.status"), lit("success")] });
      expect((await remote.calls_query_stats({ project_id: PROJECT, query: success, filter: { op_names: [LINE_OPS.liner] } })).count).toBe(5);
      expect((await remote.calls_query_stats({ project_id: PROJECT, limit: 3 })).count).toBe(3);
    });
  });

  describe("FILTER-13", () => {
    let ids: string[];
    beforeAll(async () => {
      const log = new CallLog("shawn/f13-remote");
      ids = filter13(log);
      await log.write(via);
    });
    for (const c of FILTER13_CASES) {
      it(`${c.id} ${c.name} -> ${c.matches.length}`, async () => {
        expect(await queryIds(via, { project_id: "shawn/f13-remote", query: c.query })).toEqual(c.matches.map((i) => ids[i]));
      });
    }
  });

  it("O-01 sorting by started_at and nested JSON keys, desc", async () => {
    const project = "shawn/sort-remote";
    const log = new CallLog(project);
    for (let i = 0; i < 3; i++) log.call({ id: `o1-${i}`, op_name: BASIC_OP, inputs: { in_val: { prim: i } } }, { output: { prim: i } });
    await log.write(via);
    for (const key of ["started_at", "inputs.in_val.prim", "output.prim"]) {
      const calls = await queryCalls(via, { project_id: project, sort_by: [{ field: key, direction: "desc" }] });
      expect(calls.map((c) => c.id), key).toEqual(["o1-2", "o1-1", "o1-0"]);
    }
  });

  it("C-04 update before start, then delete cascading to children (T-01)", async () => {
    const project = "shawn/upd-remote";
    await remote.call_update({ project_id: project, call_id: "X", display_name: "early name" });
    const log = new CallLog(project);
    log.start({ id: "X" });
    log.call({ id: "child", trace_id: "X", parent_id: "X" });
    log.end("X");
    await log.write(via);
    expect((await remote.call_read({ project_id: project, id: "X" })).call).toMatchObject({ display_name: "early name", parent_id: null });
    expect(await remote.calls_delete({ project_id: project, call_ids: ["X"] })).toEqual({ num_deleted: 2 });
    expect((await remote.calls_query_stats({ project_id: project })).count).toBe(0);
  });

  it("streams incrementally: 600 calls arrive as parsed items; stopping early is fine", async () => {
    const project = "shawn/stream-remote";
    const log = new CallLog(project, 1);
    for (let i = 0; i < 600; i++) log.call({ id: `s-${String(i).padStart(4, "0")}`, inputs: { text: "x".repeat(200), i } });
    await log.write(via);
    const all = await collect(remote.calls_query_stream({ project_id: project }));
    expect(all.map((c) => c.id)).toEqual((await local.calls_query({ project_id: project })).calls.map((c) => c.id));
    expect(all[599]).toMatchObject({ inputs: { i: 599 }, summary: { weave: { status: "success" } } });
    const firstThree: string[] = [];
    for await (const call of remote.calls_query_stream({ project_id: project })) {
      firstThree.push(call.id);
      if (firstThree.length === 3) break;
    }
    expect(firstThree).toEqual(["s-0000", "s-0001", "s-0002"]);
    expect((await remote.calls_query_stats({ project_id: project })).count).toBe(600); // the server is still fine
  });

  it("errors come back as WeftErrors with the code of their status", async () => {
    const bad = await caught(() => remote.call_read({ project_id: "no-slash", id: "x" }));
    expect(bad).toMatchObject({ code: "VALIDATION", details: { status: 400, error_type: "InvalidRequest", issues: [{ path: "project_id" }] } });
    expect((await caught(() => remote.calls_query({ project_id: PROJECT, sort_by: [{ field: "nope", direction: "asc" }] }))).code).toBe("INVALID_FIELD");
    expect((await caught(() => collect(remote.calls_query_stream({ project_id: PROJECT, limit: -1 })))).code).toBe("VALIDATION");
    expect((await caught(() => remote.obj_read({ project_id: PROJECT, object_id: "none", digest: "latest" }))).code).toBe("NOT_FOUND");
    const { digest } = await remote.obj_create({ obj: { project_id: PROJECT, object_id: "gone", val: { a: 1 } } });
    await remote.obj_delete({ project_id: PROJECT, object_id: "gone" });
    const deleted = await caught(() => remote.obj_read({ project_id: PROJECT, object_id: "gone", digest }));
    expect(deleted).toMatchObject({ code: "OBJECT_DELETED", details: { deleted_at: expect.stringMatching(/Z$/) } });
  });

  it("files go as multipart and come back as bytes; a wrong expected_digest is DIGEST_MISMATCH", async () => {
    const content = new Uint8Array([1, 2, 3, 0, 255]);
    const { digest } = await remote.file_create({ project_id: PROJECT, name: "x.bin", content });
    expect((await remote.file_content_read({ project_id: PROJECT, digest })).content).toEqual(content);
    expect((await remote.files_stats({ project_id: PROJECT })).total_size_bytes).toBeGreaterThanOrEqual(5);
    const mismatch = await caught(() => remote.file_create({ project_id: PROJECT, name: "x.bin", content, expected_digest: "wrong" }));
    expect(mismatch).toMatchObject({ code: "DIGEST_MISMATCH", details: { status: 409 } });
  });

  it("tables: create, query, stream, with response defaults applied", async () => {
    const { digest, row_digests } = await remote.table_create({ table: { project_id: PROJECT, rows: [{ a: 1 }, { a: 2 }] } });
    expect(row_digests).toHaveLength(2);
    const rows = await collect(remote.table_query_stream({ project_id: PROJECT, digest }));
    expect(rows.map((r) => [r.digest, r.val])).toEqual([[row_digests[0], { a: 1 }], [row_digests[1], { a: 2 }]]);
    expect((await remote.table_query_stats({ project_id: PROJECT, digest })).count).toBe(2);
  });
});

describe("responses: lenient validation", () => {
  const tiny = (callRead: () => unknown): RemoteTraceServer =>
    createRemoteTraceServer({
      baseUrl: "http://weave.local",
      fetch: toCustomFetch(createFetchHandler({ call_read: async () => callRead() } as Partial<TraceServerInterface>)),
    });
  const call = { id: "a", project_id: PROJECT, op_name: "op", trace_id: "t", started_at: "2025-01-01T00:00:00Z", attributes: {}, inputs: {} };

  it("keeps fields a newer server adds, at every depth", async () => {
    const res = await tiny(() => ({ call: { ...call, otel_dump: { x: 1 } }, server_hint: "new" })).call_read({ project_id: PROJECT, id: "a" });
    expect(res).toEqual({ call: { ...call, otel_dump: { x: 1 } }, server_hint: "new" });
  });

  it("refuses an answer that breaks Weave's schema: UPSTREAM naming the field", async () => {
    const error = await caught(() => tiny(() => ({ call: { ...call, id: 5 } })).call_read({ project_id: PROJECT, id: "a" }));
    expect(error.code).toBe("UPSTREAM");
    expect(error.message).toContain("call.id");
  });
});

describe("retries", () => {
  type Behaviour = (n: number, req: IncomingMessage, res: ServerResponse) => void;
  let behave: Behaviour = () => undefined;
  let hits = 0;
  let flaky: { server: Server; url: string };
  const delays: number[] = [];
  const remote = (options: { retries?: number; signal?: AbortSignal } = {}): RemoteTraceServer =>
    createRemoteTraceServer({ baseUrl: flaky.url, apiKey: "k", retryDelayMs: 100, sleep: async (ms) => void delays.push(ms), ...options });
  const answer = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };
  const run = (b: Behaviour): void => {
    behave = b;
    hits = 0;
    delays.length = 0;
  };

  beforeAll(async () => {
    flaky = await listen((req, res) => {
      req.resume();
      req.on("end", () => behave(++hits, req, res));
    });
  });
  afterAll(() => close(flaky.server));

  it("503 twice, then success: three requests, two backoff delays growing with jitter", async () => {
    run((n, _req, res) => (n <= 2 ? answer(res, 503, { reason: "busy" }) : answer(res, 200, { count: 7 })));
    expect(await remote().calls_query_stats({ project_id: PROJECT })).toEqual({ count: 7 });
    expect(hits).toBe(3);
    expect(delays).toHaveLength(2);
    expect(delays[0]).toBeGreaterThanOrEqual(50);
    expect(delays[0]).toBeLessThanOrEqual(100);
    expect(delays[1]).toBeGreaterThanOrEqual(100);
    expect(delays[1]).toBeLessThanOrEqual(200);
  });

  it("429 honours Retry-After (seconds)", async () => {
    run((n, _req, res) => (n === 1 ? answer(res, 429, { reason: "slow down" }, { "retry-after": "2" }) : answer(res, 200, { count: 1 })));
    expect(await remote().calls_query_stats({ project_id: PROJECT })).toEqual({ count: 1 });
    expect(delays).toEqual([2000]);
  });

  it("gives up after `retries` with the last error: UPSTREAM for 5xx, RATE_LIMITED for 429", async () => {
    run((_n, _req, res) => answer(res, 503, { reason: "down" }));
    const down = await caught(() => remote({ retries: 2 }).calls_query_stats({ project_id: PROJECT }));
    expect(down).toMatchObject({ code: "UPSTREAM", details: { status: 503 } });
    expect(down.message).toContain("down");
    expect(hits).toBe(3);
    run((_n, _req, res) => answer(res, 429, { reason: "no" }));
    expect((await caught(() => remote({ retries: 1 }).calls_query_stats({ project_id: PROJECT }))).code).toBe("RATE_LIMITED");
    expect(hits).toBe(2);
  });

  it("401 → UNAUTHORIZED at once; 501 and 404 are not retried either", async () => {
    run((_n, _req, res) => answer(res, 401, { reason: "bad key" }));
    expect(await caught(() => remote().calls_query_stats({ project_id: PROJECT }))).toMatchObject({ code: "UNAUTHORIZED", message: expect.stringContaining("bad key") });
    expect(hits).toBe(1);
    run((_n, _req, res) => answer(res, 501, { reason: "feedback_query is not implemented", error_type: "NotImplementedError" }));
    // 501 is permanent (a weft server without that method): UPSTREAM, not retried.
    expect(await caught(() => remote().feedback_query({ project_id: PROJECT }))).toMatchObject({ code: "UPSTREAM", details: { status: 501, error_type: "NotImplementedError" } });
    expect(hits).toBe(1);
    run((_n, _req, res) => answer(res, 404, { detail: "Not Found" }));
    expect((await caught(() => remote().calls_query_stats({ project_id: PROJECT }))).code).toBe("NOT_FOUND");
    expect(hits).toBe(1);
    expect(delays).toEqual([]);
  });

  it("a stream is retried until its response arrives, never mid-stream", async () => {
    const line = (id: string): string => `${JSON.stringify({ id, project_id: PROJECT, op_name: "op", trace_id: id, started_at: "2025-01-01T00:00:00Z", attributes: {}, inputs: {} })}\n`;
    run((n, _req, res) => {
      if (n === 1) return answer(res, 502, { reason: "gateway" });
      res.writeHead(200, { "content-type": "application/jsonl" });
      res.write(`${line("a")}\r\n\n`);
      res.end(line("b").trimEnd()); // no final newline: the last line still counts
    });
    expect((await collect(remote().calls_query_stream({ project_id: PROJECT }))).map((c) => c.id)).toEqual(["a", "b"]);
    expect(hits).toBe(2);
    run((_n, _req, res) => {
      res.writeHead(200, { "content-type": "application/jsonl" });
      res.write(line("a"));
      setTimeout(() => res.destroy(), 20);
    });
    const got: string[] = [];
    const error = await caught(async () => {
      for await (const call of remote().calls_query_stream({ project_id: PROJECT })) got.push(call.id);
    });
    expect(got).toEqual(["a"]);
    expect(error.code).toBe("UPSTREAM");
    expect(hits).toBe(1);
  });

  it("network errors are retried, then UPSTREAM naming the URL; an aborted signal is ABORTED", async () => {
    const dead = await listen(() => undefined);
    await close(dead.server);
    delays.length = 0;
    const error = await caught(() => createRemoteTraceServer({ baseUrl: dead.url, retries: 2, sleep: async (ms) => void delays.push(ms) }).calls_query_stats({ project_id: PROJECT }));
    expect(error.code).toBe("UPSTREAM");
    expect(error.message).toContain(`Could not reach the Weave server at ${dead.url}/calls/query_stats`);
    expect(error.message).not.toContain("CORS"); // only said in browsers
    expect(delays).toHaveLength(2);
    const controller = new AbortController();
    controller.abort();
    run((_n, _req, res) => answer(res, 200, { count: 0 }));
    expect((await caught(() => remote({ signal: controller.signal }).calls_query_stats({ project_id: PROJECT }))).code).toBe("ABORTED");
    expect(hits).toBe(0);
  });

  it("errors thrown by the fetch are WeftErrors, not responses", async () => {
    run((_n, _req, res) => answer(res, 500, "plain text"));
    const error = await caught(() => remote({ retries: 0 }).call_read({ project_id: PROJECT, id: "x" }));
    expect(error).toBeInstanceOf(WeftError);
    expect(error).toMatchObject({ code: "UPSTREAM", details: { status: 500 } });
  });
});
