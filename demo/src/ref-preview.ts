/**
 * The value behind a ref that points inside an object (`…/object/name:digest/attr/rows/id/<row>`),
 * resolved with `refs_read_batch` and shown in a dialog, with a way to open the whole object.
 */
import { h, type ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { errorText } from "./errors";
import { JsonView } from "./json-view";
import { Modal } from "./modal";
import type { ParsedRef } from "./refs";
import { client } from "./store";

export function RefPreview({ refValue, onRef, onClose }: { refValue: ParsedRef; onRef: (ref: ParsedRef) => void; onClose: () => void }): ComponentChildren {
  const [value, setValue] = useState<{ v: unknown } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    client.refs_read_batch({ refs: [refValue.uri] }).then(
      (res) => setValue({ v: res.vals[0] ?? null }),
      (err: unknown) => setError(errorText(err)),
    );
  }, [refValue.uri]);
  const whole = refValue.kind === "object" || refValue.kind === "op" ? { ...refValue, extra: [] } : null;
  return h(
    Modal,
    { title: "Ref", onClose, wide: true, testId: "ref-preview" },
    h("p", null, h("code", { class: "select-all break" }, refValue.uri)),
    whole ? h("button", { type: "button", class: "button", onClick: () => onRef(whole) }, `Open ${whole.name}`) : null,
    error ? h("p", { class: "error-text" }, error) : value ? h(JsonView, { value: value.v, onRef }) : h("p", { class: "muted" }, "Resolving…"),
  );
}
