/**
 * `obj_read` (weave-semantics.md §4.5): one version by digest, `latest` or `v<N>`. Deleted versions are
 * found but refused with OBJECT_DELETED; `kind` is not part of the key, so ops are read here too.
 */
import { WeftError } from "../../errors";
import { formatDateTime } from "../../schema/common";
import type { ObjReadReq, ObjReadRes } from "../../schema/objects";
import type { ServerContext } from "../context";
import type { ObjectRow } from "../db";
import { parseVersionSpec, pyDatetimeStr } from "./names";
import { matchesVersion, rowToObjSchema, versionsOf } from "./rows";

/** The version of (project, object_id) that `version` names, deleted or not; undefined if none. */
export async function findVersion(ctx: ServerContext, projectId: string, objectId: string, version: string): Promise<ObjectRow | undefined> {
  const spec = parseVersionSpec(version);
  if (spec.kind === "digest") return ctx.db.objects.get([projectId, objectId, spec.digest]);
  return (await versionsOf(ctx, projectId, objectId)).find((row) => matchesVersion(row, spec));
}

/**
 * Reads a version and refuses missing and deleted ones with Weave's messages.
 * @throws WeftError NOT_FOUND "Obj <object_id>:<digest> not found"; OBJECT_DELETED
 *   "<object_id>:v<index> was deleted at <ts>" with `details.deleted_at` (ISO).
 */
export async function readLiveVersion(ctx: ServerContext, projectId: string, objectId: string, version: string): Promise<ObjectRow> {
  const row = await findVersion(ctx, projectId, objectId, version);
  if (!row) throw new WeftError("NOT_FOUND", `Obj ${objectId}:${version} not found`, { object_id: objectId, digest: version });
  if (row.deleted_at !== undefined) {
    throw new WeftError("OBJECT_DELETED", `${objectId}:v${row.version_index} was deleted at ${pyDatetimeStr(row.deleted_at)}`, {
      deleted_at: formatDateTime(row.deleted_at),
    });
  }
  return row;
}

/**
 * `obj_read` (§4.5): `{obj}`; `metadata_only` gives `val: {}`.
 * @throws WeftError NOT_FOUND, OBJECT_DELETED (see `readLiveVersion`), STORAGE.
 */
export async function objRead(ctx: ServerContext, req: ObjReadReq): Promise<ObjReadRes> {
  const row = await readLiveVersion(ctx, req.project_id, req.object_id, req.digest);
  return {
    obj: rowToObjSchema(row, { metadataOnly: req.metadata_only, includeTagsAndAliases: req.include_tags_and_aliases }),
  };
}
