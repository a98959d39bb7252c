/**
 * `refs_read_batch` (weave-semantics.md §6.3), with ClickHouse/HEAD semantics: each ref is read in the
 * project named inside it, its `extra` path is walked leniently (a missing key or index is null), refs
 * met on the way are followed within that project only, and identical refs resolve once per request.
 *
 * One deliberate difference: when the walk meets an object ref with edges still to go, ClickHouse
 * continues with that ref's own extra and drops the remaining outer edges; weft walks the ref's extra
 * and then the remaining outer edges, which is what the path means (and what the SDK does client-side).
 */
import { WeftError } from "../../errors";
import { MAX_REFS_PER_READ, TOO_MANY_REFS_MESSAGE, type RefsReadBatchReq, type RefsReadBatchRes } from "../../schema/refs";
import type { ServerContext } from "../context";
import { parseVersionSpec, pySetRepr } from "../objects/names";
import { getTableRowValue } from "../tables/rows";
import { refToInternal, toExternalRefs, toInternalRefs } from "./convert";
import { externalProjectId, formatInternalRef, INTERNAL_PREFIX, parseInternalRef, pythonInt, WEAVE_PREFIX, type Ref } from "./uri";

type ObjectRef = Extract<Ref, { kind: "object" | "op" }>;

/** Hops (edges plus refs followed) one ref may take: content addressing rules out cycles, this bounds cost. */
const MAX_HOPS = 10_000;

function invalid(message: string): WeftError {
  return new WeftError("VALIDATION", message, { issues: [{ path: "refs", message }] });
}

/** ClickHouse reads exact digests only (§6.3). */
function checkVersion(ref: ObjectRef): void {
  const spec = parseVersionSpec(ref.version);
  if (spec.kind === "latest") throw invalid("Reading refs with `latest` is not supported");
  if (spec.kind === "index") throw invalid(`Reading refs with version ${ref.version} is not supported: use the version's digest`);
}

function isDict(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * One `key`/`attr`/`index` edge (CH `resolve_extra`): a missing key or index is null; so is an edge
 * that does not fit the value (Python fails there with a 500). Negative indexes count from the end.
 */
function applyEdge(val: unknown, edge: string, arg: string): unknown {
  if (edge === "key" || edge === "attr") return isDict(val) && Object.hasOwn(val, arg) ? val[arg] : null;
  if (edge === "index") {
    if (!Array.isArray(val)) return null;
    const raw = pythonInt(arg) ?? Number.NaN;
    const i = raw < 0 ? raw + val.length : raw;
    return i >= 0 && i < val.length ? (val[i] as unknown) : null;
  }
  throw invalid(`Cannot follow an ${edge} edge: the value at that point is not a table ref`);
}

/** Reads object roots and table rows for one request, each at most once (also used by calls expand_columns). */
export class RefReader {
  private readonly roots = new Map<string, unknown>();

  constructor(private readonly ctx: ServerContext) {}

  private static rootKey(ref: ObjectRef): string {
    return `${ref.project}/${ref.name}/${ref.version}`;
  }

  /**
   * Loads the roots of `refs` (all in `project`) in one read; a deleted version's root is null.
   * @throws WeftError NOT_FOUND "Ref read contains N digests, but found M objects. Diff digests: {…}" (CH).
   */
  async load(project: string, refs: readonly ObjectRef[]): Promise<void> {
    const pending = new Map<string, ObjectRef>();
    for (const ref of refs) if (!this.roots.has(RefReader.rootKey(ref))) pending.set(RefReader.rootKey(ref), ref);
    if (pending.size === 0) return;
    const external = externalProjectId(project);
    const wanted = [...pending.values()];
    const rows = external === undefined ? [] : await this.ctx.db.objects.bulkGet(wanted.map((r) => [external, r.name, r.version] as [string, string, string]));
    const digests = new Set(wanted.map((r) => r.version));
    const found = new Set<string>();
    wanted.forEach((ref, i) => {
      const row = rows[i];
      if (!row) return;
      found.add(row.digest);
      this.roots.set(RefReader.rootKey(ref), row.deleted_at === undefined ? (JSON.parse(row.val_dump) as unknown) : null);
    });
    const missing = wanted.filter((ref) => !this.roots.has(RefReader.rootKey(ref))).map((r) => r.version);
    if (missing.length > 0) {
      throw new WeftError(
        "NOT_FOUND",
        `Ref read contains ${digests.size} digests, but found ${found.size} objects. Diff digests: ${pySetRepr(new Set(missing))}`,
        { missing_object_digests: [...new Set(missing)] },
      );
    }
  }

  private async root(ref: ObjectRef): Promise<unknown> {
    await this.load(ref.project, [ref]);
    return this.roots.get(RefReader.rootKey(ref));
  }

  /**
   * The value `ref` points at, walking its extra path in the ref's own project.
   * @throws WeftError NOT_FOUND (missing object or table row), VALIDATION (malformed ref on the way,
   *   `latest`/`v<N>` in a ref, a table ref not followed by an `id` edge).
   */
  async resolve(ref: ObjectRef): Promise<unknown> {
    const scope = ref.project;
    let val = await this.root(ref);
    let extra = ref.extra;
    for (let hops = 0; extra.length > 0; hops++) {
      if (hops > MAX_HOPS) throw invalid(`Ref path too long (more than ${MAX_HOPS} steps)`);
      if (typeof val === "string" && val.startsWith(INTERNAL_PREFIX)) {
        const inner = parseInternalRef(val);
        // Cross-project refs are never followed (§6.3).
        if (inner.project !== scope) return null;
        if (inner.kind === "object" || inner.kind === "op") {
          checkVersion(inner);
          val = await this.root(inner);
          extra = [...inner.extra, ...extra];
          continue;
        }
        if (inner.kind === "table") {
          extra = [...inner.extra, ...extra];
          const [edge, rowDigest] = extra;
          if (edge !== "id" || rowDigest === undefined) throw invalid("Table refs must have id extra");
          val = await this.tableRow(scope, inner.digest, rowDigest);
          extra = extra.slice(2);
          continue;
        }
      }
      if (val === null || val === undefined) return null;
      const [edge, arg] = extra as [string, string];
      val = applyEdge(val, edge, arg);
      extra = extra.slice(2);
    }
    return val;
  }

  private async tableRow(project: string, tableDigest: string, rowDigest: string): Promise<unknown> {
    const external = externalProjectId(project);
    const row = external === undefined ? { found: false } : await getTableRowValue(this.ctx, external, tableDigest, rowDigest);
    if (!row.found) throw new WeftError("NOT_FOUND", `Row digest ${rowDigest} not found in table ${tableDigest}`, { table_digest: tableDigest, row_digest: rowDigest });
    // The tables module hands values out in external form; the walk needs internal refs to follow
    // refs inside the row (and converts everything back at the end).
    return toInternalRefs(row.val);
  }
}

/**
 * `refs_read_batch` (§6.3): `{vals}`, one per ref in order, in external form; a deleted object, a
 * missing key or index, or a ref into another project is null.
 * @throws WeftError VALIDATION: more than 1000 refs ("Too many refs"), a malformed ref, any table ref
 *   ("Table refs not supported") or call ref ("Call refs not supported"), a `latest`/`v<N>` version;
 *   NOT_FOUND: a digest or table row that does not exist.
 */
export async function refsReadBatch(ctx: ServerContext, req: RefsReadBatchReq): Promise<RefsReadBatchRes> {
  if (req.refs.length > MAX_REFS_PER_READ) {
    throw new WeftError("VALIDATION", TOO_MANY_REFS_MESSAGE, { issues: [{ path: "refs", message: `at most ${MAX_REFS_PER_READ} refs` }] });
  }
  // Through Weave's adapter every `weave:///` ref arrives internal; internal refs are accepted as they are.
  const parsed = req.refs.map((r) => parseInternalRef(r.startsWith(WEAVE_PREFIX) ? refToInternal(r) : r));
  if (parsed.some((r) => r.kind === "table")) throw invalid("Table refs not supported");
  if (parsed.some((r) => r.kind === "call")) throw invalid("Call refs not supported");
  const refs = parsed as ObjectRef[];
  refs.forEach(checkVersion);
  const reader = new RefReader(ctx);
  // Weave reads each project's roots in one batch, and reports missing digests for the batch.
  const byProject = new Map<string, ObjectRef[]>();
  for (const ref of refs) {
    const group = byProject.get(ref.project);
    if (group) group.push(ref);
    else byProject.set(ref.project, [ref]);
  }
  for (const [project, group] of byProject) await reader.load(project, group);
  const results = new Map<string, Promise<unknown>>();
  const vals = await Promise.all(
    refs.map((ref) => {
      const key = formatInternalRef(ref);
      let result = results.get(key);
      if (!result) results.set(key, (result = reader.resolve(ref)));
      return result;
    }),
  );
  return { vals: vals.map((v) => toExternalRefs(v)) };
}
