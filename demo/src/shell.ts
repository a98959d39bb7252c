/**
 * The page: a top bar (tabs, store size, settings, export), the app on the left (assistant and
 * sample data) and the viewer on the right. The view state lives in the URL; `tick` counts store
 * changes (this tab's runs, other tabs, polling) so views refresh themselves.
 */
import { h, type ComponentChildren } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ensureSimPrice, startTracing } from "./app/assistant";
import { AssistantPanel } from "./assistant-panel";
import { ChartTab } from "./chart";
import { ExportDialog } from "./export-dialog";
import { afterFirstRows } from "./first-rows";
import { formatBytes } from "./format";
import { onStoreChange } from "./live";
import { ObjectsTab } from "./objects";
import { RefPreview } from "./ref-preview";
import type { ParsedRef } from "./refs";
import { SampleDataPanel } from "./sample-data-panel";
import { SettingsDialog, loadModelSettings, type ModelSettings } from "./settings";
import { PROJECT_ID, client } from "./store";
import { useThrottled } from "./throttle";
import { TracesTab } from "./traces-tab";
import { parseViewState, writeViewState, type Tab, type ViewState } from "./url-state";

/** The view state, read from the URL and written back on every change; Back/Forward restore it. */
function useViewState(): [ViewState, (patch: Partial<ViewState>) => void] {
  const [state, setState] = useState(() => parseViewState(location.search));
  const current = useRef(state);
  current.current = state;
  useEffect(() => {
    const onPop = (): void => setState(parseViewState(location.search));
    addEventListener("popstate", onPop);
    return () => removeEventListener("popstate", onPop);
  }, []);
  const update = useCallback((patch: Partial<ViewState>) => {
    const previous = current.current;
    const next = { ...previous, ...patch };
    current.current = next;
    writeViewState(next, previous);
    setState(next);
  }, []);
  return [state, update];
}

/** Store changes, at most one re-render per 400 ms however fast they come. */
function useStoreTick(): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = onStoreChange(() => {
      timer ??= setTimeout(() => {
        timer = undefined;
        setTick((t) => t + 1);
      }, 400);
    });
    return () => {
      off();
      clearTimeout(timer);
    };
  }, []);
  return tick;
}

/**
 * How much this origin stores (`storageInfo`: the browser's own estimate, no scan), so the size of
 * the local store is always in view. Counting calls instead would cost seconds at 100k calls.
 */
function StoreSize({ tick }: { tick: number }): ComponentChildren {
  const [info, setInfo] = useState<{ usage: number | null; quota: number | null } | null>(null);
  const slowTick = useThrottled(tick, 2000);
  useEffect(() => {
    afterFirstRows()
      .then(() => client.storageInfo())
      .then(setInfo, () => setInfo(null));
  }, [slowTick]);
  if (!info || info.usage === null) return null;
  const quota = info.quota ? ` of ${formatBytes(info.quota)}` : "";
  return h("span", { class: "store-size", "data-testid": "store-size", title: "IndexedDB database weft-demo, in this browser" }, `${formatBytes(info.usage)}${quota} stored locally`);
}

const TABS: Array<[Tab, string]> = [
  ["traces", "Traces"],
  ["objects", "Objects"],
  ["chart", "Latency & cost"],
];

export function Shell(): ComponentChildren {
  const [state, update] = useViewState();
  const tick = useStoreTick();
  const slowTick = useThrottled(tick, 5000);
  const [settings, setSettings] = useState<ModelSettings>(loadModelSettings);
  const [dialog, setDialog] = useState<"settings" | "export" | null>(null);
  const [preview, setPreview] = useState<ParsedRef | null>(null);
  const [appHidden, setAppHidden] = useState(() => localStorage.getItem("weft-demo-hide-app") === "1");
  const toggleApp = (): void => {
    localStorage.setItem("weft-demo-hide-app", appHidden ? "0" : "1");
    setAppHidden(!appHidden);
  };

  useEffect(() => {
    startTracing();
    void afterFirstRows().then(ensureSimPrice);
  }, []);

  /** Refs are links handled here: objects and ops open in the objects tab, calls in the trace view. */
  const onRef = useCallback(
    (ref: ParsedRef): void => {
      setPreview(null);
      if (ref.kind === "table") update({ tab: "objects", table: ref.digest });
      else if (ref.kind === "call") {
        void client.call_read({ project_id: PROJECT_ID, id: ref.id }).then((res) => {
          if (res.call) update({ tab: "traces", trace: res.call.trace_id, call: res.call.id });
        });
      } else if (ref.extra.length > 0) setPreview(ref);
      else update({ tab: "objects", object: `${ref.name}:${ref.digest}`, table: null });
    },
    [update],
  );

  let content: ComponentChildren;
  if (state.tab === "objects") {
    content = h(ObjectsTab, {
      object: state.object,
      table: state.table,
      tick,
      onOpenObject: (object) => update({ object, table: null }),
      onOpenTable: (table) => update({ table }),
      onRef,
    });
  } else if (state.tab === "chart") content = h(ChartTab, { tick: slowTick });
  else content = h(TracesTab, { state, tick, update, onRef });

  return h(
    "div",
    { class: "shell" },
    h(
      "header",
      { class: "topbar" },
      h(
        "button",
        { type: "button", class: "icon-button", "aria-label": appHidden ? "Show the assistant panel" : "Hide the assistant panel", title: appHidden ? "Show the assistant panel" : "Hide the assistant panel", "aria-pressed": !appHidden, onClick: toggleApp },
        "☰",
      ),
      h("div", { class: "brand" }, h("span", { class: "logo", "aria-hidden": true }, "≋"), h("strong", null, "weft"), h("span", { class: "muted" }, `demo · ${PROJECT_ID}`)),
      h(
        "nav",
        { class: "tabs", role: "tablist" },
        TABS.map(([id, label]) =>
          h("button", { key: id, type: "button", role: "tab", "aria-selected": state.tab === id, class: `tab${state.tab === id ? " active" : ""}`, onClick: () => update({ tab: id }) }, label),
        ),
      ),
      h(
        "div",
        { class: "topbar-right" },
        h(StoreSize, { tick }),
        h("button", { type: "button", class: "button", onClick: () => setDialog("settings") }, "Model settings"),
        h("button", { type: "button", class: "button", "data-testid": "open-export", onClick: () => setDialog("export") }, "Export / import"),
      ),
    ),
    h(
      "div",
      { class: `layout${appHidden ? " app-hidden" : ""}` },
      appHidden ? null : h("aside", { class: "sidebar" }, h(AssistantPanel, { settings, onOpenTrace: (trace, call) => update({ tab: "traces", trace, call }) }), h(SampleDataPanel, null)),
      h("main", { class: "content" }, content),
    ),
    dialog === "settings" ? h(SettingsDialog, { settings, onSave: setSettings, onClose: () => setDialog(null) }) : null,
    dialog === "export" ? h(ExportDialog, { onClose: () => setDialog(null) }) : null,
    preview ? h(RefPreview, { refValue: preview, onRef, onClose: () => setPreview(null) }) : null,
  );
}
