/**
 * Finding the refs inside a call's inputs and output (weave-semantics.md §2.2 `input_refs`). Only
 * strings that are well-formed refs count: ref-looking garbage must never fail a write (M-01, M-02).
 */

const OBJECT_REF = /^weave:\/\/\/[^/]+\/[^/]+\/(object|op)\/[^/:]+:[^/:]+(\/[^/]+\/[^/]+)*$/;
const TABLE_REF = /^weave:\/\/\/[^/]+\/[^/]+\/table\/[^/:]+(\/id\/[^/]+)*$/;
const CALL_REF = /^weave:\/\/\/[^/]+\/[^/]+\/call\/[^/:]+(\/[^/]+\/[^/]+)*$/;

/** True when `s` is a well-formed external object, op, table or call ref. */
export function isWeaveRef(s: string): boolean {
  return s.startsWith("weave:///") && (OBJECT_REF.test(s) || TABLE_REF.test(s) || CALL_REF.test(s));
}

/** Every distinct well-formed ref found anywhere in `value` (recursing into objects and arrays). */
export function extractRefs(value: unknown): string[] {
  const found = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === "string") {
      if (v.startsWith("weave:///") && isWeaveRef(v)) found.add(v);
    } else if (Array.isArray(v)) {
      for (const item of v) walk(item);
    } else if (v !== null && typeof v === "object") {
      for (const key in v) walk((v as Record<string, unknown>)[key]);
    }
  };
  walk(value);
  return [...found];
}
