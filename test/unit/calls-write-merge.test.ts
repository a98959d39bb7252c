/**
 * Call writes (src/server/calls/write.ts): new calls and calls already stored in one batch, merged
 * in one transaction; concurrent batches each stored whole, in arrival order; a bad batch refused
 * alone.
 */
import { describe, expect, it } from "vitest";
import { WeftError } from "../../src/errors";
import type { MethodReq } from "../../src/interface";
import { PROJECT, end, makeServer, start } from "./support/server";

type BatchReq = MethodReq<"call_start_batch">;
const batchOf = (...items: Array<["start" | "end", Record<string, unknown>]>): BatchReq =>
  ({ batch: items.map(([mode, part]) => (mode === "start" ? { mode, req: { start: part } } : { mode, req: { end: part } })) }) as BatchReq;

describe("call writes: merging into stored rows, concurrent batches", () => {
  it("stores concurrent batches each whole, with every result in place", async () => {
    const server = makeServer();
    const sent = Array.from({ length: 6 }, (_, b) =>
      server.call_start_batch(batchOf(["start", start({ id: `c${b}`, trace_id: `t${b}` })], ["end", end(`c${b}`, { output: b })])),
    );
    const answers = await Promise.all(sent);
    expect(answers).toEqual(Array.from({ length: 6 }, (_, b) => ({ res: [{ id: `c${b}`, trace_id: `t${b}` }, {}] })));
    const { calls } = await server.calls_query({ project_id: PROJECT, sort_by: [{ field: "id", direction: "asc" }] });
    expect(calls.map((c) => [c.id, c.output, c.ended_at !== null])).toEqual(Array.from({ length: 6 }, (_, b) => [`c${b}`, b, true]));
  });

  it("merges into rows already stored in the same transaction as new rows: an end after its start, an update first", async () => {
    const server = makeServer();
    await server.call_start_batch(batchOf(["start", start({ id: "old", inputs: { x: 1 } })]));
    // An update that arrives before its call's start (the SDK's order is free).
    await server.call_update({ project_id: PROJECT, call_id: "renamed", display_name: "given later", wb_user_id: "u" });
    await server.call_start_batch(
      batchOf(
        ["end", end("old", { output: "done" })],
        ["start", start({ id: "new" })],
        ["start", start({ id: "renamed", display_name: "from start" })],
      ),
    );
    const { calls } = await server.calls_query({ project_id: PROJECT, sort_by: [{ field: "id", direction: "asc" }] });
    expect(calls.map((c) => [c.id, c.display_name, c.inputs, c.output ?? null])).toEqual([
      ["new", null, {}, null],
      ["old", null, { x: 1 }, "done"],
      ["renamed", "given later", {}, null],
    ]);
  });

  it("finds the stored rows of a large batch wherever they sit among new ones", async () => {
    const server = makeServer();
    const ids = Array.from({ length: 1200 }, (_, i) => `r${String(i).padStart(4, "0")}`);
    // Every other call is started first; the big batch then ends all of them and starts the rest.
    await server.call_start_batch(batchOf(...ids.filter((_, i) => i % 2 === 0).map((id): ["start", Record<string, unknown>] => ["start", start({ id })])));
    await server.call_start_batch(
      batchOf(
        ...ids.flatMap((id, i): Array<["start" | "end", Record<string, unknown>]> => [
          ...(i % 2 === 1 ? [["start", start({ id })] as ["start", Record<string, unknown>]] : []),
          ["end", end(id, { output: i })],
        ]),
      ),
    );
    const stats = await server.calls_query_stats({ project_id: PROJECT, filter: {} });
    expect(stats.count).toBe(1200);
    const { calls } = await server.calls_query({ project_id: PROJECT, sort_by: [{ field: "id", direction: "asc" }] });
    expect(calls.map((c) => c.output)).toEqual(ids.map((_, i) => i));
    expect(calls.every((c) => c.ended_at !== null)).toBe(true);
  });

  it("applies parts of concurrent batches in arrival order (a later start overwrites an earlier one)", async () => {
    const server = makeServer();
    await Promise.all([
      server.call_start_batch(batchOf(["start", start({ id: "warm" })])),
      server.call_start_batch(batchOf(["start", start({ id: "x", op_name: "first", inputs: { v: 1 } })])),
      server.call_start_batch(batchOf(["end", end("x", { output: "done" })], ["start", start({ id: "x", op_name: "second", inputs: { v: 2 } })])),
    ]);
    const { call } = await server.call_read({ project_id: PROJECT, id: "x" });
    expect(call).toMatchObject({ op_name: "second", inputs: { v: 2 }, output: "done" });
  });

  it("refuses a bad batch alone; the batches sent with it are stored", async () => {
    const server = makeServer();
    const results = await Promise.allSettled([
      server.call_start_batch(batchOf(["start", start({ id: "a" })])),
      server.call_start_batch(batchOf(["start", start({ id: "b" })], ["start", start({ id: "bad", op_name: "" })])),
      server.call_start_batch(batchOf(["start", start({ id: "c" })])),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const refused = (results[1] as PromiseRejectedResult).reason as WeftError;
    expect(refused).toBeInstanceOf(WeftError);
    expect(refused.details?.issues?.[0]?.path).toBe("batch[1].req.start.op_name");
    const { calls } = await server.calls_query({ project_id: PROJECT, sort_by: [{ field: "id", direction: "asc" }] });
    expect(calls.map((c) => c.id)).toEqual(["a", "c"]);
  });
});
