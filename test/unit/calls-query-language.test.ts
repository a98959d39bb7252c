/**
 * Conformance §5: the `query.$expr` language on calls (weave-semantics.md §2.9.2). Counts are checked
 * on `calls_query`, `calls_query_stream` and `calls_query_stats` (see `countCalls`).
 *
 * Not in the catalogue (no rows).
 */
import { v7 as uuidv7 } from "uuid";
import { beforeAll, describe, expect, it } from "vitest";
import type { Query } from "../../src/schema/query";
import type { LocalTraceServer } from "../../src/server";
import {
  CallLog,
  caught,
  convert,
  countCalls,
  expr,
  field,
  FILTER13_CASES,
  filter13,
  lit,
  opRef,
  queryCalls,
  queryIds,
} from "./support/fixtures";
import { at, makeServer, PROJECT } from "./support/server";

describe("FILTER-13", () => {
  let server: LocalTraceServer;
  let ids: string[];

  beforeAll(async () => {
    server = makeServer();
    const log = new CallLog();
    ids = filter13(log);
    await log.write(server);
  });

  it("FILTER-13 holds 13 calls", async () => {
    expect(await countCalls(server, { project_id: PROJECT })).toBe(13);
  });

  for (const c of FILTER13_CASES) {
    it(`${c.id} ${c.name} -> ${c.matches.length}`, async () => {
      const got = await queryIds(server, { project_id: PROJECT, query: c.query });
      expect(got).toEqual(c.matches.map((i) => ids[i]));
    });
  }
});

describe("other query-language cases", () => {
  it("Q-22 $in on id: stats with the first two ids, stream with all four in creation order", async () => {
    const server = makeServer();
    const log = new CallLog();
    const ids = [0, 1, 2, 3].map((i) => log.call({ id: uuidv7(), op_name: opRef("test_op", "d"), inputs: { i } }));
    await log.write(server);
    const inIds = (list: string[]): Query => expr({ $in: [field("id"), list.map((id) => lit(id))] });
    expect((await server.calls_query_stats({ project_id: PROJECT, query: inIds(ids.slice(0, 2)) })).count).toBe(2);
    expect(await queryIds(server, { project_id: PROJECT, query: inIds(ids.slice(0, 2)) })).toEqual(ids.slice(0, 2));
    const streamed: string[] = [];
    for await (const call of server.calls_query_stream({ project_id: PROJECT, query: inIds(ids) })) streamed.push(call.id);
    expect(streamed).toEqual(ids);
  });

  it("Q-23 string, bool-as-string and numeric-string filters", async () => {
    const server = makeServer();
    const log = new CallLog();
    const names = ["alpha", "beta", "gamma", "delta", "epsilon"];
    names.forEach((n, i) =>
      log.call({
        id: `s-${n}`,
        inputs: { test_id: "T-1", name: `${n}_test`, tags: [n, "tag"], value: (i + 1) * 100, active: i % 2 === 0 ? "True" : "False" },
      }),
    );
    // Unrelated calls that would match every condition below but the test_id.
    names.forEach((n, i) => log.call({ id: `o-${n}`, inputs: { test_id: "T-2", name: `${n}_test`, value: (i + 1) * 100, active: "True" } }));
    await log.write(server);
    const testId = { $eq: [field("inputs.test_id"), lit("T-1")] } as const;
    const has = (s: string) => ({ $contains: { input: field("inputs.name"), substr: lit(s) } });
    const active = (v: string) => ({ $eq: [field("inputs.active"), lit(v)] }) as const;
    const run = async (...more: Query["$expr"][]) => {
      const calls = await queryCalls(server, { project_id: PROJECT, query: expr({ $and: [testId, ...more] }) });
      return calls.map((c) => c.inputs["name"]);
    };
    expect(await run()).toEqual(names.map((n) => `${n}_test`));
    expect(await run(has("test"))).toHaveLength(5);
    const alpha = await queryCalls(server, { project_id: PROJECT, query: expr({ $and: [testId, has("alpha")] }) });
    expect(alpha.map((c) => c.inputs["value"])).toEqual([100]);
    expect(await run({ $in: [field("inputs.name"), [lit("delta_test"), lit("gamma_test")]] })).toEqual(["gamma_test", "delta_test"]);
    expect(await run(active("True"))).toEqual(["alpha_test", "gamma_test", "epsilon_test"]);
    expect(await run({ $or: [has("alpha"), has("beta"), { $gt: [field("inputs.value"), lit("300")] }] })).toEqual([
      "alpha_test",
      "beta_test",
      "delta_test",
      "epsilon_test",
    ]);
    const eps = await queryCalls(server, { project_id: PROJECT, query: expr({ $and: [testId, has("epsilon"), active("True")] }) });
    expect(eps.map((c) => c.inputs["value"])).toEqual([500]);
    expect(
      await run(
        { $or: [{ $and: [has("alpha"), active("True")] }, { $and: [has("delta"), active("False")] }] },
        { $or: [{ $gte: [field("inputs.value"), lit("400")] }, active("True")] },
      ),
    ).toEqual(["alpha_test", "delta_test"]);
  });

  it("Q-25 started_at comparisons with non-UUIDv7 (16-hex OTel) ids", async () => {
    const server = makeServer();
    const ts = [0, 1, 2, 3].map((i) => at(i * 1000));
    const secs = (iso: string): number => Date.parse(iso) / 1000;
    const otel = ["1111111111111111", "2222222222222222", "3333333333333333", "4444444444444444"];
    const log = new CallLog();
    otel.forEach((id, i) =>
      log.call({ id, started_at: ts[i] as string, inputs: { special: i === 1 } }, { ended_at: ts[i] as string, summary: { number: i + 1 } }),
    );
    await log.write(server);
    const ids = (op: Query["$expr"]): Promise<string[]> => queryIds(server, { project_id: PROJECT, query: expr(op) });
    const started = field("started_at");
    expect(await ids({ $eq: [started, lit(ts[0] as string)] })).toEqual([otel[0]]);
    expect(await ids({ $gt: [started, lit(secs(ts[0] as string))] })).toEqual(otel.slice(1));
    expect(await ids({ $gte: [started, lit(ts[1] as string)] })).toEqual(otel.slice(1));
    expect(await ids({ $or: [{ $eq: [started, lit(ts[2] as string)] }, { $gt: [started, lit(secs(ts[2] as string))] }] })).toEqual(otel.slice(2));

    const uuids = [0, 1, 2, 3].map(() => uuidv7());
    const later = new CallLog(PROJECT, 1000, 10_000);
    uuids.forEach((id) => later.call({ id }));
    await later.write(server);
    expect(await ids({ $gt: [started, lit(ts[1] as string)] })).toEqual([...otel.slice(2), ...uuids]);
    const now = Date.now() / 1000;
    expect(
      await ids({
        $or: [
          { $or: [{ $gt: [started, lit(ts[1] as string)] }, { $eq: [field("summary.number"), lit("1")] }] },
          { $and: [{ $not: [{ $gt: [started, lit(now)] }] }, { $eq: [field("inputs.special"), lit("true")] }] },
        ],
      }),
    ).toEqual([...otel, ...uuids]);
  });

  it("Q-26 dotted keys escaped with a backslash", async () => {
    const server = makeServer();
    const log = new CallLog();
    const first = { "double.nested": "hello", "triple.nested.dot": "world" };
    const second = { "double.nested": "goodbye", "triple.nested.dot": "universe" };
    log.call({ id: "d1", inputs: { nested: first } }, { output: first });
    log.call({ id: "d2", inputs: { nested: second } }, { output: second });
    await log.write(server);
    const ids = (op: Query["$expr"]): Promise<string[]> => queryIds(server, { project_id: PROJECT, query: expr(op) });
    expect(await ids({ $eq: [field("output.double\\.nested"), lit("hello")] })).toEqual(["d1"]);
    expect(await ids({ $eq: [field("output.triple\\.nested\\.dot"), lit("world")] })).toEqual(["d1"]);
    expect(await ids({ $eq: [field("inputs.nested.double\\.nested"), lit("goodbye")] })).toEqual(["d2"]);
    expect(await ids({ $eq: [field("inputs.nested.triple\\.nested\\.dot"), lit("universe")] })).toEqual(["d2"]);
    expect(await ids({ $contains: { input: field("output.double\\.nested"), substr: lit("good") } })).toEqual(["d2"]);
    expect(
      await ids({
        $or: [
          { $eq: [field("output.double\\.nested"), lit("hello")] },
          { $eq: [field("output.triple\\.nested\\.dot"), lit("universe")] },
        ],
      }),
    ).toEqual(["d1", "d2"]);
    // Unescaped, the dots are path separators: no such nested keys.
    expect(await ids({ $eq: [field("output.double.nested"), lit("hello")] })).toEqual([]);
  });

  it("Q-28 a query matches a running call, before and after its end", async () => {
    const server = makeServer();
    const log = new CallLog();
    log.start({ id: "run", inputs: { param: { value1: "hello" } } });
    await log.write(server);
    const query = expr({ $in: [field("inputs.param.value1"), [lit("hello")]] });
    const before = await queryCalls(server, { project_id: PROJECT, query });
    expect(before.map((c) => [c.id, c.output, c.ended_at])).toEqual([["run", null, null]]);
    log.end("run", { output: { d: 5 } });
    await log.write(server);
    const after = await queryCalls(server, { project_id: PROJECT, query });
    expect(after.map((c) => [c.id, c.output])).toEqual([["run", { d: 5 }]]);
  });

  it("Q-29 contains over a JSON list searches its serialized text", async () => {
    const server = makeServer();
    const log = new CallLog();
    log.call({ id: "m1" }, { output: { messages: ["hello", "world"] } });
    log.call({ id: "m2" }, { output: { messages: ["hello", "world", "extra"] } });
    log.call({ id: "m3" }, { output: { messages: ["hello", "world", "extra2"] } });
    await log.write(server);
    const has = (s: string): Promise<string[]> =>
      queryIds(server, { project_id: PROJECT, query: expr({ $contains: { input: field("output.messages"), substr: lit(s) } }) });
    expect(await has("hello")).toEqual(["m1", "m2", "m3"]);
    expect(await has("extra2")).toEqual(["m3"]);
    expect(await has("extra")).toEqual(["m2", "m3"]);
  });

  it("Q-31 an unknown operator is a validation error; a valid $eq on op_name is accepted", async () => {
    const server = makeServer();
    const bad = { $expr: { $invalid_field: "x" } } as unknown as Query;
    expect((await caught(() => server.calls_query({ project_id: PROJECT, query: bad }))).code).toBe("VALIDATION");
    expect((await caught(() => server.calls_query_stats({ project_id: PROJECT, query: bad }))).code).toBe("VALIDATION");
    const log = new CallLog();
    log.call({ id: "p", op_name: "predict" });
    log.call({ id: "q", op_name: "other" });
    await log.write(server);
    expect(await queryIds(server, { project_id: PROJECT, query: expr({ $eq: [field("op_name"), lit("predict")] }) })).toEqual(["p"]);
  });

  it("Q-31 a valid $eq on op_name is a literal match: a ':*' literal is not a wildcard", async () => {
    const server = makeServer();
    const log = new CallLog();
    log.call({ id: "v1", op_name: opRef("adder", "d1") });
    log.call({ id: "v2", op_name: opRef("adder", "d2") });
    await log.write(server);
    const exact = expr({ $eq: [field("op_name"), lit(opRef("adder", "d2"))] });
    expect(await queryIds(server, { project_id: PROJECT, query: exact })).toEqual(["v2"]);
    const star = expr({ $eq: [field("op_name"), lit(`weave:///${PROJECT}/op/adder:*`)] });
    expect(await queryIds(server, { project_id: PROJECT, query: star })).toEqual([]);
  });

  it("Q-32 thread_id in a query", async () => {
    const server = makeServer();
    const log = new CallLog();
    log.call({ id: "t1a", thread_id: "filter_thread_1" });
    log.call({ id: "t2", thread_id: "filter_thread_2" });
    log.call({ id: "t1b", thread_id: "filter_thread_1" });
    log.call({ id: "none" });
    await log.write(server);
    const calls = await queryCalls(server, { project_id: PROJECT, query: expr({ $eq: [field("thread_id"), lit("filter_thread_1")] }) });
    expect(calls.map((c) => [c.id, c.thread_id])).toEqual([
      ["t1a", "filter_thread_1"],
      ["t1b", "filter_thread_1"],
    ]);
  });

  it("Q-34 started_at windows in stats exclude deleted calls and orphan ends", async () => {
    const server = makeServer();
    const log = new CallLog();
    ["w1", "w2", "w3"].forEach((id) => log.call({ id }));
    await log.write(server);
    const afterEpoch = expr({ $gt: [field("started_at"), lit(1)] });
    const farFuture = expr({ $gt: [field("started_at"), lit(99999999999)] });
    const counts = async (): Promise<number[]> => [
      await countCalls(server, { project_id: PROJECT, query: afterEpoch }),
      await countCalls(server, { project_id: PROJECT }),
      await countCalls(server, { project_id: PROJECT, query: farFuture }),
    ];
    expect(await counts()).toEqual([3, 3, 0]);
    await server.calls_delete({ project_id: PROJECT, call_ids: ["w2"], wb_user_id: "shawn" });
    expect(await counts()).toEqual([2, 2, 0]);
    // An end whose start never arrived (HEAD's end carries started_at and trace_id; weft drops them).
    const orphan = { project_id: PROJECT, id: "orphan", ended_at: at(60_000), summary: {}, started_at: at(59_000), trace_id: "orphan" };
    await server.call_end({ end: orphan as { project_id: string; id: string; ended_at: string; summary: Record<string, unknown> } });
    expect(await counts()).toEqual([2, 2, 0]);
  });
});

describe("query validation", () => {
  it("unknown query field -> INVALID_FIELD, on query, stream and stats", async () => {
    const server = makeServer();
    const query = expr({ $eq: [field("operation_name"), lit("x")] });
    const q = await caught(() => server.calls_query({ project_id: PROJECT, query }));
    expect(q.code).toBe("INVALID_FIELD");
    expect(q.message).toContain("operation_name");
    expect((await caught(() => server.calls_query_stats({ project_id: PROJECT, query }))).code).toBe("INVALID_FIELD");
    const s = await caught(async () => {
      for await (const _ of server.calls_query_stream({ project_id: PROJECT, query })) void _;
    });
    expect(s.code).toBe("INVALID_FIELD");
  });

  it("summary.weave.foo -> INVALID_FIELD; the three computed summary.weave fields are accepted", async () => {
    const server = makeServer();
    const log = new CallLog();
    log.call({ id: "c", op_name: "my_op" });
    await log.write(server);
    const bad = expr({ $eq: [field("summary.weave.foo"), lit("x")] });
    const error = await caught(() => server.calls_query({ project_id: PROJECT, query: bad }));
    expect(error.code).toBe("INVALID_FIELD");
    expect(error.message).toContain("summary.weave.foo");
    expect((await caught(() => server.calls_query_stats({ project_id: PROJECT, query: bad }))).code).toBe("INVALID_FIELD");
    expect(await countCalls(server, { project_id: PROJECT, query: expr({ $eq: [field("summary.weave.status"), lit("success")] }) })).toBe(1);
    expect(await countCalls(server, { project_id: PROJECT, query: expr({ $eq: [field("summary.weave.trace_name"), lit("my_op")] }) })).toBe(1);
    expect(await countCalls(server, { project_id: PROJECT, query: expr({ $gte: [field("summary.weave.latency_ms"), lit(0)] }) })).toBe(1);
  });

  it("storage sizes cannot be queried -> INVALID_FIELD", async () => {
    const server = makeServer();
    const query = expr({ $gt: [field("storage_size_bytes"), lit(0)] });
    expect((await caught(() => server.calls_query({ project_id: PROJECT, query }))).code).toBe("INVALID_FIELD");
  });

  it("empty $and / dict literal -> VALIDATION", async () => {
    const server = makeServer();
    const empty = { $expr: { $and: [] } } as unknown as Query;
    expect((await caught(() => server.calls_query({ project_id: PROJECT, query: empty }))).code).toBe("VALIDATION");
    const dict = expr({ $eq: [field("inputs.x"), { $literal: { a: lit(1) } }] });
    expect((await caught(() => server.calls_query({ project_id: PROJECT, query: dict }))).code).toBe("VALIDATION");
  });

  it("$convert of a plain string column (op_name) to int", async () => {
    const server = makeServer();
    const log = new CallLog();
    log.call({ id: "n", op_name: "17" });
    log.call({ id: "s", op_name: "seventeen" });
    await log.write(server);
    expect(await queryIds(server, { project_id: PROJECT, query: expr({ $gt: [convert(field("op_name"), "int"), lit(10)] }) })).toEqual(["n"]);
  });
});
