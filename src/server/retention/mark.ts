/**
 * The mark phase of `purge`: which objects, tables, rows and files the deleted traces may have been
 * the last to use (the candidates), and which of those something else still reaches (live).
 *
 * Candidates are everything reachable from what the deleted calls and feedback named, following
 * refs through object values and table rows. Only candidates can be swept: an object no purged
 * trace reached stays even if nothing references it (it was published on its own, e.g. a Dataset).
 * Roots — what keeps a candidate — are the remaining calls and feedback, every object version and
 * table row that is not itself a candidate, and (with `keepLatest`) each object's latest version.
 * Liveness then flows from roots along the candidates' own refs.
 */
import type { ObjectRow, WeftDb } from "../db";
import { readAllEntries } from "../tables/entries";
import { objectKey, walkDump, walkFeedback, walkObject, type ProjectScope } from "./nodes";
import { READ_CHUNK, scanProject } from "./scan";

/** The candidates and the refs between them. */
export interface Candidates {
  /** Each candidate's node key → the node keys it names (candidates or not). */
  edges: Map<string, string[]>;
  /** object_id → its candidate versions' keys, to resolve `O:<name>` refs. */
  byName: Map<string, string[]>;
  /** Candidate object versions flagged latest. */
  latest: Set<string>;
}

function objectKeyParts(key: string): [string, string] {
  const colon = key.lastIndexOf(":");
  return [key.slice(2, colon), key.slice(colon + 1)];
}

function collect(walk: (sink: (key: string) => void) => void): string[] {
  const found = new Set<string>();
  walk((key) => found.add(key));
  return [...found];
}

async function inChunks<T>(items: readonly T[], fn: (chunk: T[]) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += READ_CHUNK) await fn(items.slice(i, i + READ_CHUNK));
}

/**
 * Follows refs from `seeds` through the project's stored objects, tables and rows; every node that
 * exists becomes a candidate. Alias refs (`O:`) make no candidate (see `nodes.ts`).
 * @throws Dexie errors from IndexedDB.
 */
export async function findCandidates(db: WeftDb, projectId: string, scope: ProjectScope, seeds: Iterable<string>): Promise<Candidates> {
  const c: Candidates = { edges: new Map(), byName: new Map(), latest: new Set() };
  const seen = new Set<string>();
  let frontier = [...seeds];
  while (frontier.length > 0) {
    const byKind = { o: [] as string[], t: [] as string[], r: [] as string[], f: [] as string[] };
    for (const key of frontier) {
      if (seen.has(key)) continue;
      seen.add(key);
      const kind = key[0] as keyof typeof byKind;
      if (kind in byKind) byKind[kind].push(key);
    }
    await inChunks(byKind.o, async (keys) => {
      const rows = await db.objects.bulkGet(keys.map((k) => [projectId, ...objectKeyParts(k)] as [string, string, string]));
      rows.forEach((row: ObjectRow | undefined, i) => {
        if (!row) return;
        const key = keys[i] as string;
        c.edges.set(key, collect((sink) => walkObject(row, sink, scope)));
        c.byName.set(row.object_id, [...(c.byName.get(row.object_id) ?? []), key]);
        if (row.is_latest === 1) c.latest.add(key);
      });
    });
    for (const key of byKind.t) {
      const def = await db.table_defs.get([projectId, key.slice(2)]);
      if (def) c.edges.set(key, [...new Set(await readAllEntries(db, def))].map((d) => `r:${d}`));
    }
    await inChunks(byKind.r, async (keys) => {
      const rows = await db.row_values.bulkGet(keys.map((k) => [projectId, k.slice(2)] as [string, string]));
      rows.forEach((row, i) => {
        if (row) c.edges.set(keys[i] as string, collect((sink) => walkDump(row.val_dump, sink, scope)));
      });
    });
    await inChunks(byKind.f, async (keys) => {
      const rows = await db.files.bulkGet(keys.map((k) => [projectId, k.slice(2)] as [string, string]));
      rows.forEach((row, i) => {
        if (row) c.edges.set(keys[i] as string, []);
      });
    });
    frontier = [];
    for (const key of [...byKind.o, ...byKind.t, ...byKind.r]) {
      for (const next of c.edges.get(key) ?? []) if (!seen.has(next)) frontier.push(next);
    }
  }
  return c;
}

/**
 * Adds to `roots` what the rest of the project names that could keep a candidate: feedback, object
 * versions and table rows that are not candidates, rows of non-candidate tables that are candidate
 * rows too (rows are shared between tables), and with `keepLatest` the latest candidate versions.
 * Read-only passes over those stores, in chunks.
 * @throws Dexie errors from IndexedDB.
 */
export async function collectRoots(
  db: WeftDb,
  projectId: string,
  scope: ProjectScope,
  c: Candidates,
  roots: Set<string>,
  keepLatest: boolean,
): Promise<void> {
  const add = (key: string): void => void roots.add(key);
  if (keepLatest) for (const key of c.latest) roots.add(key);
  await scanProject(db.feedback, projectId, (rows) => {
    for (const row of rows) walkFeedback(row, add, scope);
  });
  await scanProject(db.objects, projectId, (rows) => {
    for (const row of rows) if (!c.edges.has(objectKey(row.object_id, row.digest))) walkObject(row, add, scope);
  });
  await scanProject(db.table_entries, projectId, (rows) => {
    for (const entry of rows) {
      if (c.edges.has(`t:${entry.table_digest}`)) continue;
      for (const digest of entry.row_digests) if (c.edges.has(`r:${digest}`)) roots.add(`r:${digest}`);
    }
  });
  await scanProject(db.row_values, projectId, (rows) => {
    // Rows outside candidate tables (in other tables, or in none) are roots; candidate rows are
    // reached, or not, through their tables.
    for (const row of rows) if (!c.edges.has(`r:${row.digest}`)) walkDump(row.val_dump, add, scope);
  });
}

/**
 * Marks live every candidate reachable from `keys` (node keys; `O:<name>` reaches all candidate
 * versions of the name), following the candidates' refs. Adds to `live` in place.
 * @throws never
 */
export function markLive(c: Candidates, keys: Iterable<string>, live: Set<string>): void {
  const stack: string[] = [];
  const push = (key: string): void => {
    if (key.startsWith("O:")) {
      for (const version of c.byName.get(key.slice(2)) ?? []) push(version);
    } else if (c.edges.has(key) && !live.has(key)) {
      live.add(key);
      stack.push(key);
    }
  };
  for (const key of keys) push(key);
  for (let key = stack.pop(); key !== undefined; key = stack.pop()) {
    for (const next of c.edges.get(key) ?? []) push(next);
  }
}
