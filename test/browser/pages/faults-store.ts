/**
 * Store-side helpers of the fault pages: the calls they trace (ids and contents derived from a group
 * and an index, so a reader can tell whole rows from damaged ones), a raw IndexedDB reader that sees
 * every stored row (also the ones weft's queries hide, e.g. an end without its start), and a
 * "newer weft" that opens the database with Dexie at `SCHEMA_VERSION + 1`.
 */
import { Dexie } from "dexie";
import { SCHEMA_VERSION, WeftDb, type CallRow } from "../../../src/server/db";

/** The id of call `i` of group `g`. */
export const callId = (prefix: string, g: number, i: number): string => `${prefix}-g${String(g).padStart(3, "0")}-i${String(i).padStart(6, "0")}`;
const ID = /^(.*)-g(\d{3})-i(\d{6})$/;

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * `chars` characters: the call's id, then pseudo-random text seeded by it. Random, because Chromium
 * compresses IndexedDB values: repeated text would never fill a quota.
 */
const textOf = (prefix: string, g: number, i: number, chars: number): string => {
  const head = `${callId(prefix, g, i)}:`;
  let x = 2166136261;
  for (let k = 0; k < head.length; k++) x = Math.imul(x ^ head.charCodeAt(k), 16777619) >>> 0;
  const out: string[] = [head];
  for (let k = head.length; k < chars; k++) {
    // xorshift32
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out.push(ALPHABET[x & 63] as string);
  }
  return out.join("");
};
const inputsOf = (prefix: string, g: number, i: number, chars: number) => ({ g, i, text: textOf(prefix, g, i, chars) });
const outputOf = (g: number, i: number) => ({ g, i, sum: g * 1_000_000 + i });
const STARTED_AT = "2025-06-01T12:00:00.000Z";
const ENDED_AT = "2025-06-01T12:00:01.000Z";

/** The start of call (g, i). */
export function startOf(project: string, prefix: string, g: number, i: number, chars: number) {
  const id = callId(prefix, g, i);
  return { project_id: project, id, trace_id: id, op_name: `${prefix}_op`, started_at: STARTED_AT, attributes: { g }, inputs: inputsOf(prefix, g, i, chars) };
}

/** The end of call (g, i). */
export function endOf(project: string, prefix: string, g: number, i: number) {
  return { project_id: project, id: callId(prefix, g, i), ended_at: ENDED_AT, summary: {}, output: outputOf(g, i) };
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error("IndexedDB request failed"));
  });
}

/** Every row of the `calls` store of `db` (raw IndexedDB, whatever its version), for `project`. */
export async function rawCallRows(db: string, project: string): Promise<CallRow[]> {
  const open = indexedDB.open(db);
  const conn = await request(open);
  // Never hold up another tab's upgrade.
  conn.onversionchange = () => conn.close();
  try {
    const range = IDBKeyRange.bound([project, ""], [project, "\uffff"]);
    return (await request(conn.transaction("calls").objectStore("calls").getAll(range))) as CallRow[];
  } finally {
    conn.close();
  }
}

/** Per group: how many calls have their start stored, and how many their end. */
export interface GroupState {
  starts: number;
  ends: number;
  /** Highest index stored, -1 when none (with `starts` it shows whether the indexes are 0..n-1). */
  maxIndex: number;
}

/** What the raw rows of one traced prefix hold. */
export interface RawVerdict {
  rows: number;
  groups: Record<number, GroupState>;
  /** Rows with an end but no start (weft hides them; a half-written start/end pair would show here). */
  endOnly: number;
  /** Rows whose stored fields differ from what was traced (first 5 described). */
  damaged: string[];
  damagedCount: number;
  /** Per group, the index ranges missing below its highest stored index (first 5), to tell a lost middle from a lost tail. */
  gaps: Record<number, string>;
}

const same = (dump: string | undefined, value: unknown): boolean => dump !== undefined && dump === JSON.stringify(value);

/**
 * Reads the raw rows of `prefix` and checks each against what was traced: a start must bring its
 * op name, attributes, inputs and start time; an end its output, summary and end time.
 */
export async function verifyRaw(db: string, project: string, prefix: string, chars: number): Promise<RawVerdict> {
  const rows = (await rawCallRows(db, project)).filter((r) => r.id.startsWith(`${prefix}-g`));
  const verdict: RawVerdict = { rows: rows.length, groups: {}, endOnly: 0, damaged: [], damagedCount: 0, gaps: {} };
  const seen = new Map<number, Set<number>>();
  const damaged = (row: CallRow, what: string): void => {
    verdict.damagedCount++;
    if (verdict.damaged.length < 5) verdict.damaged.push(`${row.id}: ${what}`);
  };
  for (const row of rows) {
    const m = ID.exec(row.id);
    if (!m || m[1] !== prefix) {
      damaged(row, "unexpected id");
      continue;
    }
    const g = Number(m[2]);
    const i = Number(m[3]);
    const group = (verdict.groups[g] ??= { starts: 0, ends: 0, maxIndex: -1 });
    group.maxIndex = Math.max(group.maxIndex, i);
    if (row.has_start === 1) {
      const indexes = seen.get(g) ?? new Set<number>();
      indexes.add(i);
      seen.set(g, indexes);
    }
    if (row.has_start === 1) {
      group.starts++;
      if (row.op_name !== `${prefix}_op`) damaged(row, `op_name ${String(row.op_name)}`);
      if (!same(row.inputs_dump, inputsOf(prefix, g, i, chars))) damaged(row, `inputs ${String(row.inputs_dump).slice(0, 80)}`);
      if (!same(row.attributes_dump, { g })) damaged(row, `attributes ${String(row.attributes_dump)}`);
      if (row.started_at !== Date.parse(STARTED_AT)) damaged(row, `started_at ${String(row.started_at)}`);
    } else if (row.has_end === 1) {
      verdict.endOnly++;
    }
    if (row.has_end === 1) {
      group.ends++;
      if (!same(row.output_dump, outputOf(g, i))) damaged(row, `output ${String(row.output_dump)}`);
      if (row.summary_dump === undefined) damaged(row, "summary missing");
      if (row.ended_at !== Date.parse(ENDED_AT)) damaged(row, `ended_at ${String(row.ended_at)}`);
    } else if (row.output_dump !== undefined || row.ended_at !== undefined) {
      damaged(row, "end fields without has_end");
    }
  }
  for (const [g, indexes] of seen) {
    const missing: string[] = [];
    let from = -1;
    for (let i = 0; i <= (verdict.groups[g]?.maxIndex ?? -1) + 1; i++) {
      const absent = !indexes.has(i) && i <= (verdict.groups[g]?.maxIndex ?? -1);
      if (absent && from < 0) from = i;
      if (!absent && from >= 0) {
        missing.push(from === i - 1 ? `${from}` : `${from}–${i - 1}`);
        from = -1;
      }
    }
    if (missing.length > 0) verdict.gaps[g] = `${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", …" : ""}`;
  }
  return verdict;
}

/** A Dexie store spec (`"[a+b], *c"`) per table, rebuilt from what `WeftDb` declares. */
export function weftStoresSpec(): Record<string, string> {
  const weft = new WeftDb("faults-spec-probe"); // declared only, never opened
  return Object.fromEntries(weft.tables.map((t) => [t.name, [t.schema.primKey.src, ...t.schema.indexes.map((i) => i.src)].join(", ")]));
}

/** The indexes newer wefts add to `calls`: version `SCHEMA_VERSION + k` adds the first k. */
export const NEWER_INDEXES = ["[project_id+wb_run_id+live_ts+id]", "[project_id+thread_id+live_ts+id]"] as const;

let newer: Dexie | undefined;

/** What opening the database as a newer weft saw. */
export interface UpgradeReport {
  blockedEvents: number;
  ms: number;
  verno: number;
  idbVersion: number;
  indexes: string[];
  calls: number;
  error?: string;
}

/**
 * Opens `db` the way a newer weft would: today's stores at `SCHEMA_VERSION`, then one version per
 * entry of `NEWER_INDEXES` up to `SCHEMA_VERSION + bump`, each adding that index to `calls`
 * (IndexedDB version = Dexie's × 10). The connection stays open (Dexie's default: it closes itself
 * on a later `versionchange`) until `closeNewer()`.
 */
export async function openAsNewerWeft(db: string, project: string, bump = 1): Promise<UpgradeReport> {
  const spec = weftStoresSpec();
  newer?.close();
  newer = new Dexie(db);
  newer.version(SCHEMA_VERSION).stores(spec);
  for (let k = 1; k <= bump; k++) newer.version(SCHEMA_VERSION + k).stores({ calls: [spec.calls, ...NEWER_INDEXES.slice(0, k)].join(", ") });
  let blockedEvents = 0;
  newer.on("blocked", () => void blockedEvents++);
  const t0 = performance.now();
  try {
    await newer.open();
  } catch (error) {
    return { blockedEvents, ms: performance.now() - t0, verno: 0, idbVersion: 0, indexes: [], calls: -1, error: String(error) };
  }
  const ms = performance.now() - t0;
  const backend = newer.backendDB();
  const indexes = Array.from(backend.transaction("calls").objectStore("calls").indexNames);
  const calls = await newerCount(project);
  return { blockedEvents, ms, verno: newer.verno, idbVersion: backend.version, indexes, calls };
}

/** The project's calls counted through the "newer weft" connection (-1 when it is not open). */
export async function newerCount(project: string): Promise<number> {
  if (!newer) return -1;
  return newer.table("calls").where("[project_id+id]").between([project, Dexie.minKey], [project, Dexie.maxKey]).count();
}

/** Closes the "newer weft" connection. */
export function closeNewer(): void {
  newer?.close();
  newer = undefined;
}
