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
import { applyEnd, applyStart, emptyCallRow, type EndDumps, endDumps, refreshIndexKeys, type StartDumps, startDumps, type StartPart } from "./rows";

/** One part of a call to store. */
export type CallPart =
  | { kind: "start"; start: StartedCallSchemaForInsert }
  | { kind: "end"; end: EndedCallSchemaForInsert };

/** A part to apply, with its JSON text computed once whichever row it lands on. */
type ReadyPart = { kind: "start"; start: StartPart; dumps: StartDumps } | { kind: "end"; end: EndedCallSchemaForInsert; dumps: EndDumps };

interface PendingRow {
  projectId: string;
  id: string;
  parts: ReadyPart[];
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
      entry = { projectId, id, parts: [] };
      pending.set(key, entry);
    }
    return entry;
  };
  for (const part of parts) {
    if (part.kind === "start") {
      const given = part.start;
      // Clients (weft's own included) send both ids; copy the part only to fill one in.
      const start: StartPart =
        given.id != null && given.trace_id != null
          ? (given as StartPart)
          : { ...given, id: given.id ?? uuidv7(), trace_id: given.trace_id ?? uuidv7() };
      results.push({ id: start.id, trace_id: start.trace_id });
      touch(start.project_id, start.id).parts.push({ kind: "start", start, dumps: startDumps(start) });
    } else {
      const end = part.end;
      results.push({});
      touch(end.project_id, end.id).parts.push({ kind: "end", end, dumps: endDumps(end) });
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
  for (const part of entry.parts) {
    if (part.kind === "start") applyStart(row, part.start, part.dumps);
    else applyEnd(row, part.end, part.dumps);
  }
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
