/**
 * A JSON value as a collapsible tree of text. Data is only ever rendered as text nodes: no
 * `innerHTML`, no `dangerouslySetInnerHTML`, no `href` built from data. The one kind of link is a
 * `weave:///` ref, drawn as a button that the app resolves itself (`onRef`), so a string such as
 * `javascript:alert(1)` or `<img src=x onerror=…>` is shown exactly as written and does nothing.
 * Huge strings (1 MB inputs) and huge containers are cut to a preview with a "show more" button, so
 * one call cannot freeze the page.
 */
import { h, type ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { formatBytes } from "./format";
import { parseRef, type ParsedRef } from "./refs";

/** First characters of a long string shown before "show more"; each click shows 10× more. */
const STRING_PREVIEW = 2000;
/** Entries of an object/array shown before "show more". */
const ENTRIES_PREVIEW = 100;
/** Containers nested deeper than this start collapsed. */
const OPEN_DEPTH = 2;

export interface JsonViewProps {
  value: unknown;
  /** Called when a `weave:///` ref is clicked. Without it refs are plain text. */
  onRef?: (ref: ParsedRef) => void;
  /** Start every container collapsed below this depth (default 2). */
  openDepth?: number;
}

export function JsonView(props: JsonViewProps): ComponentChildren {
  return h("div", { class: "json" }, h(JsonNode, { value: props.value, depth: 0, onRef: props.onRef, openDepth: props.openDepth ?? OPEN_DEPTH }));
}

interface NodeProps {
  value: unknown;
  depth: number;
  onRef: ((ref: ParsedRef) => void) | undefined;
  openDepth: number;
}

function JsonNode({ value, depth, onRef, openDepth }: NodeProps): ComponentChildren {
  if (value === null || value === undefined) return h("span", { class: "j-null" }, "null");
  switch (typeof value) {
    case "string":
      return h(JsonString, { text: value, onRef });
    case "number":
      return h("span", { class: "j-num" }, String(value));
    case "boolean":
      return h("span", { class: "j-bool" }, String(value));
    case "object":
      return h(JsonContainer, { value: value as object, depth, onRef, openDepth });
    default:
      return h("span", { class: "j-other" }, String(value));
  }
}

/** A link-like button for a ref: handled in-app, never navigates. */
export function RefButton({ refValue, onRef, label }: { refValue: ParsedRef; onRef: (ref: ParsedRef) => void; label?: string }): ComponentChildren {
  return h(
    "button",
    { type: "button", class: "ref", title: `Open ${refValue.uri}`, onClick: () => onRef(refValue) },
    label ?? refValue.uri,
  );
}

function JsonString({ text, onRef }: { text: string; onRef: ((ref: ParsedRef) => void) | undefined }): ComponentChildren {
  const [shown, setShown] = useState(STRING_PREVIEW);
  const ref = onRef ? parseRef(text) : null;
  if (ref && onRef) return h(RefButton, { refValue: ref, onRef });
  if (text.length <= shown) return h("span", { class: "j-str" }, text);
  const bytes = new Blob([text]).size;
  return h(
    "span",
    { class: "j-str" },
    text.slice(0, shown),
    h("span", { class: "j-cut" }, "…"),
    " ",
    h(
      "button",
      { type: "button", class: "link-button", onClick: () => setShown((n) => n * 10) },
      `show more (${formatBytes(bytes)}, ${text.length.toLocaleString("en-US")} characters)`,
    ),
  );
}

function JsonContainer({ value, depth, onRef, openDepth }: { value: object } & Omit<NodeProps, "value">): ComponentChildren {
  const isArray = Array.isArray(value);
  const entries: Array<[string, unknown]> = isArray ? (value as unknown[]).map((v, i) => [String(i), v]) : Object.entries(value);
  const [open, setOpen] = useState(depth < openDepth);
  const [limit, setLimit] = useState(ENTRIES_PREVIEW);
  const brackets = isArray ? ["[", "]"] : ["{", "}"];
  if (entries.length === 0) return h("span", { class: "j-punct" }, brackets.join(""));
  const summary = isArray ? `${entries.length} item${entries.length === 1 ? "" : "s"}` : `${entries.length} key${entries.length === 1 ? "" : "s"}`;
  const toggle = h(
    "button",
    { type: "button", class: "j-toggle", "aria-expanded": open, onClick: () => setOpen(!open) },
    open ? "▾ " : "▸ ",
    brackets[0],
    open ? "" : ` ${summary} ${brackets[1]}`,
  );
  if (!open) return toggle;
  const rows: ComponentChildren[] = entries.slice(0, limit).map(([key, item]) =>
    h(
      "div",
      { class: typeof item === "string" ? "j-row wraps" : "j-row", key },
      h("span", { class: isArray ? "j-index" : "j-key" }, key),
      h("span", { class: "j-punct" }, ": "),
      h(JsonNode, { value: item, depth: depth + 1, onRef, openDepth }),
    ),
  );
  if (entries.length > limit) {
    rows.push(
      h(
        "div",
        { class: "j-row", key: "__more" },
        h("button", { type: "button", class: "link-button", onClick: () => setLimit((n) => n + ENTRIES_PREVIEW * 10) }, `show ${Math.min(entries.length - limit, ENTRIES_PREVIEW * 10)} more of ${entries.length}`),
      ),
    );
  }
  return h("span", { class: "j-container" }, toggle, h("div", { class: "j-body" }, rows), h("span", { class: "j-punct" }, brackets[1]));
}
