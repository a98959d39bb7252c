/**
 * The calls table: virtualized with `@tanstack/virtual-core` so 100k calls scroll smoothly. Only the
 * rows on screen exist in the DOM, and only the pages of rows on screen are fetched
 * (`calls-pages.ts`). The total comes from `calls_query_stats` with the same filter and query.
 * Clicking a sortable header sorts server-side by that field; clicking again flips the direction.
 */
import { h, type ComponentChildren } from "preact";
import { useEffect, useLayoutEffect, useMemo, useReducer, useRef, useState } from "preact/hooks";
import { useThrottled } from "./throttle";
import { Virtualizer, elementScroll, observeElementOffset, observeElementRect } from "@tanstack/virtual-core";
import { callStatus, feedbackRows, feedbackSummary, latencyMs, totalCost, totalTokens, valueAtPath } from "./call-fields";
import { queryCalls } from "./calls-fetch";
import { CallPages, PAGE_SIZE } from "./calls-pages";
import { buildSelection, pageRequest, viewKey } from "./calls-request";
import { columnSpec, type ColumnSpec } from "./columns";
import { errorText } from "./errors";
import { firstRowsMarked, markFirstRows, noFirstRows } from "./first-rows";
import { formatCost, formatCount, formatLatency, formatTime } from "./format";
import { opLabel } from "./refs";
import { StatusBadge } from "./status-badge";
import { PROJECT_ID, client } from "./store";
import type { ViewState } from "./url-state";
import type { Call } from "./weft-types";

const ROW_HEIGHT = 34;
const HEADER_HEIGHT = 34;

export interface CallsTableProps {
  state: ViewState;
  /** Bumped whenever the store changed (live updates): the count and visible pages are refreshed. */
  tick: number;
  selectedCallId: string | null;
  onSort: (field: string) => void;
  onOpen: (call: Call) => void;
}

/** The text of a user-chosen path column: strings as they are, anything else as compact JSON, cut short. */
function pathText(value: unknown): string {
  if (value === undefined) return "";
  const text = typeof value === "string" ? value : JSON.stringify(value) ?? "";
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/**
 * One cell; empty while its row's page loads. A loading row renders `Cell` too, so when the page
 * arrives a text cell's text node only gets new text instead of being replaced.
 */
function Cell({ spec, call }: { spec: ColumnSpec; call: Call | undefined }): ComponentChildren {
  if (!call) return "";
  switch (spec.id) {
    case "op":
      return h("span", { class: "op-name", title: call.op_name }, opLabel(call.op_name));
    case "name":
      return call.display_name ? h("span", { title: call.display_name }, call.display_name) : h("span", { class: "muted" }, "–");
    case "status":
      return h(StatusBadge, { status: callStatus(call) });
    case "started":
      return formatTime(call.started_at);
    case "latency":
      return formatLatency(latencyMs(call));
    case "tokens":
      return formatCount(totalTokens(call));
    case "cost":
      return formatCost(totalCost(call));
    case "feedback": {
      const { reactions, notes } = feedbackSummary(feedbackRows(call));
      return h(
        "span",
        { class: "fb-summary" },
        reactions.map(([emoji, n]) => h("span", { key: emoji, class: "fb-chip" }, n > 1 ? `${emoji} ${n}` : emoji)),
        notes > 0 ? h("span", { class: "fb-chip", title: `${notes} note${notes === 1 ? "" : "s"}` }, `✎ ${notes}`) : null,
      );
    }
    default:
      return pathText(valueAtPath(call, spec.id));
  }
}

export function CallsTable(props: CallsTableProps): ComponentChildren {
  const { state, tick } = props;
  const key = viewKey(state);
  const [, bump] = useReducer((n: number) => n + 1, 0);
  const rerender = (): void => bump(undefined);
  const [total, setTotal] = useState<number | null>(null);
  const [countError, setCountError] = useState<string | null>(null);
  const scrollRef = useRef<HTMLDivElement>(null);
  const stateRef = useRef(state);
  stateRef.current = state;

  const specs = useMemo(() => state.columns.map(columnSpec), [state.columns.join(",")]);
  const width = specs.reduce((sum, spec) => sum + spec.width, 0);

  // One row cache per view; a new filter, sort or column set starts from scratch at the top. The
  // first page is asked for right here, in the render that creates the cache: an effect would
  // send it only after the browser has painted the empty table, a frame later.
  const pages = useMemo(() => {
    const fresh = new CallPages((offset, limit) => queryCalls(pageRequest(stateRef.current, offset, limit)), rerender);
    fresh.want(0, PAGE_SIZE - 1);
    return fresh;
  }, [key]);
  useEffect(() => () => pages.dispose(), [pages]);
  useEffect(() => {
    void pages.firstPage.then(() => pages.extent() === 0 && noFirstRows());
  }, [pages]);

  // Counting scans at 100k calls (seconds): recount on live updates at most every 5 s, and never
  // while a count for this view is still running.
  const countTick = useThrottled(tick, 5000);
  const counting = useRef<string | null>(null);
  const selection = buildSelection(state);
  useEffect(() => {
    let stale = false;
    setCountError(null);
    if (selection.exprError) {
      setTotal(0);
      return;
    }
    if (counting.current === key) return;
    counting.current = key;
    const req: Parameters<typeof client.calls_query_stats>[0] = { project_id: PROJECT_ID, filter: selection.filter };
    if (selection.query) req.query = selection.query;
    pages.firstPage
      .then(() => client.calls_query_stats(req))
      .then(
        (res) => !stale && setTotal(res.count),
        (error: unknown) => {
          if (stale) return;
          setTotal(0);
          setCountError(errorText(error));
        },
      )
      .finally(() => {
        if (counting.current === key) counting.current = null;
      });
    return () => {
      stale = true;
    };
  }, [key, countTick]);

  useEffect(() => {
    if (tick > 0) pages.invalidate();
  }, [tick]);

  useEffect(() => {
    scrollRef.current?.scrollTo({ top: 0 });
    setTotal(null);
  }, [key]);

  // Until the count arrives, show the rows already fetched (the first page is asked for at once).
  const count = total ?? pages.extent();
  useEffect(() => {
    if (total === null) pages.want(0, PAGE_SIZE - 1);
  }, [pages, total]);
  const virtualizer = useMemo(
    () =>
      new Virtualizer<HTMLDivElement, HTMLDivElement>({
        count,
        getScrollElement: () => scrollRef.current,
        estimateSize: () => ROW_HEIGHT,
        scrollToFn: elementScroll,
        observeElementRect,
        observeElementOffset,
        scrollMargin: HEADER_HEIGHT,
        overscan: 10,
        onChange: rerender,
      }),
    [],
  );
  virtualizer.setOptions({ ...virtualizer.options, count, onChange: rerender });
  useEffect(() => virtualizer._didMount(), []);
  useLayoutEffect(() => {
    virtualizer._willUpdate();
  });

  const items = virtualizer.getVirtualItems();
  useLayoutEffect(() => {
    if (!firstRowsMarked() && items.some((item) => pages.row(item.index) !== undefined)) markFirstRows();
  });
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? Math.min(count, PAGE_SIZE) - 1;
  useEffect(() => {
    if (count > 0 && items.length > 0) pages.want(first, last);
  }, [pages, first, last, count]);

  const sortField = state.sort.field;
  const header = h(
    "div",
    { class: "ct-header", role: "row", style: { width: `${width}px` } },
    specs.map((spec) => {
      const sorted = spec.sortField !== null && spec.sortField === sortField;
      const arrow = sorted ? (state.sort.dir === "asc" ? " ▲" : " ▼") : "";
      return h(
        "div",
        {
          key: spec.id,
          role: "columnheader",
          class: `ct-cell ct-head${spec.sortField ? " sortable" : ""}${sorted ? " sorted" : ""}`,
          style: { width: `${spec.width}px` },
          "aria-sort": sorted ? (state.sort.dir === "asc" ? "ascending" : "descending") : undefined,
          title: spec.sortField ? `Sort by ${spec.sortField}` : spec.note,
          "data-column": spec.id,
          onClick: spec.sortField ? () => props.onSort(spec.sortField ?? "") : undefined,
        },
        spec.label,
        arrow,
      );
    }),
  );

  // Rows are keyed by slot, their index modulo the number of rows drawn, and rendered in slot order.
  // The range drawn is contiguous, so the slots of one render are distinct, and a row that scrolls
  // out frees exactly the slot the row scrolling in takes: scrolling (even a screen at a time) gives
  // the same DOM rows new text and a new offset, with no row created, removed or moved. (Keyed by
  // index modulo a larger constant, a screen-sized jump recreated every row; in index order, every
  // scroll step moved them.) Screen readers get the order from `aria-rowindex`.
  const slots = Math.max(1, items.length);
  const bySlot = [...items].sort((a, b) => (a.index % slots) - (b.index % slots));
  const rows = bySlot.map((item) => {
    const call = pages.row(item.index);
    const selected = call !== undefined && call.id === props.selectedCallId;
    return h(
      "div",
      {
        key: item.index % slots,
        role: "row",
        "aria-rowindex": item.index + 2, // the header is row 1
        class: `ct-row${call ? "" : " loading"}${selected ? " selected" : ""}${item.index % 2 ? " odd" : ""}`,
        tabIndex: call ? 0 : -1,
        "data-call-id": call?.id,
        style: { transform: `translateY(${item.start - HEADER_HEIGHT}px)`, width: `${width}px`, height: `${ROW_HEIGHT}px` },
        onClick: call ? () => props.onOpen(call) : undefined,
        onKeyDown: call
          ? (event: KeyboardEvent) => {
              if (event.key === "Enter") props.onOpen(call);
            }
          : undefined,
      },
      specs.map((spec) =>
        h("div", { key: spec.id, role: "cell", class: `ct-cell c-${spec.kind === "path" ? "path" : spec.id}`, style: { width: `${spec.width}px` } }, h(Cell, { spec, call })),
      ),
    );
  });

  const error = countError ?? (pages.error ? errorText(pages.error) : null);
  return h(
    "div",
    { class: "calls-table", role: "table", "aria-rowcount": count + 1, "aria-busy": total === null },
    h(
      "div",
      { class: "ct-status" },
      h("span", { class: "ct-count", "data-testid": "call-count" }, countError ? "–" : total === null ? "Counting…" : `${formatCount(total)} ${state.rootsOnly ? "trace" : "call"}${total === 1 ? "" : "s"}`),
      error ? h("span", { class: "error-text", role: "alert" }, error) : null,
      !error && pages.warning ? h("span", { class: "warn-text", title: pages.warning }, pages.warning) : null,
    ),
    h(
      "div",
      { class: "ct-scroll", ref: scrollRef },
      header,
      h("div", { class: "ct-body", style: { height: `${virtualizer.getTotalSize()}px`, width: `${width}px` } }, rows),
      total === 0 && !error ? h("p", { class: "empty" }, "No calls match. Ask the assistant a question, generate sample data, or loosen the filters.") : null,
    ),
  );
}
