/**
 * Projects are isolated. Random stores hold calls, objects, tables, files (and feedback and prices when
 * the server has them) in two projects, A and B, with colliding names on purpose: the same call ids,
 * trace ids and object names in both, identical content (so identical digests) in both, refs in A's
 * values that point into B, B feedback whose `weave_ref` names A's calls. Then random requests *for
 * project A* that name B's ids, digests and refs:
 * - reads (calls_query and its stream and stats with filters, queries, expand_columns and feedback;
 *   call_read, objs_query, obj_read, refs_read_batch, table_query, table stats, file_content_read,
 *   files_stats, feedback_query, cost_query) must never return B's rows or values: every value B
 *   wrote carries the marker `B-SECRET`, so no answer (nor error message) may contain it, and every
 *   `project_id` in an answer is A;
 * - writes and deletes (calls_delete, call_update, obj_delete, obj_create, table_update,
 *   table_create_from_digests, file_create, feedback_purge/replace, cost_purge) must never change
 *   B's rows: a digest of every record whose `project_id` is B is the same after each request.
 *
 * Prints one summary line: `isolation: N runs, M requests, …`.
 */
import fc from "fast-check";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { afterAll, expect, it } from "vitest";
import { WeftError } from "../../src/errors";
import type { MethodName } from "../../src/interface";
import { createLocalTraceServer } from "../../src/server";
import { ALLOWED_CODES, describeValue, type Invoke, invoker } from "../support/hostile-arbitraries";
import { diffSnapshots, snapshotStore, type StoreSnapshot } from "../support/store-digest";

const A = "iso/alpha";
const B = "iso/beta";
const SECRET = "B-SECRET";
const CALL_POOL = ["c0", "c1", "c2", "c3", "c4", "c5"] as const;
const TRACE_POOL = ["t0", "t1", "t2"] as const;
const OBJ_POOL = ["o0", "o1", "o2"] as const;
const T0 = Date.UTC(2025, 0, 1, 12);
const NUM_RUNS = 100;

const stats = { runs: 0, requests: 0, reads: 0, writes: 0, outcomes: {} as Record<string, number> };

// ---------------------------------------------------------------------------------------------
// Random stores

interface CallSpec {
  trace: (typeof TRACE_POOL)[number];
  /** Index of an earlier call of the same project to use as parent, if any. */
  parent: number | null;
  ended: boolean;
  /** What `inputs.ref` of an A call points at. */
  ref: "none" | "b-object" | "a-object" | "a-name-b-digest";
}

interface StoreSpec {
  aCalls: string[];
  bCalls: string[];
  callSpecs: CallSpec[];
  aObjects: string[];
  bObjects: string[];
  sharedObject: boolean;
  aRows: number[];
  bRows: number[];
  sharedTable: boolean;
  aFiles: number;
  bFiles: number;
  sharedFile: boolean;
  bFeedbackOnA: boolean;
}

const callSpecArb: fc.Arbitrary<CallSpec> = fc.record({
  trace: fc.constantFrom(...TRACE_POOL),
  parent: fc.option(fc.nat({ max: 5 }), { nil: null }),
  ended: fc.boolean(),
  ref: fc.constantFrom<CallSpec["ref"]>("none", "b-object", "a-object", "a-name-b-digest"),
});

const storeSpecArb: fc.Arbitrary<StoreSpec> = fc.record({
  aCalls: fc.uniqueArray(fc.constantFrom(...CALL_POOL), { minLength: 1, maxLength: 5 }),
  bCalls: fc.uniqueArray(fc.constantFrom(...CALL_POOL), { minLength: 1, maxLength: 5 }),
  callSpecs: fc.array(callSpecArb, { minLength: 10, maxLength: 10 }),
  aObjects: fc.uniqueArray(fc.constantFrom(...OBJ_POOL), { minLength: 1, maxLength: 3 }),
  bObjects: fc.uniqueArray(fc.constantFrom(...OBJ_POOL), { minLength: 1, maxLength: 3 }),
  sharedObject: fc.boolean(),
  aRows: fc.array(fc.nat({ max: 4 }), { maxLength: 4 }),
  bRows: fc.array(fc.nat({ max: 4 }), { minLength: 1, maxLength: 4 }),
  sharedTable: fc.boolean(),
  aFiles: fc.nat({ max: 2 }),
  bFiles: fc.integer({ min: 1, max: 2 }),
  sharedFile: fc.boolean(),
  bFeedbackOnA: fc.boolean(),
});

/** What seeding wrote, for building requests that name B's things and for exact checks. */
interface World {
  invoke: Invoke;
  implemented: readonly string[];
  aCalls: string[];
  bCalls: string[];
  aObjects: Array<{ name: string; digest: string }>;
  bObjects: Array<{ name: string; digest: string }>;
  aTables: Set<string>;
  bTables: Array<{ digest: string; rows: string[] }>;
  aFileBytes: Map<string, number>;
  bFiles: string[];
  bFeedback: string[];
  bCosts: string[];
}

function iso(seconds: number): string {
  return new Date(T0 + seconds * 1000).toISOString();
}

function digestOf(res: unknown): string {
  return (res as { digest: string }).digest;
}

async function seed(invoke: Invoke, implemented: readonly string[], spec: StoreSpec): Promise<World> {
  const has = (m: string) => implemented.includes(m);
  const objCreate = async (project: string, name: string, val: unknown) =>
    digestOf(await invoke("obj_create", { obj: { project_id: project, object_id: name, val } }));

  const bObjects: World["bObjects"] = [];
  for (const name of spec.bObjects) bObjects.push({ name, digest: await objCreate(B, name, { secret: `${SECRET} object ${name}` }) });
  if (spec.sharedObject) bObjects.push({ name: "shared_obj", digest: await objCreate(B, "shared_obj", { shared: true }) });
  const bRef = (i: number) => {
    const o = bObjects[i % bObjects.length] as { name: string; digest: string };
    return `weave:///${B}/object/${o.name}:${o.digest}`;
  };
  const aNameBDigest = (i: number) => {
    const o = bObjects[i % bObjects.length] as { name: string; digest: string };
    return `weave:///${A}/object/${o.name}:${o.digest}`;
  };
  const aObjects: World["aObjects"] = [];
  for (const [i, name] of spec.aObjects.entries()) {
    // `linkInternal` is B's object in internal form, as a client may send it (stored as given).
    const linkInternal = bRef(i).replace(`weave:///${B}/`, `weave-trace-internal:///${btoa(B)}/`);
    aObjects.push({ name, digest: await objCreate(A, name, { v: name, link: bRef(i), linkA: aNameBDigest(i), linkInternal, list: [bRef(i + 1)] }) });
  }
  if (spec.sharedObject) aObjects.push({ name: "shared_obj", digest: await objCreate(A, "shared_obj", { shared: true }) });
  const aRef = (i: number) => {
    const o = aObjects[i % aObjects.length] as { name: string; digest: string };
    return `weave:///${A}/object/${o.name}:${o.digest}`;
  };

  const batch = (project: string, ids: string[], offset: number, isB: boolean) => {
    const items: unknown[] = [];
    ids.forEach((id, i) => {
      const s = spec.callSpecs[(i + offset) % spec.callSpecs.length] as CallSpec;
      const parent = s.parent !== null && s.parent < i ? ids[s.parent] : null;
      const ref = isB ? bRef(i) : s.ref === "b-object" ? bRef(i) : s.ref === "a-object" ? aRef(i) : s.ref === "a-name-b-digest" ? aNameBDigest(i) : null;
      const internal = ref?.replace(`weave:///${B}/`, `weave-trace-internal:///${btoa(B)}/`) ?? null;
      const inputs: Record<string, unknown> = isB ? { secret: `${SECRET} input ${id}`, ref } : { n: i, ref, nested: { ref }, internal };
      items.push({
        mode: "start",
        req: {
          start: {
            project_id: project,
            id,
            trace_id: s.trace,
            parent_id: parent,
            op_name: isB ? `${SECRET}_op` : "a_op",
            display_name: isB ? `${SECRET} call` : null,
            started_at: iso(i),
            attributes: isB ? { secret: SECRET } : {},
            inputs,
          },
        },
      });
      if (s.ended) {
        items.push({
          mode: "end",
          req: { end: { project_id: project, id, ended_at: iso(i + 1), output: isB ? { secret: `${SECRET} output`, ref } : { ok: i, ref }, summary: isB ? { secret: SECRET } : {} } },
        });
      }
    });
    return invoke("call_start_batch", { batch: items });
  };
  await batch(B, spec.bCalls, 5, true);
  await batch(A, spec.aCalls, 0, false);

  const aTables = new Set<string>();
  const bTables: World["bTables"] = [];
  const tableCreate = async (project: string, rows: unknown[]) => {
    const res = (await invoke("table_create", { table: { project_id: project, rows } })) as { digest: string; row_digests: string[] };
    return { digest: res.digest, rows: res.row_digests };
  };
  bTables.push(await tableCreate(B, spec.bRows.map((k) => ({ secret: `${SECRET} row ${k}`, ref: bRef(k) }))));
  aTables.add((await tableCreate(A, spec.aRows.map((k) => ({ v: k, ref: bRef(k) })))).digest);
  if (spec.sharedTable) {
    bTables.push(await tableCreate(B, [{ shared: 1 }, { shared: 2 }]));
    aTables.add((await tableCreate(A, [{ shared: 1 }, { shared: 2 }])).digest);
  }

  const aFileBytes = new Map<string, number>();
  const bFiles: string[] = [];
  const fileCreate = async (project: string, text: string) => {
    const content = new TextEncoder().encode(text);
    return { digest: digestOf(await invoke("file_create", { project_id: project, name: "f.txt", content })), size: content.byteLength };
  };
  for (let k = 0; k < spec.bFiles; k++) bFiles.push((await fileCreate(B, `${SECRET} file ${k}`)).digest);
  for (let k = 0; k < spec.aFiles; k++) {
    const f = await fileCreate(A, `A file ${k}`);
    aFileBytes.set(f.digest, f.size);
  }
  if (spec.sharedFile) {
    bFiles.push((await fileCreate(B, "shared file")).digest);
    const f = await fileCreate(A, "shared file");
    aFileBytes.set(f.digest, f.size);
  }

  const bFeedback: string[] = [];
  if (has("feedback_create")) {
    const fb = async (project: string, ref: string, note: string) =>
      (await invoke("feedback_create", { project_id: project, weave_ref: ref, feedback_type: "wandb.note.1", payload: { note }, wb_user_id: "u" })) as { id: string };
    for (const id of spec.bCalls) bFeedback.push((await fb(B, `weave:///${B}/call/${id}`, `${SECRET} note`)).id);
    // B's feedback naming A's calls: stored in B, so A's reads must never show it.
    if (spec.bFeedbackOnA) for (const id of spec.aCalls) bFeedback.push((await fb(B, `weave:///${A}/call/${id}`, `${SECRET} note on A`)).id);
    for (const id of spec.aCalls) await fb(A, `weave:///${A}/call/${id}`, "a note");
  }
  const bCosts: string[] = [];
  if (has("cost_create")) {
    const price = (provider: string) => ({ prompt_token_cost: 1, completion_token_cost: 2, provider_id: provider });
    const res = (await invoke("cost_create", { project_id: B, costs: { "gpt-x": price(SECRET), "b-only": price(SECRET) }, wb_user_id: "u" })) as { ids: Array<[string, string]> };
    bCosts.push(...res.ids.map(([id]) => id));
    await invoke("cost_create", { project_id: A, costs: { "gpt-x": price("a") }, wb_user_id: "u" });
  }
  return { invoke, implemented, aCalls: spec.aCalls, bCalls: spec.bCalls, aObjects, bObjects, aTables, bTables, aFileBytes, bFiles, bFeedback, bCosts };
}

// ---------------------------------------------------------------------------------------------
// Requests for project A, described abstractly and resolved against the seeded world

type PickIndex = number;
type FilterKind = "none" | "b-ids" | "pool-ids" | "traces" | "parents" | "b-op" | "input-refs-b" | "input-refs-a-name" | "roots";
type QueryKind = "none" | "secret" | "id-in-b" | "expanded-secret" | "op-secret";

/** Selections only B's content can satisfy: in A they must select nothing. */
function selectsOnlyB(op: Op): boolean {
  if (op.k !== "calls_query" && op.k !== "calls_query_stats") return false;
  return op.query === "secret" || op.query === "expanded-secret" || op.query === "op-secret" || op.filter === "b-op";
}

type Op =
  | { k: "calls_query"; method: "calls_query" | "calls_query_stream"; filter: FilterKind; query: QueryKind; expand: boolean; feedback: boolean; sort: boolean }
  | { k: "calls_query_stats"; filter: FilterKind; query: QueryKind; expand: boolean }
  | { k: "call_read"; pick: PickIndex }
  | { k: "objs_query"; byIds: boolean; latest: boolean }
  | { k: "obj_read"; pick: PickIndex; version: "b-digest" | "latest" | "v0" }
  | { k: "refs_read_batch"; pick: PickIndex; form: "a-name-b-digest" | "link-path" | "link-a-path" | "link-internal-path" | "list-path" }
  | { k: "table_query"; pick: PickIndex; filterRows: boolean; stream: boolean }
  | { k: "table_stats"; pick: PickIndex }
  | { k: "file_content_read"; pick: PickIndex }
  | { k: "files_stats" }
  | { k: "feedback_query"; byId: boolean }
  | { k: "cost_query"; byId: boolean }
  | { k: "calls_delete"; pick: PickIndex; all: boolean }
  | { k: "call_update"; pick: PickIndex }
  | { k: "obj_delete"; pick: PickIndex; withDigest: boolean }
  | { k: "obj_create"; pick: PickIndex }
  | { k: "table_update"; pick: PickIndex }
  | { k: "table_create_from_digests"; pick: PickIndex }
  | { k: "file_create"; same: boolean }
  | { k: "feedback_purge"; pick: PickIndex }
  | { k: "feedback_replace"; pick: PickIndex }
  | { k: "cost_purge"; pick: PickIndex };

const pick = fc.nat({ max: 20 });
const filterArb = fc.constantFrom<FilterKind>("none", "b-ids", "pool-ids", "traces", "parents", "b-op", "input-refs-b", "input-refs-a-name", "roots");
const queryArb = fc.constantFrom<QueryKind>("none", "secret", "id-in-b", "expanded-secret", "op-secret");

const READS: Array<fc.Arbitrary<Op>> = [
  fc.record({ k: fc.constant("calls_query" as const), method: fc.constantFrom("calls_query" as const, "calls_query_stream" as const), filter: filterArb, query: queryArb, expand: fc.boolean(), feedback: fc.boolean(), sort: fc.boolean() }),
  fc.record({ k: fc.constant("calls_query_stats" as const), filter: filterArb, query: queryArb, expand: fc.boolean() }),
  fc.record({ k: fc.constant("call_read" as const), pick }),
  fc.record({ k: fc.constant("objs_query" as const), byIds: fc.boolean(), latest: fc.boolean() }),
  fc.record({ k: fc.constant("obj_read" as const), pick, version: fc.constantFrom("b-digest" as const, "latest" as const, "v0" as const) }),
  fc.record({ k: fc.constant("refs_read_batch" as const), pick, form: fc.constantFrom("a-name-b-digest" as const, "link-path" as const, "link-a-path" as const, "link-internal-path" as const, "list-path" as const) }),
  fc.record({ k: fc.constant("table_query" as const), pick, filterRows: fc.boolean(), stream: fc.boolean() }),
  fc.record({ k: fc.constant("table_stats" as const), pick }),
  fc.record({ k: fc.constant("file_content_read" as const), pick }),
  fc.constant({ k: "files_stats" as const }),
  fc.record({ k: fc.constant("feedback_query" as const), byId: fc.boolean() }),
  fc.record({ k: fc.constant("cost_query" as const), byId: fc.boolean() }),
];
const WRITES: Array<fc.Arbitrary<Op>> = [
  fc.record({ k: fc.constant("calls_delete" as const), pick, all: fc.boolean() }),
  fc.record({ k: fc.constant("call_update" as const), pick }),
  fc.record({ k: fc.constant("obj_delete" as const), pick, withDigest: fc.boolean() }),
  fc.record({ k: fc.constant("obj_create" as const), pick }),
  fc.record({ k: fc.constant("table_update" as const), pick }),
  fc.record({ k: fc.constant("table_create_from_digests" as const), pick }),
  fc.record({ k: fc.constant("file_create" as const), same: fc.boolean() }),
  fc.record({ k: fc.constant("feedback_purge" as const), pick }),
  fc.record({ k: fc.constant("feedback_replace" as const), pick }),
  fc.record({ k: fc.constant("cost_purge" as const), pick }),
];
const opArb: fc.Arbitrary<Op> = fc.oneof({ weight: 3, arbitrary: fc.oneof(...READS) }, { weight: 2, arbitrary: fc.oneof(...WRITES) });

function at<T>(list: readonly T[], i: number): T | undefined {
  return list.length === 0 ? undefined : list[i % list.length];
}

const isWrite = (op: Op): boolean =>
  ["calls_delete", "call_update", "obj_delete", "obj_create", "table_update", "table_create_from_digests", "file_create", "feedback_purge", "feedback_replace", "cost_purge"].includes(op.k);

function callsFilter(w: World, kind: FilterKind): Record<string, unknown> | undefined {
  const bRef = w.bObjects.map((o) => `weave:///${B}/object/${o.name}:${o.digest}`);
  switch (kind) {
    case "none":
      return undefined;
    case "b-ids":
      return { call_ids: w.bCalls };
    case "pool-ids":
      return { call_ids: [...CALL_POOL] };
    case "traces":
      return { trace_ids: [...TRACE_POOL] };
    case "parents":
      return { parent_ids: [...w.bCalls, ...CALL_POOL] };
    case "b-op":
      return { op_names: [`${SECRET}_op`] };
    case "input-refs-b":
      return { input_refs: bRef };
    case "input-refs-a-name":
      return { input_refs: w.bObjects.map((o) => `weave:///${A}/object/${o.name}:${o.digest}`) };
    case "roots":
      return { trace_roots_only: true };
  }
}

function callsQuery(w: World, kind: QueryKind): Record<string, unknown> | undefined {
  const field = (f: string) => ({ $getField: f });
  const lit = (v: unknown) => ({ $literal: v });
  switch (kind) {
    case "none":
      return undefined;
    case "secret":
      return { $expr: { $contains: { input: field("inputs.secret"), substr: lit("SECRET") } } };
    case "id-in-b":
      return { $expr: { $in: [field("id"), w.bCalls.map(lit)] } };
    case "expanded-secret":
      // Matches only if `expand_columns` followed `inputs.ref` into B's object.
      return { $expr: { $contains: { input: field("inputs.ref.secret"), substr: lit(SECRET), case_insensitive: true } } };
    case "op-secret":
      return { $expr: { $eq: [field("op_name"), lit(`${SECRET}_op`)] } };
  }
}

/** The method and request an op stands for, or undefined when the server lacks the method. */
function resolve(w: World, op: Op): { method: MethodName; req: Record<string, unknown> } | undefined {
  const bObj = (i: number) => at(w.bObjects, i);
  const bTable = (i: number) => at(w.bTables, i);
  const expand = ["inputs.ref", "inputs.nested.ref", "inputs.internal", "output.ref"];
  const req = (method: MethodName, body: Record<string, unknown>) => (w.implemented.includes(method) ? { method, req: body } : undefined);
  switch (op.k) {
    case "calls_query": {
      const body: Record<string, unknown> = { project_id: A };
      const filter = callsFilter(w, op.filter);
      const query = callsQuery(w, op.query);
      if (filter) body.filter = filter;
      if (query) body.query = query;
      if (op.expand) body.expand_columns = expand;
      if (op.feedback && w.implemented.includes("feedback_create")) body.include_feedback = true;
      if (op.sort) body.sort_by = [{ field: "inputs.ref.secret", direction: "desc" }, { field: "id", direction: "asc" }];
      return req(op.method, body);
    }
    case "calls_query_stats": {
      const body: Record<string, unknown> = { project_id: A };
      const filter = callsFilter(w, op.filter);
      const query = callsQuery(w, op.query);
      if (filter) body.filter = filter;
      if (query) body.query = query;
      if (op.expand) body.expand_columns = expand;
      return req("calls_query_stats", body);
    }
    case "call_read":
      return req("call_read", { project_id: A, id: at(w.bCalls, op.pick) ?? "c0", include_storage_size: true, include_total_storage_size: true });
    case "objs_query":
      return req("objs_query", { project_id: A, filter: { ...(op.byIds ? { object_ids: w.bObjects.map((o) => o.name) } : {}), latest_only: op.latest } });
    case "obj_read": {
      const o = bObj(op.pick);
      if (!o) return undefined;
      return req("obj_read", { project_id: A, object_id: o.name, digest: op.version === "b-digest" ? o.digest : op.version });
    }
    case "refs_read_batch": {
      const o = bObj(op.pick);
      const a = at(w.aObjects, op.pick);
      if (!o || !a) return undefined;
      const aRef = `weave:///${A}/object/${a.name}:${a.digest}`;
      const refs =
        op.form === "a-name-b-digest"
          ? [`weave:///${A}/object/${o.name}:${o.digest}`]
          : op.form === "link-path"
            ? [`${aRef}/key/link`, `${aRef}/key/link/key/secret`]
            : op.form === "link-a-path"
              ? [`${aRef}/key/linkA/key/secret`]
              : op.form === "link-internal-path"
                ? [`${aRef}/key/linkInternal`, `${aRef}/key/linkInternal/key/secret`]
                : [`${aRef}/key/list/index/0/key/secret`];
      return req("refs_read_batch", { refs });
    }
    case "table_query": {
      const t = bTable(op.pick);
      if (!t) return undefined;
      return req(op.stream ? "table_query_stream" : "table_query", { project_id: A, digest: t.digest, ...(op.filterRows ? { filter: { row_digests: t.rows } } : {}) });
    }
    case "table_stats": {
      const t = bTable(op.pick);
      if (!t) return undefined;
      return op.pick % 2 === 0
        ? req("table_query_stats", { project_id: A, digest: t.digest })
        : req("table_query_stats_batch", { project_id: A, digests: w.bTables.map((x) => x.digest), include_storage_size: true });
    }
    case "file_content_read": {
      const d = at(w.bFiles, op.pick);
      return d ? req("file_content_read", { project_id: A, digest: d }) : undefined;
    }
    case "files_stats":
      return req("files_stats", { project_id: A });
    case "feedback_query":
      return req("feedback_query", {
        project_id: A,
        ...(op.byId ? { query: { $expr: { $in: [{ $getField: "id" }, w.bFeedback.map((id) => ({ $literal: id }))] } } } : {}),
      });
    case "cost_query":
      return req("cost_query", {
        project_id: A,
        ...(op.byId ? { query: { $expr: { $in: [{ $getField: "id" }, w.bCosts.map((id) => ({ $literal: id }))] } } } : {}),
      });
    case "calls_delete":
      return req("calls_delete", { project_id: A, call_ids: op.all ? [...w.bCalls, ...CALL_POOL] : [at(w.bCalls, op.pick) ?? "c0"], wb_user_id: "u" });
    case "call_update":
      return req("call_update", { project_id: A, call_id: at(w.bCalls, op.pick) ?? "c0", display_name: "renamed by A", wb_user_id: "u" });
    case "obj_delete": {
      const o = bObj(op.pick);
      if (!o) return undefined;
      return req("obj_delete", { project_id: A, object_id: o.name, ...(op.withDigest ? { digests: [o.digest] } : {}) });
    }
    case "obj_create": {
      const o = bObj(op.pick);
      if (!o) return undefined;
      return req("obj_create", { obj: { project_id: A, object_id: o.name, val: { written_by: "A", over: o.digest } } });
    }
    case "table_update": {
      const t = bTable(op.pick);
      if (!t) return undefined;
      return req("table_update", { project_id: A, base_digest: t.digest, updates: [{ append: { row: { by: "A" } } }, { pop: { index: 0 } }] });
    }
    case "table_create_from_digests": {
      const t = bTable(op.pick);
      if (!t) return undefined;
      return req("table_create_from_digests", { project_id: A, row_digests: t.rows });
    }
    case "file_create":
      return req("file_create", { project_id: A, name: "a.txt", content: new TextEncoder().encode(op.same ? "shared file" : "written by A") });
    case "feedback_purge": {
      const id = at(w.bFeedback, op.pick);
      return id ? req("feedback_purge", { project_id: A, query: { $expr: { $eq: [{ $getField: "id" }, { $literal: id }] } } }) : undefined;
    }
    case "feedback_replace": {
      const id = at(w.bFeedback, op.pick);
      return id
        ? req("feedback_replace", { project_id: A, feedback_id: id, id, weave_ref: `weave:///${A}/call/c0`, feedback_type: "wandb.note.1", payload: { note: "A" }, wb_user_id: "u" })
        : undefined;
    }
    case "cost_purge": {
      const id = at(w.bCosts, op.pick);
      return id ? req("cost_purge", { project_id: A, query: { $expr: { $eq: [{ $getField: "id" }, { $literal: id }] } } }) : undefined;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Checks

/** Where an answer shows B: the marker anywhere (bytes decoded), or a `project_id` other than A. */
function leakIn(value: unknown, path = "", seen = new Set<object>()): string | undefined {
  if (typeof value === "string") return value.includes(SECRET) ? `${path || "(answer)"} = ${JSON.stringify(value.slice(0, 80))}` : undefined;
  if (value instanceof Uint8Array) return leakIn(new TextDecoder().decode(value), path, seen);
  if (typeof value !== "object" || value === null || seen.has(value)) return undefined;
  seen.add(value);
  for (const [key, item] of Object.entries(value)) {
    const here = path ? `${path}.${key}` : key;
    if (key.includes(SECRET)) return `key ${here}`;
    if (key === "project_id" && typeof item === "string" && item !== A) return `${here} = ${item}`;
    const found = leakIn(item, here, seen);
    if (found) return found;
  }
  return undefined;
}

function bRows(_store: string, _key: IDBValidKey, value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as { project_id?: unknown }).project_id === B;
}

afterAll(() => {
  const outcomes = Object.entries(stats.outcomes)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k}: ${v}`)
    .join(", ");
  console.log(`isolation: ${stats.runs} runs, ${stats.requests} requests for project A (${stats.reads} reads, ${stats.writes} writes), 0 leaks allowed, outcomes {${outcomes}}`);
});

let dbCounter = 0;

it("requests for project A never return project B's rows or values, and never change B's rows", async () => {
  await fc.assert(
    fc.asyncProperty(storeSpecArb, fc.array(opArb, { minLength: 6, maxLength: 16 }), async (spec, ops) => {
      stats.runs++;
      const factory = new IDBFactory();
      const dbName = `weft-isolation-${++dbCounter}`;
      let clock = T0;
      const server = createLocalTraceServer({ dbName, indexedDB: factory, IDBKeyRange, now: () => (clock += 1000) });
      const invoke = invoker(server);
      const w = await seed(invoke, server.implementedMethods, spec);
      const bOnly = () => snapshotStore(dbName, { indexedDB: factory, filter: bRows });
      const bBefore: StoreSnapshot = await bOnly();
      expect(Object.values(bBefore.stores).reduce((n, s) => n + s.count, 0), "B has rows to protect").toBeGreaterThan(0);
      const aVisible = async (): Promise<Set<string>> => {
        const res = (await invoke("calls_query", { project_id: A })) as { calls: Array<{ id: string }> };
        return new Set(res.calls.map((c) => c.id));
      };

      for (const op of ops) {
        const resolved = resolve(w, op);
        if (!resolved) continue;
        const { method, req } = resolved;
        stats.requests++;
        if (isWrite(op)) stats.writes++;
        else stats.reads++;
        const where = `${method} ${JSON.stringify(req, (_k, v: unknown) => (v instanceof Uint8Array ? `<${v.byteLength} bytes>` : v)).slice(0, 400)}`;
        let answer: unknown;
        try {
          answer = await invoke(method, req);
          stats.outcomes.ok = (stats.outcomes.ok ?? 0) + 1;
        } catch (error) {
          if (!(error instanceof WeftError)) throw new Error(`${where}: failed with a non-WeftError ${describeValue(error)}: ${String(error)}`);
          stats.outcomes[error.code] = (stats.outcomes[error.code] ?? 0) + 1;
          if (!(ALLOWED_CODES as readonly string[]).includes(error.code)) throw new Error(`${where}: failed with ${error.code}: ${error.message}`);
          const leak = leakIn({ message: error.message, details: error.details });
          if (leak) throw new Error(`${where}: the error shows project B: ${leak}`);
          answer = undefined;
        }
        const leak = leakIn(answer);
        if (leak) throw new Error(`${where}: the answer shows project B: ${leak}\n  answer: ${JSON.stringify(answer).slice(0, 600)}`);

        // Exact checks where the answer is a count or a set that only A can contribute to.
        if (method === "files_stats") {
          const total = [...w.aFileBytes.values()].reduce((a, b) => a + b, 0);
          expect((answer as { total_size_bytes: number }).total_size_bytes, `${where}: A's file bytes only`).toBe(total);
        }
        if (method === "table_query_stats_batch") {
          for (const t of (answer as { tables: Array<{ digest: string }> }).tables) expect(w.aTables.has(t.digest), `${where}: table ${t.digest} is not A's`).toBe(true);
        }
        if (method === "table_query_stats" && !w.aTables.has(req.digest as string)) {
          expect((answer as { count: number }).count, `${where}: B's table counted in A`).toBe(0);
        }
        if (method === "calls_query" || method === "calls_query_stream" || method === "calls_query_stats" || method === "call_read") {
          const visible = await aVisible();
          const calls =
            method === "calls_query" ? (answer as { calls: Array<{ id: string }> }).calls
            : method === "calls_query_stream" ? (answer as Array<{ id: string }>)
            : method === "call_read" ? [(answer as { call: { id: string } | null }).call].filter((c): c is { id: string } => c !== null)
            : [];
          for (const c of calls) expect(visible.has(c.id) && w.aCalls.includes(c.id), `${where}: call ${c.id} is not a visible call of A`).toBe(true);
          if (method === "calls_query_stats") expect((answer as { count: number }).count, `${where}: counts more than A has`).toBeLessThanOrEqual(visible.size);
          if (selectsOnlyB(op)) {
            const n = method === "calls_query_stats" ? (answer as { count: number }).count : calls.length;
            expect(n, `${where}: a selection only B's values satisfy matched in A`).toBe(0);
          }
        }
        // Writes A made that name B's things must be readable only as A's own.
        if (method === "table_update" && answer) w.aTables.add((answer as { digest: string }).digest);
        if (method === "table_create_from_digests") {
          const digest = (answer as { digest: string }).digest;
          w.aTables.add(digest);
          const rows = await invoke("table_query", { project_id: A, digest });
          const rowLeak = leakIn(rows);
          if (rowLeak) throw new Error(`${where}: A's table over B's row digests reads B's rows: ${rowLeak}`);
        }
        if (method === "file_create") {
          const content = (req.content as Uint8Array).byteLength;
          w.aFileBytes.set((answer as { digest: string }).digest, content);
        }

        const bAfter = await bOnly();
        if (bAfter.hash !== bBefore.hash) throw new Error(`${where}: changed project B's rows:\n  ${diffSnapshots(bBefore, bAfter).join("\n  ")}`);
      }
      // Control: the same checks do see B when B is asked for, so a leak could not go unnoticed.
      const bObject = w.bObjects[0] as { name: string; digest: string };
      const controls: Array<[MethodName, Record<string, unknown>]> = [
        ["calls_query", { project_id: B, expand_columns: ["inputs.ref"] }],
        // The "expanded-secret" query does match where the expansion is allowed (B's own refs).
        ["calls_query", { project_id: B, expand_columns: ["inputs.ref"], query: callsQuery(w, "expanded-secret"), columns: ["id"] }],
        ["refs_read_batch", { refs: [`weave:///${B}/object/${bObject.name}:${bObject.digest}`] }],
        ["table_query", { project_id: B, digest: (w.bTables[0] as { digest: string }).digest }],
        ["file_content_read", { project_id: B, digest: w.bFiles[0] as string }],
      ];
      for (const [method, req] of controls) {
        expect(leakIn(await invoke(method, req)), `control: ${method} for B shows B`).toBeDefined();
      }
      await server.close();
    }),
    { numRuns: NUM_RUNS },
  );
}, 300_000);
