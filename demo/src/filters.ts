/**
 * The filter bar of the traces tab: op names, status, time range, a text search over inputs and
 * output, roots-only, the column chooser, and the advanced `$expr` editor. Every control writes the
 * view state, which lives in the URL (`url-state.ts`).
 */
import { h, type ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { parseExpr } from "./calls-request";
import { afterFirstRows } from "./first-rows";
import { BUILTIN_SPECS, PATH_COLUMN, isBuiltin } from "./columns";
import { opLabel } from "./refs";
import { PROJECT_ID, client } from "./store";
import { useThrottled } from "./throttle";
import type { StatusFilter, TimeRange, ViewState } from "./url-state";

export interface FiltersProps {
  state: ViewState;
  tick: number;
  onChange: (patch: Partial<ViewState>) => void;
}

/** An op to filter on: the label shown and the `op_names` entry (`…/op/name:*` = every version). */
interface OpOption {
  label: string;
  value: string;
}

/**
 * The ops there are: published ops (`objs_query` with `is_op`) as version wildcards, plus the op
 * names of the newest 500 calls, for ops that were traced under a plain name.
 */
async function loadOpOptions(): Promise<OpOption[]> {
  const options = new Map<string, OpOption>();
  const [ops, recent] = await Promise.all([
    client.objs_query({ project_id: PROJECT_ID, filter: { is_op: true, latest_only: true }, metadata_only: true }).catch(() => ({ objs: [] })),
    client
      .calls_query({ project_id: PROJECT_ID, sort_by: [{ field: "started_at", direction: "desc" }], limit: 500, columns: ["op_name"] })
      .catch(() => ({ calls: [] })),
  ]);
  for (const obj of ops.objs) {
    const value = `weave:///${PROJECT_ID}/op/${obj.object_id}:*`;
    options.set(value, { label: obj.object_id, value });
  }
  for (const call of recent.calls) {
    const label = opLabel(call.op_name);
    const value = call.op_name.startsWith("weave:///") ? `${call.op_name.slice(0, call.op_name.lastIndexOf(":"))}:*` : call.op_name;
    if (!options.has(value)) options.set(value, { label, value });
  }
  return [...options.values()].sort((a, b) => a.label.localeCompare(b.label));
}

function OpPicker({ state, tick, onChange }: FiltersProps): ComponentChildren {
  const [options, setOptions] = useState<OpOption[]>([]);
  const slowTick = useThrottled(tick, 10_000);
  useEffect(() => {
    let stale = false;
    // Not in front of the table's first page: the op list is only needed once someone opens it.
    void afterFirstRows()
      .then(loadOpOptions)
      .then((found) => !stale && setOptions(found));
    return () => {
      stale = true;
    };
  }, [slowTick]);
  const chosen = new Set(state.ops);
  const label = state.ops.length === 0 ? "All ops" : state.ops.length === 1 ? opLabel(state.ops[0] ?? "") : `${state.ops.length} ops`;
  const toggle = (value: string): void => {
    const next = chosen.has(value) ? state.ops.filter((op) => op !== value) : [...state.ops, value];
    onChange({ ops: next });
  };
  // Chosen ops that are not in the list (from a bookmark) stay visible so they can be unticked.
  const all = [...options, ...state.ops.filter((op) => !options.some((o) => o.value === op)).map((op) => ({ label: opLabel(op), value: op }))];
  return h(
    "details",
    { class: "dropdown", "data-testid": "op-filter" },
    h("summary", { class: "control" }, label),
    h(
      "div",
      { class: "dropdown-panel" },
      all.length === 0 ? h("p", { class: "muted" }, "No ops yet.") : null,
      all.map((option) =>
        h(
          "label",
          { key: option.value, class: "check" },
          h("input", { type: "checkbox", checked: chosen.has(option.value), onChange: () => toggle(option.value) }),
          option.label,
        ),
      ),
      state.ops.length > 0 ? h("button", { type: "button", class: "link-button", onClick: () => onChange({ ops: [] }) }, "Clear") : null,
    ),
  );
}

const STATUS_OPTIONS: Array<[StatusFilter, string]> = [
  ["", "Any status"],
  ["success", "Success"],
  ["error", "Error"],
  ["descendant_error", "Child error"],
  ["running", "Running"],
];

const RANGE_OPTIONS: Array<[TimeRange, string]> = [
  ["", "Any time"],
  ["1h", "Last hour"],
  ["24h", "Last 24 hours"],
  ["7d", "Last 7 days"],
  ["30d", "Last 30 days"],
  ["custom", "Custom range…"],
];

/** A text box that writes its value after the user pauses typing (or presses Enter). */
function SearchBox({ value, onCommit }: { value: string; onCommit: (text: string) => void }): ComponentChildren {
  const [text, setText] = useState(value);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => setText(value), [value]);
  const commit = (next: string): void => {
    clearTimeout(timer.current);
    if (next !== value) onCommit(next);
  };
  return h("input", {
    type: "search",
    class: "control search",
    placeholder: "Search inputs and outputs…",
    "aria-label": "Search inputs and outputs",
    value: text,
    onInput: (event: Event) => {
      const next = (event.currentTarget as HTMLInputElement).value;
      setText(next);
      clearTimeout(timer.current);
      timer.current = setTimeout(() => commit(next), 350);
    },
    onKeyDown: (event: KeyboardEvent) => {
      if (event.key === "Enter") commit((event.currentTarget as HTMLInputElement).value);
    },
  });
}

function ColumnChooser({ state, onChange }: Pick<FiltersProps, "state" | "onChange">): ComponentChildren {
  const [path, setPath] = useState("");
  const [error, setError] = useState<string | null>(null);
  const visible = new Set(state.columns);
  const toggle = (id: string): void => {
    onChange({ columns: visible.has(id) ? state.columns.filter((c) => c !== id) : [...state.columns, id] });
  };
  const add = (event: Event): void => {
    event.preventDefault();
    const wanted = path.trim();
    if (!PATH_COLUMN.test(wanted)) {
      setError("Use a path under inputs, output, attributes or summary, e.g. inputs.question or output.answer");
      return;
    }
    setError(null);
    setPath("");
    if (!visible.has(wanted)) onChange({ columns: [...state.columns, wanted] });
  };
  const custom = state.columns.filter((c) => !isBuiltin(c));
  return h(
    "details",
    { class: "dropdown", "data-testid": "column-chooser" },
    h("summary", { class: "control" }, "Columns"),
    h(
      "div",
      { class: "dropdown-panel wide align-right" },
      BUILTIN_SPECS.map((spec) =>
        h("label", { key: spec.id, class: "check" }, h("input", { type: "checkbox", checked: visible.has(spec.id), onChange: () => toggle(spec.id) }), spec.label),
      ),
      custom.length > 0 ? h("hr", null) : null,
      custom.map((id) =>
        h(
          "div",
          { key: id, class: "custom-col" },
          h("code", null, id),
          h("button", { type: "button", class: "link-button", "aria-label": `Remove column ${id}`, onClick: () => toggle(id) }, "remove"),
        ),
      ),
      h(
        "form",
        { class: "add-col", onSubmit: add },
        h("input", {
          class: "control",
          placeholder: "inputs.question",
          "aria-label": "Field path to add as a column",
          value: path,
          onInput: (event: Event) => setPath((event.currentTarget as HTMLInputElement).value),
        }),
        h("button", { type: "submit", class: "button" }, "Add"),
      ),
      error ? h("p", { class: "error-text" }, error) : null,
    ),
  );
}

const EXPR_EXAMPLE = JSON.stringify(
  { $expr: { $gt: [{ $getField: "summary.weave.latency_ms" }, { $literal: 1000 }] } },
  null,
  2,
);

function ExprEditor({ state, onChange }: Pick<FiltersProps, "state" | "onChange">): ComponentChildren {
  const [text, setText] = useState(state.expr);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setText(state.expr), [state.expr]);
  const apply = (): void => {
    const parsed = parseExpr(text);
    if (!parsed.ok) {
      setError(parsed.error);
      return;
    }
    setError(null);
    onChange({ expr: text.trim() });
  };
  return h(
    "details",
    { class: "expr-editor", open: state.expr !== "" },
    h("summary", null, state.expr ? "Advanced filter (on)" : "Advanced filter"),
    h("textarea", {
      class: "control mono",
      rows: 6,
      spellcheck: false,
      "aria-label": "Advanced filter ($expr JSON)",
      placeholder: EXPR_EXAMPLE,
      value: text,
      onInput: (event: Event) => setText((event.currentTarget as HTMLTextAreaElement).value),
    }),
    h(
      "div",
      { class: "row" },
      h("button", { type: "button", class: "button primary", onClick: apply }, "Apply"),
      h("button", { type: "button", class: "button", onClick: () => setText(EXPR_EXAMPLE) }, "Example"),
      state.expr
        ? h("button", { type: "button", class: "button", onClick: () => { setText(""); setError(null); onChange({ expr: "" }); } }, "Clear")
        : null,
      h("span", { class: "muted small" }, "Weave query language: $and $or $not $eq $gt $gte $lt $lte $in $contains."),
    ),
    error ? h("p", { class: "error-text", role: "alert", "data-testid": "expr-error" }, error) : null,
  );
}

export function Filters(props: FiltersProps): ComponentChildren {
  const { state, onChange } = props;
  return h(
    "div",
    { class: "filters" },
    h(
      "div",
      { class: "row wrap" },
      h(SearchBox, { value: state.text, onCommit: (text) => onChange({ text }) }),
      h(OpPicker, props),
      h(
        "select",
        {
          class: "control",
          "aria-label": "Status",
          "data-testid": "status-filter",
          value: state.status,
          onChange: (event: Event) => onChange({ status: (event.currentTarget as HTMLSelectElement).value as StatusFilter }),
        },
        STATUS_OPTIONS.map(([value, label]) => h("option", { key: value, value }, label)),
      ),
      h(
        "select",
        {
          class: "control",
          "aria-label": "Time range",
          value: state.range,
          onChange: (event: Event) => onChange({ range: (event.currentTarget as HTMLSelectElement).value as TimeRange }),
        },
        RANGE_OPTIONS.map(([value, label]) => h("option", { key: value, value }, label)),
      ),
      state.range === "custom"
        ? [
            h("input", {
              key: "from",
              type: "datetime-local",
              class: "control",
              "aria-label": "From",
              value: state.from,
              onChange: (event: Event) => onChange({ from: (event.currentTarget as HTMLInputElement).value }),
            }),
            h("input", {
              key: "to",
              type: "datetime-local",
              class: "control",
              "aria-label": "To",
              value: state.to,
              onChange: (event: Event) => onChange({ to: (event.currentTarget as HTMLInputElement).value }),
            }),
          ]
        : null,
      h(
        "label",
        { class: "check inline" },
        h("input", { type: "checkbox", checked: state.rootsOnly, onChange: () => onChange({ rootsOnly: !state.rootsOnly }) }),
        "Roots only",
      ),
      h(ColumnChooser, { state, onChange }),
    ),
    h(ExprEditor, { state, onChange }),
  );
}
