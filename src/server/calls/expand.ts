/**
 * `expand_columns` (weave-semantics.md §2.9.6): replacing object/op refs at given paths of a call by
 * the values they point to, shallowest path first (so deeper paths reach into what was just expanded),
 * adding `_ref` to expanded dicts. Table and call refs stay refs; refs that cannot be resolved (missing,
 * deleted, another project's) stay as they are. The same expansion feeds filters and sorts on fields
 * below an expand column.
 */
import type { ServerContext } from "../context";
import { splitFieldPath } from "../query/field-path";
import { refToInternal, toExternalRefs } from "../refs/convert";
import { RefReader } from "../refs/read-batch";
import { parseInternalRef, WEAVE_PREFIX } from "../refs/uri";

/** A path split into plain keys; `null` when it uses `[*]` (never a single place to expand). */
function keysOf(path: string): string[] | null {
  const keys: string[] = [];
  for (const part of splitFieldPath(path)) {
    if (part.kind !== "key") return null;
    keys.push(part.key);
  }
  return keys;
}

/** Expand paths, valid ones only, shallowest first. */
export function orderExpandColumns(columns: readonly string[]): string[][] {
  return columns
    .map(keysOf)
    .filter((k): k is string[] => k !== null && k.length > 0)
    .sort((a, b) => a.length - b.length);
}

function isDict(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Resolves object/op refs of one project, best effort, each at most once per request. */
export class RefExpander {
  private readonly reader: RefReader;
  private readonly cache = new Map<string, Promise<{ ok: boolean; val?: unknown }>>();

  constructor(ctx: ServerContext) {
    this.reader = new RefReader(ctx);
  }

  /** The value a ref string points to, or `{ok: false}` when it is not an expandable ref of `projectId`. */
  resolve(projectId: string, ref: string): Promise<{ ok: boolean; val?: unknown }> {
    const key = `${projectId}\n${ref}`;
    let result = this.cache.get(key);
    if (!result) {
      result = this.load(projectId, ref);
      this.cache.set(key, result);
    }
    return result;
  }

  private async load(projectId: string, ref: string): Promise<{ ok: boolean; val?: unknown }> {
    if (!ref.startsWith(`${WEAVE_PREFIX}${projectId}/`)) return { ok: false };
    try {
      const parsed = parseInternalRef(refToInternal(ref));
      if (parsed.kind !== "object" && parsed.kind !== "op") return { ok: false };
      const val = await this.reader.resolve(parsed);
      if (val === null || val === undefined) return { ok: false };
      return { ok: true, val: toExternalRefs(val) };
    } catch {
      // Unresolvable refs are left untouched (§2.9.6), never an error for the whole query.
      return { ok: false };
    }
  }

  /**
   * Expands, in place, every path of `paths` (already ordered shallowest first) inside `root`,
   * an object holding the call's top-level columns (`{inputs, output, …}`).
   */
  async expandInto(projectId: string, root: Record<string, unknown>, paths: readonly string[][]): Promise<void> {
    for (const keys of paths) {
      let parent: unknown = root;
      for (const key of keys.slice(0, -1)) parent = isDict(parent) ? parent[key] : undefined;
      const last = keys[keys.length - 1] as string;
      if (!isDict(parent)) continue;
      const value = parent[last];
      if (typeof value !== "string") continue;
      const resolved = await this.resolve(projectId, value);
      if (!resolved.ok) continue;
      // A copy per call: deeper paths expand inside it, and the cached value is shared.
      const val = structuredClone(resolved.val);
      parent[last] = isDict(val) && !("_ref" in val) ? { ...val, _ref: value } : val;
    }
  }
}
