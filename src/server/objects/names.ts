/**
 * Object names and version specifiers (weave-semantics.md §4.4, §4.5, §14), plus the small Python
 * renderings (`repr`, `str(datetime)`, set literals) that Weave's error messages are made of.
 */
import { WeftError } from "../../errors";
import { formatDateTime } from "../../schema/common";
import { pythonInt } from "../refs/uri";

/** Longest object name Weave accepts (`require_max_str_len(s, 128)`, in code points). */
export const MAX_OBJECT_NAME_LENGTH = 128;

/**
 * Characters outside Python's Unicode `[\w._-]`. Python's `\w` is `str.isalnum()` plus `_`, i.e.
 * letters (Lu Ll Lt Lm Lo) and characters with a numeric value (Nd Nl No); combining marks are not
 * word characters. Checked against CPython for every code point (differences only where the two
 * Unicode versions differ).
 */
const INVALID_NAME_CHARS = /[^\p{L}\p{N}_.-]/gu;

/** Python `repr(str)`: single quotes unless the text has `'` and no `"`. */
export function pyRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = "";
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === "\\" || ch === quote) out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += "\\x" + code.toString(16).padStart(2, "0");
    else out += ch;
  }
  return quote + out + quote;
}

/** A Python list literal of strings (`['a', 'b']`). */
export function pyListRepr(items: Iterable<string>): string {
  return `[${[...items].map(pyRepr).join(", ")}]`;
}

/** A Python set literal of strings (`{'a', 'b'}`; `set()` when empty), in the order given. */
export function pySetRepr(items: Iterable<string>): string {
  const shown = [...items].map(pyRepr);
  return shown.length === 0 ? "set()" : `{${shown.join(", ")}}`;
}

/** Python `str(datetime)` of a UTC time: `2025-01-01 12:00:00.500000+00:00` (µs only when non-zero). */
export function pyDatetimeStr(ms: number): string {
  return formatDateTime(ms).replace("T", " ").replace(/Z$/, "+00:00");
}

/**
 * Checks an object name as Weave's `object_id_validator` does (§4.4 step 2, §14).
 * @throws WeftError INVALID_FIELD (422) for characters outside `[\w._-]` or an empty name;
 *   VALIDATION (400) for more than 128 characters.
 */
export function validateObjectId(objectId: string): void {
  const bad = objectId.match(INVALID_NAME_CHARS);
  if (bad) {
    const chars = [...new Set(bad)];
    throw new WeftError(
      "INVALID_FIELD",
      `Invalid object name: ${objectId}. Contains invalid characters: ${pyListRepr(chars)}. ` +
        "Object names may only contain letters, digits, '_', '.' and '-'.",
      { field: "object_id", issues: [{ path: "object_id", message: `invalid characters ${chars.join("")}` }] },
    );
  }
  if (objectId === "") {
    throw new WeftError("INVALID_FIELD", "Object name cannot be empty", { field: "object_id", issues: [{ path: "object_id", message: "empty" }] });
  }
  // Python counts code points, not UTF-16 units.
  if ([...objectId].length > MAX_OBJECT_NAME_LENGTH) {
    throw new WeftError("VALIDATION", `String too long: ${objectId}. Max length is ${MAX_OBJECT_NAME_LENGTH}`, {
      issues: [{ path: "object_id", message: `longer than ${MAX_OBJECT_NAME_LENGTH} characters` }],
    });
  }
}

/** What a `digest` field of a read or delete names (§4.5): the latest version, `v<N>`, or a digest. */
export type VersionSpec = { kind: "latest" } | { kind: "index"; index: number } | { kind: "digest"; digest: string };

/** Weave's reading of a version string: `latest`, `v` + anything Python's `int()` accepts, else a digest. */
export function parseVersionSpec(version: string): VersionSpec {
  if (version === "latest") return { kind: "latest" };
  if (version.startsWith("v")) {
    const index = pythonInt(version.slice(1));
    if (index !== undefined) return { kind: "index", index };
  }
  return { kind: "digest", digest: version };
}
