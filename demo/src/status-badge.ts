/** A call's status as a small coloured badge (weave-semantics.md §2.5 statuses). */
import { h, type ComponentChildren } from "preact";
import type { CallStatus } from "./call-fields";

const LABEL: Record<CallStatus, string> = {
  success: "Success",
  error: "Error",
  running: "Running",
  descendant_error: "Child error",
};

export function StatusBadge({ status }: { status: CallStatus }): ComponentChildren {
  return h("span", { class: `badge status-${status}`, "data-status": status }, LABEL[status]);
}
