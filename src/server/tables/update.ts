/**
 * `table_update` (weave-semantics.md §5.3): append / pop / insert applied in order to a copy of the
 * base table's row list, giving a new table. The base is never changed (tables are immutable and
 * content-addressed); the new list is written in one transaction with bulk puts.
 */
import { WeftError } from "../../errors";
import type { TableUpdateReq, TableUpdateRes } from "../../schema/tables";
import type { ServerContext } from "../context";
import type { RowValueRow } from "../db";
import { strDigests, tableDigestAsync } from "../digest-async";
import { getTableDef, readAllEntries, storeTable } from "./entries";
import { dumpRow, storeRows } from "./rows";

function outOfRange(path: string, index: number, length: number): WeftError {
  // Weave raises ValueError("Index out of range") for both pop and insert (§5.3).
  return new WeftError("VALIDATION", `Index out of range: ${path} is ${index}, but the table has ${length} rows at that update`, {
    issues: [{ path, message: "Index out of range" }],
  });
}

/**
 * `table_update` (§5.3). `updated_row_digests` lists, per update, the digest appended, inserted or
 * popped; the new digest is §1.3 over the final list.
 * @throws WeftError `NOT_FOUND` "Table <project>:<digest> not found" when the base is missing;
 *   `VALIDATION` "Index out of range" for a pop outside `0 ≤ i < len` or an insert outside
 *   `0 ≤ i ≤ len`, or a row that is not a dict (nothing stored on any of them);
 *   `STORAGE`/`QUOTA_EXCEEDED` from IndexedDB.
 */
export async function tableUpdate(ctx: ServerContext, req: TableUpdateReq): Promise<TableUpdateRes> {
  const db = ctx.db;
  const projectId = req.project_id;
  const base = await getTableDef(db, projectId, req.base_digest);
  if (!base) {
    throw new WeftError("NOT_FOUND", `Table ${projectId}:${req.base_digest} not found`, { digest: req.base_digest });
  }
  // The base is immutable, so reading it outside the write transaction cannot race with anything.
  // A position holds a row digest, or (a number) the index in `dumps` of a new row: new rows are
  // dumped (and checked) in update order, then hashed together.
  const positions: Array<string | number> = await readAllEntries(db, base);
  const dumps: string[] = [];
  const updated: Array<string | number> = [];
  req.updates.forEach((update, i) => {
    if ("append" in update) {
      const row = dumps.push(dumpRow(update.append.row, `updates[${i}].append.row`)) - 1;
      positions.push(row);
      updated.push(row);
    } else if ("pop" in update) {
      const index = update.pop.index;
      if (index < 0 || index >= positions.length) throw outOfRange(`updates[${i}].pop.index`, index, positions.length);
      updated.push(positions.splice(index, 1)[0] as string | number);
    } else {
      const index = update.insert.index;
      if (index < 0 || index > positions.length) throw outOfRange(`updates[${i}].insert.index`, index, positions.length);
      const row = dumps.push(dumpRow(update.insert.row, `updates[${i}].insert.row`)) - 1;
      positions.splice(index, 0, row);
      updated.push(row);
    }
  });
  const newDigests = await strDigests(dumps);
  const digestOf = (p: string | number): string => (typeof p === "number" ? (newDigests[p] as string) : p);
  const digests = positions.map(digestOf);
  const newRows: RowValueRow[] = dumps.map((valDump, i) => ({ project_id: projectId, digest: newDigests[i] as string, val_dump: valDump }));
  const digest = await tableDigestAsync(digests);
  await db.transaction("rw", [db.row_values, db.table_defs, db.table_entries], async () => {
    await storeRows(db, newRows);
    await storeTable(db, projectId, digest, digests, ctx.now());
  });
  return { digest, updated_row_digests: updated.map(digestOf) };
}
