/** A modal dialog on the native `<dialog>` element: focus trapping, Escape and the backdrop for free. */
import { h, type ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

export interface ModalProps {
  title: string;
  onClose: () => void;
  children?: ComponentChildren;
  wide?: boolean;
  testId?: string;
}

export function Modal({ title, onClose, children, wide, testId }: ModalProps): ComponentChildren {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return h(
    "dialog",
    {
      ref,
      class: `modal${wide ? " wide" : ""}`,
      "aria-label": title,
      "data-testid": testId,
      onClose,
      onClick: (event: MouseEvent) => {
        if (event.target === ref.current) onClose();
      },
    },
    h(
      "div",
      { class: "modal-body" },
      h("header", { class: "modal-head" }, h("h2", null, title), h("button", { type: "button", class: "icon-button", "aria-label": "Close", onClick: onClose }, "×")),
      children,
    ),
  );
}
