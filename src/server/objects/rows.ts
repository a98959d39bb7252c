/**
 * Object rows: reading the versions of one object, keeping the index keys in step with a row's
 * state, and shaping a row as Weave's `ObjSchema` (weave-semantics.md §4.1).
 */
import { formatDateTime } from "../../schema/common";
import type { ObjSchema } from "../../schema/objects";
import type { ServerContext } from "../context";
import type { ObjectRow } from "../db";
import { toExternalRefs } from "../refs/convert";
import type { VersionSpec } from "./names";

/**
 * A copy of `row` with `changes` applied and its index keys recomputed. Rows read from Dexie are
 * shared (the database uses `cache: "immutable"`), so they are never modified in place.
 */
export function withState(row: ObjectRow, changes: Partial<ObjectRow> = {}): ObjectRow {
  const next: ObjectRow = { ...row, ...changes };
  delete next.live_ts;
  delete next.latest_ts;
  if (next.deleted_at === undefined) {
    next.live_ts = next.created_at;
    if (next.is_latest === 1) next.latest_ts = next.created_at;
  }
  return next;
}

/** Every version of (project, object_id), deleted ones included, by version_index. */
export function versionsOf(ctx: ServerContext, projectId: string, objectId: string): Promise<ObjectRow[]> {
  return ctx.db.objects
    .where("[project_id+object_id+version_index]")
    .between([projectId, objectId, -Infinity], [projectId, objectId, Infinity], true, true)
    .toArray();
}

/**
 * Whether `row` is the version `spec` names (Weave's `_obj_matches_digest_condition`): `latest` is the
 * version flagged latest, `v<N>` the one with version_index N, anything else its digest.
 */
export function matchesVersion(row: ObjectRow, spec: VersionSpec): boolean {
  switch (spec.kind) {
    case "latest":
      return row.is_latest === 1;
    case "index":
      return row.version_index === spec.index;
    case "digest":
      return row.digest === spec.digest;
  }
}

/**
 * Points `latest` at the newest live version by (created_at, version_index), as Weave does after a
 * delete (§4.7); returns the rows whose flag changed (copies, ready to write).
 */
export function repointLatest(rows: readonly ObjectRow[]): ObjectRow[] {
  let best: ObjectRow | undefined;
  for (const row of rows) {
    if (row.deleted_at !== undefined) continue;
    if (!best || row.created_at > best.created_at || (row.created_at === best.created_at && row.version_index > best.version_index)) best = row;
  }
  const changed: ObjectRow[] = [];
  for (const row of rows) {
    const flag = row === best ? 1 : 0;
    if (row.is_latest !== flag) changed.push(withState(row, { is_latest: flag }));
  }
  return changed;
}

/** How a row is returned. */
export interface ShapeOptions {
  metadataOnly?: boolean | null | undefined;
  includeStorageSize?: boolean | null | undefined;
  includeTagsAndAliases?: boolean | null | undefined;
}

/**
 * A row as `ObjSchema`: datetimes as ISO strings, refs in the value back in external form,
 * `val: {}` for `metadata_only`, `size_bytes` (bytes of the stored dump, which is ASCII) only when
 * asked. weft has no tags or aliases: asked for, a version shows no tags and only the automatic
 * `latest` alias, as HEAD synthesises it.
 */
export function rowToObjSchema(row: ObjectRow, options: ShapeOptions = {}): ObjSchema {
  const tagged = options.includeTagsAndAliases === true;
  return {
    project_id: row.project_id,
    object_id: row.object_id,
    created_at: formatDateTime(row.created_at),
    deleted_at: row.deleted_at === undefined ? null : formatDateTime(row.deleted_at),
    digest: row.digest,
    version_index: row.version_index,
    is_latest: row.is_latest,
    kind: row.kind,
    base_object_class: row.base_object_class,
    leaf_object_class: row.leaf_object_class,
    val: options.metadataOnly ? {} : toExternalRefs(JSON.parse(row.val_dump) as unknown),
    wb_user_id: row.wb_user_id ?? null,
    size_bytes: options.includeStorageSize ? row.val_dump.length : null,
    tags: tagged ? [] : null,
    aliases: tagged ? (row.is_latest === 1 ? ["latest"] : []) : null,
  };
}
