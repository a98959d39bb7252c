/**
 * The objects tab: every published object and op (`objs_query`, latest versions), the versions of the
 * chosen one, the chosen version's value (`obj_read`), and, for datasets, their rows (`table_query`).
 * What is open lives in the URL (`obj=name:digest`, `table=<digest>`).
 */
import { h, type ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { errorText } from "./errors";
import { formatCount, formatTime } from "./format";
import { JsonView } from "./json-view";
import { parseRef, type ParsedRef } from "./refs";
import { PROJECT_ID, client } from "./store";
import type { ObjVersion, TableRow } from "./weft-types";

const TABLE_PAGE = 50;

export interface ObjectsTabProps {
  /** `name:digest` of the open version (digest may be `latest` or `v<N>`), or null. */
  object: string | null;
  /** Digest of the open table, or null. */
  table: string | null;
  tick: number;
  onOpenObject: (object: string | null) => void;
  onOpenTable: (digest: string | null) => void;
  onRef: (ref: ParsedRef) => void;
}

function splitObject(object: string): { name: string; digest: string } {
  const cut = object.lastIndexOf(":");
  return cut > 0 ? { name: object.slice(0, cut), digest: object.slice(cut + 1) } : { name: object, digest: "latest" };
}

function kindLabel(obj: ObjVersion): string {
  if (obj.kind === "op") return "Op";
  return obj.base_object_class ?? obj.leaf_object_class ?? "Object";
}

function ObjectList({ tick, selected, onOpen }: { tick: number; selected: string | null; onOpen: (object: string) => void }): ComponentChildren {
  const [objs, setObjs] = useState<ObjVersion[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let stale = false;
    client
      .objs_query({ project_id: PROJECT_ID, filter: { latest_only: true }, metadata_only: true, sort_by: [{ field: "object_id", direction: "asc" }] })
      .then(
        (res) => !stale && setObjs(res.objs),
        (err: unknown) => !stale && setError(errorText(err)),
      );
    return () => {
      stale = true;
    };
  }, [tick]);
  if (error) return h("p", { class: "error-text" }, error);
  if (!objs) return h("p", { class: "muted" }, "Loading…");
  if (objs.length === 0) return h("p", { class: "muted" }, "Nothing published yet. Running the assistant publishes its ops, prompt and dataset.");
  const groups = new Map<string, ObjVersion[]>();
  for (const obj of objs) {
    const key = obj.kind === "op" ? "Ops" : obj.base_object_class === "Dataset" ? "Datasets" : "Objects";
    groups.set(key, [...(groups.get(key) ?? []), obj]);
  }
  return h(
    "div",
    { class: "obj-list", "data-testid": "object-list" },
    ["Datasets", "Objects", "Ops"].map((group) => {
      const list = groups.get(group);
      if (!list) return null;
      return h(
        "div",
        { key: group },
        h("h3", null, group),
        h(
          "ul",
          null,
          list.map((obj) =>
            h(
              "li",
              { key: obj.object_id },
              h(
                "button",
                {
                  type: "button",
                  class: `list-item${selected === obj.object_id ? " selected" : ""}`,
                  "data-object-id": obj.object_id,
                  onClick: () => onOpen(`${obj.object_id}:latest`),
                },
                h("span", null, obj.object_id),
                h("span", { class: "muted small" }, `v${obj.version_index} · ${kindLabel(obj)}`),
              ),
            ),
          ),
        ),
      );
    }),
  );
}

function Versions({ name, digest, tick, onOpen }: { name: string; digest: string; tick: number; onOpen: (object: string) => void }): ComponentChildren {
  const [versions, setVersions] = useState<ObjVersion[]>([]);
  useEffect(() => {
    let stale = false;
    client
      .objs_query({ project_id: PROJECT_ID, filter: { object_ids: [name] }, metadata_only: true, sort_by: [{ field: "created_at", direction: "desc" }] })
      .then((res) => !stale && setVersions(res.objs))
      .catch(() => undefined);
    return () => {
      stale = true;
    };
  }, [name, tick]);
  return h(
    "ol",
    { class: "versions", "data-testid": "versions" },
    versions.map((v) => {
      const current = v.digest === digest || digest === `v${v.version_index}` || (digest === "latest" && v.is_latest === 1);
      return h(
        "li",
        { key: v.digest },
        h(
          "button",
          { type: "button", class: `list-item${current ? " selected" : ""}`, "data-version": v.version_index, onClick: () => onOpen(`${name}:${v.digest}`) },
          h("span", null, `v${v.version_index}${v.is_latest ? " (latest)" : ""}`),
          h("span", { class: "muted small" }, formatTime(v.created_at)),
        ),
      );
    }),
  );
}

function ObjectVersionView(props: { object: string; tick: number; onOpenObject: (o: string) => void; onOpenTable: (d: string) => void; onRef: (r: ParsedRef) => void }): ComponentChildren {
  const { name, digest } = splitObject(props.object);
  const [obj, setObj] = useState<ObjVersion | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let stale = false;
    setObj(null);
    setError(null);
    client.obj_read({ project_id: PROJECT_ID, object_id: name, digest }).then(
      (res) => !stale && setObj(res.obj),
      (err: unknown) => !stale && setError(errorText(err)),
    );
    return () => {
      stale = true;
    };
  }, [name, digest, props.tick]);

  const val = obj?.val as Record<string, unknown> | undefined;
  const rowsRef = typeof val?.rows === "string" ? parseRef(val.rows) : null;
  return h(
    "div",
    { class: "obj-detail", "data-testid": "object-detail" },
    h("header", { class: "detail-head" }, h("h2", null, name), obj ? h("span", { class: "badge" }, `v${obj.version_index} · ${kindLabel(obj)}`) : null),
    h(Versions, { name, digest, tick: props.tick, onOpen: props.onOpenObject }),
    error ? h("p", { class: "error-text", role: "alert" }, error) : null,
    obj
      ? h(
          "div",
          null,
          h(
            "dl",
            { class: "facts" },
            h("div", { class: "fact wide" }, h("dt", null, "Digest"), h("dd", null, h("code", { class: "select-all" }, obj.digest))),
            h("div", { class: "fact" }, h("dt", null, "Created"), h("dd", null, formatTime(obj.created_at))),
            h("div", { class: "fact wide" }, h("dt", null, "Ref"), h("dd", null, h("code", { class: "select-all" }, `weave:///${PROJECT_ID}/${obj.kind}/${name}:${obj.digest}`))),
          ),
          rowsRef && rowsRef.kind === "table"
            ? h("button", { type: "button", class: "button", onClick: () => props.onOpenTable(rowsRef.digest) }, "Show dataset rows")
            : null,
          h("section", { class: "detail-section" }, h("h3", null, "Value"), h(JsonView, { value: obj.val, onRef: props.onRef, openDepth: 3 })),
        )
      : null,
  );
}

function TableView({ digest, onClose }: { digest: string; onClose: () => void }): ComponentChildren {
  const [offset, setOffset] = useState(0);
  const [rows, setRows] = useState<TableRow[] | null>(null);
  const [count, setCount] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    client.table_query_stats({ project_id: PROJECT_ID, digest }).then(
      (res) => setCount(res.count),
      () => setCount(null),
    );
  }, [digest]);
  useEffect(() => {
    let stale = false;
    client.table_query({ project_id: PROJECT_ID, digest, offset, limit: TABLE_PAGE }).then(
      (res) => !stale && setRows(res.rows),
      (err: unknown) => !stale && setError(errorText(err)),
    );
    return () => {
      stale = true;
    };
  }, [digest, offset]);
  const keys = [...new Set((rows ?? []).flatMap((row) => (typeof row.val === "object" && row.val !== null ? Object.keys(row.val) : [])))].slice(0, 8);
  const cell = (value: unknown): string => {
    const text = typeof value === "string" ? value : JSON.stringify(value) ?? "";
    return text.length > 160 ? `${text.slice(0, 160)}…` : text;
  };
  return h(
    "div",
    { class: "table-view", "data-testid": "table-view" },
    h(
      "header",
      { class: "detail-head" },
      h("h2", null, "Table rows"),
      h("code", { class: "muted small" }, digest.slice(0, 16)),
      h("button", { type: "button", class: "button", onClick: onClose }, "Close"),
    ),
    error ? h("p", { class: "error-text" }, error) : null,
    h(
      "table",
      { class: "data-table" },
      h("thead", null, h("tr", null, h("th", null, "#"), keys.map((k) => h("th", { key: k }, k)))),
      h(
        "tbody",
        null,
        (rows ?? []).map((row, i) =>
          h(
            "tr",
            { key: row.digest },
            h("td", { class: "muted" }, String(row.original_index ?? offset + i)),
            keys.map((k) => h("td", { key: k }, cell((row.val as Record<string, unknown>)[k]))),
          ),
        ),
      ),
    ),
    h(
      "div",
      { class: "row" },
      h("button", { type: "button", class: "button", disabled: offset === 0, onClick: () => setOffset(Math.max(0, offset - TABLE_PAGE)) }, "Previous"),
      h("span", { class: "muted" }, rows && rows.length > 0 ? `${offset + 1}–${offset + rows.length}${count !== null ? ` of ${formatCount(count)}` : ""}` : "no rows"),
      h("button", { type: "button", class: "button", disabled: !rows || rows.length < TABLE_PAGE, onClick: () => setOffset(offset + TABLE_PAGE) }, "Next"),
    ),
  );
}

export function ObjectsTab(props: ObjectsTabProps): ComponentChildren {
  const selectedName = props.object ? splitObject(props.object).name : null;
  return h(
    "div",
    { class: "objects-tab" },
    h("aside", { class: "objects-aside" }, h(ObjectList, { tick: props.tick, selected: selectedName, onOpen: props.onOpenObject })),
    h(
      "div",
      { class: "objects-main" },
      props.table
        ? h(TableView, { digest: props.table, onClose: () => props.onOpenTable(null) })
        : props.object
          ? h(ObjectVersionView, { object: props.object, tick: props.tick, onOpenObject: props.onOpenObject, onOpenTable: props.onOpenTable, onRef: props.onRef })
          : h("p", { class: "muted pad" }, "Choose an object or op to see its versions."),
    ),
  );
}
