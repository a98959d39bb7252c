/**
 * Reading a table's row values in bulk, for the plans that need every member value (a sorted page,
 * storage sizes).
 *
 * Row values are keyed `[project_id, digest]` and digests are random, so a table's rows are spread
 * evenly over its project's key range: reading them one `get` each costs a random lookup per row,
 * while a key-range `getAll` over the project reads them in storage order at a fraction of that per
 * row. Which one wins depends on how much of the project the table holds, so `memberValues` decides
 * by counts (`SCAN_SHARE`): the project's range in batches when the table's distinct rows are a large
 * enough share of the project's rows, else the member values by key, in key order. Either way each
 * batch's next request is issued before the batch is handed out, so IndexedDB reads while the caller
 * computes. Only one batch of values is held at a time.
 */
import type { RowValueRow, WeftDb } from "../db";
import { projectRowRange } from "./rows";

/** Values per read request, by key range or by key (~1 MB of dumps for dataset-sized rows). */
export const BATCH = 4000;

/**
 * Scan the project's range when the table's distinct rows are at least this share of the project's
 * rows (estimated, see `memberValues`). A range read costs a third to a half of a `get` per row in
 * Chromium (T2's two raw plans, quiet machine: ~16 vs ~48 µs per row at 10k, ~27 vs ~90 µs at 100k;
 * under load the gap narrows), so scanning twice the member count still wins or ties, while
 * scanning a project much larger than the table would cost without bound.
 */
const SCAN_SHARE = 0.5;

/** The project's rows from `from` on, in key order, at most `count`. */
function readRange(db: WeftDb, projectId: string, from: unknown[], inclusive: boolean, count: number): Promise<RowValueRow[]> {
  const [, upper] = projectRowRange(projectId);
  return db.row_values.where(":id").between(from, upper, inclusive, true).limit(count).toArray();
}

/** The values of `digests` (sorted, so the lookups walk storage in order), `BATCH` keys a request. */
async function* getByKey(db: WeftDb, projectId: string, digests: readonly string[]): AsyncGenerator<RowValueRow[]> {
  const read = (at: number): Promise<Array<RowValueRow | undefined>> =>
    db.row_values.bulkGet(digests.slice(at, at + BATCH).map((d) => [projectId, d] as [string, string]));
  let pending = read(0);
  for (let at = 0; at < digests.length; at += BATCH) {
    const found = await pending;
    if (at + BATCH < digests.length) pending = read(at + BATCH);
    yield found.filter((row): row is RowValueRow => row !== undefined);
  }
}

/**
 * Every stored value among `members` (and others of the project: callers skip non-members), a batch
 * at a time, choosing the plan by counts without counting the project. A probe reads the start of
 * the project's key range, as many rows as a scan may read per member (`1 / SCAN_SHARE`): digests
 * are random, so the members' share of the probe estimates their share of the project. A project
 * the probe covers is done; a large share scans on from where the probe ended, each next batch
 * requested before the current one is handed out; a small share looks up by key only the members
 * past the probe.
 * @param members the digests wanted, as map keys (the values are the caller's).
 * @throws Dexie errors from IndexedDB (the server turns them into `STORAGE`).
 */
export async function* memberValues(db: WeftDb, projectId: string, members: ReadonlyMap<string, number>): AsyncGenerator<RowValueRow[]> {
  const probeSize = Math.min(BATCH, Math.ceil(members.size / SCAN_SHARE));
  const probe = await readRange(db, projectId, projectRowRange(projectId)[0], true, probeSize);
  if (probe.length < probeSize) {
    yield probe;
    return;
  }
  let hits = 0;
  for (const row of probe) if (members.has(row.digest)) hits++;
  let last = (probe[probe.length - 1] as RowValueRow).digest;
  if (hits < SCAN_SHARE * probe.length) {
    // Digests compare as IndexedDB orders string keys (by UTF-16 code unit), so `> last` is
    // exactly the members the probe has not passed.
    const rest: string[] = [];
    for (const digest of members.keys()) if (digest > last) rest.push(digest);
    yield probe;
    yield* getByKey(db, projectId, rest.sort());
    return;
  }
  let pending = readRange(db, projectId, [projectId, last], false, BATCH);
  yield probe;
  for (;;) {
    const batch = await pending;
    if (batch.length === BATCH) {
      last = (batch[BATCH - 1] as RowValueRow).digest;
      pending = readRange(db, projectId, [projectId, last], false, BATCH);
    }
    yield batch;
    if (batch.length < BATCH) return;
  }
}
