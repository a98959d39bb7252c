/**
 * Page script of `test/browser/export.test.ts`: a real module Worker (the harness's `worker.ts`,
 * database named by `?db=`) behind `createClient`, and helpers on `globalThis.exportPage`: seed a
 * project, export it as a bundle (as base64, or as a real download through an `<a download>`),
 * import a bundle, export to a Weave server over HTTP, and the store's answers in a form two stores can be compared by (project name and
 * digests replaced, refs replaced by what they resolve to).
 */
import { createClient } from "../../../src/client/index";
import { WeftError } from "../../../src/errors";
import { exportBundle, exportProject, importBundle } from "../../../src/export/index";
import { createRemoteTraceServer } from "../../../src/http/index";
import type { HarnessPageGlobals } from "../harness";

const params = new URLSearchParams(location.search);
const dbName = params.get("db") ?? "weft-export-test";
const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module", name: dbName });
const client = createClient({ worker });

const bytesToBase64 = (bytes: Uint8Array): string => {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
};
const base64ToBytes = (text: string): Uint8Array => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/** A project with a Dataset (table + object with a table ref), an op with a source file, nested calls, feedback, a price. */
async function seed(project: string, calls = 20): Promise<void> {
  const ref = (tail: string): string => `weave:///${project}/${tail}`;
  const file = await client.file_create({ project_id: project, name: "obj.py", content: new TextEncoder().encode("def f(x):\n    return x\n") });
  const op = await client.obj_create({ obj: { project_id: project, object_id: "f", val: { _type: "CustomWeaveType", weave_type: { type: "Op" }, files: { "obj.py": file.digest } } } });
  const table = await client.table_create({ table: { project_id: project, rows: [{ x: 1, op: ref(`op/f:${op.digest}`) }, { x: 2 }, { x: "é" }] } });
  const ds = await client.obj_create({ obj: { project_id: project, object_id: "ds", val: { _type: "Dataset", _class_name: "Dataset", _bases: ["Object", "BaseModel"], rows: ref(`table/${table.digest}`) } } });
  const t0 = Date.UTC(2025, 0, 1);
  for (let i = 0; i < calls; i++) {
    const id = `call-${String(i).padStart(3, "0")}`;
    const parent = i % 4 === 0 ? null : `call-${String(i - (i % 4)).padStart(3, "0")}`;
    const row = ref(`object/ds:${ds.digest}/attr/rows/id/${table.row_digests[i % 3]}`);
    void client.call_start({ start: { project_id: project, id, trace_id: `trace-${Math.floor(i / 4)}`, parent_id: parent, op_name: ref(`op/f:${op.digest}`), started_at: new Date(t0 + i * 1000).toISOString(), attributes: {}, inputs: { row, i } } });
    void client.call_end({ end: { project_id: project, id, ended_at: new Date(t0 + i * 1000 + 500).toISOString(), summary: { usage: { "gpt-4o": { prompt_tokens: i, requests: 1 } } }, output: { y: i, ds: ref(`object/ds:${ds.digest}`) } } });
  }
  await client.flush();
  await client.feedback_create({ project_id: project, weave_ref: ref("call/call-000"), feedback_type: "wandb.note.1", payload: { note: "first" } });
  await client.cost_create({ project_id: project, costs: { "gpt-4o": { prompt_token_cost: 1e-6, completion_token_cost: 2e-6, effective_date: "2024-01-01T00:00:00Z" } } });
}

/** `value` with refs into `project` resolved through this store, and the project name replaced. */
async function resolved(value: unknown, project: string): Promise<unknown> {
  const prefix = `weave:///${project}/`;
  if (typeof value === "string" && value.startsWith(prefix)) {
    const tail = value.slice(prefix.length);
    if (tail.startsWith("table/")) {
      const rows = (await client.table_query({ project_id: project, digest: tail.split("/")[1] ?? "" })).rows;
      return { table: await resolved(rows.map((r) => r.val), project) };
    }
    if (tail.startsWith("call/")) return { call: tail };
    return { ref: tail.replace(/:[^/]+/, ":#").replace(/\/id\/[^/]+/g, "/id/#"), value: await resolved((await client.refs_read_batch({ refs: [value] })).vals[0], project) };
  }
  if (Array.isArray(value)) return Promise.all(value.map((v) => resolved(v, project)));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = k === "project_id" ? "P" : k === "digest" ? "#" : await resolved(v, project);
    return out;
  }
  return value;
}

const api = {
  dbName,
  seed,
  /** The project as a bundle, base64 (to carry it out of the page). */
  async bundleBase64(project: string): Promise<string> {
    const blob = await exportBundle({ from: client, project });
    return bytesToBase64(new Uint8Array(await blob.arrayBuffer()));
  },
  /** Builds a bundle and downloads it the way an app would: an object URL behind `<a download>`. */
  async download(project: string): Promise<number> {
    const blob = await exportBundle({ from: client, project });
    const link = document.getElementById("download") as HTMLAnchorElement;
    link.href = URL.createObjectURL(blob);
    link.click();
    return blob.size;
  },
  /** Imports a bundle given as base64; errors come back as `{ code, message }`. */
  async importBase64(b64: string, project: string): Promise<{ ok: unknown } | { code: string; message: string }> {
    try {
      return { ok: await importBundle(new Blob([base64ToBytes(b64) as Uint8Array<ArrayBuffer>], { type: "application/gzip" }), { to: client, project }) };
    } catch (error) {
      if (error instanceof WeftError) return { code: error.code, message: error.message };
      throw error;
    }
  },
  /** `exportProject` to a Weave server at `baseUrl` (no retries); errors come back as `{ code, message }`. */
  async exportTo(baseUrl: string, project: string, toProject: string): Promise<{ ok: unknown } | { code: string; message: string }> {
    try {
      const to = createRemoteTraceServer({ baseUrl, apiKey: "browser-key", retries: 0 });
      return { ok: await exportProject({ from: client, to, project, toProject }) };
    } catch (error) {
      if (error instanceof WeftError) return { code: error.code, message: error.message };
      throw error;
    }
  },
  /** Calls, objects, feedback and prices of `project`, refs resolved, for comparing two stores. */
  async answers(project: string): Promise<unknown> {
    const calls = (await client.calls_query({ project_id: project, sort_by: [{ field: "id", direction: "asc" }] })).calls;
    const objs = (await client.objs_query({ project_id: project, sort_by: [{ field: "object_id", direction: "asc" }] })).objs.map((o) => ({ ...o, created_at: "" }));
    const feedback = (await client.feedback_query({ project_id: project })).result.map((f) => ({ ...f, created_at: "" }));
    const costs = (await client.cost_query({ project_id: project })).results.map((c) => ({ ...c, id: "" }));
    return resolved({ calls, objs, feedback, costs }, project);
  },
};

export type ExportPageApi = typeof api;
export interface ExportPageGlobals extends HarnessPageGlobals {
  exportPage: ExportPageApi;
}

const globals = globalThis as unknown as ExportPageGlobals;
globals.exportPage = api;
globals.harnessReady = client.ready();
