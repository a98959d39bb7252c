/**
 * Fixtures of the calls conformance tests (../shared/reference/weave-conformance-cases.md), built
 * straight through `call_start_batch`: what the Python SDK would publish (ops, `Number` objects)
 * becomes plain ref strings in `op_name`, inputs and outputs. Also `queryCalls`/`countCalls`, which
 * run one request through `calls_query`, `calls_query_stream` and `calls_query_stats` and insist the
 * three agree, so every conformance case checks all three paths.
 */
import { expect } from "vitest";
import type { z } from "zod";
import { WeftError } from "../../../src/errors";
import type { CallBatchItemSchema, CallSchema, CallsQueryReqInput } from "../../../src/schema/calls";
import type { CastTo, ConvertOperation, GetFieldOperator, LiteralOperation, Operand, Operation, Query } from "../../../src/schema/query";
import type { LocalTraceServer } from "../../../src/server";
import { at, PROJECT } from "./server";

export type BatchItem = z.input<typeof CallBatchItemSchema>;
type StartFields = Extract<BatchItem, { mode: "start" }>["req"]["start"];
type EndFields = Extract<BatchItem, { mode: "end" }>["req"]["end"];

/** An op ref of `PROJECT`, as the SDK writes `op_name`. */
export function opRef(name: string, digest: string): string {
  return `weave:///${PROJECT}/op/${name}:${digest}`;
}

/** The `:*` wildcard form matching every version of op `name` (F-01). */
export function opWildcard(name: string): string {
  return `weave:///${PROJECT}/op/${name}:*`;
}

/** The ref of a published `Number(value=v)`: equal values share a digest, as content-addressed objects do. */
export function numberRef(value: number): string {
  return `weave:///${PROJECT}/object/Number:num${value}digest`;
}

/**
 * Collects starts and ends with a monotonic clock (one tick per part, 1 s apart by default), then
 * writes them in one `call_start_batch`.
 */
export class CallLog {
  readonly items: BatchItem[] = [];
  private tick = 0;

  constructor(
    readonly project: string = PROJECT,
    private readonly stepMs = 1000,
    private readonly baseMs = 0,
  ) {}

  /** The next timestamp of the clock. */
  now(): string {
    return at(this.baseMs + this.tick++ * this.stepMs);
  }

  start(fields: Partial<StartFields> & { id: string }): string {
    const start: StartFields = {
      project_id: this.project,
      op_name: "test_op",
      trace_id: fields.id,
      started_at: this.now(),
      attributes: {},
      inputs: {},
      ...fields,
    };
    this.items.push({ mode: "start", req: { start } });
    return fields.id;
  }

  end(id: string, fields: Partial<EndFields> = {}): void {
    const end: EndFields = { project_id: this.project, id, ended_at: this.now(), summary: {}, ...fields };
    this.items.push({ mode: "end", req: { end } });
  }

  /** A root call that starts and ends at once; returns its id. */
  call(fields: Partial<StartFields> & { id: string }, endFields: Partial<EndFields> = {}): string {
    this.start(fields);
    this.end(fields.id, endFields);
    return fields.id;
  }

  async write(server: LocalTraceServer): Promise<void> {
    await server.call_start_batch({ batch: this.items });
    this.items.length = 0;
  }
}

/** The ops of LINE-BOOTSTRAP: `adder_v0` and `adder` are two versions (digests) of op `adder`. */
export const LINE_OPS = {
  adder_v0: opRef("adder", "adderV0digest"),
  adder: opRef("adder", "adderV1digest"),
  subtractor: opRef("subtractor", "subtractorDigest"),
  multiplier: opRef("multiplier", "multiplierDigest"),
  liner: opRef("liner", "linerDigest"),
} as const;

/** What a LINE-BOOTSTRAP build made. */
export interface LineBootstrap {
  /** Every call id, in start order. */
  ids: string[];
  /** The 5 liner calls (the only parents), in order. */
  parents: string[];
  /** Root trace ids in start order (= default sort order). */
  traceIds: string[];
}

export interface LineOptions {
  /** Prefix of every id, so several bootstraps can share a project (F-07, F-08). */
  prefix?: string;
  wb_run_id?: string;
  wb_user_id?: string;
  /** Step counter of a run context: called on every start (wb_run_step) and end (wb_run_step_end), F-14. */
  step?: () => number;
}

/**
 * LINE-BOOTSTRAP (conformance §1, `simple_line_call_bootstrap`): adder_v0 x1, adder x2, subtractor
 * x3, multiplier x4, liner x5 (each liner -> multiplier child, then adder child). 25 calls, 15
 * traces; per op adder_v0 1, adder 7, subtractor 3, multiplier 9, liner 5. Inputs hold `Number`
 * refs: `a`/`m` = Number(i), and the liner's adder child gets Number(i*i). adder, subtractor and
 * liner return a Number ref, multiplier an int, adder_v0 nothing.
 */
export function lineBootstrap(log: CallLog, options: LineOptions = {}): LineBootstrap {
  const prefix = options.prefix ?? "line";
  let seq = 0;
  const ids: string[] = [];
  const parents: string[] = [];
  const traceIds: string[] = [];
  const common = (): { wb_run_id?: string; wb_user_id?: string; wb_run_step?: number } => ({
    ...(options.wb_run_id !== undefined ? { wb_run_id: options.wb_run_id } : {}),
    ...(options.wb_user_id !== undefined ? { wb_user_id: options.wb_user_id } : {}),
    ...(options.step ? { wb_run_step: options.step() } : {}),
  });
  const endCommon = (): { wb_run_step_end?: number } => (options.step ? { wb_run_step_end: options.step() } : {});
  const begin = (op: string, inputs: Record<string, unknown>, parent?: { id: string; trace: string }): string => {
    const id = `${prefix}-${String(seq++).padStart(2, "0")}`;
    ids.push(id);
    const trace = parent ? parent.trace : `${id}-trace`;
    if (!parent) traceIds.push(trace);
    log.start({ id, trace_id: trace, op_name: op, inputs, ...(parent ? { parent_id: parent.id } : {}), ...common() });
    return id;
  };
  const finish = (id: string, output: unknown): void => log.end(id, { output, ...endCommon() });

  for (let i = 0; i < 1; i++) finish(begin(LINE_OPS.adder_v0, { a: numberRef(i) }), null);
  for (let i = 0; i < 2; i++) finish(begin(LINE_OPS.adder, { a: numberRef(i), b: i }), numberRef(i + i));
  for (let i = 0; i < 3; i++) finish(begin(LINE_OPS.subtractor, { a: numberRef(i), b: i }), numberRef(0));
  for (let i = 0; i < 4; i++) finish(begin(LINE_OPS.multiplier, { a: numberRef(i), b: i }), i * i);
  for (let i = 0; i < 5; i++) {
    const liner = begin(LINE_OPS.liner, { m: numberRef(i), b: i, x: i });
    parents.push(liner);
    const parent = { id: liner, trace: `${liner}-trace` };
    finish(begin(LINE_OPS.multiplier, { a: numberRef(i), b: i }, parent), i * i);
    finish(begin(LINE_OPS.adder, { a: numberRef(i * i), b: i }, parent), numberRef(i * i + i));
    finish(liner, numberRef(i * i + i));
  }
  return { ids, parents, traceIds };
}

/** `basic_op`, the op of FILTER-13 and O-01. */
export const BASIC_OP = opRef("basic_op", "basicOpDigest");

/**
 * FILTER-13 (conformance §5, `test_trace_call_filter`): `basic_op(in_val, delay)` returning in_val,
 * with in_val = {prim: i, list: [i], dict: {inner: i}, str: "str_i"} for i = 0..9, then
 * {prim/list/dict: "Different Type", str: false}, then "simple_primitive", then 42.
 */
export function filter13(log: CallLog): string[] {
  const values: unknown[] = [];
  for (let i = 0; i < 10; i++) values.push({ prim: i, list: [i], dict: { inner: i }, str: `str_${i}` });
  values.push({ prim: "Different Type", list: "Different Type", dict: "Different Type", str: false });
  values.push("simple_primitive");
  values.push(42);
  return values.map((in_val, i) =>
    log.call({ id: `f13-${String(i).padStart(2, "0")}`, op_name: BASIC_OP, inputs: { in_val, delay: 0.01 } }, { output: in_val }),
  );
}

/** `{"$getField": path}`. */
export function field(path: string): GetFieldOperator {
  return { $getField: path };
}

/** `{"$literal": value}`. */
export function lit(value: string | number | boolean | null): LiteralOperation {
  return { $literal: value };
}

/** `{"$convert": {input, to}}`. */
export function convert(input: Operand, to: CastTo): ConvertOperation {
  return { $convert: { input, to } };
}

/** `{"$expr": op}`. */
export function expr(op: Operation): Query {
  return { $expr: op };
}

/** One FILTER-13 expression of conformance §5 and the FILTER-13 indices it matches. */
export interface Filter13Case {
  id: string;
  name: string;
  query: Query;
  /** Indices (0..12) of the matching FILTER-13 calls; the catalogue's count is the length. */
  matches: number[];
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const primInt = convert(field("inputs.in_val.prim"), "int");

/** The FILTER-13 rows of conformance §5 (Q-01..Q-20), shared by the query-language and stats tests (T-01). */
export const FILTER13_CASES: Filter13Case[] = [
  { id: "Q-01", name: "literal 1 == literal 1", query: expr({ $eq: [lit(1), lit(1)] }), matches: range(0, 12) },
  { id: "Q-02", name: "literal 1 == literal 2", query: expr({ $eq: [lit(1), lit(2)] }), matches: [] },
  {
    id: "Q-04",
    name: '"simple_primitive" == inputs.in_val (the whole input is a string)',
    query: expr({ $eq: [lit("simple_primitive"), field("inputs.in_val")] }),
    matches: [11],
  },
  { id: "Q-05", name: '"simple_primitive" == output', query: expr({ $eq: [lit("simple_primitive"), field("output")] }), matches: [11] },
  { id: "Q-07", name: "convert(prim,int) >= 5", query: expr({ $gte: [primInt, lit(5)] }), matches: range(5, 9) },
  {
    id: "Q-08",
    name: "NOT(convert(prim,int) > 5) excludes rows whose convert is null",
    query: expr({ $not: [{ $gt: [primInt, lit(5)] }] }),
    matches: range(0, 5),
  },
  {
    id: "Q-10",
    name: 'contains(inputs.in_val.str, "") matches every row, even without the field',
    query: expr({ $contains: { input: field("inputs.in_val.str"), substr: lit("") } }),
    matches: range(0, 12),
  },
  {
    id: "Q-11",
    name: 'contains(inputs.in_val.str, "str")',
    query: expr({ $contains: { input: field("inputs.in_val.str"), substr: lit("str") } }),
    matches: range(0, 9),
  },
  {
    id: "Q-13",
    name: 'contains(inputs.in_val.str, "STR", case_insensitive)',
    query: expr({ $contains: { input: field("inputs.in_val.str"), substr: lit("STR"), case_insensitive: true } }),
    matches: range(0, 9),
  },
  {
    id: "Q-14",
    name: "AND(NOT(convert(prim,int) > 7), convert(prim,int) >= 5)",
    query: expr({ $and: [{ $not: [{ $gt: [primInt, lit(7)] }] }, { $gte: [primInt, lit(5)] }] }),
    matches: [5, 6, 7],
  },
  {
    id: "Q-16",
    name: "5 == convert(inputs.in_val.str, int): failed conversions are null, never an error",
    query: expr({ $eq: [lit(5), convert(field("inputs.in_val.str"), "int")] }),
    matches: [],
  },
  {
    id: "Q-17",
    name: '"5" == convert(prim, string)',
    query: expr({ $eq: [lit("5"), convert(field("inputs.in_val.prim"), "string")] }),
    matches: [5],
  },
  {
    id: "Q-19",
    name: "convert(inputs.in_val.dict.inner, int) > 5",
    query: expr({ $gt: [convert(field("inputs.in_val.dict.inner"), "int"), lit(5)] }),
    matches: range(6, 9),
  },
  ...["output.prim", "output.list.0", "output.dict.inner"].map(
    (path): Filter13Case => ({
      id: "Q-20",
      name: `convert(${path}, int) > 5`,
      query: expr({ $gt: [convert(field(path), "int"), lit(5)] }),
      matches: range(6, 9),
    }),
  ),
];

/** All items of a stream, in order. */
export async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
}

/**
 * Runs `req` through `calls_query` and `calls_query_stream` (they must return the same calls in the
 * same order) and `calls_query_stats` (its count, with the same filter and query, must match the
 * number of calls once offset and limit are applied). Returns the calls of `calls_query`.
 */
export async function queryCalls(server: LocalTraceServer, req: CallsQueryReqInput): Promise<CallSchema[]> {
  const { calls } = await server.calls_query(req);
  const streamed = await collect(server.calls_query_stream(req));
  expect(streamed, "calls_query_stream differs from calls_query").toEqual(calls);
  const statsReq = {
    project_id: req.project_id,
    ...(req.filter !== undefined ? { filter: req.filter } : {}),
    ...(req.query !== undefined ? { query: req.query } : {}),
  };
  const total = (await server.calls_query_stats(statsReq)).count;
  const offset = req.offset ?? 0;
  const limit = req.limit ?? Infinity;
  expect(calls.length, "calls_query length vs calls_query_stats count").toBe(Math.max(0, Math.min(total - offset, limit)));
  if (req.limit !== undefined && req.limit !== null && req.limit >= 1) {
    const capped = (await server.calls_query_stats({ ...statsReq, limit: req.limit })).count;
    expect(capped, "calls_query_stats with limit").toBe(Math.min(total, req.limit));
  }
  return calls;
}

/** `queryCalls(...).length`: the count every conformance case states, checked on all three paths. */
export async function countCalls(server: LocalTraceServer, req: CallsQueryReqInput): Promise<number> {
  return (await queryCalls(server, req)).length;
}

/** The ids of `queryCalls`. */
export async function queryIds(server: LocalTraceServer, req: CallsQueryReqInput): Promise<string[]> {
  return (await queryCalls(server, req)).map((c) => c.id);
}

/**
 * Runs `fn` (or awaits the promise) and returns the `WeftError` it rejects with; fails when it
 * succeeds or throws anything else.
 */
export async function caught(fn: (() => Promise<unknown>) | Promise<unknown>): Promise<WeftError> {
  try {
    await (typeof fn === "function" ? fn() : fn);
  } catch (error) {
    expect(error).toBeInstanceOf(WeftError);
    return error as WeftError;
  }
  throw new Error("expected a WeftError, but the call succeeded");
}
