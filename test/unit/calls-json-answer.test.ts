/**
 * Answers as JSON text (`LocalTraceServer.answerJson`, the worker's `callJson`; `streamJson`, the
 * worker's streams opened with `{json: true}`): the text spliced from stored payloads must parse to
 * exactly what the method returns as objects, for every column choice and every option (costs,
 * feedback and sizes spliced in; expanded refs shaped as objects).
 */
import fc from "fast-check";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { afterEach, describe, expect, it } from "vitest";
import { expose } from "comlink";
import { createClient, type WeftClient } from "../../src/client";
import { WeftError } from "../../src/errors";
import type { CallRow } from "../../src/server/db";
import { applyEnd, applyStart, emptyCallRow, refreshIndexKeys } from "../../src/server/calls/rows";
import { resolveColumns, rowToCall, rowToCallJson } from "../../src/server/calls/shape";
import type { LocalTraceServer } from "../../src/server";
import { exposeLocalTraceServer } from "../../src/worker";
import { createWorkerApi } from "../../src/worker/worker-api";
import { installErrorTransfer } from "../../src/transport/error-transfer";
import { collect } from "./support/fixtures";
import { at, end, makeServer, PROJECT, start } from "./support/server";

const servers: LocalTraceServer[] = [];
const clients: WeftClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const s of servers.splice(0)) await s.close();
});

function server(): LocalTraceServer {
  const s = makeServer();
  servers.push(s);
  return s;
}

/** What the object answer becomes once it crossed as JSON (undefined fields drop out). */
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;

const jsonValue = fc.jsonValue({ maxDepth: 3 }).filter((v) => !Object.is(v, -0));
const payload = fc.dictionary(fc.string({ maxLength: 6 }), jsonValue, { maxKeys: 4 });
const COLUMNS = ["inputs", "output", "attributes", "summary", "display_name", "parent_id", "exception", "ended_at", "wb_run_id", "inputs.a", "summary_dump"];

describe("rowToCallJson", () => {
  it("is JSON.stringify of rowToCall's object for any stored row and any columns (all columns: the whole-row writer)", () => {
    fc.assert(
      fc.property(
        fc.record({
          parent: fc.option(fc.constant("p-1"), { nil: undefined }),
          displayName: fc.option(fc.string({ maxLength: 8 }), { nil: null }),
          rename: fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
          attributes: payload,
          inputs: payload,
          ended: fc.boolean(),
          output: jsonValue,
          // Summaries with a client's own `weave` keys (merged with the derived ones), or "weave" in a value.
          summary: fc.oneof(
            payload,
            fc.record({ weave: fc.dictionary(fc.constantFrom("status", "latency_ms", "trace_name", "mine"), jsonValue), usage: payload }),
            fc.record({ note: fc.constant("weave"), tag: fc.constant('"weave"') }),
          ),
          exception: fc.option(fc.string({ maxLength: 12 }), { nil: null }),
          // The optional columns, absent or set (the whole-row writer spells each one out).
          thread: fc.option(fc.record({ thread_id: fc.string({ maxLength: 6 }), turn_id: fc.option(fc.string({ maxLength: 6 }), { nil: null }) }), { nil: undefined }),
          run: fc.option(fc.record({ wb_user_id: fc.string({ maxLength: 6 }), wb_run_id: fc.string({ maxLength: 6 }), wb_run_step: fc.nat() }), { nil: undefined }),
          stepEnd: fc.option(fc.nat(), { nil: undefined }),
          columns: fc.option(fc.subarray(COLUMNS), { nil: undefined }),
          opName: fc.constantFrom("plain_op", "weave:///e/p/op/my_op:abc", "ünïcode \u2028 op"),
          // What options set after the row is read (costs and feedback in the summary, sizes).
          extras: fc.option(
            fc.record(
              { summary: payload, storage_size_bytes: fc.nat(), total_storage_size_bytes: fc.option(fc.nat(), { nil: null }) },
              { requiredKeys: [] },
            ),
            { nil: undefined },
          ),
        }),
        (c) => {
          const row: CallRow = emptyCallRow(PROJECT, "c-1");
          applyStart(row, {
            project_id: PROJECT,
            id: "c-1",
            trace_id: "t-1",
            op_name: c.opName,
            started_at: 1_735_732_800_000,
            attributes: c.attributes,
            inputs: c.inputs,
            display_name: c.displayName,
            ...(c.parent ? { parent_id: c.parent } : {}),
            ...c.thread,
            ...c.run,
          } as never);
          if (c.ended) {
            applyEnd(row, {
              project_id: PROJECT,
              id: "c-1",
              ended_at: 1_735_732_801_500,
              output: c.output,
              summary: c.summary,
              exception: c.exception,
              ...(c.stepEnd === undefined ? {} : { wb_run_step_end: c.stepEnd }),
            } as never);
          }
          if (c.rename !== undefined) row.display_name_update = c.rename;
          refreshIndexKeys(row);
          const cols = resolveColumns(c.columns, false);
          // Byte for byte, field order included (payloads come back as they were written).
          expect(rowToCallJson(row, cols, c.extras)).toBe(JSON.stringify(rowToCall(row, cols, c.extras)));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("answerJson", () => {
  async function seeded(): Promise<LocalTraceServer> {
    const s = server();
    await s.call_start_batch({
      batch: [
        { mode: "start", req: { start: start({ id: "root", trace_id: "t", started_at: at(0), inputs: { q: "why?", n: [1, 2.5, null] }, attributes: { env: "test" } }) } },
        { mode: "end", req: { end: end("root", { ended_at: at(900), output: { a: "because", ok: true }, summary: { usage: { "gpt-4o-mini": { requests: 1, prompt_tokens: 120, completion_tokens: 30 } } } }) } },
        { mode: "start", req: { start: start({ id: "kid", trace_id: "t", parent_id: "root", started_at: at(10), inputs: { s: "ünïcode \u2028" } }) } },
        { mode: "start", req: { start: start({ id: "other", trace_id: "u", started_at: at(20), display_name: "Other" }) } },
        { mode: "end", req: { end: end("other", { ended_at: at(30), exception: "boom", output: null }) } },
      ],
    } as never);
    await s.call_update({ project_id: PROJECT, call_id: "kid", display_name: "renamed" });
    await s.feedback_create({ project_id: PROJECT, weave_ref: `weave:///${PROJECT}/call/root`, feedback_type: "wandb.note.1", payload: { note: "fine" } });
    return s;
  }

  const requests: Array<[string, Record<string, unknown>]> = [
    ["a plain page", { sort_by: [{ field: "started_at", direction: "desc" }] }],
    ["roots only, limit and offset", { filter: { trace_roots_only: true }, limit: 1, offset: 1 }],
    ["some columns", { columns: ["inputs", "summary"], sort_by: [{ field: "started_at", direction: "asc" }] }],
    ["a filter that matches nothing", { filter: { call_ids: ["missing"] } }],
    ["costs and feedback", { include_costs: true, include_feedback: true }],
    ["costs and feedback with columns", { include_costs: true, include_feedback: true, columns: ["inputs"] }],
    ["storage sizes", { include_storage_size: true, include_total_storage_size: true }],
    ["expanded refs (shaped as objects first)", { expand_columns: ["inputs.q"] }],
  ];

  it.each(requests)("calls_query: %s gives the same calls as the object answer", async (_name, extra) => {
    const s = await seeded();
    const req = { project_id: PROJECT, ...extra };
    const text = await s.answerJson("calls_query", req);
    const objects = await s.calls_query(req as never);
    expect(JSON.parse(text)).toEqual(asJson(objects));
    // Byte for byte, too: the text answer is what serializing the object answer gives.
    expect(text).toBe(JSON.stringify(objects));
  });

  it("calls_query: costs and feedback are in the text answer", async () => {
    const s = await seeded();
    const text = await s.answerJson("calls_query", { project_id: PROJECT, filter: { call_ids: ["root"] }, include_costs: true, include_feedback: true });
    const weave = (JSON.parse(text) as { calls: Array<{ summary: { weave: Record<string, unknown> } }> }).calls[0]?.summary.weave;
    expect(Object.keys(weave?.["costs"] as object)).toEqual(["gpt-4o-mini"]);
    expect(weave?.["feedback"]).toMatchObject([{ feedback_type: "wandb.note.1", payload: { note: "fine" } }]);
  });

  it("call_read: found, renamed, and missing", async () => {
    const s = await seeded();
    for (const id of ["root", "kid", "missing"]) {
      const req = { project_id: PROJECT, id };
      expect(JSON.parse(await s.answerJson("call_read", req))).toEqual(asJson(await s.call_read(req)));
    }
    expect(JSON.parse(await s.answerJson("call_read", { project_id: PROJECT, id: "missing" }))).toEqual({ call: null });
  });

  it.each(requests)("streamJson calls_query_stream: %s gives the same calls as the object stream", async (_name, extra) => {
    const s = await seeded();
    const req = { project_id: PROJECT, ...extra };
    const texts = await collect(s.streamJson("calls_query_stream", req));
    expect(texts.every((t) => typeof t === "string")).toBe(true);
    expect(texts.map((t) => JSON.parse(t) as unknown)).toEqual(asJson(await collect(s.calls_query_stream(req as never))));
  });

  it("streamJson refuses a bad request as the method does, and any other method", async () => {
    const s = server();
    const bad = await collect(s.streamJson("calls_query_stream", { project_id: PROJECT, columns: ["nope"] })).catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: "INVALID_FIELD" });
    const invalid = await collect(s.streamJson("calls_query_stream", { project_id: 7 })).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ code: "VALIDATION", details: { issues: [{ path: "project_id" }] } });
    const other = await collect(s.streamJson("table_query_stream" as never, { project_id: PROJECT, digest: "d" })).catch((e: unknown) => e);
    expect(other).toMatchObject({ code: "VALIDATION", message: expect.stringMatching(/streamJson serves calls_query_stream/) });
  });

  it("refuses a bad request as the method does, and any other method", async () => {
    const s = server();
    const bad = await s.answerJson("calls_query", { project_id: "nope" }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(WeftError);
    expect(bad).toMatchObject({ code: "VALIDATION", details: { issues: [{ path: "project_id" }] } });
    const other = await s.answerJson("calls_delete" as never, { project_id: PROJECT, call_ids: [] }).catch((e: unknown) => e);
    expect(other).toMatchObject({ code: "VALIDATION", message: expect.stringMatching(/answerJson serves calls_query, call_read/) });
  });
});

describe("client: answers as JSON text", () => {
  function setup(): { client: WeftClient; sent: Array<{ path?: string[] }> } {
    const { port1, port2 } = new MessageChannel();
    exposeLocalTraceServer({ endpoint: port1, dbName: "json-answers", indexedDB: new IDBFactory(), IDBKeyRange });
    const sent: Array<{ path?: string[] }> = [];
    const post = port2.postMessage.bind(port2);
    port2.postMessage = ((message: { path?: string[] }, transfer?: Transferable[]) => {
      sent.push(message);
      post(message, transfer ?? []);
    }) as typeof port2.postMessage;
    const client = createClient({ worker: port2 });
    clients.push(client);
    return { client, sent };
  }

  it("asks for calls_query and call_read as text once the worker offers it, and answers with the same objects", async () => {
    const { client, sent } = setup();
    await client.ready();
    await client.call_start({ start: start({ id: "a", trace_id: "t", started_at: at(0), inputs: { x: [1, { y: "z" }] } }) as never });
    await client.call_end({ end: end("a", { ended_at: at(5), output: "done" }) as never });
    const page = await client.calls_query({ project_id: PROJECT });
    expect(page.calls).toHaveLength(1);
    expect(page.calls[0]).toMatchObject({ id: "a", inputs: { x: [1, { y: "z" }] }, output: "done", summary: { weave: { status: "success", latency_ms: 5 } } });
    const read = await client.call_read({ project_id: PROJECT, id: "a" });
    expect(read.call).toEqual(page.calls[0]);
    const byPath = (name: string) => sent.filter((m) => m.path?.[0] === name).length;
    expect(byPath("callJson")).toBe(2);
    // Other methods still answer as objects.
    expect((await client.calls_query_stats({ project_id: PROJECT })).count).toBe(1);
    expect(byPath("call")).toBeGreaterThanOrEqual(2);
  });

  it("streams calls_query_stream as text once the worker offers it, with the same calls; other streams as objects", async () => {
    const { client, sent } = setup();
    await client.ready();
    for (let i = 0; i < 3; i++) {
      await client.call_start({ start: start({ id: `s${i}`, trace_id: `t${i}`, started_at: at(i), inputs: { i, deep: [{ x: "ü" }] } }) as never });
    }
    await client.flush();
    const streamed = await collect(client.calls_query_stream({ project_id: PROJECT }));
    expect(streamed).toEqual((await client.calls_query({ project_id: PROJECT })).calls);
    const opens = sent.filter((m) => m.path?.[0] === "openStream");
    expect(opens).toHaveLength(1);
    expect(JSON.stringify(opens[0])).toContain('"json":true');
    // A stream the worker does not send as text is opened as before.
    expect(await collect(client.table_query_stream({ project_id: PROJECT, digest: "missing" }))).toEqual([]);
    const second = sent.filter((m) => m.path?.[0] === "openStream")[1];
    expect(JSON.stringify(second)).not.toContain('"json"');
  });

  it("streams objects from a worker that does not offer text streams (built before them)", async () => {
    installErrorTransfer();
    const { port1, port2 } = new MessageChannel();
    const s = server();
    const api = createWorkerApi(s, "older-worker", Promise.resolve());
    const { jsonStreams: _dropped, ...older } = await api.hello();
    expose({ ...api, hello: async () => older }, port1);
    const client = createClient({ worker: port2 });
    clients.push(client);
    await client.call_start({ start: start({ id: "o", trace_id: "t", started_at: at(0), inputs: { a: 1 } }) as never });
    await client.flush();
    const streamed = await collect(client.calls_query_stream({ project_id: PROJECT }));
    expect(streamed).toEqual((await s.calls_query({ project_id: PROJECT })).calls);
    // And a worker refuses text for a stream it does not send as text.
    const refused = await api.openStream("table_query_stream", { project_id: PROJECT, digest: "d" }, { json: true }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "VALIDATION", message: expect.stringMatching(/not streamed as JSON text/) });
  });

  it("keeps the server's errors typed", async () => {
    const { client } = setup();
    await client.ready();
    const error = await client.calls_query({ project_id: PROJECT, columns: ["nope"] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WeftError);
    expect(error).toMatchObject({ code: "INVALID_FIELD" });
  });
});
