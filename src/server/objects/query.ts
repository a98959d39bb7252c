/**
 * `objs_query` (weave-semantics.md §4.6). Deleted versions never show. The scan is index-backed:
 * `object_ids` reads just those objects' versions, `latest_only` reads the latest-version index, and
 * everything else the live-version index; both of the latter are in the default order (created_at ASC,
 * version_index ASC), so a default-sorted page stops reading at offset + limit. Other filters are
 * checked on the rows read; a sort on `object_id` or `created_at DESC` sorts the candidates in memory.
 */
import type { SortBy } from "../../schema/common";
import type { ObjectVersionFilter, ObjQueryReq, ObjQueryRes } from "../../schema/objects";
import type { ServerContext } from "../context";
import type { ObjectRow } from "../db";
import { rowToObjSchema, versionsOf } from "./rows";

/** What to select: the index-backed parts, a predicate for the rest, the order and the page. */
export interface ObjectSelection {
  projectId: string;
  /** Non-empty: only these object ids (read through `[project_id+object_id+version_index]`). */
  objectIds?: readonly string[] | null | undefined;
  latestOnly?: boolean | null | undefined;
  /** Checked on every live row the scan reads. */
  predicate: (row: ObjectRow) => boolean;
  sortBy?: readonly SortBy[] | null | undefined;
  limit?: number | null | undefined;
  offset?: number | null | undefined;
}

type SortTerm = { field: "object_id" | "created_at" | "version_index"; desc: boolean };

const DEFAULT_ORDER: SortTerm[] = [
  { field: "created_at", desc: false },
  { field: "version_index", desc: false },
];

/**
 * Weave keeps only `object_id`/`created_at` sort entries (others are silently ignored) and breaks ties
 * with `version_index ASC`; with nothing usable the default order applies.
 */
function sortTerms(sortBy: readonly SortBy[] | null | undefined): SortTerm[] {
  const terms: SortTerm[] = [];
  for (const s of sortBy ?? []) {
    if (s.field === "object_id" || s.field === "created_at") terms.push({ field: s.field, desc: s.direction === "desc" });
  }
  return terms.length === 0 ? DEFAULT_ORDER : [...terms, { field: "version_index", desc: false }];
}

/** `created_at ASC, version_index ASC`, whether implied or asked for: the live indexes' own order. */
function isDefaultOrder(terms: readonly SortTerm[]): boolean {
  return terms.length === 2 && terms.every((t, i) => t.field === DEFAULT_ORDER[i]?.field && !t.desc);
}

/** Python string order is code point order; JS `<` compares UTF-16 units. */
function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i]?.codePointAt(0) ?? 0) - (y[i]?.codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function compareRows(terms: readonly SortTerm[]): (a: ObjectRow, b: ObjectRow) => number {
  return (a, b) => {
    for (const t of terms) {
      const d = t.field === "object_id" ? compareCodePoints(a.object_id, b.object_id) : a[t.field] - b[t.field];
      if (d !== 0) return t.desc ? -d : d;
    }
    return 0;
  };
}

/**
 * Selects object versions (never deleted ones) in Weave's order, paged.
 * @throws WeftError STORAGE when IndexedDB fails.
 */
export async function selectObjects(ctx: ServerContext, sel: ObjectSelection): Promise<ObjectRow[]> {
  const terms = sortTerms(sel.sortBy);
  const offset = sel.offset ?? 0;
  const limit = sel.limit ?? Infinity;
  const keep = (row: ObjectRow): boolean => row.deleted_at === undefined && (!sel.latestOnly || row.is_latest === 1) && sel.predicate(row);
  let candidates: ObjectRow[];
  if (sel.objectIds && sel.objectIds.length > 0) {
    const perObject = await Promise.all([...new Set(sel.objectIds)].map((id) => versionsOf(ctx, sel.projectId, id)));
    candidates = perObject.flat().filter(keep);
  } else {
    const index = sel.latestOnly ? "[project_id+latest_ts+version_index]" : "[project_id+live_ts+version_index]";
    const scan = ctx.db.objects
      .where(index)
      .between([sel.projectId, -Infinity, -Infinity], [sel.projectId, Infinity, Infinity], true, true)
      .filter(keep);
    if (isDefaultOrder(terms)) {
      // Index order is the requested order: let Dexie skip and stop early.
      const paged = limit === Infinity ? scan.offset(offset) : scan.offset(offset).limit(limit);
      return paged.toArray();
    }
    candidates = await scan.toArray();
  }
  candidates.sort(compareRows(terms));
  return candidates.slice(offset, offset + limit);
}

/**
 * The `ObjectVersionFilter` clauses not served by an index, all ANDed (§4.6). Empty lists filter
 * nothing, as in Weave. weft stores no tags or aliases: a non-empty `tags` filter matches nothing,
 * and `aliases` matches only through the automatic `latest` alias.
 */
export function filterPredicate(filter: ObjectVersionFilter | null | undefined): (row: ObjectRow) => boolean {
  if (!filter) return () => true;
  const { is_op, base_object_classes: base, exclude_base_object_classes: exclude, leaf_object_classes: leaf, tags, aliases } = filter;
  return (row) => {
    if (is_op != null && (row.kind === "op") !== is_op) return false;
    // `in` on a list: a null class matches only a list holding null (never, for string lists); the
    // exclusion keeps classless objects, as HEAD's in-memory server does.
    if (base && base.length > 0 && (row.base_object_class === null || !base.includes(row.base_object_class))) return false;
    if (exclude && exclude.length > 0 && row.base_object_class !== null && exclude.includes(row.base_object_class)) return false;
    if (leaf && leaf.length > 0 && (row.leaf_object_class === null || !leaf.includes(row.leaf_object_class))) return false;
    if (tags && tags.length > 0) return false;
    if (aliases && aliases.length > 0 && !(aliases.includes("latest") && row.is_latest === 1)) return false;
    return true;
  };
}

/**
 * `objs_query` (§4.6): `{objs}`.
 * @throws WeftError STORAGE when IndexedDB fails.
 */
export async function objsQuery(ctx: ServerContext, req: ObjQueryReq): Promise<ObjQueryRes> {
  const rows = await selectObjects(ctx, {
    projectId: req.project_id,
    objectIds: req.filter?.object_ids,
    latestOnly: req.filter?.latest_only,
    predicate: filterPredicate(req.filter),
    sortBy: req.sort_by,
    limit: req.limit,
    offset: req.offset,
  });
  const options = {
    metadataOnly: req.metadata_only,
    includeStorageSize: req.include_storage_size,
    includeTagsAndAliases: req.include_tags_and_aliases,
  };
  return { objs: rows.map((row) => rowToObjSchema(row, options)) };
}
