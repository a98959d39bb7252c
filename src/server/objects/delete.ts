/**
 * `obj_delete` (weave-semantics.md §4.7): soft-delete versions of one object in one transaction, then
 * point `latest` at the newest surviving version. Refs to deleted versions read back as null (§6.3).
 */
import { WeftError } from "../../errors";
import {
  MAX_OBJ_DELETE_DIGESTS,
  OBJ_DELETE_TOO_MANY_MESSAGE,
  type ObjDeleteReq,
  type ObjDeleteRes,
} from "../../schema/objects";
import type { ServerContext } from "../context";
import type { ObjectRow } from "../db";
import { parseVersionSpec, pyListRepr, pySetRepr } from "./names";
import { matchesVersion, repointLatest, versionsOf, withState } from "./rows";

/**
 * `obj_delete` (§4.7): `digests` absent or empty deletes every live version; entries may be digests,
 * `latest` or `v<N>`. The request fails as a whole (nothing deleted) when any entry finds nothing.
 * @throws WeftError VALIDATION "Please delete 100 or fewer objects at a time" (over 100 distinct
 *   entries); NOT_FOUND "Object <id> (<digests>) not found when deleting." when nothing matches, or
 *   "Delete request contains N digests, but found M objects to delete. Diff digests: {…}".
 */
export async function objDelete(ctx: ServerContext, req: ObjDeleteReq): Promise<ObjDeleteRes> {
  const digests = req.digests && req.digests.length > 0 ? req.digests : undefined;
  // The cap counts distinct entries: duplicates collapse to one delete (OD-04).
  if (digests && new Set(digests).size > MAX_OBJ_DELETE_DIGESTS) {
    throw new WeftError("VALIDATION", OBJ_DELETE_TOO_MANY_MESSAGE, {
      issues: [{ path: "digests", message: `at most ${MAX_OBJ_DELETE_DIGESTS} distinct digests` }],
    });
  }
  const specs = digests?.map(parseVersionSpec);
  return ctx.db.transaction("rw", ctx.db.objects, async () => {
    const rows = await versionsOf(ctx, req.project_id, req.object_id);
    const live = rows.filter((r) => r.deleted_at === undefined);
    const matching = specs ? live.filter((r) => specs.some((s) => matchesVersion(r, s))) : live;
    if (matching.length === 0) {
      throw new WeftError("NOT_FOUND", `Object ${req.object_id} (${digests ? pyListRepr(digests) : "None"}) not found when deleting.`, {
        object_id: req.object_id,
      });
    }
    const found = new Set(matching.map((r) => r.digest));
    if (digests) {
      const given = new Set(digests);
      if (given.size !== found.size) {
        const missing = [...given].filter((d) => !found.has(d));
        throw new WeftError(
          "NOT_FOUND",
          `Delete request contains ${digests.length} digests, but found ${found.size} objects to delete. Diff digests: ${pySetRepr(missing)}`,
          { object_id: req.object_id, missing_digests: missing },
        );
      }
    }
    const now = ctx.now();
    // CH keeps the original created_at; the row leaves the live and latest indexes (withState).
    const after: ObjectRow[] = rows.map((r) => (found.has(r.digest) && r.deleted_at === undefined ? withState(r, { deleted_at: now, is_latest: 0 }) : r));
    const changed = new Map<string, ObjectRow>();
    after.forEach((r, i) => {
      if (r !== rows[i]) changed.set(r.digest, r);
    });
    for (const r of repointLatest(after)) changed.set(r.digest, r);
    await ctx.db.objects.bulkPut([...changed.values()]);
    return {
      num_deleted: matching.length,
      deleted_versions: matching.map((r) => ({
        digest: r.digest,
        base_object_class: r.base_object_class,
        leaf_object_class: r.leaf_object_class,
      })),
    };
  });
}
