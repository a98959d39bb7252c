/**
 * Dotted field paths into JSON values (`inputs.a.b`, `output.double\.nested`, `attributes.list.0`,
 * `feedback.[wandb.runnable.x].payload.score`), split and followed the way Weave does
 * (weave-semantics.md §2.9.2 "Path splitting"; the in-memory reference server, conformance §22.3).
 */

/**
 * One step of a path:
 * - `key`: an object key. When the text is an integer (`0`, `-1`) `index` holds it and the step
 *   indexes an array instead (negative from the end, as ClickHouse at HEAD does). Bracketed keys
 *   (`[a.b]`) never index.
 * - `all`: `[*]`, every value of an object or array.
 */
export type PathPart = { readonly kind: "key"; readonly key: string; readonly index: number | undefined } | { readonly kind: "all" };

const INDEX_RE = /^-?\d+$/;

/**
 * Splits a path on `.`, except that a backslash escapes the next character (`a\.b` is the key `a.b`)
 * and dots inside `[...]` are not separators. A part that is exactly `[...]` is a literal key
 * (`[*]` means all values); any other part that is an integer may index an array.
 * Empty parts (`a..b`, a trailing `.`) are kept as empty keys; callers that forbid them check.
 */
export function splitFieldPath(path: string): PathPart[] {
  const parts: PathPart[] = [];
  let current = "";
  // Whether the part opened with an unescaped `[` and is still bracketed at its end.
  let bracketed = false;
  let closedAt = -1;
  let depth = 0;
  let escapedAny = false;
  const finish = (): void => {
    if (bracketed && closedAt === current.length && depth === 0) {
      const key = current.slice(1, -1);
      parts.push(key === "*" ? { kind: "all" } : { kind: "key", key, index: undefined });
    } else {
      const index = !escapedAny && INDEX_RE.test(current) ? Number(current) : undefined;
      parts.push({ kind: "key", key: current, index });
    }
    current = "";
    bracketed = false;
    closedAt = -1;
    depth = 0;
    escapedAny = false;
  };
  for (let i = 0; i < path.length; i++) {
    const ch = path[i] as string;
    if (ch === "\\" && i + 1 < path.length) {
      current += path[i + 1];
      escapedAny = true;
      i++;
      continue;
    }
    if (ch === "." && depth === 0) {
      finish();
      continue;
    }
    if (ch === "[") {
      if (current === "" && !escapedAny) bracketed = true;
      depth++;
    } else if (ch === "]" && depth > 0) {
      depth--;
      if (depth === 0) closedAt = current.length + 1;
    }
    current += ch;
  }
  finish();
  return parts;
}

/**
 * Follows `parts` into `value` (parsed JSON). Returns `undefined` when the path is missing.
 * On an array, an integer part indexes (negative from the end) and any other key maps over the
 * elements, flattening list results and dropping missing/null ones (the reference server's rule);
 * on an object, a part is a key (an integer part is its decimal text). `[*]` yields all values.
 */
export function getJsonPath(value: unknown, parts: readonly PathPart[], from = 0): unknown {
  let current = value;
  for (let i = from; i < parts.length; i++) {
    if (current === null || typeof current !== "object") return undefined;
    const part = parts[i] as PathPart;
    if (part.kind === "all") {
      current = Array.isArray(current) ? current : Object.values(current);
      continue;
    }
    if (Array.isArray(current)) {
      if (part.index !== undefined) {
        current = current[part.index < 0 ? current.length + part.index : part.index];
        continue;
      }
      const out: unknown[] = [];
      for (const item of current) {
        const found = getJsonPath(item, parts, i);
        if (Array.isArray(found)) out.push(...(found as unknown[]));
        else if (found !== undefined && found !== null) out.push(found);
      }
      return out;
    }
    current = Object.hasOwn(current, part.key) ? (current as Record<string, unknown>)[part.key] : undefined;
  }
  return current;
}
