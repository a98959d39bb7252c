/**
 * The things `purge` can sweep, as node keys, and the walk that finds them inside stored values.
 *
 * A node key names one stored thing of the project being purged:
 * - `o:<object_id>:<digest>`: an object or op version (both live in `objects`; an op ref and an
 *   object ref to the same name and digest are the same row);
 * - `O:<object_id>`: every version of a name, for refs whose version is an alias (`latest`, `v3`,
 *   `*`): which row such a ref means changes over time, so it keeps every version alive and makes
 *   none a sweep candidate;
 * - `t:<digest>`: a table (its `table_defs` row and `table_entries`);
 * - `r:<digest>`: a table row value;
 * - `f:<digest>`: a file (its `files` row and `file_chunks`).
 *
 * Refs are found in both forms (external `weave:///…`, internal `weave-trace-internal:///…`, as
 * object and row values store them); `files` maps (`{"obj.py": <digest>}` of ops and of Weave's
 * custom types such as images, also inline in call inputs) name files by digest.
 */
import type { CallRow, FeedbackRow, ObjectRow } from "../db";
import { parseVersionSpec } from "../objects/names";
import { INTERNAL_PREFIX, internalProjectId, parseAnyRef, WEAVE_PREFIX } from "../refs/uri";

/** Receives each node key found. */
export type NodeSink = (key: string) => void;

/**
 * The node key of an object version.
 * @throws never
 */
export function objectKey(objectId: string, digest: string): string {
  return `o:${objectId}:${digest}`;
}

/** Which project's refs count: its external id and its internal one. */
export interface ProjectScope {
  external: string;
  internal: string;
}

/**
 * The scope of project `projectId` (`entity/project`).
 * @throws never
 */
export function projectScope(projectId: string): ProjectScope {
  return { external: projectId, internal: internalProjectId(projectId) };
}

/**
 * The node a ref string names, or undefined for call refs, malformed refs and (with a scope) refs
 * into another project: purge never reaches outside its project.
 * @throws never (a malformed ref names nothing)
 */
export function refNode(text: string, scope?: ProjectScope): string | undefined {
  let parsed;
  try {
    parsed = parseAnyRef(text);
  } catch {
    return undefined; // ref-looking garbage names nothing
  }
  const { ref, external } = parsed;
  if (scope && ref.project !== (external ? scope.external : scope.internal)) return undefined;
  switch (ref.kind) {
    case "object":
    case "op":
      return parseVersionSpec(ref.version).kind === "digest" && ref.version !== "*" ? objectKey(ref.name, ref.version) : `O:${ref.name}`;
    case "table":
      return `t:${ref.digest}`;
    case "call":
      return undefined;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

/**
 * Every node named inside a JSON value: refs anywhere, and the digests of `files` maps.
 * @throws never
 */
export function walkValue(value: unknown, sink: NodeSink, scope?: ProjectScope): void {
  if (typeof value === "string") {
    if (value.startsWith(WEAVE_PREFIX) || value.startsWith(INTERNAL_PREFIX)) {
      const key = refNode(value, scope);
      if (key !== undefined) sink(key);
    }
  } else if (Array.isArray(value)) {
    for (const item of value) walkValue(item, sink, scope);
  } else if (isPlainObject(value)) {
    for (const key of Object.keys(value)) {
      const item = value[key];
      if (key === "files" && isPlainObject(item)) {
        for (const digest of Object.values(item)) if (typeof digest === "string") sink(`f:${digest}`);
      }
      walkValue(item, sink, scope);
    }
  }
}

/**
 * Like `walkValue` over JSON text, parsing it only when it can name a node: most call payloads hold
 * no ref and no file, and a substring test is far cheaper than `JSON.parse`.
 * @throws never (text that is not JSON names nothing)
 */
export function walkDump(dump: string | undefined, sink: NodeSink, scope?: ProjectScope): void {
  if (dump === undefined) return;
  if (!dump.includes(WEAVE_PREFIX) && !dump.includes(INTERNAL_PREFIX) && !dump.includes('"files"')) return;
  let value: unknown;
  try {
    value = JSON.parse(dump);
  } catch {
    return; // stored dumps are JSON; a broken one names nothing we could resolve anyway
  }
  walkValue(value, sink, scope);
}

/**
 * The nodes a call names: its op (`op_name` is a ref for ops the SDK published) and its payloads.
 * @throws never
 */
export function walkCall(row: CallRow, sink: NodeSink, scope?: ProjectScope): void {
  if (row.op_name !== undefined) walkValue(row.op_name, sink, scope);
  walkDump(row.inputs_dump, sink, scope);
  walkDump(row.output_dump, sink, scope);
  walkDump(row.attributes_dump, sink, scope);
  walkDump(row.summary_dump, sink, scope);
}

/**
 * The nodes a feedback row names: the thing it is about, its other refs and its payload.
 * @throws never
 */
export function walkFeedback(row: FeedbackRow, sink: NodeSink, scope?: ProjectScope): void {
  walkValue([row.weave_ref, row.annotation_ref, row.runnable_ref, row.call_ref, row.trigger_ref], sink, scope);
  walkDump(row.payload_dump, sink, scope);
}

/**
 * The nodes an object version names: its refs (extracted at write time) and its `files` maps.
 * @throws never
 */
export function walkObject(row: ObjectRow, sink: NodeSink, scope?: ProjectScope): void {
  walkValue(row.refs, sink, scope);
  // `refs` already holds every ref; only a `files` map needs the value itself.
  if (row.val_dump.includes('"files"')) walkDump(row.val_dump, sink, scope);
}
