/**
 * `calls_query_stream` over an index's order reads its range lazily, a chunk at a time
 * (`selectCallsInPages`): the same calls in the same order as `calls_query`, the first page after one
 * chunk, and the range's far end fixed when the stream opened.
 */
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { afterEach, describe, expect, it } from "vitest";
import { WeftError } from "../../src/errors";
import type { CallsQueryReq } from "../../src/schema/calls";
import { createLocalTraceServer, type LocalTraceServer } from "../../src/server";
import { selectCallsInPages } from "../../src/server/calls/execute";
import type { ServerContext } from "../../src/server/context";
import { WeftDb } from "../../src/server/db";
import { collect } from "./support/fixtures";
import { at, PROJECT } from "./support/server";

const CALLS = 1_200;
const PER_TRACE = 10;
const PAGE = 500;

interface Setup {
  server: LocalTraceServer;
  ctx: ServerContext;
  /** Rows handed up by the second connection's reads (values and keys), since the last reset. */
  rowsRead(): number;
  reset(): void;
}

const opened: Array<{ server: LocalTraceServer; db: WeftDb }> = [];
afterEach(async () => {
  for (const { server, db } of opened.splice(0)) {
    db.close();
    await server.close();
  }
});

/** Starts and ends of `count` calls in traces of PER_TRACE, one second apart from `firstSecond`. */
function calls(count: number, firstSecond: number, prefix: string) {
  return Array.from({ length: count }, (_, i) => {
    const n = firstSecond + i;
    const id = `${prefix}-${String(n).padStart(5, "0")}`;
    const root = `${prefix}-${String(n - (i % PER_TRACE)).padStart(5, "0")}`;
    return [
      {
        mode: "start" as const,
        req: {
          start: {
            project_id: PROJECT,
            id,
            trace_id: `t-${root}`,
            parent_id: i % PER_TRACE === 0 ? null : root,
            op_name: i % 3 === 0 ? "weave:///shawn/test-project/op/a:1" : "weave:///shawn/test-project/op/b:1",
            started_at: at(n * 1000),
            attributes: {},
            inputs: { n },
          },
        },
      },
      { mode: "end" as const, req: { end: { project_id: PROJECT, id, ended_at: at(n * 1000 + 500), output: n, summary: {} } } },
    ];
  }).flat();
}

/**
 * A server holding CALLS calls, and a second connection to its database whose reads are counted
 * (a Dexie middleware), for `selectCallsInPages` to run on.
 */
async function setup(): Promise<Setup> {
  const indexedDB = new IDBFactory();
  const dbName = `stream-pages-${opened.length}`;
  const server = createLocalTraceServer({ dbName, indexedDB, IDBKeyRange });
  await server.call_start_batch({ batch: calls(CALLS, 0, "c") });
  let read = 0;
  const db = new WeftDb(dbName, { indexedDB, IDBKeyRange });
  db.use({
    stack: "dbcore",
    name: "count-rows",
    create: (down) => ({
      ...down,
      table: (name) => {
        const table = down.table(name);
        return {
          ...table,
          query: async (req) => {
            const res = await table.query(req);
            read += res.result.length;
            return res;
          },
          getMany: async (req) => {
            const res = await table.getMany(req);
            read += res.length;
            return res;
          },
        };
      },
    }),
  });
  await db.open();
  opened.push({ server, db });
  return { server, ctx: { db, userId: "local", now: Date.now }, rowsRead: () => read, reset: () => (read = 0) };
}

/** The ids of a page taken with `next()`: none when the stream was already done. */
function pageIds(step: IteratorResult<Array<{ id: string }>, void>): string[] {
  return step.done ? [] : step.value.map((row) => row.id);
}

async function ids(pages: AsyncIterable<Array<{ id: string }>>): Promise<string[]> {
  const out: string[] = [];
  for await (const page of pages) {
    expect(page.length).toBeGreaterThan(0);
    expect(page.length).toBeLessThanOrEqual(PAGE);
    out.push(...page.map((row) => row.id));
  }
  return out;
}

describe("calls_query_stream in an index's order", () => {
  const orders: Array<[string, CallsQueryReq]> = [
    ["the whole project, oldest first", { project_id: PROJECT }],
    ["the whole project, newest first", { project_id: PROJECT, sort_by: [{ field: "started_at", direction: "desc" }] }],
    ["roots, newest first", { project_id: PROJECT, filter: { trace_roots_only: true }, sort_by: [{ field: "started_at", direction: "desc" }] }],
    ["one op, with offset and limit", { project_id: PROJECT, filter: { op_names: ["weave:///shawn/test-project/op/a:1"] }, offset: 37, limit: 333 }],
    ["an offset past a page, no limit", { project_id: PROJECT, offset: 700 }],
  ];

  for (const [name, req] of orders) {
    it(`streams ${name} in calls_query's order, in pages`, async () => {
      const { server, ctx } = await setup();
      const want = (await server.calls_query(req)).calls.map((c) => c.id);
      expect(want.length).toBeGreaterThan(0);
      expect(await ids(selectCallsInPages(ctx, req, PAGE))).toEqual(want);
      expect((await collect(server.calls_query_stream(req))).map((c) => c.id)).toEqual(want);
    });
  }

  it("reads one chunk for the first page, not the whole range", async () => {
    const { ctx, rowsRead, reset } = await setup();
    reset();
    const pages = selectCallsInPages(ctx, { project_id: PROJECT }, PAGE);
    const first = await pages.next();
    expect(first.done).toBe(false);
    expect(first.value).toHaveLength(PAGE);
    // The far end's key (1) and the first chunk (PAGE rows).
    expect(rowsRead()).toBeLessThanOrEqual(PAGE + 1);
    let total = PAGE;
    for await (const page of pages) total += page.length;
    expect(total).toBe(CALLS);
    expect(rowsRead()).toBeGreaterThanOrEqual(CALLS);
  });

  it("leaves out calls written after the stream opened, at its far end", async () => {
    const { server, ctx } = await setup();
    const asc = { project_id: PROJECT };
    const desc = { project_id: PROJECT, sort_by: [{ field: "started_at" as const, direction: "desc" as const }] };
    const wantAsc = (await server.calls_query(asc)).calls.map((c) => c.id);
    const wantDesc = (await server.calls_query(desc)).calls.map((c) => c.id);
    const ascPages = selectCallsInPages(ctx, asc, PAGE);
    const descPages = selectCallsInPages(ctx, desc, PAGE);
    const firstAsc = await ascPages.next();
    const firstDesc = await descPages.next();
    // Newer calls arrive while both streams are open.
    await server.call_start_batch({ batch: calls(40, CALLS, "late") });
    const restAsc = await ids(ascPages);
    const restDesc = await ids(descPages);
    expect([...pageIds(firstAsc), ...restAsc]).toEqual(wantAsc);
    expect([...pageIds(firstDesc), ...restDesc]).toEqual(wantDesc);
    expect((await server.calls_query(asc)).calls).toHaveLength(CALLS + 40);
  });

  it("leaves out a call deleted before its chunk was read", async () => {
    const { server, ctx } = await setup();
    const pages = selectCallsInPages(ctx, { project_id: PROJECT, filter: { trace_roots_only: true } }, 50);
    const firstIds = pageIds(await pages.next());
    const later = `c-${String(CALLS - PER_TRACE).padStart(5, "0")}`; // the last trace's root
    await server.calls_delete({ project_id: PROJECT, call_ids: [later] });
    const rest = await ids(pages);
    expect(firstIds).toHaveLength(50);
    expect(rest).not.toContain(later);
    expect([...firstIds, ...rest]).toEqual((await server.calls_query({ project_id: PROJECT, filter: { trace_roots_only: true } })).calls.map((c) => c.id));
  });

  it("a sort that is no index's order reads every match first, with the same results", async () => {
    const { server, ctx } = await setup();
    const req: CallsQueryReq = { project_id: PROJECT, sort_by: [{ field: "inputs.n", direction: "desc" }], limit: 600 };
    const want = (await server.calls_query(req)).calls.map((c) => c.id);
    expect(want).toHaveLength(600);
    expect(await ids(selectCallsInPages(ctx, req, PAGE))).toEqual(want);
  });

  it("refuses a bad sort field before the first page", async () => {
    const { ctx } = await setup();
    const pages = selectCallsInPages(ctx, { project_id: PROJECT, sort_by: [{ field: "no_such_column", direction: "asc" }] }, PAGE);
    const error = await pages.next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WeftError);
  });
});
