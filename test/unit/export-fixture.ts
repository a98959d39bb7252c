/**
 * Shared by the export and bundle tests: a project with everything the exporter must carry (nested
 * traces, a published Dataset whose table holds a ref, a Model that refers to an op, ops with source
 * files, an image file in call inputs, a running and a failed call, feedback of three kinds incl. an
 * annotation against an AnnotationSpec, a project price), a receiving Weave-compatible HTTP server
 * (weft's fetch handler on its own fake-indexeddb) with hooks to count and break requests, and a
 * comparison of two stores' answers modulo project name and digests.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "vitest";
import { createFetchHandler, toNodeListener } from "../../src/http";
import type { LocalTraceServer } from "../../src/server";
import { makeServer } from "./support/server";

/** A clock for `makeServer({ now })` that ticks 1 ms per reading, so creation order is never a tie. */
export function tickingClock(start = Date.UTC(2025, 5, 1)): () => number {
  let t = start;
  return () => t++;
}

/** What `seedProject` made, for assertions. */
export interface Seeded {
  project: string;
  callIds: string[];
  traceIds: string[];
  datasetDigest: string;
  modelDigest: string;
  opDigest: string;
  tableDigest: string;
  rowDigests: string[];
}

const enc = new TextEncoder();

/** Fills `project` of `server` (about 20 calls, 6 objects in 7 versions, 1 table, 3 files). */
export async function seedProject(server: LocalTraceServer, project: string, extraCalls = 0): Promise<Seeded> {
  const ref = (tail: string): string => `weave:///${project}/${tail}`;
  const src = await server.file_create({ project_id: project, name: "obj.py", content: enc.encode("def predict(q):\n    return q.upper()\n") });
  const scoreSrc = await server.file_create({ project_id: project, name: "obj.py", content: enc.encode("def score(o):\n    return 1\n") });
  const png = await server.file_create({ project_id: project, name: "image.png", content: new Uint8Array([137, 80, 78, 71, 0, 1, 2, 255]) });
  const opVal = (digest: string) => ({ _type: "CustomWeaveType", weave_type: { type: "Op" }, files: { "obj.py": digest } });
  const op = await server.obj_create({ obj: { project_id: project, object_id: "predict", val: opVal(src.digest) } });
  const score = await server.obj_create({ obj: { project_id: project, object_id: "score", val: opVal(scoreSrc.digest) } });
  const opRef = ref(`op/predict:${op.digest}`);
  const scoreRef = ref(`op/score:${score.digest}`);
  const model = await server.obj_create({
    obj: { project_id: project, object_id: "model", val: { _type: "MyModel", _class_name: "MyModel", _bases: ["Model", "Object", "BaseModel"], name: "model", predict: opRef, temperature: 0.5 } },
  });
  const modelRef = ref(`object/model:${model.digest}`);
  const table = await server.table_create({
    table: { project_id: project, rows: [{ q: "a", expected: "A" }, { q: "b", expected: "B", model: modelRef }, { q: "ü", expected: "Ü" }] },
  });
  const dsVal = (description: string) => ({ _type: "Dataset", _class_name: "Dataset", _bases: ["Object", "BaseModel"], name: "ds", description, rows: ref(`table/${table.digest}`) });
  await server.obj_create({ obj: { project_id: project, object_id: "ds", val: dsVal("first") } });
  const ds = await server.obj_create({ obj: { project_id: project, object_id: "ds", val: dsVal("second") } });
  const spec = await server.obj_create({
    obj: { project_id: project, object_id: "rating", builtin_object_class: "AnnotationSpec", val: { name: "rating", field_schema: { type: "integer", minimum: 1, maximum: 5 } } },
  });
  const rowRef = (i: number) => ref(`object/ds:${ds.digest}/attr/rows/id/${table.row_digests[i]}`);

  const t0 = Date.UTC(2025, 0, 1, 12);
  const iso = (s: number) => new Date(t0 + s * 1000).toISOString();
  const batch: unknown[] = [];
  const callIds: string[] = [];
  const traceIds: string[] = [];
  const add = (id: string, trace: string, parent: string | null, opName: string, inputs: object, end: object | null, s: number): void => {
    callIds.push(id);
    batch.push({ mode: "start", req: { start: { project_id: project, id, trace_id: trace, parent_id: parent, op_name: opName, started_at: iso(s), attributes: { weave: { source: "test" } }, inputs } } });
    if (end) batch.push({ mode: "end", req: { end: { project_id: project, id, ended_at: iso(s + 1), summary: {}, ...end } } });
  };
  for (let t = 0; t < 3; t++) {
    const trace = `trace-${t}`;
    traceIds.push(trace);
    const root = `root-${t}`;
    add(root, trace, null, "evaluate", { model: modelRef, dataset: ref(`object/ds:${ds.digest}`) }, { output: { mean: 1 }, summary: { usage: { "gpt-4o": { prompt_tokens: 10 * (t + 1), completion_tokens: 5, requests: 3 } } } }, t * 10);
    for (let i = 0; i < 3; i++) {
      const child = `child-${t}-${i}`;
      add(child, trace, root, opRef, { example: rowRef(i), self: modelRef }, { output: { answer: `x${i}`, ref: modelRef } }, t * 10 + i + 1);
      add(`grand-${t}-${i}`, trace, child, scoreRef, { output: `x${i}`, image: { _type: "CustomWeaveType", weave_type: { type: "PIL.Image.Image" }, files: { "image.png": png.digest }, load_op: "NO_LOAD_OP" } }, { output: 1 }, t * 10 + i + 2);
    }
  }
  add("running-1", "trace-r", null, opRef, { example: rowRef(2) }, null, 100);
  add("failed-1", "trace-f", null, opRef, { example: rowRef(1) }, { exception: "ValueError: boom", output: null }, 110);
  traceIds.push("trace-r", "trace-f");
  for (let i = 0; i < extraCalls; i++) add(`extra-${String(i).padStart(6, "0")}`, `trace-x${i}`, null, opRef, { i, text: `payload ${"x".repeat(200)}` }, { output: i }, 200 + i);
  for (let i = 0; i < batch.length; i += 2000) await server.call_start_batch({ batch: batch.slice(i, i + 2000) as never });

  const call = (id: string) => ref(`call/${id}`);
  await server.feedback_create({ project_id: project, weave_ref: call("root-0"), feedback_type: "wandb.reaction.1", payload: { emoji: "👍" } });
  await server.feedback_create({ project_id: project, weave_ref: call("child-1-0"), feedback_type: "wandb.note.1", payload: { note: "looks right" }, creator: "ann" });
  await server.feedback_create({
    project_id: project,
    weave_ref: call("root-2"),
    feedback_type: "wandb.annotation.rating",
    annotation_ref: ref(`object/rating:${spec.digest}`),
    payload: { value: 4 },
  });
  await server.cost_create({ project_id: project, costs: { "gpt-4o": { prompt_token_cost: 0.000005, completion_token_cost: 0.000015, effective_date: "2024-06-01T00:00:00Z", provider_id: "openai" } } });
  return { project, callIds, traceIds, datasetDigest: ds.digest, modelDigest: model.digest, opDigest: op.digest, tableDigest: table.digest, rowDigests: table.row_digests };
}

/** One HTTP request the receiving server saw. */
export interface SeenRequest {
  path: string;
  body: string;
}

/** What a hook may do with a request: pass it on, or answer/break it itself. */
export type RequestHook = (n: number, req: IncomingMessage, res: ServerResponse, body: Buffer, pass: () => void) => void;

/** A Weave-compatible server on 127.0.0.1 over its own store, recording every request. */
export interface Receiver {
  store: LocalTraceServer;
  url: string;
  seen: SeenRequest[];
  /** Replaces how requests are handled (default: pass every one on). */
  hook: RequestHook;
  close(): Promise<void>;
}

/**
 * Starts a receiving server.
 * @throws Error when it cannot listen
 */
export async function startReceiver(): Promise<Receiver> {
  const store = makeServer();
  const listener = toNodeListener(createFetchHandler(store));
  let n = 0;
  const receiver: Receiver = {
    store,
    url: "",
    seen: [],
    hook: (_n, _req, _res, _body, pass) => pass(),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      receiver.seen.push({ path: req.url ?? "", body: body.toString("utf8") });
      // The body was consumed here: hand the listener a request that replays it.
      const replay = {
        method: req.method,
        url: req.url,
        headers: req.headers,
        async *[Symbol.asyncIterator]() {
          yield new Uint8Array(body);
        },
      };
      receiver.hook(++n, req, res, body, () => listener(replay, res));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}

/** Write routes of Weave's API (what an idempotent second export must not send). */
export const WRITE_PATHS = ["/call/upsert_batch", "/obj/create", "/table/create", "/table/update", "/file/create", "/feedback/create", "/feedback/batch/create", "/cost/create"];

type Json = unknown;

/** `value` with refs into `project` made comparable across projects: project and digests replaced. */
export function normalize(value: Json, project: string): Json {
  const prefix = `weave:///${project}/`;
  if (typeof value === "string") {
    if (!value.startsWith(prefix)) return value;
    return `weave:///P/${value
      .slice(prefix.length)
      .replace(/^(object|op)\/([^/:]+):[^/]+/, "$1/$2:#")
      .replace(/^table\/[^/]+/, "table/#")
      .replace(/\/id\/[^/]+/g, "/id/#")}`;
  }
  if (Array.isArray(value)) return value.map((v) => normalize(v, project));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === "project_id" ? "P" : normalize(v, project)]));
  }
  return value;
}

/** Every ref string into `project` inside `value`, in walk order. */
export function refsIn(value: Json, project: string, out: string[] = []): string[] {
  if (typeof value === "string") {
    if (value.startsWith(`weave:///${project}/`)) out.push(value);
  } else if (Array.isArray(value)) for (const v of value) refsIn(v, project, out);
  else if (value !== null && typeof value === "object") for (const v of Object.values(value)) refsIn(v, project, out);
  return out;
}

/** Resolves a ref through a store: object/op refs (with edges) by `refs_read_batch`, tables by `table_query`. */
async function resolve(store: LocalTraceServer, ref: string, project: string): Promise<Json> {
  const tail = ref.slice(`weave:///${project}/`.length);
  if (tail.startsWith("call/")) return tail;
  if (tail.startsWith("table/")) {
    const rows = (await store.table_query({ project_id: project, digest: tail.split("/")[1] as string })).rows;
    return rows.map((r) => r.val);
  }
  return (await store.refs_read_batch({ refs: [ref] })).vals[0];
}

/**
 * Asserts that `remote` (project `toProject`) answers like `local` (project `project`): calls,
 * objects, tables behind refs, files, feedback and prices; refs compared by what they resolve to.
 */
export async function expectSameAnswers(local: LocalTraceServer, project: string, remote: LocalTraceServer, toProject: string): Promise<void> {
  const lc = (await local.calls_query({ project_id: project, sort_by: [{ field: "id", direction: "asc" }] })).calls;
  const rc = (await remote.calls_query({ project_id: toProject, sort_by: [{ field: "id", direction: "asc" }] })).calls;
  expect(rc.length).toBe(lc.length);
  expect(normalize(rc, toProject)).toEqual(normalize(lc, project));
  // Every ref in the remote calls resolves there to what the local ref resolves to here.
  const localRefs = refsIn(lc, project);
  const remoteRefs = refsIn(rc, toProject);
  expect(remoteRefs.length).toBe(localRefs.length);
  const distinct = new Map<string, string>();
  localRefs.forEach((r, i) => distinct.set(r, remoteRefs[i] as string));
  for (const [l, r] of distinct) {
    expect(normalize(await resolve(remote, r, toProject), toProject), `${l} → ${r}`).toEqual(normalize(await resolve(local, l, project), project));
  }
  const objs = async (s: LocalTraceServer, p: string) =>
    (await s.objs_query({ project_id: p })).objs
      .map((o) => ({ ...o, created_at: "", wb_user_id: null, digest: "" }))
      .sort((a, b) => (a.object_id < b.object_id ? -1 : a.object_id > b.object_id ? 1 : a.version_index - b.version_index));
  expect(normalize(await objs(remote, toProject), toProject)).toEqual(normalize(await objs(local, project), project));
  const feedback = async (s: LocalTraceServer, p: string) =>
    (await s.feedback_query({ project_id: p, sort_by: [{ field: "id", direction: "asc" }] })).result.map((f) => ({ ...f, created_at: "" }));
  expect(normalize(await feedback(remote, toProject), toProject)).toEqual(normalize(await feedback(local, project), project));
  const costs = async (s: LocalTraceServer, p: string) => (await s.cost_query({ project_id: p })).results.map((c) => ({ ...c, id: "" }));
  expect(await costs(remote, toProject)).toEqual(await costs(local, project));
}

/** Counts of every query a store answers for `project`: equal before and after means nothing was written. */
export async function storeDigest(store: LocalTraceServer, project: string): Promise<Record<string, number>> {
  return {
    calls: (await store.calls_query_stats({ project_id: project })).count,
    objects: (await store.objs_query({ project_id: project })).objs.length,
    feedback: (await store.feedback_query({ project_id: project })).result.length,
    costs: (await store.cost_query({ project_id: project })).results.length,
    files: (await store.files_stats({ project_id: project })).total_size_bytes,
  };
}
