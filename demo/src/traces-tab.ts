/**
 * The traces tab: filters on top, the calls table, and, when a trace is open, the trace panel
 * (tree + waterfall above the selected call's detail).
 */
import { h, type ComponentChildren } from "preact";
import { CallDetail } from "./call-detail";
import { CallsTable } from "./calls-table";
import { Filters } from "./filters";
import type { ParsedRef } from "./refs";
import { TraceView } from "./trace-view";
import type { ViewState } from "./url-state";

export interface TracesTabProps {
  state: ViewState;
  tick: number;
  update: (patch: Partial<ViewState>) => void;
  onRef: (ref: ParsedRef) => void;
}

export function TracesTab({ state, tick, update, onRef }: TracesTabProps): ComponentChildren {
  const sortBy = (field: string): void => {
    const dir = state.sort.field === field ? (state.sort.dir === "desc" ? "asc" : "desc") : "desc";
    update({ sort: { field, dir } });
  };
  return h(
    "div",
    { class: `traces-tab${state.trace ? " with-panel" : ""}` },
    h(
      "div",
      { class: "traces-main" },
      h(Filters, { state, tick, onChange: update }),
      h(CallsTable, {
        state,
        tick,
        selectedCallId: state.call,
        onSort: sortBy,
        onOpen: (call) => update({ trace: call.trace_id, call: call.id }),
      }),
    ),
    state.trace
      ? h(
          "section",
          { class: "trace-panel", "aria-label": "Trace" },
          h(
            "header",
            { class: "panel-head" },
            h("h2", null, "Trace"),
            h("code", { class: "muted small select-all" }, state.trace),
            h("button", { type: "button", class: "icon-button", "aria-label": "Close trace", onClick: () => update({ trace: null, call: null }) }, "×"),
          ),
          h(TraceView, { traceId: state.trace, selectedCallId: state.call, tick, onSelect: (call) => update({ call }) }),
          state.call ? h(CallDetail, { callId: state.call, tick, onRef }) : null,
        )
      : null,
  );
}
