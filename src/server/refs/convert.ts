/**
 * Rewriting refs between the external form the API speaks (`weave:///<entity>/<project>/…`) and the
 * internal form stored values hold (`weave-trace-internal:///<internal project id>/…`), exactly as
 * Weave's external adapter does for every request and response (weave-semantics.md §0.2).
 *
 * Objects are hashed and stored in internal form, so digests agree with a Weave server that uses the
 * same internal project id (conformance case D-06), and they are returned in external form. Only the
 * `<entity>/<project>` prefix is rewritten; the tail is never parsed here, so ref-looking garbage that
 * still has three parts passes through (M-01).
 */
import { WeftError } from "../../errors";
import { externalProjectId, INTERNAL_PREFIX, internalProjectId, WEAVE_PREFIX } from "./uri";

/**
 * One external ref string in internal form: `weave:///<e>/<p>/<tail>` → `weave-trace-internal:///<id>/<tail>`.
 * @throws WeftError VALIDATION "Invalid URI" when the string does not split into entity, project and tail.
 */
export function refToInternal(ref: string): string {
  const rest = ref.slice(WEAVE_PREFIX.length);
  const first = rest.indexOf("/");
  const second = first < 0 ? -1 : rest.indexOf("/", first + 1);
  if (!ref.startsWith(WEAVE_PREFIX) || second < 0) {
    throw new WeftError("VALIDATION", `Invalid URI: ${ref} (expected weave:///<entity>/<project>/<path>)`, {
      issues: [{ path: "ref", message: "expected weave:///<entity>/<project>/<path>" }],
    });
  }
  return `${INTERNAL_PREFIX}${internalProjectId(rest.slice(0, second))}/${rest.slice(second + 1)}`;
}

/**
 * One internal ref string in external form. An internal project id that is not one weft made becomes
 * `weave://///<tail>`, as Weave does for a project it cannot resolve (§0.2).
 * @throws WeftError VALIDATION "Invalid URI" when there is no `/` after the project id.
 */
export function refToExternal(ref: string): string {
  const rest = ref.slice(INTERNAL_PREFIX.length);
  const slash = rest.indexOf("/");
  if (!ref.startsWith(INTERNAL_PREFIX) || slash < 0) {
    throw new WeftError("VALIDATION", `Invalid URI: ${ref} (expected ${INTERNAL_PREFIX}<project_id>/<path>)`);
  }
  const external = externalProjectId(rest.slice(0, slash));
  return `${external === undefined ? "weave:////" : WEAVE_PREFIX + external}/${rest.slice(slash + 1)}`;
}

/**
 * Applies `fn` to every string in a JSON value, copying only the containers whose contents changed
 * (most payloads hold no refs, so they come back as the same object).
 */
function mapStrings(value: unknown, fn: (s: string) => string): unknown {
  if (typeof value === "string") return fn(value);
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const mapped = mapStrings(item, fn);
      if (mapped !== item) (out ??= value.slice())[i] = mapped;
    }
    return out ?? value;
  }
  if (value !== null && typeof value === "object") {
    let out: Record<string, unknown> | undefined;
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key];
      const mapped = mapStrings(item, fn);
      if (mapped === item) continue;
      out ??= { ...(value as Record<string, unknown>) };
      // defineProperty, not assignment: a JSON key "__proto__" must stay a plain own property.
      Object.defineProperty(out, key, { value: mapped, enumerable: true, writable: true, configurable: true });
    }
    return out ?? value;
  }
  return value;
}

/**
 * Rewrites every string starting with `weave:///` into internal form (Weave's
 * `universal_ext_to_int_ref_converter`). Strings already internal are kept, but must at least name a
 * project and a kind, so that every stored ref can be converted back on read.
 * @throws WeftError VALIDATION "Invalid URI" for a `weave:///` string without entity, project and path,
 *   or an internal ref without a project and kind.
 */
export function toInternalRefs<T>(value: T): T {
  return mapStrings(value, (s) => {
    if (s.startsWith(WEAVE_PREFIX)) return refToInternal(s);
    if (s.startsWith(INTERNAL_PREFIX) && !s.slice(INTERNAL_PREFIX.length).includes("/")) {
      throw new WeftError("VALIDATION", `Invalid internal ref format: missing project_id or kind: ${s}`);
    }
    return s;
  }) as T;
}

/**
 * Rewrites every string starting with `weave-trace-internal:///` into external form (Weave's
 * `universal_int_to_ext_ref_converter`).
 * @throws WeftError VALIDATION "Invalid URI" for an internal ref without a `/` after the project
 *   (never stored by weft: `toInternalRefs` refuses it).
 */
export function toExternalRefs<T>(value: T): T {
  return mapStrings(value, (s) => (s.startsWith(INTERNAL_PREFIX) ? refToExternal(s) : s)) as T;
}

/** Every distinct internal ref string in a (stored, internal-form) value: an object row's `refs` (§4.4). */
export function internalRefsIn(value: unknown): string[] {
  const found = new Set<string>();
  mapStrings(value, (s) => {
    if (s.startsWith(INTERNAL_PREFIX)) found.add(s);
    return s;
  });
  return [...found];
}
