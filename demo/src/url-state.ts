/**
 * The viewer's state as it lives in the URL's query string, so any view (filters, sort, columns,
 * the open trace and call, the open object) can be bookmarked, shared and restored on load.
 * Defaults are left out of the URL, so a fresh page has a clean address.
 */

export type Tab = "traces" | "objects" | "chart";
export type StatusFilter = "" | "success" | "error" | "running" | "descendant_error";
export type TimeRange = "" | "1h" | "24h" | "7d" | "30d" | "custom";
export type SortDir = "asc" | "desc";

/** Everything the URL remembers. */
export interface ViewState {
  tab: Tab;
  /** Only trace roots (parent_id null), the default; false lists every call. */
  rootsOnly: boolean;
  /** Op names to keep (any of them); empty = every op. */
  ops: string[];
  status: StatusFilter;
  /** A preset relative to now, or "custom" with `from`/`to` (ISO-8601). */
  range: TimeRange;
  from: string;
  to: string;
  /** Case-insensitive text searched in inputs and output. */
  text: string;
  /** Advanced filter: the JSON text of a Weave `{"$expr": …}` query, ANDed with the rest. */
  expr: string;
  sort: { field: string; dir: SortDir };
  /** Visible column ids, in order: built-in ids (`op`, `status`, …) and field paths (`inputs.question`). */
  columns: string[];
  /** The trace open in the trace view, and the call selected in it. */
  trace: string | null;
  call: string | null;
  /** The object version open in the objects tab: `name:digest` (or `name:latest`). */
  object: string | null;
  /** A table digest open in the objects tab (a dataset's rows). */
  table: string | null;
}

/** The built-in columns, in their default order. */
export const BUILTIN_COLUMNS = ["op", "name", "status", "started", "latency", "tokens", "cost", "feedback"] as const;
export type BuiltinColumn = (typeof BUILTIN_COLUMNS)[number];

const DEFAULT_SORT = { field: "started_at", dir: "desc" } as const;

export function defaultViewState(): ViewState {
  return {
    tab: "traces",
    rootsOnly: true,
    ops: [],
    status: "",
    range: "",
    from: "",
    to: "",
    text: "",
    expr: "",
    sort: { ...DEFAULT_SORT },
    columns: [...BUILTIN_COLUMNS],
    trace: null,
    call: null,
    object: null,
    table: null,
  };
}

const TABS: readonly Tab[] = ["traces", "objects", "chart"];
const STATUSES: readonly StatusFilter[] = ["success", "error", "running", "descendant_error"];
const RANGES: readonly TimeRange[] = ["1h", "24h", "7d", "30d", "custom"];

function oneOf<T extends string>(value: string | null, allowed: readonly T[], fallback: T): T {
  return value !== null && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}

/** Reads a state from a query string (`location.search`); unknown or malformed keys fall back to defaults. */
export function parseViewState(search: string): ViewState {
  const p = new URLSearchParams(search);
  const state = defaultViewState();
  state.tab = oneOf(p.get("tab"), TABS, state.tab);
  state.rootsOnly = p.get("all") !== "1";
  state.ops = p.getAll("op").filter((op) => op.length > 0);
  state.status = oneOf(p.get("status"), STATUSES, "");
  state.range = oneOf(p.get("range"), RANGES, "");
  state.from = p.get("from") ?? "";
  state.to = p.get("to") ?? "";
  state.text = p.get("q") ?? "";
  state.expr = p.get("expr") ?? "";
  const sort = p.get("sort");
  if (sort) {
    const cut = sort.lastIndexOf(":");
    const field = cut > 0 ? sort.slice(0, cut) : sort;
    const dir = cut > 0 ? sort.slice(cut + 1) : "desc";
    if (field) state.sort = { field, dir: dir === "asc" ? "asc" : "desc" };
  }
  const cols = p.get("cols");
  if (cols !== null) state.columns = cols.split(",").filter((c) => c.length > 0);
  state.trace = p.get("trace");
  state.call = p.get("call");
  state.object = p.get("obj");
  state.table = p.get("table");
  return state;
}

/** Writes a state as a query string (with its leading `?`, or "" for the default view). */
export function formatViewState(state: ViewState): string {
  const d = defaultViewState();
  const p = new URLSearchParams();
  if (state.tab !== d.tab) p.set("tab", state.tab);
  if (!state.rootsOnly) p.set("all", "1");
  for (const op of state.ops) p.append("op", op);
  if (state.status) p.set("status", state.status);
  if (state.range) p.set("range", state.range);
  if (state.range === "custom") {
    if (state.from) p.set("from", state.from);
    if (state.to) p.set("to", state.to);
  }
  if (state.text) p.set("q", state.text);
  if (state.expr) p.set("expr", state.expr);
  if (state.sort.field !== d.sort.field || state.sort.dir !== d.sort.dir) p.set("sort", `${state.sort.field}:${state.sort.dir}`);
  if (state.columns.join(",") !== d.columns.join(",")) p.set("cols", state.columns.join(","));
  if (state.trace) p.set("trace", state.trace);
  if (state.call) p.set("call", state.call);
  if (state.object) p.set("obj", state.object);
  if (state.table) p.set("table", state.table);
  const text = p.toString();
  return text ? `?${text}` : "";
}

/**
 * Puts `state` in the address bar. Opening a trace, call or object is a navigation (pushed, so Back
 * returns to the list); filter and sort edits replace the entry, so Back does not replay keystrokes.
 */
export function writeViewState(state: ViewState, previous: ViewState): void {
  const search = formatViewState(state);
  if (search === location.search) return;
  const url = `${location.pathname}${search}${location.hash}`;
  const navigated =
    state.tab !== previous.tab || state.trace !== previous.trace || state.call !== previous.call || state.object !== previous.object || state.table !== previous.table;
  if (navigated) history.pushState(null, "", url);
  else history.replaceState(null, "", url);
}
