/**
 * Writing call parts: `call_start`, `call_end`, `call_start_batch` (weave-semantics.md §2.2–2.4).
 * A batch is one IndexedDB transaction: either every part is stored or none is. The start and end of
 * the same call in one batch become one row write.
 */
import { v7 as uuidv7 } from "uuid";
import type {
  CallCreateBatchReq,
  CallCreateBatchRes,
  CallEndRes,
  CallStartRes,
  EndedCallSchemaForInsert,
  StartedCallSchemaForInsert,
} from "../../schema/calls";
import type { ServerContext } from "../context";
import type { CallRow, WeftDb } from "../db";
import { applyEnd, applyStart, emptyCallRow, endDumps, refreshIndexKeys, startDumps } from "./rows";

/** One part of a call to store. */
export type CallPart =
  | { kind: "start"; start: StartedCallSchemaForInsert }
  | { kind: "end"; end: EndedCallSchemaForInsert };

interface PendingRow {
  projectId: string;
  id: string;
  apply: Array<(row: CallRow) => void>;
}

/**
 * Stores parts in order, in one transaction, merging them into whatever is already stored.
 * Starts get uuidv7 `id`/`trace_id` when absent (ClickHouse behaviour, §2.2).
 */
export async function writeCallParts(ctx: ServerContext, parts: readonly CallPart[]): Promise<Array<CallStartRes | CallEndRes>> {
  const results: Array<CallStartRes | CallEndRes> = [];
  const pending = new Map<string, PendingRow>();
  const touch = (projectId: string, id: string): PendingRow => {
    const key = `${projectId}\n${id}`;
    let entry = pending.get(key);
    if (!entry) {
      entry = { projectId, id, apply: [] };
      pending.set(key, entry);
    }
    return entry;
  };
  for (const part of parts) {
    if (part.kind === "start") {
      const id = part.start.id ?? uuidv7();
      const traceId = part.start.trace_id ?? uuidv7();
      const start = { ...part.start, id, trace_id: traceId };
      results.push({ id, trace_id: traceId });
      // Each part's JSON text once, whichever row it is applied to below.
      const dumps = startDumps(start);
      touch(start.project_id, id).apply.push((row) => applyStart(row, start, dumps));
    } else {
      const end = part.end;
      results.push({});
      const dumps = endDumps(end);
      touch(end.project_id, end.id).apply.push((row) => applyEnd(row, end, dumps));
    }
  }
  if (pending.size === 0) return results;

  // Rows are built before the transaction opens, so that work overlaps the previous batch's
  // transaction instead of lengthening this one.
  const entries = [...pending.values()];
  const fresh = entries.map((entry) => applyParts(emptyCallRow(entry.projectId, entry.id), entry));
  const db = ctx.db;
  await db.transaction("rw", db.calls, async () => {
    const existing = await loadExisting(db, entries);
    // A call already stored (a part in an earlier batch) is merged into its row instead; rows read
    // from Dexie are shared (cache "immutable"), so copy before changing. The parts' dumps were
    // computed once, above.
    const rows =
      existing.size === 0
        ? fresh
        : entries.map((entry, i) => {
            const stored = existing.get(`${entry.projectId}\n${entry.id}`);
            return stored ? applyParts({ ...stored }, entry) : (fresh[i] as CallRow);
          });
    await db.calls.bulkPut(rows);
  });
  return results;
}

/** Applies `entry`'s parts to `row` in order and refreshes its index keys; returns `row`. */
function applyParts(row: CallRow, entry: PendingRow): CallRow {
  for (const apply of entry.apply) apply(row);
  refreshIndexKeys(row);
  return row;
}

/**
 * Finds the already-stored rows among `entries`. Fresh uuidv7 ids of one batch sit close together,
 * so one key-only range read per project usually proves none of them exist yet; only ids that do
 * exist (ends of calls started in an earlier batch) are fetched.
 */
async function loadExisting(db: WeftDb, entries: readonly PendingRow[]): Promise<Map<string, CallRow>> {
  const byProject = new Map<string, string[]>();
  for (const e of entries) {
    const ids = byProject.get(e.projectId);
    if (ids) ids.push(e.id);
    else byProject.set(e.projectId, [e.id]);
  }
  const wanted: Array<[string, string]> = [];
  for (const [projectId, ids] of byProject) {
    let min = ids[0] as string;
    let max = min;
    for (const id of ids) {
      if (id < min) min = id;
      if (id > max) max = id;
    }
    const cap = ids.length * 4 + 16;
    const keys = (await db.calls
      .where("[project_id+id]")
      .between([projectId, min], [projectId, max], true, true)
      .limit(cap)
      .primaryKeys()) as unknown as Array<[string, string]>;
    if (keys.length >= cap) {
      // The range is crowded with older calls: fetching each id is cheaper than listing the range.
      for (const id of ids) wanted.push([projectId, id]);
    } else {
      const requested = new Set(ids);
      for (const key of keys) if (requested.has(key[1])) wanted.push(key);
    }
  }
  const found = new Map<string, CallRow>();
  if (wanted.length === 0) return found;
  const rows = await db.calls.bulkGet(wanted);
  for (const row of rows) if (row) found.set(`${row.project_id}\n${row.id}`, row);
  return found;
}

/** `call_start_batch`: the parts of `/call/upsert_batch`, in order, in one transaction (§2.4). */
export async function callStartBatch(ctx: ServerContext, req: CallCreateBatchReq): Promise<CallCreateBatchRes> {
  const parts: CallPart[] = req.batch.map((item) =>
    item.mode === "start" ? { kind: "start", start: item.req.start } : { kind: "end", end: item.req.end },
  );
  return { res: await writeCallParts(ctx, parts) };
}
