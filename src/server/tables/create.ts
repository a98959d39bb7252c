/**
 * `table_create` and `table_create_from_digests` (weave-semantics.md §5.1, §5.2, §1.3, §1.5).
 *
 * Everything that can fail without storage (row shape, hashing, `expected_digest`) runs before the
 * transaction opens, so a failing request stores nothing (D-17); the rows and the table are then
 * written in one read-write transaction.
 */
import { WeftError } from "../../errors";
import type {
  TableCreateFromDigestsReq,
  TableCreateFromDigestsRes,
  TableCreateReq,
  TableCreateRes,
} from "../../schema/tables";
import type { ServerContext } from "../context";
import { tableDigestAsync } from "../digest-async";
import { storeTable } from "./entries";
import { prepareRows, storeRows } from "./rows";

/**
 * Weave HEAD's `DigestMismatchError` (§1.5): the client computed another digest than the server.
 * @throws WeftError `DIGEST_MISMATCH` when `expected` is given and differs from `digest`.
 */
export function checkExpectedDigest(expected: string | null | undefined, digest: string, what: string): void {
  if (expected == null || expected === digest) return;
  throw new WeftError("DIGEST_MISMATCH", `Digest mismatch: client ${what} digest ${expected} != server digest ${digest}`, {
    expected_digest: expected,
    digest,
  });
}

/**
 * `table_create` (§5.1): row digests in input order (duplicates kept), each distinct row stored once
 * per project, the table stored once per digest with its ordered list.
 * @throws WeftError `VALIDATION` for a row that is not a dict ("All rows must be dictionaries") or holds
 *   a malformed ref; `DIGEST_MISMATCH` when `table.expected_digest` differs (nothing stored on either);
 *   `STORAGE`/`QUOTA_EXCEEDED` from IndexedDB.
 */
export async function tableCreate(ctx: ServerContext, req: TableCreateReq): Promise<TableCreateRes> {
  const { project_id: projectId, rows, expected_digest: expected } = req.table;
  const prepared = await prepareRows(projectId, rows, (i) => `table.rows[${i}]`);
  const rowDigests = prepared.map((r) => r.digest);
  const digest = await tableDigestAsync(rowDigests);
  checkExpectedDigest(expected, digest, "table");
  const db = ctx.db;
  await db.transaction("rw", [db.row_values, db.table_defs, db.table_entries], async () => {
    await storeRows(db, prepared);
    await storeTable(db, projectId, digest, rowDigests, ctx.now());
  });
  return { digest, row_digests: rowDigests };
}

/**
 * `table_create_from_digests` (§5.2): a table over row digests already sent (the SDK's chunked
 * upload: `table_create` per chunk, then one table over all digests, D-02). Like Weave, the rows are
 * not checked to exist; a position whose row is missing is left out of query results.
 * @throws WeftError `DIGEST_MISMATCH` when `expected_digest` differs (nothing stored);
 *   `STORAGE`/`QUOTA_EXCEEDED` from IndexedDB.
 */
export async function tableCreateFromDigests(ctx: ServerContext, req: TableCreateFromDigestsReq): Promise<TableCreateFromDigestsRes> {
  const digest = await tableDigestAsync(req.row_digests);
  checkExpectedDigest(req.expected_digest, digest, "table");
  const db = ctx.db;
  await db.transaction("rw", [db.table_defs, db.table_entries], () => storeTable(db, req.project_id, digest, req.row_digests, ctx.now()));
  return { digest };
}
