/**
 * The sorted plan of `table_query` (weave-semantics.md §5.4): every member row's sort key is needed,
 * so every member value is read once, in bulk, and only a bounded top-k of keys is kept.
 *
 * The values come from `memberValues` (member-values.ts): the project's key range in batches, or the
 * members by key when the table is a small part of its project, never one lookup per position.
 * Batches arrive in digest order, so ties are broken by position explicitly.
 *
 * Memory: one map entry per distinct member row (digest → first position, ~100 bytes; ~10 MB at
 * 100k rows), one batch of values, and `O(offset + limit)` candidates. Values are never all held.
 */
import type { TableRowSchema } from "../../schema/tables";
import type { TableRow, WeftDb } from "../db";
import type { CompiledSortKey, SortKey } from "../query/sort";
import { topK } from "../query/top-k";
import { scanEntries } from "./entries";
import { BATCH, memberValues } from "./member-values";
import { loadRowDumps, rowValueOut } from "./rows";

/** Largest `offset + limit` whose winners keep their dumps (~3 MB of dataset rows). */
const KEEP_DUMPS_UP_TO = 10_000;

/** Rows shaped per step when yielding a page. */
const PAGE = 1000;

/** The table's rows to rank: each distinct digest's first position, and any later positions. */
interface Members {
  first: Map<string, number>;
  /** Positions after the first, only for digests listed more than once (rare). */
  more: Map<string, number[]>;
}

interface Candidate {
  index: number;
  digest: string;
  key: SortKey;
  /** Kept when the page is small enough, so it needs no second read (see `KEEP_DUMPS_UP_TO`). */
  dump: string | undefined;
}

async function readMembers(db: WeftDb, def: TableRow, wanted: ReadonlySet<string> | undefined): Promise<Members> {
  const first = new Map<string, number>();
  const more = new Map<string, number[]>();
  for await (const slice of scanEntries(db, def.project_id, def.digest, def.row_count)) {
    slice.digests.forEach((digest, i) => {
      if (wanted && !wanted.has(digest)) return;
      const index = slice.start + i;
      if (!first.has(digest)) {
        first.set(digest, index);
        return;
      }
      const later = more.get(digest);
      if (later) later.push(index);
      else more.set(digest, [index]);
    });
  }
  return { first, more };
}

/**
 * The rows at sorted positions `offset .. offset + limit` (ties in table order), a page at a time.
 * A position whose value was never stored is left out, as in the other plans.
 * @throws Dexie errors from IndexedDB (the server turns them into `STORAGE`).
 */
export async function* sortedRows(
  db: WeftDb,
  def: TableRow,
  sort: CompiledSortKey<unknown>,
  wanted: ReadonlySet<string> | undefined,
  offset: number,
  limit: number,
): AsyncGenerator<TableRowSchema> {
  const k = offset + limit;
  // Candidates arrive in digest order, not table order, so the position breaks ties explicitly.
  const cmp = (a: Candidate, b: Candidate): number => sort.compare(a.key, b.key) || a.index - b.index;
  const members = await readMembers(db, def, wanted);
  if (members.first.size === 0) return;
  // A page of bounded size keeps its winners' dumps, so it needs no second read; a deep or
  // unbounded one (every row sorted) keeps keys only and reads its values back a page at a time.
  const keepDumps = k <= KEEP_DUMPS_UP_TO;
  const compactAt = Math.max(2 * k, 2 * BATCH);
  let best: Candidate[] = [];
  for await (const batch of memberValues(db, def.project_id, members.first)) {
    for (const row of batch) {
      const index = members.first.get(row.digest);
      if (index === undefined) continue;
      const key = sort.key(JSON.parse(row.val_dump) as unknown);
      best.push({ index, digest: row.digest, key, dump: keepDumps ? row.val_dump : undefined });
    }
    if (best.length >= compactAt) best = topK(best, k, cmp);
  }
  // Ranking distinct rows by (key, first position) first is enough: a row among the k best
  // positions has fewer than k distinct rows ranked before its first position. Their later
  // positions are added back, then ranked again.
  const positions: Candidate[] = [];
  for (const c of topK(best, k, cmp)) {
    positions.push(c);
    for (const index of members.more.get(c.digest) ?? []) positions.push({ ...c, index });
  }
  const ranked = topK(positions, k, cmp).slice(offset);
  for (let i = 0; i < ranked.length; i += PAGE) {
    const page = ranked.slice(i, i + PAGE);
    const dumps = keepDumps ? undefined : await loadRowDumps(db, def.project_id, page.map((c) => c.digest));
    for (const c of page) {
      const dump = c.dump ?? dumps?.get(c.digest);
      if (dump !== undefined) yield { digest: c.digest, val: rowValueOut(dump), original_index: c.index };
    }
  }
}
