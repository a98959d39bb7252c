/**
 * Table row values (store `row_values`): hashing a row the way Weave does, storing each distinct row
 * once per project, and reading values back (weave-semantics.md §1.3, §5).
 *
 * A row is hashed and stored as the Python `json.dumps(row, sort_keys=True)` text of its internal-ref
 * form (D-06): the stored text is exactly the hashed text, as at Weave HEAD, so its length is also the
 * row's storage size (§5.5) and reads return keys in sorted order, as HEAD does. Values go out with
 * refs in external form.
 */
import { Dexie } from "dexie";
import { WeftError } from "../../errors";
import { NON_DICT_ROW_MESSAGE } from "../../schema/tables";
import type { ServerContext } from "../context";
import type { RowValueRow, WeftDb } from "../db";
import { strDigest } from "../digest";
import { strDigests } from "../digest-async";
import { pythonJsonDumps } from "../python-json";
import { toExternalRefs, toInternalRefs } from "../refs/convert";
import { getTableDef, scanEntries } from "./entries";

function isDict(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.prototype.toString.call(value) === "[object Object]";
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  const tag = Object.prototype.toString.call(value).slice(8, -1);
  return typeof value === "object" ? `a ${tag}` : `a ${typeof value}`;
}

/**
 * A row's stored text: the Python JSON dump of its internal-ref form (§1.3, D-06).
 * @param path where the row sits in the request, for the error message.
 * @throws WeftError `VALIDATION` "All rows must be dictionaries" for anything but a plain object (§1.3,
 *   TB-20), a malformed ref inside the row, or a value Python's json cannot write.
 */
export function dumpRow(row: unknown, path: string): string {
  if (!isDict(row)) {
    throw new WeftError("VALIDATION", `${NON_DICT_ROW_MESSAGE}: ${path} is ${describe(row)}`, {
      issues: [{ path, message: NON_DICT_ROW_MESSAGE }],
    });
  }
  return pythonJsonDumps(toInternalRefs(row));
}

/**
 * A row ready to store: digest and dump of its internal-ref form (§1.3), hashed synchronously.
 * @param path where the row sits in the request, for the error message.
 * @throws WeftError `VALIDATION` as `dumpRow`.
 */
export function prepareRow(projectId: string, row: unknown, path: string): RowValueRow {
  const valDump = dumpRow(row, path);
  // The dump is ASCII (ensure_ascii), so this equals `valueDigest` without dumping twice.
  return { project_id: projectId, digest: strDigest(valDump), val_dump: valDump };
}

/** Rows dumped per step before their hashing starts, so hashing runs while later rows are dumped. */
const HASH_CHUNK = 1000;

/**
 * `prepareRow` of many rows, in order: each chunk of rows is dumped, then hashed with WebCrypto
 * (digest-async.ts) while the next chunk is dumped. Every row is dumped (and so checked) before
 * this resolves: a bad row rejects it with nothing stored yet.
 * @param pathOf where row `i` sits in the request, for the error message.
 * @throws WeftError `VALIDATION` as `dumpRow`, for the first bad row.
 */
export async function prepareRows(projectId: string, rows: readonly unknown[], pathOf: (i: number) => string): Promise<RowValueRow[]> {
  const dumps = new Array<string>(rows.length);
  const hashed: Array<Promise<string[]>> = [];
  try {
    for (let start = 0; start < rows.length; start += HASH_CHUNK) {
      const end = Math.min(rows.length, start + HASH_CHUNK);
      for (let i = start; i < end; i++) dumps[i] = dumpRow(rows[i], pathOf(i));
      hashed.push(strDigests(dumps.slice(start, end)));
    }
  } catch (error) {
    // Chunks already hashing are abandoned; settle them so none can surface as an unhandled rejection.
    void Promise.allSettled(hashed);
    throw error;
  }
  const digests = (await Promise.all(hashed)).flat();
  return dumps.map((valDump, i) => ({ project_id: projectId, digest: digests[i] as string, val_dump: valDump }));
}

/**
 * The bounds of a project's whole `row_values` key range (`[project_id, digest]` keys).
 * @returns `[lower, upper]`, both inclusive.
 */
export function projectRowRange(projectId: string): [[string, unknown], [string, unknown]] {
  return [
    [projectId, Dexie.minKey],
    [projectId, Dexie.maxKey],
  ];
}

/**
 * The digests of every row value of `projectId`, or undefined when it holds more than `atMost`.
 * One `getAllKeys` over the project's range, capped, so it never reads a large project's keys.
 * @throws Dexie errors from IndexedDB (the server turns them into `STORAGE`).
 */
async function projectRowDigests(db: WeftDb, projectId: string, atMost: number): Promise<Set<string> | undefined> {
  const [lower, upper] = projectRowRange(projectId);
  const keys = await db.row_values.where(":id").between(lower, upper, true, true).limit(atMost + 1).primaryKeys();
  return keys.length > atMost ? undefined : new Set(keys.map((key) => key[1]));
}

/**
 * Adds the rows that are not stored yet; call inside a read-write transaction over `row_values`.
 * A digest names one text, so an existing row is already the right one and is never rewritten
 * (§5.1 "rows stored once"). Two ways to skip the existing ones, with no read per row:
 * - when the project holds no more rows than are being written (a new project, a first dataset),
 *   its keys are read in one capped `getAllKeys` and only the missing rows are `put`: IndexedDB's
 *   `put` writes blindly, where `add` first looks the key up;
 * - otherwise `bulkAdd` lets IndexedDB's own key check skip the rows that exist (a ConstraintError
 *   each, which Dexie keeps from aborting the transaction).
 * @throws Dexie errors from IndexedDB other than "already exists" (the server turns them into
 *   `STORAGE`/`QUOTA_EXCEEDED`).
 */
export async function storeRows(db: WeftDb, rows: Iterable<RowValueRow>): Promise<void> {
  const distinct = new Map<string, RowValueRow>();
  const projects = new Set<string>();
  for (const row of rows) {
    distinct.set(row.digest, row);
    projects.add(row.project_id);
  }
  if (distinct.size === 0) return;
  // Reading up to as many keys as rows are written costs about what the `add` checks would.
  const [projectId] = projects;
  const existing = projects.size === 1 ? await projectRowDigests(db, projectId as string, distinct.size) : undefined;
  if (existing) {
    const missing: RowValueRow[] = [];
    for (const row of distinct.values()) if (!existing.has(row.digest)) missing.push(row);
    await db.row_values.bulkPut(missing);
    return;
  }
  try {
    await db.row_values.bulkAdd([...distinct.values()]);
  } catch (error) {
    const onlyExisting = error instanceof Dexie.BulkError && error.failures.every((f) => f.name === "ConstraintError");
    if (!onlyExisting) throw error;
  }
}

/**
 * The stored dumps of `digests` (distinct ones read once); rows never stored are absent from the map.
 * @throws Dexie errors from IndexedDB (the server turns them into `STORAGE`).
 */
export async function loadRowDumps(db: WeftDb, projectId: string, digests: Iterable<string>): Promise<Map<string, string>> {
  const distinct = [...new Set(digests)];
  const found = await db.row_values.bulkGet(distinct.map((d) => [projectId, d] as [string, string]));
  const out = new Map<string, string>();
  found.forEach((row, i) => {
    if (row) out.set(distinct[i] as string, row.val_dump);
  });
  return out;
}

/**
 * A stored dump as the API returns it: parsed, refs in external form.
 * @throws WeftError `VALIDATION` for a malformed internal ref (never stored: `prepareRow` refuses them).
 */
export function rowValueOut(valDump: string): unknown {
  return toExternalRefs(JSON.parse(valDump) as unknown);
}

/**
 * A row of a table, for ref resolution (`.../table/<digest>/id/<row digest>`, §6.3): found only when
 * the row is a member of that table (as ClickHouse checks) and its value is stored.
 * @param projectId the external project id (`entity/project`).
 * @returns `{found: true, val}` with refs in external form, or `{found: false}`.
 * @throws WeftError `STORAGE` when IndexedDB fails.
 */
export async function getTableRowValue(
  ctx: ServerContext,
  projectId: string,
  tableDigest: string,
  rowDigest: string,
): Promise<{ found: boolean; val?: unknown }> {
  const def = await getTableDef(ctx.db, projectId, tableDigest);
  if (!def) return { found: false };
  const row = await ctx.db.row_values.get([projectId, rowDigest]);
  if (!row) return { found: false };
  // Membership needs the table's list; a scan with early exit, a few chunks at a time.
  for await (const slice of scanEntries(ctx.db, projectId, tableDigest, def.row_count)) {
    if (slice.digests.includes(rowDigest)) return { found: true, val: rowValueOut(row.val_dump) };
  }
  return { found: false };
}
