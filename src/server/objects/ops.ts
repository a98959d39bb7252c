/**
 * The seed-era op API (weave-semantics.md §4.8): ops are object versions whose value is an Op (§4.3),
 * so `op_create`, `op_read` and `ops_query` are `obj_create`, `obj_read` and `objs_query` restricted to
 * kind `op`. (SQLite and ClickHouse left these unimplemented; the SDK writes ops with `obj_create`.)
 */
import { WeftError } from "../../errors";
import type { OpCreateReq, OpCreateRes, OpQueryReq, OpQueryRes, OpReadReq, OpReadRes } from "../../schema/objects";
import type { ServerContext } from "../context";
import type { ObjectRow } from "../db";
import { externalProjectId, INTERNAL_PREFIX, parseAnyRef, WEAVE_PREFIX } from "../refs/uri";
import { createObjectVersion } from "./create";
import { matchesVersion, rowToObjSchema } from "./rows";
import { parseVersionSpec, type VersionSpec } from "./names";
import { readLiveVersion } from "./read";
import { selectObjects } from "./query";

/**
 * `op_create` (§4.8): `{digest}`. The value must be an Op, so the version shows up in `ops_query`.
 * @throws WeftError VALIDATION when `op_obj.val` is not an Op, plus everything `obj_create` throws.
 */
export async function opCreate(ctx: ServerContext, req: OpCreateReq): Promise<OpCreateRes> {
  const { digest } = await createObjectVersion(ctx, req.op_obj, ({ kind }) => {
    if (kind !== "op") {
      throw new WeftError(
        "VALIDATION",
        'op_obj.val is not an Op: expected {"_type": "CustomWeaveType", "weave_type": {"type": "Op"}, …}; use obj_create for other objects',
        { issues: [{ path: "op_obj.val", message: "not an Op" }] },
      );
    }
  });
  return { digest };
}

/**
 * `op_read` (§4.8): `{op_obj}` for op `name` at `digest` (a digest, `latest` or `v<N>`).
 * @throws WeftError NOT_FOUND (no such op version, or the version is not an op), OBJECT_DELETED.
 */
export async function opRead(ctx: ServerContext, req: OpReadReq): Promise<OpReadRes> {
  const row = await readLiveVersion(ctx, req.project_id, req.name, req.digest);
  if (row.kind !== "op") throw new WeftError("NOT_FOUND", `Op ${req.name}:${req.digest} not found`, { object_id: req.name, digest: req.digest });
  return { op_obj: rowToObjSchema(row) };
}

/** An `op_names` entry: an op name, or an op ref (`…/op/<name>:<digest>`, `:*` for every version). */
interface OpNameMatch {
  name: string;
  /** Undefined: any version. */
  version?: VersionSpec;
}

/** Reads `op_names`; refs to another project or to non-op kinds can match nothing and are dropped. */
function opNameMatches(projectId: string, opNames: readonly string[]): OpNameMatch[] {
  const matches: OpNameMatch[] = [];
  for (const entry of opNames) {
    if (!entry.startsWith(WEAVE_PREFIX) && !entry.startsWith(INTERNAL_PREFIX)) {
      matches.push({ name: entry });
      continue;
    }
    const { ref, external } = parseAnyRef(entry);
    const project = external ? ref.project : externalProjectId(ref.project);
    if (ref.kind !== "op" || project !== projectId) continue;
    matches.push(ref.version === "*" ? { name: ref.name } : { name: ref.name, version: parseVersionSpec(ref.version) });
  }
  return matches;
}

/**
 * `ops_query` (§4.8): `{op_objs}`, the op versions named by `filter.op_names` (all ops when absent or
 * empty), optionally only latest versions, oldest first.
 * @throws WeftError VALIDATION for a malformed ref in `op_names`; STORAGE.
 */
export async function opsQuery(ctx: ServerContext, req: OpQueryReq): Promise<OpQueryRes> {
  const opNames = req.filter?.op_names ?? [];
  const matches = opNameMatches(req.project_id, opNames);
  if (opNames.length > 0 && matches.length === 0) return { op_objs: [] };
  const isMatch = (row: ObjectRow): boolean =>
    matches.some((m) => m.name === row.object_id && (m.version === undefined || matchesVersion(row, m.version)));
  const rows = await selectObjects(ctx, {
    projectId: req.project_id,
    objectIds: matches.map((m) => m.name),
    latestOnly: req.filter?.latest_only,
    predicate: (row) => row.kind === "op" && (matches.length === 0 || isMatch(row)),
  });
  return { op_objs: rows.map((row) => rowToObjSchema(row)) };
}
