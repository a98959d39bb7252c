/**
 * Weave ref URIs (weave-semantics.md §6.1–6.2): parsing and formatting of the external form
 * `weave:///<entity>/<project>/<kind>/…` and the internal form `weave-trace-internal:///<pid>/<kind>/…`,
 * the percent-encoding of extra values, and the external ↔ internal project id mapping (§0.2).
 *
 * The grammar follows Weave's `refs_internal.py`: the path is split on `/`; `name:version` must split
 * on `:` into exactly two parts; `extra` is a list of (edge, value) pairs with edges `key attr index id`,
 * each value percent-encoded like Python `urllib.parse.quote(value, safe="")`. Every error is a
 * `VALIDATION` WeftError (Weave's InvalidInternalRef / InvalidExternalRef are HTTP 400).
 * Nothing here uses Node's Buffer: it runs in browsers too.
 */
import { WeftError } from "../../errors";

/** Prefix of external refs. */
export const WEAVE_PREFIX = "weave:///";
/** Prefix of internal refs (what stored values hold). */
export const INTERNAL_PREFIX = "weave-trace-internal:///";

/** The four edge names an `extra` path may use (§6.1, R-10). */
export const EDGE_NAMES = ["key", "attr", "index", "id"] as const;
export type EdgeName = (typeof EDGE_NAMES)[number];

/**
 * A parsed ref. `project` is the internal project id for internal refs and `entity/project` for
 * external ones. `extra` holds decoded (unquoted) edge/value pairs.
 */
export type Ref =
  | { kind: "object" | "op"; project: string; name: string; version: string; extra: string[] }
  | { kind: "table"; project: string; digest: string; extra: string[] }
  | { kind: "call"; project: string; id: string; extra: string[] };

function invalidRef(uri: string, why: string): WeftError {
  return new WeftError("VALIDATION", `Invalid ref: ${uri}. ${why}`, { issues: [{ path: "ref", message: why }] });
}

/**
 * Python's `int(text)` for ASCII text: surrounding whitespace, an optional sign, digits with single
 * underscores between them. Used wherever Weave calls `int()` on a string (index edges, `v<N>`).
 * @returns the integer, or undefined where Python raises ValueError.
 */
export function pythonInt(text: string): number | undefined {
  const t = text.trim();
  if (!/^[+-]?\d+(?:_\d+)*$/.test(t)) return undefined;
  return Number(t.replace(/_/g, ""));
}

/**
 * Python `urllib.parse.quote(value, safe="")`: UTF-8, every byte except `A-Z a-z 0-9 _ . - ~`
 * becomes `%XX` with uppercase hex. `encodeURIComponent` additionally keeps `! ' ( ) *`.
 * @throws WeftError VALIDATION for a lone UTF-16 surrogate (Python cannot encode it either).
 */
export function quoteExtraValue(value: string): string {
  let encoded: string;
  try {
    encoded = encodeURIComponent(value);
  } catch {
    throw new WeftError("VALIDATION", "Invalid ref: an extra value contains a lone UTF-16 surrogate, which has no UTF-8 encoding");
  }
  return encoded.replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

const utf8Lenient = new TextDecoder("utf-8", { fatal: false });

/**
 * Python `urllib.parse.unquote(value)`: each run of `%XX` escapes is decoded as UTF-8 with invalid
 * bytes replaced by U+FFFD; a `%` not followed by two hex digits stays as it is.
 */
export function unquoteExtraValue(value: string): string {
  if (!value.includes("%")) return value;
  return value.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    const bytes = new Uint8Array(run.length / 3);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(run.slice(i * 3 + 1, i * 3 + 3), 16);
    return utf8Lenient.decode(bytes);
  });
}

/** Weave's `validate_extra`: even length, known edge names, `index` values that `int()` accepts. */
function checkExtra(uri: string, extra: readonly string[]): void {
  if (extra.length % 2 !== 0) throw invalidRef(uri, "Extra fields must be key-value pairs.");
  for (let i = 0; i < extra.length; i += 2) {
    const edge = extra[i] as string;
    if (!(EDGE_NAMES as readonly string[]).includes(edge)) {
      throw invalidRef(uri, `Invalid extra edge name at index ${i}: ${JSON.stringify(edge)} (expected one of ${EDGE_NAMES.join(", ")})`);
    }
    if (edge === "index" && pythonInt(extra[i + 1] as string) === undefined) {
      throw invalidRef(uri, `Invalid list edge value at index ${i + 1}: ${JSON.stringify(extra[i + 1])} is not an integer`);
    }
  }
}

/** The extra parts after `name:version`: `[""]` (a trailing slash) means none, as in Weave. */
function parseExtra(uri: string, parts: readonly string[]): string[] {
  if (parts.length === 1 && parts[0] === "") return [];
  const extra = parts.map(unquoteExtraValue);
  checkExtra(uri, extra);
  return extra;
}

/** Parses `<kind>/<rest…>` (everything after the project) into a Ref for `project`. */
function parseTail(uri: string, project: string, parts: readonly string[]): Ref {
  const [kind, first, ...rest] = parts;
  if (first === undefined) throw invalidRef(uri, `A ${kind ?? "ref"} ref needs a part after the kind.`);
  if (kind === "object" || kind === "op") {
    const nameVersion = first.split(":");
    if (nameVersion.length !== 2) throw invalidRef(uri, `Expected <name>:<version>, got ${JSON.stringify(first)}.`);
    const [name, version] = nameVersion as [string, string];
    return { kind, project, name, version, extra: parseExtra(uri, rest) };
  }
  if (kind === "table") return { kind, project, digest: first, extra: parseExtra(uri, rest) };
  if (kind === "call") return { kind, project, id: first, extra: parseExtra(uri, rest) };
  throw invalidRef(uri, `Unknown ref kind: ${kind ?? ""}`);
}

/**
 * Parses an internal ref `weave-trace-internal:///<pid>/{object|op|table|call}/…` (§6.2).
 * @throws WeftError VALIDATION for anything Weave's `parse_internal_uri` refuses (wrong prefix,
 *   fewer than 2 parts, unknown kind, `name:version` not splitting in two, bad extra).
 */
export function parseInternalRef(uri: string): Ref {
  if (!uri.startsWith(INTERNAL_PREFIX)) {
    throw invalidRef(uri, `Must start with ${INTERNAL_PREFIX}`);
  }
  const parts = uri.slice(INTERNAL_PREFIX.length).split("/");
  if (parts.length < 2) throw invalidRef(uri, "Must have at least 2 parts");
  return parseTail(uri, parts[0] as string, parts.slice(1));
}

/**
 * Parses an external ref `weave:///<entity>/<project>/{object|op|table|call}/…` (§6.1); `project` of
 * the result is `entity/project`.
 * @throws WeftError VALIDATION when the ref is malformed (as `parseInternalRef`).
 */
export function parseExternalRef(uri: string): Ref {
  if (!uri.startsWith(WEAVE_PREFIX)) throw invalidRef(uri, `Must start with ${WEAVE_PREFIX}`);
  const parts = uri.slice(WEAVE_PREFIX.length).split("/");
  // Weave's adapter splits off exactly `<entity>/<project>/<tail>` ("Invalid URI" otherwise, §0.2).
  if (parts.length < 3) throw invalidRef(uri, "Invalid URI: expected weave:///<entity>/<project>/<kind>/…");
  return parseTail(uri, `${parts[0] as string}/${parts[1] as string}`, parts.slice(2));
}

/**
 * Parses either form: external refs are returned with `project` = `entity/project`, internal ones
 * with the internal id. `external` says which it was.
 * @throws WeftError VALIDATION for a malformed ref or another scheme.
 */
export function parseAnyRef(uri: string): { ref: Ref; external: boolean } {
  if (uri.startsWith(WEAVE_PREFIX)) return { ref: parseExternalRef(uri), external: true };
  return { ref: parseInternalRef(uri), external: false };
}

function formatTail(ref: Ref, shown: string): string {
  const noSlash = (s: string, what: string): void => {
    if (s.includes("/")) throw invalidRef(shown, `${what} cannot contain '/'`);
  };
  let head: string;
  if (ref.kind === "table") {
    noSlash(ref.digest, "digest");
    head = `table/${ref.digest}`;
  } else if (ref.kind === "call") {
    noSlash(ref.id, "id");
    head = `call/${ref.id}`;
  } else {
    noSlash(ref.name, "name");
    noSlash(ref.version, "version");
    if (ref.name.includes(":")) throw invalidRef(shown, "name cannot contain ':'");
    if (ref.version.includes(":")) throw invalidRef(shown, "version cannot contain ':'");
    head = `${ref.kind}/${ref.name}:${ref.version}`;
  }
  checkExtra(shown, ref.extra);
  return ref.extra.length === 0 ? head : `${head}/${ref.extra.map(quoteExtraValue).join("/")}`;
}

/**
 * Formats an internal ref (`InternalObjectRef.uri()` etc.); extra values are percent-encoded.
 * @throws WeftError VALIDATION for a project id with `/`, a name or version with `/` or `:`, or bad extra.
 */
export function formatInternalRef(ref: Ref): string {
  const shown = `${INTERNAL_PREFIX}${ref.project}/…`;
  if (ref.project.includes("/")) throw invalidRef(shown, "project_id cannot contain '/'");
  return `${INTERNAL_PREFIX}${ref.project}/${formatTail(ref, shown)}`;
}

/**
 * Formats an external ref; `ref.project` must be `entity/project`.
 * @throws WeftError VALIDATION as `formatInternalRef`, or when the project is not `entity/project`.
 */
export function formatExternalRef(ref: Ref): string {
  const shown = `${WEAVE_PREFIX}${ref.project}/…`;
  if (ref.project.split("/").length !== 2) throw invalidRef(shown, 'project must be "entity/project"');
  return `${WEAVE_PREFIX}${ref.project}/${formatTail(ref, shown)}`;
}

const encoder = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true });
const EXTERNAL_PROJECT = /^[^/\s]+\/[^/\s]+$/;

/**
 * The internal project id of `entity/project`: the standard base64 (with padding) of its UTF-8 bytes,
 * e.g. `shawn/test-project` → `c2hhd24vdGVzdC1wcm9qZWN0` (conformance catalogue legend). One change:
 * `/` becomes `_`, because internal refs forbid `/` in the project id (§0.2 `validate_no_slashes`);
 * base64 only produces `/` for some bytes (e.g. a `?` or non-ASCII), so ordinary ids are untouched.
 */
export function internalProjectId(projectId: string): string {
  let binary = "";
  for (const byte of encoder.encode(projectId)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\//g, "_");
}

/**
 * The `entity/project` an internal id stands for, or undefined when it is not one weft could have
 * made (not canonical base64, not UTF-8, or not `entity/project`): such refs are unresolvable (§0.2).
 */
export function externalProjectId(internal: string): string | undefined {
  const b64 = internal.replace(/_/g, "/");
  if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return undefined;
  let binary: string;
  try {
    binary = atob(b64);
  } catch {
    return undefined;
  }
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  let text: string;
  try {
    text = utf8Strict.decode(bytes);
  } catch {
    return undefined;
  }
  // Non-canonical encodings (stray bits in the last group) must not alias a real project.
  if (internalProjectId(text) !== internal || !EXTERNAL_PROJECT.test(text)) return undefined;
  return text;
}
