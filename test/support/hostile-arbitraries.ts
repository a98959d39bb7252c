/**
 * fast-check arbitraries of malformed and hostile requests, per method of the method table.
 *
 * Every case is invalid by construction, never "probably invalid": a case either breaks the request
 * schema in a way this file decides with its own type rules (`invalidFor`, derived from the zod
 * schemas' declared types in `METHODS`, not by calling them), or breaks a server-side rule of
 * weave-semantics.md (unknown field, index out of range, too many digests, unknown table, digest
 * mismatch, …) against the store `seedStore` writes. Most cases are a *valid* request with one field
 * broken, so they probe the boundary, not only garbage.
 *
 * Reused by the browser tests: nothing here touches Node APIs.
 */
import fc from "fast-check";
import type { z } from "zod";
import { METHODS, type MethodName } from "../../src/interface";
import { CallIdSchema, OpNameSchema } from "../../src/schema/calls";
import { DateTimeSchema, JsonObjectSchema, JsonValueSchema, ProjectIdSchema, SortBySchema } from "../../src/schema/common";
import { BytesSchema } from "../../src/schema/files";
import { QuerySchema } from "../../src/schema/query";
import { TableRowValSchema } from "../../src/schema/tables";

// ---------------------------------------------------------------------------------------------
// Cases

/** How a case must fail. */
export type Expectation =
  /** The request schema refuses it: `VALIDATION` with `details.issues`. */
  | "schema"
  /** The server refuses it after validation: any allowed code. */
  | "server";

/** What the error must name: an issue path (or a prefix/extension of it), or a text in the message. */
export type Names = { path: string } | { text: string };

/** One malformed or hostile request. */
export interface HostileCase {
  method: MethodName;
  req: unknown;
  /** What was broken, for counterexamples and statistics (e.g. `wrong-type start.started_at`). */
  label: string;
  expect: Expectation;
  names?: Names;
}

/** The codes a rejected bad request may carry; anything else (INTERNAL, STORAGE, …) is a bug. */
export const ALLOWED_CODES = [
  "VALIDATION",
  "INVALID_FIELD",
  "NOT_FOUND",
  "REQUEST_TOO_LARGE",
  "DIGEST_MISMATCH",
  "CONFLICT",
  "OBJECT_DELETED",
] as const;

/** Methods whose valid requests reach an outside service (an LLM provider): only their refusals are tested. */
export const NEEDS_EXTERNAL_SERVICE: readonly MethodName[] = ["completions_create", "actions_execute_batch"];

/** Calls a method of a server by name; streams are drained into an array. */
export type Invoke = (method: MethodName, req: unknown) => Promise<unknown>;

/** Builds an `Invoke` over any object with the interface's methods (a `LocalTraceServer`, a client). */
export function invoker(server: object): Invoke {
  return async (method, req) => {
    const fn = (server as Record<string, unknown>)[method];
    if (typeof fn !== "function") throw new Error(`server has no method ${method}`);
    const out: unknown = (fn as (r: unknown) => unknown).call(server, req);
    if (METHODS[method].stream) {
      const items: unknown[] = [];
      for await (const item of out as AsyncIterable<unknown>) items.push(item);
      return items;
    }
    return await out;
  };
}

// ---------------------------------------------------------------------------------------------
// The store the cases run against

/** The facts of the seeded store that valid base requests and server-side cases refer to. */
export interface SeedFacts {
  project: string;
  otherProject: string;
  callIds: string[];
  rootCallId: string;
  traceId: string;
  deletedCallId: string;
  objectId: string;
  /** Live versions of `objectId`, oldest first. */
  objectDigests: string[];
  deletedObjectId: string;
  /** A deleted version of `deletedObjectId` (its other version is live). */
  deletedDigest: string;
  typedObjectId: string;
  opId: string;
  opDigest: string;
  tableDigest: string;
  rowDigests: string[];
  fileDigest: string;
  otherObjectDigest: string;
  otherTableDigest: string;
  otherFileDigest: string;
  feedbackIds: string[];
}

export const SEED_PROJECT = "weft/bad-input";
export const SEED_OTHER_PROJECT = "weft/bad-input-other";
const T0 = "2025-01-01T12:00:00Z";

/** A value Weave stores as an Op (weave-semantics.md §4.3). */
export function opVal(source: string): Record<string, unknown> {
  return { _type: "CustomWeaveType", weave_type: { type: "Op" }, files: { "obj.py": source } };
}

function at(seconds: number): string {
  return new Date(Date.parse(T0) + seconds * 1000).toISOString();
}

function field<T>(value: unknown, key: string): T {
  return (value as Record<string, unknown>)[key] as T;
}

/**
 * Writes a small store with something of every kind: calls (a trace, a running call, a failed call,
 * a deleted call), object versions (one deleted, one typed), an op, a table, a file, feedback when the
 * server has it, and a second project holding the same names. Returns what the cases need to know.
 */
export async function seedStore(invoke: Invoke, implemented: readonly string[]): Promise<SeedFacts> {
  const P = SEED_PROJECT;
  const Q = SEED_OTHER_PROJECT;
  const obj = async (project: string, objectId: string, val: unknown, extra: Record<string, unknown> = {}): Promise<string> =>
    field<string>(await invoke("obj_create", { obj: { project_id: project, object_id: objectId, val, ...extra } }), "digest");

  const d0 = await obj(P, "seeded_obj", { a: 1 });
  const d1 = await obj(P, "seeded_obj", { a: 2, nested: { b: [1, 2, 3] } });
  const deletedDigest = await obj(P, "deleted_obj", { x: 1 });
  await obj(P, "deleted_obj", { x: 2 });
  await invoke("obj_delete", { project_id: P, object_id: "deleted_obj", digests: [deletedDigest] });
  await obj(P, "typed_obj", { b: 3 }, { builtin_object_class: "TestOnlyNestedBaseObject" });
  const opDigest = field<string>(
    await invoke("op_create", { op_obj: { project_id: P, object_id: "seeded_op", val: opVal("def seeded(): pass") } }),
    "digest",
  );
  const otherObjectDigest = await obj(Q, "seeded_obj", { q: "other project" });

  const objRef = `weave:///${P}/object/seeded_obj:${d1}`;
  const start = (project: string, id: string, parent: string | null, seconds: number, inputs: Record<string, unknown> = {}) => ({
    mode: "start",
    req: {
      start: {
        project_id: project,
        id,
        trace_id: "trace-1",
        parent_id: parent,
        op_name: "bad_input_op",
        started_at: at(seconds),
        attributes: { env: "seed" },
        inputs: { n: seconds, obj: objRef, ...inputs },
      },
    },
  });
  const end = (project: string, id: string, seconds: number, extra: Record<string, unknown> = {}) => ({
    mode: "end",
    req: { end: { project_id: project, id, ended_at: at(seconds), output: { ok: true }, summary: {}, ...extra } },
  });
  await invoke("call_start_batch", {
    batch: [
      start(P, "c-root", null, 0),
      start(P, "c-child", "c-root", 1),
      start(P, "c-grandchild", "c-child", 2),
      end(P, "c-grandchild", 3),
      end(P, "c-child", 4, { exception: "ValueError('boom')" }),
      end(P, "c-root", 5, { summary: { status_counts: { error: 1 } } }),
      start(P, "c-running", null, 6),
      start(P, "c-doomed", null, 7),
      end(P, "c-doomed", 8),
      start(Q, "c-root", null, 0, { secret: "other project" }),
    ],
  });
  await invoke("calls_delete", { project_id: P, call_ids: ["c-doomed"], wb_user_id: "seed" });

  const table = await invoke("table_create", { table: { project_id: P, rows: [{ a: 1 }, { a: 2 }, { b: "x", ref: objRef }] } });
  const otherTable = await invoke("table_create", { table: { project_id: Q, rows: [{ q: 1 }] } });
  const fileDigest = field<string>(
    await invoke("file_create", { project_id: P, name: "hello.txt", content: new TextEncoder().encode("hello world") }),
    "digest",
  );
  const otherFileDigest = field<string>(
    await invoke("file_create", { project_id: Q, name: "other.txt", content: new TextEncoder().encode("other project") }),
    "digest",
  );
  const feedbackIds: string[] = [];
  if (implemented.includes("feedback_create")) {
    const fb = await invoke("feedback_create", {
      project_id: P,
      weave_ref: `weave:///${P}/call/c-root`,
      feedback_type: "custom",
      payload: { score: 1 },
      wb_user_id: "seed",
    });
    feedbackIds.push(field<string>(fb, "id"));
  }
  return {
    project: P,
    otherProject: Q,
    callIds: ["c-root", "c-child", "c-grandchild", "c-running"],
    rootCallId: "c-root",
    traceId: "trace-1",
    deletedCallId: "c-doomed",
    objectId: "seeded_obj",
    objectDigests: [d0, d1],
    deletedObjectId: "deleted_obj",
    deletedDigest,
    typedObjectId: "typed_obj",
    opId: "seeded_op",
    opDigest,
    tableDigest: field<string>(table, "digest"),
    rowDigests: field<string[]>(table, "row_digests"),
    fileDigest,
    otherObjectDigest,
    otherTableDigest: field<string>(otherTable, "digest"),
    otherFileDigest,
    feedbackIds,
  };
}

// ---------------------------------------------------------------------------------------------
// Valid base requests

/**
 * One valid request per method of the table, against the seeded store, with most optional fields
 * present so that mutations reach every level. Each call builds a fresh value (cases mutate them).
 */
export function validRequest(method: MethodName, f: SeedFacts): unknown {
  const P = f.project;
  const objRef = `weave:///${P}/object/${f.objectId}:${f.objectDigests[1] ?? ""}`;
  const start = {
    project_id: P,
    id: "c-new",
    trace_id: "trace-new",
    parent_id: null,
    op_name: "bad_input_op",
    display_name: "a call",
    thread_id: "thread-1",
    turn_id: "turn-1",
    started_at: T0,
    attributes: { env: "test" },
    inputs: { x: [1, "two", { three: 3 }], obj: objRef },
    wb_user_id: "user",
    wb_run_id: `${P}/run-1`,
    wb_run_step: 1,
  };
  const end = {
    project_id: P,
    id: "c-new",
    ended_at: at(1),
    exception: null,
    output: { y: [1, 2] },
    summary: { usage: { "gpt-x": { requests: 1 } } },
    wb_run_step_end: 2,
  };
  const query = {
    $expr: {
      $and: [
        { $eq: [{ $getField: "op_name" }, { $literal: "bad_input_op" }] },
        { $gt: [{ $getField: "started_at" }, { $literal: "2020-01-01T00:00:00Z" }] },
        { $contains: { input: { $getField: "inputs.x" }, substr: { $literal: "t" }, case_insensitive: true } },
        { $in: [{ $getField: "id" }, [{ $literal: "c-root" }, { $literal: "c-child" }]] },
        { $not: [{ $eq: [{ $convert: { input: { $getField: "inputs.n" }, to: "int" } }, { $literal: 99 }] }] },
        { $or: [{ $gte: [{ $getField: "inputs.n" }, { $literal: 0 }] }, { $lt: [{ $getField: "inputs.n" }, { $literal: 0 }] }, { $lte: [{ $literal: 1 }, { $literal: 2 }] }] },
      ],
    },
  };
  const callsFilter = {
    op_names: ["bad_input_op"],
    input_refs: [],
    output_refs: [],
    parent_ids: [],
    trace_ids: [f.traceId],
    call_ids: [],
    thread_ids: null,
    turn_ids: null,
    trace_roots_only: false,
    wb_user_ids: [],
    wb_run_ids: [],
  };
  const callsQuery = {
    project_id: P,
    filter: callsFilter,
    limit: 10,
    offset: 0,
    sort_by: [{ field: "started_at", direction: "desc" }],
    query,
    include_costs: false,
    include_feedback: false,
    include_storage_size: true,
    include_total_storage_size: false,
    columns: ["id", "inputs", "output"],
    expand_columns: ["inputs.obj"],
    return_expanded_column_values: true,
  };
  const feedback = {
    project_id: P,
    weave_ref: `weave:///${P}/call/${f.rootCallId}`,
    creator: null,
    feedback_type: "custom",
    payload: { score: 1 },
    wb_user_id: "user",
  };
  const idQuery = { $expr: { $eq: [{ $getField: "id" }, { $literal: "no-such-id" }] } };
  const tableQuery = {
    project_id: P,
    digest: f.tableDigest,
    filter: { row_digests: f.rowDigests.slice(0, 2) },
    limit: 10,
    offset: 0,
    sort_by: [{ field: "a", direction: "asc" }],
  };
  switch (method) {
    case "ensure_project_exists":
      return { entity: "weft", project: "bad-input" };
    case "call_start":
      return { start };
    case "call_end":
      return { end };
    case "call_start_batch":
      return { batch: [{ mode: "start", req: { start } }, { mode: "end", req: { end } }] };
    case "call_read":
      return { project_id: P, id: f.rootCallId, include_costs: false, include_storage_size: true, include_total_storage_size: true };
    case "calls_query":
    case "calls_query_stream":
      return callsQuery;
    case "calls_query_stats":
      return { project_id: P, filter: callsFilter, query, limit: 10, include_total_storage_size: true, expand_columns: ["inputs.obj"] };
    case "calls_delete":
      return { project_id: P, call_ids: [f.rootCallId], wb_user_id: "user" };
    case "call_update":
      return { project_id: P, call_id: f.rootCallId, display_name: "renamed", wb_user_id: "user" };
    case "obj_create":
      return {
        obj: {
          project_id: P,
          object_id: f.objectId,
          val: { a: 3, list: [1, 2.5, "x", null, true], ref: objRef },
          builtin_object_class: null,
          set_base_object_class: null,
          expected_digest: null,
          wb_user_id: "user",
        },
      };
    case "obj_read":
      return { project_id: P, object_id: f.objectId, digest: f.objectDigests[1], metadata_only: false, include_tags_and_aliases: true };
    case "objs_query":
      return {
        project_id: P,
        filter: {
          base_object_classes: [],
          exclude_base_object_classes: [],
          leaf_object_classes: [],
          object_ids: [f.objectId],
          is_op: false,
          latest_only: false,
          tags: [],
          aliases: [],
        },
        limit: 10,
        offset: 0,
        sort_by: [{ field: "created_at", direction: "asc" }],
        metadata_only: false,
        include_storage_size: true,
        include_tags_and_aliases: false,
      };
    case "obj_delete":
      return { project_id: P, object_id: f.objectId, digests: [f.objectDigests[0]] };
    case "op_create":
      return { op_obj: { project_id: P, object_id: f.opId, val: opVal("def other(): pass"), expected_digest: null, wb_user_id: "user" } };
    case "op_read":
      return { project_id: P, name: f.opId, digest: f.opDigest };
    case "ops_query":
      return { project_id: P, filter: { op_names: [f.opId], latest_only: false } };
    case "table_create":
      return { table: { project_id: P, rows: [{ a: 9 }, { b: [1, 2], c: { d: "e" } }], expected_digest: null } };
    case "table_create_from_digests":
      return { project_id: P, row_digests: [...f.rowDigests], expected_digest: null };
    case "table_update":
      return {
        project_id: P,
        base_digest: f.tableDigest,
        updates: [{ append: { row: { c: 1 } } }, { pop: { index: 0 } }, { insert: { index: 1, row: { d: 2 } } }],
      };
    case "table_query":
    case "table_query_stream":
      return tableQuery;
    case "table_query_stats":
      return { project_id: P, digest: f.tableDigest };
    case "table_query_stats_batch":
      return { project_id: P, digests: [f.tableDigest], include_storage_size: true };
    case "refs_read_batch":
      return { refs: [objRef, `${objRef}/key/nested/key/b/index/0`] };
    case "file_create":
      return { project_id: P, name: "hello.txt", content: new TextEncoder().encode("hello again"), expected_digest: null };
    case "file_content_read":
      return { project_id: P, digest: f.fileDigest };
    case "files_stats":
      return { project_id: P };
    case "feedback_create":
      return feedback;
    case "feedback_create_batch":
      return { batch: [feedback] };
    case "feedback_query":
      return {
        project_id: P,
        fields: ["id", "feedback_type"],
        query: { $expr: { $eq: [{ $getField: "feedback_type" }, { $literal: "custom" }] } },
        sort_by: [{ field: "created_at", direction: "desc" }],
        limit: 10,
        offset: 0,
      };
    case "feedback_purge":
      return { project_id: P, query: idQuery };
    case "feedback_replace":
      return { ...feedback, feedback_id: f.feedbackIds[0] ?? "no-such-feedback" };
    case "cost_create":
      return {
        project_id: P,
        costs: {
          "gpt-x": {
            prompt_token_cost: 0.001,
            completion_token_cost: 0.002,
            prompt_token_cost_unit: "USD",
            completion_token_cost_unit: "USD",
            effective_date: T0,
            provider_id: "openai",
          },
        },
        wb_user_id: "user",
      };
    case "cost_query":
      return { project_id: P, fields: ["id", "llm_id"], query: idQuery, sort_by: [{ field: "llm_id", direction: "asc" }], limit: 10, offset: 0 };
    case "cost_purge":
      return { project_id: P, query: idQuery };
    case "completions_create":
      return { project_id: P, inputs: { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], temperature: 0.5 }, track_llm_call: false };
    case "actions_execute_batch":
      return { project_id: P, action_ref: `weave:///${P}/object/action:digest`, call_ids: [f.rootCallId], wb_user_id: "user" };
  }
}

// ---------------------------------------------------------------------------------------------
// Field models, read from the zod schemas of the method table

/** What a field accepts, as far as this file needs to know to build values it must refuse. */
export type Model =
  | { kind: "string"; special?: "project_id" | "call_id" | "op_name"; min?: number; max?: number; patterns: RegExp[] }
  | { kind: "number"; int: boolean; nonneg: boolean }
  | { kind: "boolean" }
  | { kind: "literal"; values: readonly unknown[] }
  | { kind: "direction" }
  | { kind: "array"; element: Field }
  | { kind: "object"; strict: boolean; shape: Record<string, Field> }
  | { kind: "record"; value: Field }
  | { kind: "json"; object: boolean }
  | { kind: "datetime" }
  | { kind: "bytes" }
  | { kind: "query" }
  | { kind: "union"; options: Field[] }
  | { kind: "tuple"; items: Field[] }
  | { kind: "opaque" };

/** A field: its model and whether `undefined`/`null` are accepted. */
export interface Field {
  model: Model;
  optional: boolean;
  nullable: boolean;
}

interface ZodInternals {
  _zod: { def: Record<string, unknown> & { type: string } };
}

function defOf(schema: unknown): Record<string, unknown> & { type: string } {
  return (schema as ZodInternals)._zod.def;
}

const SORT_DIRECTION = defOf(SortBySchema).shape as Record<string, unknown>;
const DIRECTION_SCHEMA = SORT_DIRECTION.direction;

const memo = new Map<unknown, Field>();

/** The field model of a zod schema (memoized: recursive schemas are cut at `query`). */
export function fieldOf(schema: z.ZodType | unknown): Field {
  const known = memo.get(schema);
  if (known) return known;
  let optional = false;
  let nullable = false;
  let s: unknown = schema;
  for (;;) {
    const d = defOf(s);
    if (d.type === "optional" || d.type === "default" || d.type === "prefault") optional = true;
    else if (d.type === "nullable") nullable = true;
    else if (d.type !== "readonly" && d.type !== "nonoptional") break;
    s = d.innerType;
  }
  const result: Field = { model: modelOf(s), optional, nullable };
  memo.set(schema, result);
  return result;
}

function modelOf(s: unknown): Model {
  if (s === DateTimeSchema) return { kind: "datetime" };
  if (s === BytesSchema) return { kind: "bytes" };
  if (s === JsonValueSchema) return { kind: "json", object: false };
  if (s === JsonObjectSchema || s === TableRowValSchema) return { kind: "json", object: true };
  if (s === QuerySchema) return { kind: "query" };
  if (s === DIRECTION_SCHEMA) return { kind: "direction" };
  if (s === ProjectIdSchema) return { ...stringModel(s), special: "project_id" };
  if (s === CallIdSchema) return { ...stringModel(s), special: "call_id" };
  if (s === OpNameSchema) return { ...stringModel(s), special: "op_name" };
  const d = defOf(s);
  switch (d.type) {
    case "string":
      return stringModel(s);
    case "number": {
      const checks = (d.checks as ZodInternals[] | undefined) ?? [];
      let int = false;
      let nonneg = false;
      for (const c of checks) {
        const cd = c._zod.def;
        if (cd.check === "number_format" && (cd.format === "safeint" || cd.format === "int32")) int = true;
        if (cd.check === "greater_than" && cd.value === 0 && cd.inclusive === true) nonneg = true;
      }
      return { kind: "number", int, nonneg };
    }
    case "boolean":
      return { kind: "boolean" };
    case "literal":
      return { kind: "literal", values: d.values as unknown[] };
    case "enum":
      return { kind: "literal", values: Object.values(d.entries as Record<string, unknown>) };
    case "array":
      return { kind: "array", element: fieldOf(d.element) };
    case "object": {
      const shape: Record<string, Field> = {};
      for (const [key, value] of Object.entries(d.shape as Record<string, unknown>)) shape[key] = fieldOf(value);
      const catchall = d.catchall as ZodInternals | undefined;
      return { kind: "object", strict: catchall?._zod.def.type === "never", shape };
    }
    case "record":
      return { kind: "record", value: fieldOf(d.valueType) };
    case "union":
      return { kind: "union", options: (d.options as unknown[]).map(fieldOf) };
    case "tuple":
      return { kind: "tuple", items: (d.items as unknown[]).map(fieldOf) };
    case "pipe":
      // Whatever the input side refuses, the pipe refuses.
      return modelOf(d.in);
    default:
      return { kind: "opaque" };
  }
}

function stringModel(s: unknown): Extract<Model, { kind: "string" }> {
  const model: Extract<Model, { kind: "string" }> = { kind: "string", patterns: [] };
  for (const c of (defOf(s).checks as ZodInternals[] | undefined) ?? []) {
    const cd = c._zod.def;
    if (cd.check === "min_length") model.min = cd.minimum as number;
    if (cd.check === "max_length") model.max = cd.maximum as number;
    if (cd.check === "string_format" && cd.format === "regex") model.patterns.push(cd.pattern as RegExp);
  }
  return model;
}

// ---------------------------------------------------------------------------------------------
// This file's own type rules: is a value certainly refused?

const PROJECT_ID_RULE = /^[^/\s]+\/[^/\s]+$/;
const CALL_ID_RULE = /^[^/\s]+$/;

/** Datetime strings no ISO-8601 reader (Python's included) accepts. */
export const INVALID_DATETIMES = [
  "",
  "not a date",
  "2024-13-45",
  "2024-13-01",
  "2024-00-10",
  "2024-01-00",
  "2024-02-30",
  "2023-02-29",
  "2024-01-32",
  "2024-01-01T24:00:00Z",
  "2024-01-01T23:60:00Z",
  "2024-01-01T23:59:61Z",
  "24-01-01",
  "2024/01/01",
  "01/02/2024",
  "2024-01-01T00:00:00ZZ",
  "2024-01-01Tnoon",
  "yesterday",
  "NaN",
  "Infinity",
  "-2024-01-01",
  "2024-1-1",
  "20240101T",
  "2024-01-01T00:00:00Zjunk",
] as const;
const INVALID_DATETIME_SET = new Set<string>(INVALID_DATETIMES);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Certainly not JSON: NaN/±Infinity, non-plain objects, functions, symbols, bigints, > 200 levels. */
export function certainlyNotJson(v: unknown, depth = 0): boolean {
  if (depth > 200) return true;
  switch (typeof v) {
    case "string":
    case "boolean":
      return false;
    case "number":
      return !Number.isFinite(v);
    case "undefined":
      return depth === 0;
    case "object": {
      if (v === null) return false;
      if (Array.isArray(v)) return v.some((x) => x !== undefined && certainlyNotJson(x, depth + 1));
      if (!isPlainObject(v)) return true;
      return Object.keys(v).some((k) => v[k] !== undefined && certainlyNotJson(v[k], depth + 1));
    }
    default:
      return true;
  }
}

function stringRefused(m: Extract<Model, { kind: "string" }>, v: string): boolean {
  if (m.min !== undefined && v.length < m.min) return true;
  if (m.max !== undefined && v.length > m.max) return true;
  if (m.patterns.some((p) => !new RegExp(p.source, p.flags.replace("g", "")).test(v))) return true;
  switch (m.special) {
    case "project_id":
      return v.length > 512 || !PROJECT_ID_RULE.test(v);
    case "call_id":
      return v.length === 0 || v.length > 128 || !CALL_ID_RULE.test(v);
    case "op_name":
      if (v === "") return true;
      if (v.startsWith("weave:///") || v.startsWith("weave-trace-internal:///")) {
        return !/^(weave|weave-trace-internal):\/\/\/[^/]+(\/[^/]+)?\/op\/[^/:]+:[^/:]+$/.test(v);
      }
      return v.length > 128;
    default:
      return false;
  }
}

/**
 * True when `v` is certainly refused by a field of this model (false means "maybe valid"), judged
 * by this file's rules, not by the schema.
 */
export function invalidFor(f: Field, v: unknown): boolean {
  if (v === undefined) return !f.optional;
  if (v === null) return !f.nullable && !(f.model.kind === "json" && !f.model.object) && f.model.kind !== "opaque";
  const m = f.model;
  switch (m.kind) {
    case "string":
      return typeof v !== "string" || stringRefused(m, v);
    case "number":
      if (typeof v !== "number" || !Number.isFinite(v)) return true;
      if (m.int && !Number.isSafeInteger(v)) return true;
      return m.nonneg && v < 0;
    case "boolean":
      return typeof v !== "boolean";
    case "literal":
      return !m.values.includes(v);
    case "direction":
      return typeof v !== "string" || !["asc", "desc"].includes(v.toLowerCase());
    case "array":
      if (!Array.isArray(v)) return true;
      for (let i = 0; i < v.length; i++) if (invalidFor(m.element, v[i])) return true;
      return false;
    case "object": {
      if (typeof v !== "object" || Array.isArray(v)) return true;
      const o = v as Record<string, unknown>;
      for (const [key, sub] of Object.entries(m.shape)) if (invalidFor(sub, o[key])) return true;
      return m.strict && isPlainObject(v) && Object.keys(o).some((k) => !Object.hasOwn(m.shape, k));
    }
    case "record":
      if (!isPlainObject(v)) return true;
      return Object.keys(v).some((k) => invalidFor(m.value, v[k]));
    case "json":
      if (m.object && !isPlainObject(v)) return true;
      return certainlyNotJson(v);
    case "datetime":
      if (v instanceof Date) return Number.isNaN(v.getTime());
      if (typeof v === "string") return INVALID_DATETIME_SET.has(v);
      return true;
    case "bytes":
      return !(v instanceof Uint8Array) && !(v instanceof ArrayBuffer);
    case "query":
      return typeof v !== "object" || Array.isArray(v) || INVALID_QUERIES.has(v);
    case "union":
      return m.options.every((o) => invalidFor({ ...o, optional: f.optional, nullable: f.nullable }, v));
    case "tuple":
      return !Array.isArray(v) || v.length !== m.items.length || m.items.some((item, i) => invalidFor(item, v[i]));
    case "opaque":
      return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Hostile values

class Hostile {
  constructor(readonly x = 1) {}
}

/** A JSON-looking object whose own key is exactly `key` (`__proto__` included), as JSON.parse makes. */
export function withOwnKey<T extends object>(target: T, key: string, value: unknown): T {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  return target;
}

/** `{k: {k: … leaf}}`, `depth` levels, built without recursion. */
export function nested(depth: number, leaf: unknown, key = "a"): Record<string, unknown> {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i++) v = { [key]: v };
  return v as Record<string, unknown>;
}

/** `[[[… leaf]]]`, `depth` levels. */
export function nestedArray(depth: number, leaf: unknown): unknown[] {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i++) v = [v];
  return v as unknown[];
}

/** A query whose `$expr` is `depth` `$and`s around one comparison. */
export function deepAndQuery(depth: number): Record<string, unknown> {
  let op: unknown = { $eq: [{ $getField: "id" }, { $literal: "x" }] };
  for (let i = 0; i < depth; i++) op = { $and: [op] };
  return { $expr: op };
}

/** Values of every kind that are not strings. */
const NON_STRINGS: readonly unknown[] = [
  0, 42, -1, 1.5, NaN, Infinity, -Infinity, true, false, {}, [], ["a"], { a: 1 }, new Date(0), new Map([["a", 1]]), new Set(["a"]),
  () => "x", Symbol("s"), 10n, new Hostile(), new String("boxed"), new Uint8Array([1]), /re/, Object.create(null) as object,
];

/** Strings that are refused wherever an id, name or number is expected (lengths, separators, junk). */
const HOSTILE_STRINGS: readonly string[] = [
  "", " ", "\t", "\n", "a/b", "a b", "a//b", "/", "noslash", "a/b/c", " a/b", "a/b ", "a /b", "a/\u00a0b", "x".repeat(129), "x".repeat(513),
  "y".repeat(1025), "\ud800", "a\u0000b", "weave:///", "weave:///nope", "weave:///e/p/object/name:d", "1", "1.5", "-1", "true", "null",
  "2024-13-45", "not a date", "up", "ASC ", "ascending", "__proto__", "constructor",
];

/** Values to try anywhere; `invalidFor` keeps those a field certainly refuses. */
const POOL: readonly unknown[] = [...NON_STRINGS, ...HOSTILE_STRINGS, ...INVALID_DATETIMES, null, undefined, new Date(NaN), 2 ** 53, -0.5, 1e300, Number.MIN_SAFE_INTEGER];

/** A hostile leaf inside a JSON payload. */
const HOSTILE_JSON_LEAVES: readonly unknown[] = [
  NaN, Infinity, -Infinity, new Map([["k", 1]]), new Set([1]), new Date(0), /re/, () => 1, Symbol("s"), 10n, new Hostile(),
  new Uint8Array([1, 2]), new ArrayBuffer(2), new Number(1), new String("s"), new Boolean(false), Promise.resolve(1),
];

const arbKey = fc.oneof(
  fc.constantFrom("a", "b", "x", "0", "", "__proto__", "constructor", "prototype", "toString", "$expr", "$literal", "weave:///e/p/object/o:d"),
  fc.string({ maxLength: 8 }),
);

/** A plain value built with own keys only (`__proto__` stays data), `path` leading to `leaf`. */
function placeAt(path: ReadonlyArray<string | number>, leaf: unknown, fill: unknown): unknown {
  let v: unknown = leaf;
  for (let i = path.length - 1; i >= 0; i--) {
    const step = path[i] as string | number;
    if (typeof step === "number") {
      const arr: unknown[] = Array.from({ length: step }, () => fill);
      arr.push(v);
      v = arr;
    } else {
      v = withOwnKey({ sibling: fill }, step, v);
    }
  }
  return v;
}

/** JSON with one hostile leaf somewhere (or too deep); `object`: the top level is a dict. */
function hostileJsonArb(object: boolean): fc.Arbitrary<{ value: unknown; what: string }> {
  const step = fc.oneof(arbKey, fc.nat({ max: 3 }));
  const path = object
    ? fc.tuple(arbKey, fc.array(step, { maxLength: 5 })).map(([k, rest]) => [k, ...rest] as Array<string | number>)
    : fc.array(step, { maxLength: 6 });
  const fill = fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 5 }), fc.constant({ ok: [1, 2] }));
  // A hostile value under an own `__proto__` key: a copy made by assignment loses it unchecked.
  const underProto = fc
    .tuple(fc.constantFrom(...HOSTILE_JSON_LEAVES), fc.boolean())
    .map(([leaf, wrapped]) => ({ value: withOwnKey({ ok: 1 }, "__proto__", wrapped ? { inner: leaf } : leaf), what: `__proto__ key holding ${describeValue(leaf)}` }));
  return fc.oneof(
    { weight: 2, arbitrary: underProto },
    { weight: 6, arbitrary: fc.tuple(path, fc.constantFrom(...HOSTILE_JSON_LEAVES), fill).map(([p, leaf, f]) => ({ value: placeAt(p, leaf, f), what: `leaf ${describeValue(leaf)}` })) },
    { weight: 1, arbitrary: fc.integer({ min: 201, max: 600 }).map((d) => ({ value: nested(d, 1), what: `depth ${d}` })) },
    { weight: 1, arbitrary: fc.integer({ min: 201, max: 600 }).map((d) => ({ value: { list: nestedArray(d, "x") }, what: `array depth ${d}` })) },
  );
}

/** A short description of a value for labels. */
export function describeValue(v: unknown): string {
  try {
    return describeUnsafe(v);
  } catch {
    return "an object that throws when inspected";
  }
}

function describeUnsafe(v: unknown): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "string":
      return v.length > 24 ? `string(${v.length})` : JSON.stringify(v);
    case "number":
      return Object.is(v, -0) ? "-0" : String(v);
    case "bigint":
      return `${v}n`;
    case "symbol":
      return "symbol";
    case "function":
      return "function";
    case "undefined":
      return "undefined";
    case "boolean":
      return String(v);
  }
  if (Array.isArray(v)) return `array(${v.length})`;
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto === null) return "null-prototype object";
  const name = (v as { constructor?: { name?: string } }).constructor?.name ?? "object";
  return name === "Object" ? "object" : name;
}

// ---------------------------------------------------------------------------------------------
// Invalid queries

const Q_FIELD = { $getField: "id" };
const Q_LIT = { $literal: "x" };
const Q_OK = { $eq: [Q_FIELD, Q_LIT] };

/** Operands and operations the query schema refuses. */
const BAD_OPERATIONS: ReadonlyArray<[string, unknown]> = [
  ["unknown operator", { $regex: [Q_FIELD, Q_LIT] }],
  ["operator case", { $Eq: [Q_FIELD, Q_LIT] }],
  ["two operators", { $eq: [Q_FIELD, Q_LIT], $gt: [Q_FIELD, Q_LIT] }],
  ["no operator", {}],
  ["$eq arity 1", { $eq: [Q_FIELD] }],
  ["$eq arity 3", { $eq: [Q_FIELD, Q_LIT, Q_LIT] }],
  ["$eq not a list", { $eq: Q_FIELD }],
  ["$gt arity 0", { $gt: [] }],
  ["$not arity 2", { $not: [Q_OK, Q_OK] }],
  ["$not arity 0", { $not: [] }],
  ["empty $and", { $and: [] }],
  ["empty $or", { $or: [] }],
  ["$and not a list", { $and: Q_OK }],
  ["$in rhs not a list", { $in: [Q_FIELD, Q_LIT] }],
  ["$in arity 1", { $in: [Q_FIELD] }],
  ["$contains no substr", { $contains: { input: Q_FIELD } }],
  ["$contains extra key", { $contains: { input: Q_FIELD, substr: Q_LIT, regex: true } }],
  ["$contains bad flag", { $contains: { input: Q_FIELD, substr: Q_LIT, case_insensitive: "yes" } }],
  ["$convert to float", { $eq: [{ $convert: { input: Q_FIELD, to: "float" } }, Q_LIT] }],
  ["$convert no to", { $eq: [{ $convert: { input: Q_FIELD } }, Q_LIT] }],
  ["$getField number", { $eq: [{ $getField: 5 }, Q_LIT] }],
  ["$getField extra key", { $eq: [{ $getField: "id", $literal: 1 }, Q_LIT] }],
  ["$literal NaN", { $eq: [Q_FIELD, { $literal: NaN }] }],
  ["$literal Infinity", { $eq: [Q_FIELD, { $literal: Infinity }] }],
  ["$literal Date", { $eq: [Q_FIELD, { $literal: new Date(0) }] }],
  ["$literal Map", { $eq: [Q_FIELD, { $literal: new Map() }] }],
  ["$literal undefined", { $eq: [Q_FIELD, { $literal: undefined }] }],
  ["$literal bare list", { $eq: [Q_FIELD, { $literal: [1, 2] }] }],
  ["bare string operand", { $eq: [Q_FIELD, "x"] }],
  ["bare number operand", { $eq: [Q_FIELD, 5] }],
  ["null operand", { $eq: [Q_FIELD, null] }],
  ["array operand", { $eq: [Q_FIELD, [Q_LIT]] }],
  ["operator as string", "$eq"],
  ["operator as array", [Q_OK]],
];
const INVALID_QUERIES = new WeakSet<object>();

function badQuery(expr: unknown): Record<string, unknown> {
  const q = { $expr: expr };
  INVALID_QUERIES.add(q);
  return q;
}

/** Wraps an invalid operation `depth` times in valid-looking operators, so the fault sits deep. */
function wrapOperation(op: unknown, shapes: readonly number[]): unknown {
  let v = op;
  for (const shape of shapes) {
    switch (shape % 4) {
      case 0:
        v = { $and: [Q_OK, v] };
        break;
      case 1:
        v = { $or: [v, Q_OK] };
        break;
      case 2:
        v = { $not: [v] };
        break;
      default:
        v = { $in: [Q_FIELD, [Q_LIT, v]] };
    }
  }
  return v;
}

/** A `query` the schema refuses, sometimes buried up to 300 operators deep. */
export const invalidQueryArb: fc.Arbitrary<{ value: unknown; what: string }> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.constantFrom(...BAD_OPERATIONS), fc.array(fc.nat(), { maxLength: 4 }))
      .map(([[what, op], shapes]) => ({ value: badQuery(wrapOperation(op, shapes)), what: `${what} at depth ${shapes.length}` })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...BAD_OPERATIONS), fc.integer({ min: 20, max: 300 }))
      .map(([[what, op], depth]) => ({ value: badQuery(wrapOperation(op, Array.from({ length: depth }, (_, i) => i))), what: `${what} at depth ${depth}` })),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom<[string, unknown]>(
      ["$expr is a literal", badQuery({ $literal: true })],
      ["$expr is a field", badQuery({ $getField: "id" })],
      ["$expr is a convert", badQuery({ $convert: { input: Q_FIELD, to: "bool" } })],
      ["no $expr", {}],
      ["$expr and extra key", withOwnKey({ $expr: Q_OK }, "$where", "1")],
      ["$expr and __proto__", withOwnKey({ $expr: Q_OK }, "__proto__", { polluted: true })],
      ["query is a string", "op_name = 'x'"],
      ["query is an array", [Q_OK]],
      ["query is a Map", new Map([["$expr", Q_OK]])],
    ).map(([what, value]) => {
      if (typeof value === "object" && value !== null) INVALID_QUERIES.add(value);
      return { value, what };
    }),
  },
);

// ---------------------------------------------------------------------------------------------
// Mutations of valid requests

type Path = ReadonlyArray<string | number>;

/** A place in a valid request that a mutation can break. */
interface Point {
  path: Path;
  field: Field;
  /** The object holding the field is strict (extra keys refused). */
  strictParent: boolean;
}

/** Formats a path the way `WeftError` issue paths are written (`a.b[0].c`). */
export function formatPath(path: Path): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out;
}

/** Every field of the model under `value`, present or not, and every element of present arrays. */
function pointsOf(field: Field, value: unknown, path: Path, out: Point[], strictParent: boolean): void {
  out.push({ path, field, strictParent });
  const m = field.model;
  if (m.kind === "object" && typeof value === "object" && value !== null) {
    for (const [key, sub] of Object.entries(m.shape)) pointsOf(sub, (value as Record<string, unknown>)[key], [...path, key], out, m.strict);
  } else if (m.kind === "array" && Array.isArray(value)) {
    value.forEach((item, i) => pointsOf(m.element, item, [...path, i], out, false));
  } else if (m.kind === "union" && typeof value === "object" && value !== null) {
    // A discriminated union: follow the option whose literal matches the value.
    const option = m.options.find((o) => o.model.kind === "object" && !invalidFor(o, value));
    if (option?.model.kind === "object") {
      for (const [key, sub] of Object.entries(option.model.shape)) {
        pointsOf(sub, (value as Record<string, unknown>)[key], [...path, key], out, option.model.strict);
      }
    }
  }
}

function clone<T>(value: T): T {
  if (Array.isArray(value)) return value.map(clone) as T;
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) withOwnKey(out, key, clone(value[key]));
    return out as T;
  }
  return value;
}

/** A copy of `root` with the value at `path` replaced (`remove`: the key deleted). */
function setAt(root: unknown, path: Path, value: unknown, remove = false): unknown {
  if (path.length === 0) return value;
  const copy = clone(root);
  let parent: unknown = copy;
  // An earlier mutation may have replaced a parent with something that is not a plain object or
  // array (a string, a boxed String, a typed array, a shared pool value): the request is broken
  // already, and such values are never written into.
  const writable = (v: unknown): v is object => Array.isArray(v) || isPlainObject(v);
  for (const step of path.slice(0, -1)) {
    if (!writable(parent)) return copy;
    parent = (parent as Record<string | number, unknown>)[step];
  }
  const last = path[path.length - 1] as string | number;
  if (!writable(parent)) return copy;
  if (remove) delete (parent as Record<string | number, unknown>)[last];
  else withOwnKey(parent, String(last), value);
  if (Array.isArray(parent) && typeof last === "number" && !remove) parent[last] = value;
  return copy;
}

function getAt(root: unknown, path: Path): unknown {
  let v = root;
  for (const step of path) v = typeof v === "object" && v !== null ? (v as Record<string | number, unknown>)[step] : undefined;
  return v;
}

/** Values a field certainly refuses, for the wrong-type and bad-value mutations. */
function refusedValuesArb(f: Field): fc.Arbitrary<{ value: unknown; what: string }> | undefined {
  const m = f.model;
  const arbs: Array<fc.Arbitrary<{ value: unknown; what: string }>> = [];
  const fromPool = POOL.filter((v) => invalidFor(f, v));
  if (m.kind === "json") {
    arbs.push(hostileJsonArb(m.object));
    if (m.object) arbs.push(fc.constantFrom(...[[], "x", 5, true, new Map(), new Date(0), new Hostile()].filter((v) => invalidFor(f, v))).map((v) => ({ value: v, what: describeValue(v) })));
  } else if (m.kind === "query") {
    arbs.push(invalidQueryArb);
  } else if (m.kind === "array") {
    arbs.push(fc.constantFrom<unknown>({ 0: "a", length: 1 }, new Set(["a"]), "a,b", 5, {}).map((v) => ({ value: v, what: `array-like ${describeValue(v)}` })));
    const element = refusedValuesArb(m.element);
    if (element) arbs.push(element.map(({ value, what }) => ({ value: [value], what: `element ${what}` })));
  } else if (m.kind === "number" && (m.int || m.nonneg)) {
    arbs.push(
      fc
        .oneof(
          fc.double({ noDefaultInfinity: false, noNaN: false }),
          fc.constantFrom(NaN, Infinity, -Infinity, 0.5, -1, -0.5, 2 ** 53, 1e21, Number.MAX_VALUE, -Number.MAX_VALUE, Number.EPSILON),
        )
        .filter((v) => invalidFor(f, v))
        .map((v) => ({ value: v, what: `number ${describeValue(v)}` })),
    );
  } else if (m.kind === "string" && (m.special !== undefined || m.max !== undefined || m.min !== undefined || m.patterns.length > 0)) {
    const lengths: unknown[] = [];
    if (m.max !== undefined) lengths.push("z".repeat(m.max + 1));
    if (m.special === "project_id") lengths.push(`e/${"p".repeat(10_000)}`);
    arbs.push(
      fc
        .oneof(fc.constantFrom(...HOSTILE_STRINGS, ...lengths), fc.string({ maxLength: 12, unit: "binary" }))
        .filter((v) => invalidFor(f, v))
        .map((v) => ({ value: v, what: `string ${describeValue(v)}` })),
    );
  } else if (m.kind === "datetime") {
    arbs.push(fc.constantFrom<unknown>(...INVALID_DATETIMES, new Date(NaN), new Date("garbage"), 1_700_000_000, -1).filter((v) => invalidFor(f, v)).map((v) => ({ value: v, what: `datetime ${describeValue(v)}` })));
  } else if (m.kind === "bytes") {
    arbs.push(
      fc
        .constantFrom<unknown>("hello", [104, 105], {}, 5, new Uint16Array(2), new Int8Array(2), new Float32Array(1), new DataView(new ArrayBuffer(2)), new Uint8ClampedArray(2), { byteLength: 2 }, new Blob(["x"]), new Set([1]))
        .map((v) => ({ value: v, what: `bytes ${describeValue(v)}` })),
    );
  } else if (m.kind === "object" && m.strict) {
    arbs.push(fc.constantFrom(...[new Map(), new Date(0), "x", 5, [], true, () => 1].filter((v) => invalidFor(f, v))).map((v) => ({ value: v, what: describeValue(v) })));
  }
  if (fromPool.length > 0) arbs.push(fc.constantFrom(...fromPool).map((v) => ({ value: v, what: describeValue(v) })));
  return arbs.length === 0 ? undefined : fc.oneof(...arbs);
}

/** A key a strict object does not know, often a prototype-pollution name. */
const extraKeyArb = fc.oneof(
  fc.constantFrom("__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", "", " ", "$expr", "PROJECT_ID", "projectId", "id ", "0", "polluted"),
  fc.string({ minLength: 1, maxLength: 10 }),
);
const pollutingValue = fc.constantFrom<unknown>({ polluted: true }, { prototype: { polluted: true } }, "x", 1, null, [], { toString: "boom" });

/**
 * The mutation-based cases of one method: its valid base request with one (sometimes two or three)
 * fields broken: wrong type, refused value, missing required field, unknown key (prototype-pollution
 * names included), or the whole request replaced by a non-object.
 */
export function mutationCaseArb(method: MethodName, facts: SeedFacts): fc.Arbitrary<HostileCase> {
  const base = validRequest(method, facts);
  const root = fieldOf(METHODS[method].req);
  const points: Point[] = [];
  pointsOf(root, base, [], points, false);
  const inner = points.filter((p) => p.path.length > 0);

  // Each broken field as (point, refused value); single and several mutations are built from these.
  const broken: Array<fc.Arbitrary<{ point: Point; value: unknown; what: string }>> = [];
  for (const point of inner) {
    const arb = refusedValuesArb(point.field);
    if (arb) broken.push(arb.map(({ value, what }) => ({ point, value, what })));
  }
  const oneBroken = fc.oneof(...broken);
  const single = oneBroken.map(({ point, value, what }): HostileCase => {
    const path = formatPath(point.path);
    return { method, req: setAt(base, point.path, value), label: `bad value at ${path}: ${what}`, expect: "schema", names: { path } };
  });
  const missing = inner
    .filter((p) => !p.field.optional && getAt(base, p.path) !== undefined && typeof p.path[p.path.length - 1] === "string")
    .map((p) => ({ method, req: setAt(base, p.path, undefined, true), label: `missing ${formatPath(p.path)}`, expect: "schema" as const, names: { path: formatPath(p.path) } }));
  const strictObjects = points.filter((p) => p.field.model.kind === "object" && p.field.model.strict && isPlainObject(getAt(base, p.path)));
  const extra = fc.tuple(fc.constantFrom(...strictObjects), extraKeyArb, pollutingValue).filter(([p, key]) => p.field.model.kind === "object" && !Object.hasOwn(p.field.model.shape, key)).map(([p, key, value]): HostileCase => {
    const target = getAt(base, p.path);
    const replaced = withOwnKey(clone(target) as object, key, value);
    return { method, req: setAt(base, p.path, replaced), label: `unknown key ${JSON.stringify(key)} at ${formatPath(p.path) || "(request)"}`, expect: "schema", names: { text: key } };
  });
  const whole = fc
    .constantFrom<unknown>(null, undefined, 0, "", "request", true, [], [base], new Map(Object.entries(base as object)), new Date(0), () => base, Symbol("req"), 1n, new Hostile(), JSON.stringify(base), new Uint8Array(4))
    .map((req): HostileCase => ({ method, req, label: `request is ${describeValue(req)}`, expect: "schema" }));
  // Prototype-pollution keys exactly as JSON.parse makes them (own data properties), at the top level.
  const jsonText = (() => {
    try {
      return JSON.stringify(base);
    } catch {
      return undefined;
    }
  })();
  const parsedPolluted = fc
    .constantFrom('"__proto__":{"polluted":true}', '"constructor":{"prototype":{"polluted":true}}', '"prototype":{"polluted":true}', '"__proto__":null')
    .map((member): HostileCase => ({
      method,
      req: JSON.parse(`{${member},${(jsonText ?? "{}").slice(1)}`) as unknown,
      label: `JSON.parse with ${member}`,
      expect: "schema",
      names: { text: (/^"([^"]+)"/.exec(member) as RegExpExecArray)[1] as string },
    }));
  const several = fc.array(oneBroken, { minLength: 2, maxLength: 3 }).map((list): HostileCase => {
    let req: unknown = base;
    for (const { point, value } of list) req = setAt(req, point.path, value);
    return { method, req, label: `several: ${list.map((b) => `${formatPath(b.point.path)}: ${b.what}`).join(" | ")}`, expect: "schema" };
  });
  const options: Array<fc.WeightedArbitrary<HostileCase>> = [
    { weight: 10, arbitrary: single },
    { weight: 2, arbitrary: whole },
    { weight: 2, arbitrary: several },
    { weight: 1, arbitrary: parsedPolluted },
  ];
  if (missing.length > 0) options.push({ weight: 3, arbitrary: fc.constantFrom(...missing) });
  if (strictObjects.length > 0) options.push({ weight: 3, arbitrary: extra });
  return fc.oneof(...options);
}

// ---------------------------------------------------------------------------------------------
// Server-side rules

function n(count: number, make: (i: number) => string): string[] {
  return Array.from({ length: count }, (_, i) => make(i));
}

const FAKE_DIGEST = "0".repeat(64);
const BAD_OBJECT_IDS = ["a b", "a/b", "a:b", "a?b", "name!", "tab\there", "new\nline", "emoji😀", "dot:colon", "x".repeat(129), ""];
const BAD_SORT_FIELDS = ["", " ", ".a", "a.", "a..b", ". ", "a. .b"];

/** A valid request with overrides at the top level (`undefined` removes a key). */
function over(method: MethodName, f: SeedFacts, changes: Record<string, unknown>): Record<string, unknown> {
  const base = validRequest(method, f) as Record<string, unknown>;
  const out = { ...base };
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

function serverCase(method: MethodName, label: string, req: unknown, names?: Names): HostileCase {
  return names ? { method, req, label, expect: "server", names } : { method, req, label, expect: "server" };
}

function schemaCase(method: MethodName, label: string, req: unknown, names?: Names): HostileCase {
  return names ? { method, req, label, expect: "schema", names } : { method, req, label, expect: "schema" };
}

/** Queries that pass the schema but no calls catalog or compiler accepts. */
function badCallQueries(): Array<[string, unknown]> {
  const cmp = (field: string, lit: unknown = "x") => ({ $expr: { $eq: [{ $getField: field }, { $literal: lit }] } });
  return [
    ["unknown field", cmp("no_such_field")],
    ["unknown summary.weave field", cmp("summary.weave.bogus")],
    ["summary.weave itself", cmp("summary.weave")],
    ["storage size field", cmp("storage_size_bytes", 1)],
    ["dict literal", { $expr: { $eq: [{ $getField: "id" }, { $literal: { a: { $literal: 1 } } }] } }],
    ["list literal", { $expr: { $in: [{ $getField: "id" }, [{ $literal: [{ $literal: "a" }] }]] } }],
    ["unknown field deep inside", { $expr: { $and: [{ $or: [{ $not: [cmp("nope").$expr] }, cmp("id").$expr] }, cmp("id").$expr] } }],
    ["unknown field in $convert", { $expr: { $gt: [{ $convert: { input: { $getField: "bogus.field" }, to: "double" } }, { $literal: 1 }] } }],
    ["unknown field in $contains", { $expr: { $contains: { input: { $getField: "nope" }, substr: { $literal: "a" } } } }],
  ];
}

/**
 * Cases that pass the request schema but break a rule the server checks against the seeded store
 * (weave-semantics.md §2–§7, §14). Methods without such rules return an empty list.
 */
export function serverCases(method: MethodName, f: SeedFacts): HostileCase[] {
  const P = f.project;
  const cases: HostileCase[] = [];
  const push = (label: string, req: unknown, names?: Names) => cases.push(serverCase(method, label, req, names));
  const objRef = (name: string, digest: string, extra = "") => `weave:///${P}/object/${name}:${digest}${extra}`;
  switch (method) {
    case "calls_query":
    case "calls_query_stream":
    case "calls_query_stats": {
      for (const [what, query] of badCallQueries()) push(`query: ${what}`, over(method, f, { query }));
      for (const list of ["op_names", "input_refs", "output_refs", "parent_ids", "trace_ids", "call_ids", "thread_ids", "turn_ids", "wb_run_ids"]) {
        push(`filter.${list} has 1001 entries`, over(method, f, { filter: { [list]: n(1001, (i) => `v${i}`) } }), { text: list });
      }
      if (method === "calls_query_stats") push("limit 0", over(method, f, { limit: 0 }), { text: "imit" });
      else {
        for (const fieldName of ["no_such_field", "summary.weave.bogus", "storage_size_bytes"]) {
          push(`sort_by unknown field ${fieldName}`, over(method, f, { sort_by: [{ field: fieldName, direction: "asc" }] }));
        }
        push("columns unknown", over(method, f, { columns: ["id", "no_such_column"] }), { text: "no_such_column" });
        push("query error with limit 0", over(method, f, { limit: 0, query: badCallQueries()[0]?.[1] }));
      }
      break;
    }
    case "calls_delete":
      push("1001 call ids", over(method, f, { call_ids: n(1001, (i) => `c${i}`) }));
      push("1001 copies of one id", over(method, f, { call_ids: n(1001, () => f.rootCallId) }));
      break;
    case "call_update":
      push("display_name missing", over(method, f, { display_name: undefined }), { text: "display_name" });
      push("display_name null", over(method, f, { display_name: null }), { text: "display_name" });
      break;
    case "obj_create":
    case "op_create": {
      const key = method === "obj_create" ? "obj" : "op_obj";
      const base = (validRequest(method, f) as Record<string, Record<string, unknown>>)[key] as Record<string, unknown>;
      const with_ = (changes: Record<string, unknown>) => ({ [key]: { ...base, ...changes } });
      for (const id of BAD_OBJECT_IDS) push(`object_id ${describeValue(id)}`, with_({ object_id: id }));
      push("expected_digest mismatch", with_({ expected_digest: FAKE_DIGEST }));
      push("expected_digest of another version", with_({ expected_digest: f.objectDigests[0] }));
      push("unknown builtin class", with_({ builtin_object_class: "NoSuchClass" }));
      push("builtin class on a list", with_({ val: [1, 2], builtin_object_class: "TestOnlyNestedBaseObject" }));
      push("builtin class rejects the value", with_({ val: { b: "not an int" }, builtin_object_class: "TestOnlyNestedBaseObject" }));
      push("malformed external ref in val", with_({ val: method === "op_create" ? { ...opVal("x"), r: "weave:///only" } : { r: "weave:///only" } }));
      push("internal ref without kind", with_({ val: method === "op_create" ? { ...opVal("x"), r: "weave-trace-internal:///abc" } : { r: ["weave-trace-internal:///abc"] } }), {
        text: "weave-trace-internal:///abc",
      });
      if (method === "obj_create") {
        push("name reused with another base class", with_({ object_id: f.typedObjectId, val: { plain: true } }));
        push("_bases without _class_name", with_({ val: { _bases: ["Object", "BaseModel"] } }));
      } else {
        push("val is not an Op", with_({ val: { a: 1 } }));
        push("val is a list", with_({ val: [opVal("x")] }));
      }
      break;
    }
    case "obj_read":
      push("unknown object", over(method, f, { object_id: "no_such_object" }));
      push("unknown digest", over(method, f, { digest: FAKE_DIGEST }));
      push("another project's digest", over(method, f, { digest: f.otherObjectDigest }));
      push("version v99", over(method, f, { digest: "v99" }));
      push("deleted version", over(method, f, { object_id: f.deletedObjectId, digest: f.deletedDigest }));
      push("deleted version by v0", over(method, f, { object_id: f.deletedObjectId, digest: "v0" }));
      push("digest of another object", over(method, f, { object_id: f.opId }));
      push("empty digest", over(method, f, { digest: "" }));
      break;
    case "op_read":
      push("an object read as an op", over(method, f, { name: f.objectId, digest: f.objectDigests[1] }));
      push("unknown op", over(method, f, { name: "no_such_op" }));
      push("unknown digest", over(method, f, { digest: FAKE_DIGEST }));
      push("deleted version", over(method, f, { name: f.deletedObjectId, digest: f.deletedDigest }));
      break;
    case "ops_query":
      push("malformed op ref", over(method, f, { filter: { op_names: [`weave:///${P}/op/no_version`] } }));
      push("op ref with too few parts", over(method, f, { filter: { op_names: ["weave:///only"] } }));
      push("op ref bad extra", over(method, f, { filter: { op_names: [`weave:///${P}/op/x:y/bogus/1`] } }));
      break;
    case "obj_delete":
      push("101 distinct digests", over(method, f, { digests: n(101, (i) => `d${i}`) }), { text: "100" });
      push("unknown object", over(method, f, { object_id: "no_such_object", digests: null }));
      push("one live and one unknown digest", over(method, f, { digests: [f.objectDigests[0], FAKE_DIGEST] }));
      push("already deleted version", over(method, f, { object_id: f.deletedObjectId, digests: [f.deletedDigest] }));
      push("another project's digest", over(method, f, { digests: [f.otherObjectDigest] }));
      push("v99", over(method, f, { digests: ["v99"] }));
      break;
    case "table_create": {
      const table = (rows: unknown[], extra: Record<string, unknown> = {}) => ({ table: { project_id: P, rows, ...extra } });
      push("expected_digest mismatch", table([{ a: 1 }], { expected_digest: FAKE_DIGEST }));
      push("expected_digest of another table", table([{ a: 1 }, { a: 2 }], { expected_digest: f.tableDigest }));
      push("malformed ref in a row", table([{ a: 1 }, { r: "weave:///nope" }]));
      push("internal ref without kind in a row", table([{ r: "weave-trace-internal:///abc" }]), { text: "weave-trace-internal:///abc" });
      break;
    }
    case "table_create_from_digests":
      push("expected_digest mismatch", over(method, f, { expected_digest: FAKE_DIGEST }));
      push("expected_digest of a reordered list", over(method, f, { row_digests: [...f.rowDigests].reverse(), expected_digest: f.tableDigest }));
      break;
    case "table_update": {
      const len = f.rowDigests.length;
      const upd = (updates: unknown[], extra: Record<string, unknown> = {}) => over(method, f, { updates, ...extra });
      push("unknown base table", upd([{ append: { row: { a: 1 } } }], { base_digest: FAKE_DIGEST }));
      push("another project's table", upd([{ append: { row: { a: 1 } } }], { base_digest: f.otherTableDigest }));
      push("pop past the end", upd([{ pop: { index: len } }]), { text: "pop" });
      push("pop negative", upd([{ pop: { index: -1 } }]), { text: "pop" });
      push("insert past the end", upd([{ insert: { index: len + 1, row: { a: 1 } } }]), { text: "insert" });
      push("insert negative", upd([{ insert: { index: -1, row: { a: 1 } } }]), { text: "insert" });
      push("pop after popping everything", upd([...n(len, () => "").map(() => ({ pop: { index: 0 } })), { pop: { index: 0 } }]), { text: "pop" });
      push("valid appends then a bad pop", upd([{ append: { row: { z: 1 } } }, { append: { row: { z: 2 } } }, { pop: { index: len + 2 } }]), { text: "pop" });
      push("malformed ref in an appended row", upd([{ append: { row: { r: "weave:///x" } } }]));
      push("huge index", upd([{ pop: { index: Number.MAX_SAFE_INTEGER } }]), { text: "pop" });
      break;
    }
    case "table_query":
    case "table_query_stream":
      for (const sortField of BAD_SORT_FIELDS) push(`sort field ${JSON.stringify(sortField)}`, over(method, f, { sort_by: [{ field: sortField, direction: "asc" }] }), { text: "sort" });
      push("bad second sort field", over(method, f, { sort_by: [{ field: "a", direction: "asc" }, { field: "a..b", direction: "desc" }] }), { text: "sort" });
      break;
    case "refs_read_batch": {
      const d = f.objectDigests[1] as string;
      const refs = (list: string[]) => ({ refs: list });
      push("1001 refs", refs(n(1001, () => objRef(f.objectId, d))), { text: "refs" });
      push("not a ref", refs(["hello"]));
      push("ref with too few parts", refs(["weave:///only"]));
      push("ref without version", refs([`weave:///${P}/object/${f.objectId}`]));
      push("ref with two colons", refs([`weave:///${P}/object/a:b:c`]));
      push("unknown kind", refs([`weave:///${P}/thing/a:b`]));
      push("odd extra", refs([objRef(f.objectId, d, "/key")]));
      push("unknown edge", refs([objRef(f.objectId, d, "/bogus/x")]));
      push("non-integer index edge", refs([objRef(f.objectId, d, "/index/one")]));
      push("table ref", refs([`weave:///${P}/table/${f.tableDigest}`]));
      push("call ref", refs([`weave:///${P}/call/${f.rootCallId}`]));
      push("latest", refs([objRef(f.objectId, "latest")]));
      push("v0", refs([objRef(f.objectId, "v0")]));
      push("unknown digest", refs([objRef(f.objectId, FAKE_DIGEST)]));
      push("unknown object", refs([objRef("no_such_object", d)]));
      push("another project's digest named in this project", refs([objRef(f.objectId, f.otherObjectDigest)]));
      push("one good, one unknown", refs([objRef(f.objectId, d), objRef(f.objectId, FAKE_DIGEST)]));
      push("internal ref, unknown project", refs([`weave-trace-internal:///bm9wZQ==/object/${f.objectId}:${d}`]));
      break;
    }
    case "file_create":
      push("expected_digest mismatch", over(method, f, { expected_digest: FAKE_DIGEST }));
      push("expected_digest of another file", over(method, f, { expected_digest: f.fileDigest }));
      push("empty file, wrong digest", over(method, f, { content: new Uint8Array(0), expected_digest: "x" }));
      break;
    case "file_content_read":
      push("unknown digest", over(method, f, { digest: FAKE_DIGEST }));
      push("another project's file", over(method, f, { digest: f.otherFileDigest }));
      push("empty digest", over(method, f, { digest: "" }));
      push("digest with a slash", over(method, f, { digest: "../../etc/passwd" }));
      break;
    case "feedback_purge":
    case "cost_purge":
      push("purge by another field", over(method, f, { query: { $expr: { $eq: [{ $getField: "feedback_type" }, { $literal: "custom" }] } } }));
      push("purge with $gt on id", over(method, f, { query: { $expr: { $gt: [{ $getField: "id" }, { $literal: "" }] } } }));
      push("purge with $and", over(method, f, { query: { $expr: { $and: [{ $eq: [{ $getField: "id" }, { $literal: "a" }] }, { $eq: [{ $getField: "id" }, { $literal: "b" }] }] } } }));
      break;
    case "ensure_project_exists":
      cases.push(schemaCase(method, "joined id over 512 characters", { entity: "e".repeat(300), project: "p".repeat(300) }, { text: "project_id" }));
      break;
    default:
      break;
  }
  return cases;
}

/** Every case for one method: mostly one-field mutations, plus the server-side rules. */
export function hostileCaseArb(method: MethodName, facts: SeedFacts): fc.Arbitrary<HostileCase> {
  const mutations = mutationCaseArb(method, facts);
  const server = serverCases(method, facts);
  if (server.length === 0) return mutations;
  return fc.oneof({ weight: 4, arbitrary: mutations }, { weight: 1, arbitrary: fc.constantFrom(...server) });
}
