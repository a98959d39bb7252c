/**
 * Raw-IndexedDB baseline of `refs_read_batch`: object versions stored as weft stores them (its
 * `objects` store, keyed [project_id, object_id, digest], the rows built with weft's own value
 * processing and digest before the clock starts), read back by key for a batch of refs, parsed and
 * walked along each ref's extra path. What it leaves out is everything weft adds around IndexedDB.
 */
import type { ObjectRow } from "../../src/server/db";
import { strDigest } from "../../src/server/digest";
import { objectKind, processIncomingObjectVal } from "../../src/server/objects/process-val";
import { withState } from "../../src/server/objects/rows";
import { pythonJsonDumps } from "../../src/server/python-json";
import { internalRefsIn, toInternalRefs } from "../../src/server/refs/convert";
import { committed, freshName, getEach, OBJECTS_STORE, openFresh, type BaselineRep } from "./raw-idb";
import { BENCH_PROJECT } from "./synthetic";
import { objectRef, REF_OBJECTS, refExtra, syntheticObject } from "./synthetic-rows";

const STORE = "objects";
const WEAVE_PREFIX = "weave:///";

/** The object rows and the refs to read, computed once. */
function prepare(): { rows: ObjectRow[]; refs: string[] } {
  const rows: ObjectRow[] = [];
  const refs: string[] = [];
  const created = Date.now();
  for (let i = 0; i < REF_OBJECTS; i++) {
    const { object_id, val } = syntheticObject(i);
    const processed = processIncomingObjectVal(toInternalRefs(val), null);
    const valDump = pythonJsonDumps(processed.val);
    const digest = strDigest(valDump);
    const versionIndex = rows.filter((r) => r.object_id === object_id).length;
    rows.push(
      withState({
        project_id: BENCH_PROJECT,
        object_id,
        digest,
        kind: objectKind(processed.val),
        base_object_class: processed.baseObjectClass,
        leaf_object_class: processed.leafObjectClass,
        created_at: created + i,
        version_index: versionIndex,
        is_latest: 0,
        val_dump: valDump,
        refs: internalRefsIn(processed.val),
        wb_user_id: "local",
      }),
    );
    refs.push(objectRef(object_id, digest, refExtra(i)));
  }
  return { rows, refs };
}

let fixture: { db: IDBDatabase; refs: string[] } | null = null;

/** The database holding the object versions (filled untimed on first use). */
async function objectsDb(): Promise<{ db: IDBDatabase; refs: string[] }> {
  if (fixture) return fixture;
  const { rows, refs } = prepare();
  const db = await openFresh(freshName("baseline-objects"), { [STORE]: OBJECTS_STORE });
  const tx = db.transaction(STORE, "readwrite");
  for (const row of rows) tx.objectStore(STORE).put(row);
  await committed(tx);
  fixture = { db, refs };
  return fixture;
}

/** A `key`/`attr`/`index` edge, lenient like weft's: a missing key or index is null. */
function walk(val: unknown, extra: readonly string[]): unknown {
  for (let i = 0; i < extra.length && val !== null && val !== undefined; i += 2) {
    const arg = extra[i + 1] as string;
    if (extra[i] === "index") val = Array.isArray(val) ? (val[Number(arg)] ?? null) : null;
    else val = typeof val === "object" && !Array.isArray(val) && Object.hasOwn(val, arg) ? (val as Record<string, unknown>)[arg] : null;
  }
  return val ?? null;
}

export const refsBaselines = {
  /** R1's database, filled now (untimed) so the driver can let the storage settle before timing. */
  async prepareRefs(): Promise<void> {
    await objectsDb();
  },

  /** R1: every ref of the batch parsed, its object row read by key (one transaction), parsed and walked. */
  async refsReadBatch(): Promise<BaselineRep> {
    const { db, refs } = await objectsDb();
    const start = performance.now();
    const parsed = refs.map((ref) => {
      const [entity, project, , nameVersion = "", ...extra] = ref.slice(WEAVE_PREFIX.length).split("/");
      const [name = "", digest = ""] = nameVersion.split(":");
      return { key: [`${entity}/${project}`, name, digest], extra };
    });
    const vals: unknown[] = new Array<unknown>(parsed.length).fill(null);
    await getEach(
      db.transaction(STORE).objectStore(STORE),
      parsed.map((p) => p.key),
      (value, i) => {
        if (value) vals[i] = walk(JSON.parse((value as ObjectRow).val_dump) as unknown, parsed[i]?.extra ?? []);
      },
    );
    return { ms: performance.now() - start, rows: vals.length, count: vals.filter((v) => v !== null).length };
  },
};
