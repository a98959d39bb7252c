/**
 * One trace: its calls as a tree (by `parent_id`) with a timing waterfall, read with one
 * `calls_query` on the `trace_ids` filter (served by weft's trace index). Payload columns are not
 * requested: the selected call's inputs and output are read by the detail pane.
 */
import { h, type ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { callStatus, latencyMs, totalTokens } from "./call-fields";
import { errorText } from "./errors";
import { formatCount, formatLatency } from "./format";
import { opLabel } from "./refs";
import { PROJECT_ID, client } from "./store";
import type { Call } from "./weft-types";

/** Most calls drawn for one trace; a bigger trace says so rather than freezing the page. */
const MAX_TRACE_CALLS = 2000;

interface TreeRow {
  call: Call;
  depth: number;
  hasChildren: boolean;
}

/** The calls of a trace in depth-first order, children by start time; orphans become roots. */
function flattenTree(calls: readonly Call[], collapsed: ReadonlySet<string>): TreeRow[] {
  const ids = new Set(calls.map((c) => c.id));
  const children = new Map<string, Call[]>();
  const roots: Call[] = [];
  for (const call of calls) {
    const parent = call.parent_id;
    if (parent && ids.has(parent)) {
      const list = children.get(parent) ?? [];
      list.push(call);
      children.set(parent, list);
    } else roots.push(call);
  }
  const out: TreeRow[] = [];
  const visit = (call: Call, depth: number): void => {
    const kids = children.get(call.id) ?? [];
    out.push({ call, depth, hasChildren: kids.length > 0 });
    if (!collapsed.has(call.id)) for (const kid of kids) visit(kid, depth + 1);
  };
  for (const root of roots) visit(root, 0);
  return out;
}

export interface TraceViewProps {
  traceId: string;
  selectedCallId: string | null;
  tick: number;
  onSelect: (callId: string) => void;
}

export function TraceView(props: TraceViewProps): ComponentChildren {
  const [calls, setCalls] = useState<Call[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());

  useEffect(() => {
    let stale = false;
    client
      .calls_query({
        project_id: PROJECT_ID,
        filter: { trace_ids: [props.traceId] },
        sort_by: [{ field: "started_at", direction: "asc" }],
        limit: MAX_TRACE_CALLS,
        columns: ["id", "trace_id", "parent_id", "op_name", "display_name", "started_at", "ended_at", "exception", "summary"],
      })
      .then(
        (res) => {
          if (stale) return;
          setCalls(res.calls);
          setError(null);
        },
        (err: unknown) => !stale && setError(errorText(err)),
      );
    return () => {
      stale = true;
    };
  }, [props.traceId, props.tick]);

  // With no call chosen yet, select the root so the detail pane is never empty.
  useEffect(() => {
    const first = calls?.[0];
    if (!props.selectedCallId && first) props.onSelect(first.id);
  }, [calls, props.selectedCallId]);

  if (error) return h("p", { class: "error-text", role: "alert" }, error);
  if (!calls) return h("p", { class: "muted" }, "Loading trace…");
  if (calls.length === 0) return h("p", { class: "muted" }, "This trace has no calls (it may have been deleted).");

  const now = Date.now();
  const start = (c: Call): number => Date.parse(c.started_at);
  const end = (c: Call): number => (c.ended_at ? Date.parse(c.ended_at) : now);
  const t0 = Math.min(...calls.map(start));
  const t1 = Math.max(...calls.map(end));
  const span = Math.max(1, t1 - t0);
  const rows = flattenTree(calls, collapsed);

  const toggle = (id: string): void => {
    const next = new Set(collapsed);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setCollapsed(next);
  };

  return h(
    "div",
    { class: "trace-view", "data-testid": "trace-view" },
    h(
      "div",
      { class: "tv-head" },
      h("span", null, `${calls.length} call${calls.length === 1 ? "" : "s"}`),
      h("span", { class: "muted" }, `total ${formatLatency(span)}`),
      calls.length >= MAX_TRACE_CALLS ? h("span", { class: "error-text" }, `showing the first ${MAX_TRACE_CALLS}`) : null,
    ),
    h(
      "div",
      { class: "tv-rows", role: "tree" },
      rows.map(({ call, depth, hasChildren }) => {
        const status = callStatus(call);
        const left = ((start(call) - t0) / span) * 100;
        const width = Math.max(0.6, ((end(call) - start(call)) / span) * 100);
        const tokens = totalTokens(call);
        return h(
          "div",
          {
            key: call.id,
            role: "treeitem",
            "aria-level": depth + 1,
            "aria-selected": call.id === props.selectedCallId,
            class: `tv-row${call.id === props.selectedCallId ? " selected" : ""}`,
            "data-call-id": call.id,
            tabIndex: 0,
            onClick: () => props.onSelect(call.id),
            onKeyDown: (event: KeyboardEvent) => {
              if (event.key === "Enter") props.onSelect(call.id);
            },
          },
          h(
            "div",
            { class: "tv-name", style: { paddingLeft: `${depth * 16 + 4}px` } },
            hasChildren
              ? h(
                  "button",
                  {
                    type: "button",
                    class: "tv-twisty",
                    "aria-label": collapsed.has(call.id) ? "Expand" : "Collapse",
                    onClick: (event: MouseEvent) => {
                      event.stopPropagation();
                      toggle(call.id);
                    },
                  },
                  collapsed.has(call.id) ? "▸" : "▾",
                )
              : h("span", { class: "tv-twisty" }),
            h("span", { class: `dot status-${status}`, title: status }),
            h("span", { class: "tv-label", title: call.op_name }, call.display_name ?? opLabel(call.op_name)),
          ),
          h("div", { class: "tv-meta" }, tokens !== undefined ? `${formatCount(tokens)} tok` : "", " ", formatLatency(latencyMs(call))),
          h(
            "div",
            { class: "tv-lane" },
            h("div", { class: `tv-bar status-${status}`, style: { left: `${left}%`, width: `${Math.min(width, 100 - left)}%` } }),
          ),
        );
      }),
    ),
  );
}
