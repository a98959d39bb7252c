/**
 * Turns what an app passes to and returns from ops into plain JSON for the call record, the way
 * the JS SDK's `serializedVal` does, with two differences that keep traces honest:
 * - only true cycles become `"[Circular]"` (the SDK also marks a value seen twice in a DAG);
 * - values the JSON schema refuses (NaN, bigint, functions, class instances with methods only…)
 *   become descriptive strings instead of failing the whole batch.
 * Objects the tracer knows as published become their `weave:///` ref string; a value whose publish
 * is still running becomes its ref once it resolves (`pending`).
 */

/** A ref for a published value, one still being published, or undefined for a plain value. */
export type RefLookup = (value: object) => string | Promise<string> | undefined;

/** A serialized value; when `pending` is set, ref placeholders (also `value` itself) are filled in once it resolves. */
export interface Serialized {
  value: unknown;
  pending: Promise<void> | undefined;
}

/** A JSON object: a non-null, non-array object. @throws never */
export function isDict(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Deeper than this the rest is cut (the server refuses JSON deeper than 200 levels). */
const MAX_DEPTH = 100;

interface Walk {
  refs: RefLookup;
  ancestors: Set<object>;
  waits: Array<Promise<void>>;
}

function describeBinary(value: object): string | undefined {
  if (value instanceof ArrayBuffer) return `<ArrayBuffer ${value.byteLength} bytes>`;
  if (ArrayBuffer.isView(value)) return `<${value.constructor.name} ${value.byteLength} bytes>`;
  if (typeof Blob !== "undefined" && value instanceof Blob) return `<${value.constructor.name} ${value.type || "?"} ${value.size} bytes>`;
  return undefined;
}

function walk(value: unknown, w: Walk, depth: number, place: (v: unknown) => void): void {
  switch (typeof value) {
    case "string":
    case "boolean":
      place(value);
      return;
    case "number":
      place(Number.isFinite(value) ? value : String(value));
      return;
    case "undefined":
      place(null);
      return;
    case "bigint":
    case "symbol":
      place(String(value));
      return;
    case "function":
      place(`<function ${value.name || "anonymous"}>`);
      return;
  }
  if (value === null) {
    place(null);
    return;
  }
  const obj = value as object;
  const ref = w.refs(obj);
  if (typeof ref === "string") {
    place(ref);
    return;
  }
  if (ref) {
    place(null);
    w.waits.push(ref.then(place, (error: unknown) => place(`<unpublished: ${error instanceof Error ? error.message : String(error)}>`)));
    return;
  }
  if (w.ancestors.has(obj)) {
    place("[Circular]");
    return;
  }
  if (depth >= MAX_DEPTH) {
    place("[MaxDepth]");
    return;
  }
  if (obj instanceof Date) {
    place(Number.isNaN(obj.getTime()) ? "Invalid Date" : obj.toISOString());
    return;
  }
  if (obj instanceof Error) {
    place({ name: obj.name, message: obj.message });
    return;
  }
  const binary = describeBinary(obj);
  if (binary) {
    place(binary);
    return;
  }
  if (typeof (obj as { then?: unknown }).then === "function") {
    place("<Promise>");
    return;
  }
  w.ancestors.add(obj);
  try {
    if (Array.isArray(obj) || obj instanceof Set) {
      const out: unknown[] = [];
      for (const item of obj) {
        const i = out.push(null) - 1;
        walk(item, w, depth + 1, (v) => (out[i] = v));
      }
      place(out);
    } else if (obj instanceof Map) {
      const out: Record<string, unknown> = {};
      for (const [k, item] of obj) walk(item, w, depth + 1, (v) => (out[String(k)] = v));
      place(out);
    } else if (typeof (obj as { toJSON?: unknown }).toJSON === "function") {
      walk((obj as { toJSON(): unknown }).toJSON(), w, depth + 1, place);
    } else {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(obj)) {
        const item = (obj as Record<string, unknown>)[key];
        if (item === undefined) continue;
        walk(item, w, depth + 1, (v) => (out[key] = v));
      }
      place(out);
    }
  } finally {
    w.ancestors.delete(obj);
  }
}

/**
 * Serializes `value` for a call record or an object value.
 * @throws whatever a getter or `toJSON` of the value throws
 */
export function serialize(value: unknown, refs: RefLookup): Serialized {
  const w: Walk = { refs, ancestors: new Set(), waits: [] };
  // Placeholders are filled in place (also the top level, here), so read `value` after `pending`.
  const result: Serialized = { value: null, pending: undefined };
  walk(value, w, 0, (v) => (result.value = v));
  if (w.waits.length > 0) result.pending = Promise.all(w.waits).then(() => undefined);
  return result;
}

/**
 * Serializes a dict (call inputs); anything else is wrapped as `{value}`.
 * @throws whatever a getter or `toJSON` of the value throws
 */
export function serializeDict(value: Record<string, unknown>, refs: RefLookup): { value: Record<string, unknown>; pending: Promise<void> | undefined } {
  const out = serialize(value, refs);
  const dict = isDict(out.value) ? out.value : { value: out.value };
  return { value: dict, pending: out.pending };
}
