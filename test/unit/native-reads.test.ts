/**
 * `readIndexRanges`: several index ranges in one read-only transaction with plain IndexedDB, and the
 * same rows through Dexie wherever the plain read does not apply.
 */
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { afterEach, describe, expect, it } from "vitest";
import type { CostRow, FeedbackRow } from "../../src/server/db";
import { WeftDb } from "../../src/server/db";
import { keyRangeOf, readIndexRanges, type IndexRangeRead } from "../../src/server/native-reads";

const P = "acme/app";
const open: WeftDb[] = [];

afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

async function seeded(): Promise<WeftDb> {
  const db = new WeftDb(`native-reads-${open.length}`, { indexedDB: new IDBFactory(), IDBKeyRange });
  open.push(db);
  await db.open();
  const feedback = Array.from({ length: 12 }, (_, i): FeedbackRow => {
    const row = {
      project_id: i % 4 === 3 ? "other/project" : P,
      id: `f${String(i).padStart(2, "0")}`,
      weave_ref: `weave:///${P}/call/c${i % 6}`,
      feedback_type: "wandb.note.1",
      payload_dump: JSON.stringify({ note: `n${i}` }),
      created_at: 1_700_000_000_000 + i,
      wb_user_id: "u",
      creator: null,
    };
    return row as unknown as FeedbackRow;
  });
  await db.feedback.bulkPut(feedback);
  const costs = ["gpt-4o", "gpt-4o-mini", "gpt-4o-mini", "o3"].map(
    (llm, i) =>
      ({
        project_id: P,
        id: `k${i}`,
        llm_id: llm,
        provider_id: "openai",
        prompt_token_cost: i,
        completion_token_cost: i,
        prompt_token_cost_unit: "USD",
        completion_token_cost_unit: "USD",
        effective_date: 0,
        created_at: 0,
        created_by: "u",
      }) as unknown as CostRow,
  );
  await db.costs.bulkPut(costs);
  return db;
}

const reads: IndexRangeRead[] = [
  { store: "feedback", index: "[project_id+weave_ref]", lower: [P, `weave:///${P}/call/c1`], upper: [P, `weave:///${P}/call/c4`] },
  { store: "feedback", index: "[project_id+weave_ref]", lower: [P, `weave:///${P}/call/c0`], upper: [P, `weave:///${P}/call/c5`], limit: 3 },
  { store: "costs", index: "[project_id+llm_id]", lower: [P, "gpt-4o-mini"], upper: [P, "gpt-4o-mini"] },
  { store: "costs", index: "[project_id+llm_id]", lower: [P, "claude"], upper: [P, "claude"] },
];

const ids = (rows: Array<Array<{ id: string }>>): string[][] => rows.map((list) => list.map((row) => row.id));

describe("readIndexRanges", () => {
  it("reads every range, both ends included, in index order and within its limit", async () => {
    const db = await seeded();
    expect(keyRangeOf(db)).toBeDefined();
    const rows = await readIndexRanges<{ id: string }>(db, reads);
    expect(ids(rows)).toEqual([
      // By ref, then id: c1 f01, c2 f02 f08, c3 f09, c4 f04 f10 (f03, f07 and f11 are another project's).
      ["f01", "f02", "f08", "f09", "f04", "f10"],
      ["f00", "f06", "f01"],
      ["k1", "k2"],
      [],
    ]);
  });

  it("gives the same rows through Dexie before the database is open and inside a Dexie transaction", async () => {
    const db = await seeded();
    const native = ids(await readIndexRanges<{ id: string }>(db, reads));
    // The same database through a second connection that is not open yet: Dexie opens it and reads.
    const later = new WeftDb(db.name, { indexedDB: (db as unknown as { _deps: { indexedDB: IDBFactory } })._deps.indexedDB, IDBKeyRange });
    open.push(later);
    expect(later.isOpen()).toBe(false);
    expect(ids(await readIndexRanges<{ id: string }>(later, reads))).toEqual(native);
    // A plain transaction would wait for this one to end: the read must go through Dexie's.
    const inside = await db.transaction("r", db.feedback, db.costs, () => readIndexRanges<{ id: string }>(db, reads));
    expect(ids(inside)).toEqual(native);
  });

  it("answers an empty range (lower above upper) and no ranges with no rows", async () => {
    const db = await seeded();
    expect(await readIndexRanges(db, [])).toEqual([]);
    const backwards = await readIndexRanges<{ id: string }>(db, [{ store: "costs", index: "[project_id+llm_id]", lower: [P, "z"], upper: [P, "a"] }, reads[2] as IndexRangeRead]);
    expect(ids(backwards)).toEqual([[], ["k1", "k2"]]);
  });
});
