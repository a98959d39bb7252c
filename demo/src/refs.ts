/**
 * Weave refs as the viewer understands them (weave-semantics.md §6.1):
 * `weave:///entity/project/object/name:digest[/attr/x/key/y…]`, `…/op/name:digest`,
 * `…/table/<digest>`, `…/call/<id>`. Refs are the only strings the viewer turns into links, and
 * they are handled in-app (never as an `href`), so a `javascript:` string in data stays text.
 */

export type ParsedRef =
  | { kind: "object" | "op"; project: string; name: string; digest: string; extra: string[]; uri: string }
  | { kind: "table"; project: string; digest: string; uri: string }
  | { kind: "call"; project: string; id: string; uri: string };

const REF = /^weave:\/\/\/([^/]+\/[^/]+)\/(object|op|table|call)\/([^/]+)((?:\/[^/]+)*)$/;

/** Parses a `weave:///` ref, or returns null for any other string. */
export function parseRef(text: string): ParsedRef | null {
  if (text.length > 2048) return null;
  const m = REF.exec(text);
  if (!m) return null;
  const [, project = "", kind, head = "", rest = ""] = m;
  if (kind === "table") return { kind, project, digest: head, uri: text };
  if (kind === "call") return { kind, project, id: head, uri: text };
  const colon = head.lastIndexOf(":");
  if (colon <= 0) return null;
  const extra = rest.split("/").filter((part) => part.length > 0).map((part) => decodeURIComponent(part));
  return { kind: kind === "op" ? "op" : "object", project, name: decodeURIComponent(head.slice(0, colon)), digest: head.slice(colon + 1), extra, uri: text };
}

/** The short name shown for an op: `retrieve` for `weave:///e/p/op/retrieve:abc…`, else the name itself. */
export function opLabel(opName: string): string {
  const ref = parseRef(opName);
  return ref && (ref.kind === "op" || ref.kind === "object") ? ref.name : opName;
}
