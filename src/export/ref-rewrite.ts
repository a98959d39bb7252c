/**
 * Refs across projects: finding what a value refers to in its own project, and rewriting those refs
 * for another project (weave-semantics.md §0.2, §6.1).
 *
 * Why digests change: a Weave server hashes objects and table rows with their refs in *internal*
 * form (`weave-trace-internal:///<internal project id>/…`), so a value that holds a ref hashes
 * differently under another project (§1, weave-ts-sdk-and-http-api.md §3 "Consequence for export").
 * The exporter therefore learns each remote digest from the server's answer (`obj_create`,
 * `table_create`, `file_create`) and maps local → remote here; a value without refs keeps its digest.
 *
 * Only refs to the source project are touched; refs to other projects are left as they are (Weave
 * never follows cross-project refs either, §6.3).
 */

/** Prefix of external refs. */
const WEAVE_PREFIX = "weave:///";

/** Local → remote digests, filled as things are sent. */
export interface RefMaps {
  /** Object and op version digests. */
  objects: Map<string, string>;
  /** Table digests. */
  tables: Map<string, string>;
  /** Table row digests (the values of `id` edges, e.g. `…/attr/rows/id/<row digest>`). */
  rows: Map<string, string>;
  /** File digests (in `files` maps of `CustomWeaveType` values: op source, images, audio). */
  files: Map<string, string>;
}

/**
 * Fresh, empty maps.
 * @throws never
 */
export function emptyRefMaps(): RefMaps {
  return { objects: new Map(), tables: new Map(), rows: new Map(), files: new Map() };
}

/** How to rewrite: refs to `fromProject` become refs to `toProject`, digests through `maps`. */
export interface RefRewrite {
  fromProject: string;
  toProject: string;
  maps: RefMaps;
}

/** A ref into the source project, split into its parts. `extra` values stay percent-encoded. */
export type ProjectRef =
  | { kind: "object" | "op"; name: string; digest: string; extra: string[] }
  | { kind: "table"; digest: string; extra: string[] }
  | { kind: "call"; id: string; extra: string[] };

/**
 * Splits `ref` when it points into `project`; undefined for anything else (another project, not a
 * ref, or a malformed one).
 * @throws never
 */
export function parseProjectRef(ref: string, project: string): ProjectRef | undefined {
  const prefix = `${WEAVE_PREFIX}${project}/`;
  if (!ref.startsWith(prefix)) return undefined;
  const [kind, head, ...extra] = ref.slice(prefix.length).split("/");
  if (head === undefined || head === "" || extra.length % 2 !== 0) return undefined;
  if (kind === "object" || kind === "op") {
    const parts = head.split(":");
    if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
    return { kind, name: parts[0], digest: parts[1], extra };
  }
  if (kind === "table") return { kind, digest: head, extra };
  if (kind === "call") return { kind, id: head, extra };
  return undefined;
}

/**
 * The ref string of `ref` in `project`.
 * @throws never
 */
export function formatProjectRef(ref: ProjectRef, project: string): string {
  const head =
    ref.kind === "table" ? `table/${ref.digest}` : ref.kind === "call" ? `call/${ref.id}` : `${ref.kind}/${ref.name}:${ref.digest}`;
  return [`${WEAVE_PREFIX}${project}/${head}`, ...ref.extra].join("/");
}

/**
 * One ref string for the target: the project swapped, the object/table digest and every `id` edge
 * (a table row digest) mapped when the map knows them. A string that only looks like a ref into the
 * source project still gets the new project, as Weave's own adapter would rewrite it (§0.2).
 * @throws never
 */
export function rewriteRef(ref: string, rw: RefRewrite): string {
  const fromPrefix = `${WEAVE_PREFIX}${rw.fromProject}/`;
  if (!ref.startsWith(fromPrefix)) return ref;
  const parsed = parseProjectRef(ref, rw.fromProject);
  if (!parsed) return `${WEAVE_PREFIX}${rw.toProject}/${ref.slice(fromPrefix.length)}`;
  const extra = parsed.extra.map((value, i) => (i % 2 === 1 && parsed.extra[i - 1] === "id" ? (rw.maps.rows.get(value) ?? value) : value));
  if (parsed.kind === "call") return formatProjectRef({ ...parsed, extra }, rw.toProject);
  const map = parsed.kind === "table" ? rw.maps.tables : rw.maps.objects;
  return formatProjectRef({ ...parsed, digest: map.get(parsed.digest) ?? parsed.digest, extra }, rw.toProject);
}

/** True for `{_type: "CustomWeaveType", files: {name: digest}}`: ops, images, audio (§7, SDK §3). */
function filesMapOf(value: Record<string, unknown>): Record<string, unknown> | undefined {
  if (value._type !== "CustomWeaveType") return undefined;
  const files = value.files;
  return typeof files === "object" && files !== null && !Array.isArray(files) ? (files as Record<string, unknown>) : undefined;
}

/** Sets `key` as a plain own property (a JSON key `__proto__` must not touch the prototype). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Applies `fn` to every string of a JSON value, and `files` to every file digest of a
 * `CustomWeaveType` files map, copying only the containers that change (most values hold no refs).
 */
function mapValue(value: unknown, fn: (s: string) => string, file: (digest: string) => string): unknown {
  if (typeof value === "string") return fn(value);
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const mapped = mapValue(value[i], fn, file);
      if (mapped !== value[i]) (out ??= value.slice())[i] = mapped;
    }
    return out ?? value;
  }
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  const files = filesMapOf(record);
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(record)) {
    const item = record[key];
    let mapped: unknown;
    if (key === "files" && files) {
      let filesOut: Record<string, unknown> | undefined;
      for (const name of Object.keys(files)) {
        const digest = files[name];
        const next = typeof digest === "string" ? file(digest) : digest;
        if (next !== digest) setOwn((filesOut ??= { ...files }), name, next);
      }
      mapped = filesOut ?? files;
    } else {
      mapped = mapValue(item, fn, file);
    }
    if (mapped !== item) setOwn((out ??= { ...record }), key, mapped);
  }
  return out ?? value;
}

/**
 * `value` with every ref into the source project rewritten for the target (see `rewriteRef`).
 * @throws never
 */
export function rewriteValue<T>(value: T, rw: RefRewrite): T {
  return mapValue(
    value,
    (s) => (s.startsWith(WEAVE_PREFIX) ? rewriteRef(s, rw) : s),
    (digest) => rw.maps.files.get(digest) ?? digest,
  ) as T;
}

/** Something a value depends on: it must exist in the target before the value is sent. */
export type Dep =
  | { type: "file"; key: string; digest: string; name: string }
  | { type: "table"; key: string; digest: string }
  | { type: "object"; key: string; kind: "object" | "op"; name: string; digest: string };

/** The key of a file, table or object version (one per thing, across kinds). */
export const depKey = {
  file: (digest: string): string => `file:${digest}`,
  table: (digest: string): string => `table:${digest}`,
  object: (kind: "object" | "op", name: string, digest: string): string => `${kind}:${name}:${digest}`,
};

/**
 * The dependency a ref string stands for, if it is one into `project` (calls are none: upserts need no order).
 * @throws never
 */
export function depOfRef(ref: string, project: string): Dep | undefined {
  const parsed = parseProjectRef(ref, project);
  if (!parsed || parsed.kind === "call") return undefined;
  if (parsed.kind === "table") return { type: "table", key: depKey.table(parsed.digest), digest: parsed.digest };
  return { type: "object", key: depKey.object(parsed.kind, parsed.name, parsed.digest), kind: parsed.kind, name: parsed.name, digest: parsed.digest };
}

/**
 * Adds to `into` everything `value` depends on in `project`: object/op/table refs (a row ref such as
 * `…/object/ds:<d>/attr/rows/id/<row>` depends on the object, which brings its table), and the files
 * of `CustomWeaveType` values. Keys already present are kept.
 * @throws never
 */
export function collectDeps(value: unknown, project: string, into: Map<string, Dep>): void {
  const prefix = `${WEAVE_PREFIX}${project}/`;
  const walk = (v: unknown): void => {
    if (typeof v === "string") {
      if (!v.startsWith(prefix)) return;
      const dep = depOfRef(v, project);
      if (dep && !into.has(dep.key)) into.set(dep.key, dep);
    } else if (Array.isArray(v)) {
      for (const item of v) walk(item);
    } else if (v !== null && typeof v === "object") {
      const record = v as Record<string, unknown>;
      const files = filesMapOf(record);
      if (files) {
        for (const [name, digest] of Object.entries(files)) {
          if (typeof digest === "string" && !into.has(depKey.file(digest))) into.set(depKey.file(digest), { type: "file", key: depKey.file(digest), digest, name });
        }
      }
      for (const key in record) if (key !== "files" || !files) walk(record[key]);
    }
  };
  walk(value);
}
