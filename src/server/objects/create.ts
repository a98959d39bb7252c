/**
 * `obj_create` (weave-semantics.md §4.4, §1.2, §1.5): process the value, hash it in internal-ref form,
 * then write the version in one transaction (dedupe, name/type collision, version_index, latest).
 */
import { WeftError } from "../../errors";
import type { ObjCreateReq, ObjCreateRes, ObjSchemaForInsert } from "../../schema/objects";
import type { ServerContext } from "../context";
import type { ObjectRow } from "../db";
import { strDigest } from "../digest";
import { pythonJsonDumps } from "../python-json";
import { internalRefsIn, toInternalRefs } from "../refs/convert";
import { checkMonitorQuery } from "./monitor-query";
import { pyRepr, validateObjectId } from "./names";
import { objectKind, processIncomingObjectVal } from "./process-val";
import { versionsOf, withState } from "./rows";

/** A version ready to write: everything Weave computes before touching storage. */
interface PreparedVersion {
  digest: string;
  kind: "object" | "op";
  baseObjectClass: string | null;
  leafObjectClass: string | null;
  valDump: string;
  refs: string[];
}

/**
 * Everything that can fail without reading storage, in Weave's order (HEAD in-memory server):
 * process and hash the value, compare `expected_digest`, validate the name.
 */
function prepareVersion(obj: ObjSchemaForInsert): PreparedVersion {
  // The external adapter rewrites refs before the server sees the value, so the digest is taken over
  // the internal form (D-06).
  const processed = processIncomingObjectVal(toInternalRefs(obj.val), obj.builtin_object_class);
  const valDump = pythonJsonDumps(processed.val);
  // The dump is ASCII (ensure_ascii), so this is `valueDigest(processed.val)` without dumping twice.
  const digest = strDigest(valDump);
  if (obj.expected_digest != null && obj.expected_digest !== digest) {
    throw new WeftError(
      "DIGEST_MISMATCH",
      `Digest mismatch: client obj ${pyRepr(obj.object_id)} digest ${obj.expected_digest} != server digest ${digest}`,
      { expected_digest: obj.expected_digest, digest },
    );
  }
  validateObjectId(obj.object_id);
  checkMonitorQuery(processed.val, processed.baseObjectClass, processed.leafObjectClass);
  return {
    digest,
    kind: objectKind(processed.val),
    baseObjectClass: processed.baseObjectClass,
    leafObjectClass: processed.leafObjectClass,
    valDump,
    refs: internalRefsIn(processed.val),
  };
}

function describeClass(cls: string | null): string {
  return cls === null ? "a generic (untyped) object" : `a ${cls}`;
}

/**
 * HEAD's `ObjectNameTypeCollision`: live versions of the same name and kind with another base class.
 * @throws WeftError CONFLICT with details `object_id, kind, new_base_object_class, existing_base_object_classes`.
 */
function rejectNameTypeCollision(rows: readonly ObjectRow[], objectId: string, version: PreparedVersion): void {
  const mismatched: (string | null)[] = [];
  for (const row of rows) {
    if (row.kind !== version.kind || row.deleted_at !== undefined) continue;
    if (row.base_object_class !== version.baseObjectClass && !mismatched.includes(row.base_object_class)) mismatched.push(row.base_object_class);
  }
  if (mismatched.length === 0) return;
  throw new WeftError(
    "CONFLICT",
    `Cannot publish ${pyRepr(objectId)} as ${describeClass(version.baseObjectClass)}: that name is already used by ` +
      `${mismatched.map(describeClass).join(" or ")} in this project. Object versions cannot share types, publish this object under a different name.`,
    {
      object_id: objectId,
      object_name: objectId,
      kind: version.kind,
      new_base_object_class: version.baseObjectClass,
      existing_base_object_classes: mismatched,
    },
  );
}

/**
 * Writes one object version and returns its digest and kind; shared by `obj_create` and `op_create`.
 * `check` runs on the prepared version before anything is written.
 * @throws WeftError VALIDATION, INVALID_FIELD, DIGEST_MISMATCH, CONFLICT (nothing is stored on any of them).
 */
export async function createObjectVersion(
  ctx: ServerContext,
  obj: ObjSchemaForInsert,
  check?: (version: { digest: string; kind: "object" | "op" }) => void,
): Promise<{ digest: string; kind: "object" | "op" }> {
  const version = prepareVersion(obj);
  check?.(version);
  const projectId = obj.project_id;
  const objectId = obj.object_id;
  await ctx.db.transaction("rw", ctx.db.objects, async () => {
    const rows = await versionsOf(ctx, projectId, objectId);
    const writes: ObjectRow[] = [];
    const live = rows.find((r) => r.digest === version.digest && r.deleted_at === undefined);
    if (live) {
      // Identical live content makes no new version; HEAD moves the `latest` alias to it (§4.4 step 3).
      for (const row of rows) {
        const flag = row === live ? 1 : 0;
        if (row.is_latest !== flag) writes.push(withState(row, { is_latest: flag }));
      }
      if (writes.length > 0) await ctx.db.objects.bulkPut(writes);
      return;
    }
    rejectNameTypeCollision(rows, objectId, version);
    // Weave uses the row count (deleted rows included); max + 1 equals it, except after re-creating a
    // deleted digest, where the count could hand out a version_index that is already taken.
    const versionIndex = rows.reduce((max, r) => Math.max(max, r.version_index + 1), 0);
    for (const row of rows) {
      if (row.digest !== version.digest && row.is_latest === 1) writes.push(withState(row, { is_latest: 0 }));
    }
    // A deleted row with this digest has the same key, so this put resurrects it (§4.4 step 5).
    writes.push(
      withState({
        project_id: projectId,
        object_id: objectId,
        digest: version.digest,
        kind: version.kind,
        base_object_class: version.baseObjectClass,
        leaf_object_class: version.leafObjectClass,
        created_at: ctx.now(),
        version_index: versionIndex,
        is_latest: 1,
        val_dump: version.valDump,
        refs: version.refs,
        wb_user_id: obj.wb_user_id ?? ctx.userId,
      }),
    );
    await ctx.db.objects.bulkPut(writes);
  });
  return { digest: version.digest, kind: version.kind };
}

/**
 * `obj_create` (§4.4): `{digest, object_id}`.
 * @throws WeftError VALIDATION (bad value, unknown builtin class, malformed ref, name > 128 chars),
 *   INVALID_FIELD (empty name or characters outside `[\w._-]`), DIGEST_MISMATCH (`expected_digest`),
 *   CONFLICT (name already used with another base class), STORAGE/QUOTA_EXCEEDED.
 */
export async function objCreate(ctx: ServerContext, req: ObjCreateReq): Promise<ObjCreateRes> {
  const { digest } = await createObjectVersion(ctx, req.obj);
  return { digest, object_id: req.obj.object_id };
}
