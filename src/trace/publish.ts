/**
 * Publishing values as Weave objects: `obj_create` (and `table_create` for a Dataset's rows), then
 * a `weave:///entity/project/object/name:digest` ref. Digests come from the server, as in the JS
 * SDK, so the tracer never hashes anything on the main thread.
 */
import { WeftError } from "../errors";
import { Dataset } from "./dataset";
import { serialize } from "./serialize";
import type { Tracer } from "./init";

/** Longest object name Weave accepts. */
const MAX_NAME_LENGTH = 128;

/**
 * Weave's `sanitize_object_name` (Python; the JS SDK's `objectNameToId` is the ASCII-only twin):
 * runs of characters outside `[\w._]` become `-`, runs of separators collapse to one `-`,
 * leading/trailing `-`/`_` go, and the result is cut at 128 characters.
 * @throws WeftError VALIDATION when nothing is left
 */
export function sanitizeObjectName(name: string): string {
  const dashed = name.replace(/[^\p{L}\p{N}_.]+/gu, "-").replace(/[._-]{2,}/g, "-");
  const trimmed = dashed.replace(/^[-_]+|[-_]+$/g, "");
  if (!trimmed) {
    throw new WeftError("VALIDATION", `Invalid object name ${JSON.stringify(name)}: use letters, digits, "_", "." or "-".`, {
      issues: [{ path: "name", message: "must contain a letter, digit, '_', '.' or '-'" }],
    });
  }
  return [...trimmed].slice(0, MAX_NAME_LENGTH).join("");
}

/** `weave:///entity/project/object/name:digest`. @throws never */
export function objectRef(projectId: string, objectId: string, digest: string): string {
  return `weave:///${projectId}/object/${objectId}:${digest}`;
}

/** `weave:///entity/project/table/digest`. @throws never */
export function tableRef(projectId: string, digest: string): string {
  return `weave:///${projectId}/table/${digest}`;
}

/**
 * Serializes `value` with the tracer's refs (nested published values become refs; `value` itself
 * never does, so re-publishing under another name stores the value) and waits for pending refs.
 */
async function serialized(tracer: Tracer, value: unknown): Promise<unknown> {
  const out = serialize(value, (v) => (v === value ? undefined : tracer.refLookup(v)));
  if (out.pending) await out.pending;
  return out.value;
}

/**
 * Stores `value` as object `name` and returns its ref. Nested published values (and Datasets,
 * published on the way) are stored as their refs.
 * @throws WeftError VALIDATION for a bad name or value; any code the server raises
 */
export async function publishObject(tracer: Tracer, value: unknown, name: string): Promise<string> {
  const objectId = sanitizeObjectName(name);
  const val = await serialized(tracer, value);
  const res = await tracer.client.obj_create({ obj: { project_id: tracer.projectId, object_id: objectId, val } });
  return objectRef(tracer.projectId, objectId, res.digest);
}

/**
 * Stores a Dataset the way Weave does: its rows as a table, then
 * `{_type: "Dataset", _class_name: "Dataset", _bases: ["Object", "BaseModel"], name, description,
 * rows: "weave:///…/table/<digest>"}` as object `name` (`description` is `null` when absent, as
 * Python's pydantic dump writes it).
 * @throws WeftError VALIDATION for a bad name or rows; any code the server raises
 */
export async function publishDataset(tracer: Tracer, dataset: Dataset, name = dataset.name): Promise<string> {
  const objectId = sanitizeObjectName(name);
  const rows = (await serialized(tracer, dataset.rows)) as Array<Record<string, unknown>>;
  const table = await tracer.client.table_create({ table: { project_id: tracer.projectId, rows } });
  const val = {
    _type: "Dataset",
    _class_name: "Dataset",
    _bases: ["Object", "BaseModel"],
    name: dataset.name,
    description: dataset.description ?? null,
    rows: tableRef(tracer.projectId, table.digest),
  };
  const res = await tracer.client.obj_create({ obj: { project_id: tracer.projectId, object_id: objectId, val } });
  return objectRef(tracer.projectId, objectId, res.digest);
}

/**
 * Publishes `value` (a Dataset or any JSON-able value) as `name`.
 * @throws WeftError VALIDATION when there is no name; see `publishObject`/`publishDataset`
 */
export function publishAny(tracer: Tracer, value: unknown, name: string | undefined): Promise<string> {
  if (value instanceof Dataset) return publishDataset(tracer, value, name);
  const objName = name ?? (typeof value === "object" && value !== null && typeof (value as { name?: unknown }).name === "string" ? (value as { name: string }).name : undefined);
  if (objName === undefined) {
    return Promise.reject(new WeftError("VALIDATION", "publish(value, name) needs a name for values without a string `name` field.", { issues: [{ path: "name", message: "is required" }] }));
  }
  return publishObject(tracer, value, objName);
}
