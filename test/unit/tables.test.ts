/**
 * Tables (weave-semantics.md §5, §1.3): digests (D-*), the TB-* conformance cases, sort-field
 * validation (O-10), refs in rows, and a large table queried without loading it whole.
 * Handlers are called directly with requests parsed by the method table's schemas.
 */
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { afterEach, describe, expect, test, vi } from "vitest";
import { WeftError } from "../../src/errors";
import { METHODS, type MethodReq } from "../../src/interface";
import type { ServerContext } from "../../src/server/context";
import { WeftDb } from "../../src/server/db";
import { strDigest, tableDigest } from "../../src/server/digest";
import { pythonJsonDumps } from "../../src/server/python-json";
import { TABLE_ENTRY_CHUNK } from "../../src/server/tables/entries";
import * as tables from "../../src/server/tables/handlers";
import { getTableRowValue, prepareRow } from "../../src/server/tables/rows";

const P = "shawn/test-project";
let dbCounter = 0;

function makeCtx(): ServerContext {
  dbCounter++;
  return { db: new WeftDb(`weft-tables-${dbCounter}`, { indexedDB: new IDBFactory(), IDBKeyRange }), userId: "local", now: Date.now };
}

type Row = Record<string, unknown>;

const create = (ctx: ServerContext, rows: unknown[], extra: { expected_digest?: string } = {}) =>
  tables.tableCreate(ctx, METHODS.table_create.req.parse({ table: { project_id: P, rows, ...extra } }));
const fromDigests = (ctx: ServerContext, row_digests: string[], extra: { expected_digest?: string } = {}) =>
  tables.tableCreateFromDigests(ctx, METHODS.table_create_from_digests.req.parse({ project_id: P, row_digests, ...extra }));
const update = (ctx: ServerContext, base_digest: string, updates: MethodReq<"table_update">["updates"]) =>
  tables.tableUpdate(ctx, METHODS.table_update.req.parse({ project_id: P, base_digest, updates }));
const query = (ctx: ServerContext, digest: string, extra: Partial<MethodReq<"table_query">> = {}) =>
  tables.tableQuery(ctx, METHODS.table_query.req.parse({ project_id: P, digest, ...extra }));
const vals = (res: { rows: Array<{ val: unknown }> }): Row[] => res.rows.map((r) => r.val as Row);
const stored = async (ctx: ServerContext) => ({
  rows: await ctx.db.row_values.count(),
  tables: await ctx.db.table_defs.count(),
  entries: await ctx.db.table_entries.count(),
});

async function expectWeftError(promise: Promise<unknown>, code: string, message: RegExp): Promise<WeftError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WeftError);
  expect((error as WeftError).code).toBe(code);
  expect((error as WeftError).message).toMatch(message);
  return error as WeftError;
}

/** Deterministic PRNG (mulberry32), so fixtures are the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const letter = (i: number): string => String.fromCharCode(97 + (i % 26));

/** The catalogue's TBL(n, c) fixture: shuffled ids, a nested column and c random string columns. */
function tbl(n: number, c: number, seed = 1): Row[] {
  const rand = rng(seed);
  const ids = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [ids[i], ids[j]] = [ids[j] as number, ids[i] as number];
  }
  return ids.map((id, i) => {
    const row: Row = { id, nested_col: { prop_a: `value_${letter(i)}`, prop_b: `value_${Math.floor(rand() * 1000)}` } };
    for (let k = 0; k < c; k++) row[`col_${k}`] = `value_${Math.floor(rand() * 1000)}_${letter(k)}`;
    return row;
  });
}

const D01 = [
  "2df5YAp2sqlYyxEpTKsIrUlf9Kc5ZxEkbqtqUnYOLhk",
  "DMjRIeuM76SCqXqsqehYyfL3KYV5fL0DBr6g4RJ4izA",
  "f949WksZQdTgf5Ac3cXS5cMuGf0otLvpULOfOsAGiYs",
  "YaFBweA0HU7w51Sdt8X4uhSmjk7N4WqSfuknmBRpWcc",
  "BBzLkGZ6fFraXdoFOSjj7p2d1qSiyMXjRnk7Zas2FEA",
  "i6i1XJ7QecqWkB8MdljoWu35tpjwk8npzFAd67aisB4",
  "IsjSZ4usQrHUcu0cNtKedBlUWrIW1f4cSDck1lGCSMw",
  "MkL0DTiDMCW3agkcIeZ5g5VP0MyFuQcVpa1yqGGVZwk",
  "Vu6S8c4XdXgWNYaAXKqsxuicY6XbYDKLIUkd2M0YPF8",
  "IkIjQFARp0Qny3AUav18zZuzY4INFXsREPkS3iFCrWo",
  "E3T6ngUGSpXY9u2l58sb9smleJ7GO2YlYJY0tq2oV5U",
  "uNmcjBhJyiC6qvJZ0JRlGLpRm68ARrXVYlBgjGRqRdA",
  "0bzwVP0JFd7Y2W9YmpPUv62aAkyY2RCaFVxMnEfjIqY",
  "3bZG40U188x6bVfm9aQX2xvYVqlCftD82O4UsDZtRVU",
  "KW40nfHplo7BDJux0kP8PeYQ95lnOEGaeYfgNtsQ1oE",
  "u10rDrPoYXl58eQStkQP4dPH6KfmE7I88f0FYI7L9fg",
];
const D02 = "15696550bde28f9231173a085ce107c823e7eab6744a97adaa7da55bc9c93347";
const sixteen = (): Row[] => Array.from({ length: 16 }, (_, i) => ({ a: i, b: "x".repeat(1024) }));

describe("digests (§1.3)", () => {
  test("D-01 table partitioning row digests", async () => {
    const res = await create(makeCtx(), sixteen());
    expect(res.row_digests).toEqual(D01);
  });

  test("D-02 table digest, whole and via chunked upload (table_create chunks + table_create_from_digests)", async () => {
    const ctx = makeCtx();
    expect((await create(ctx, sixteen())).digest).toBe(D02);

    const chunked = makeCtx();
    const digests: string[] = [];
    for (let i = 0; i < 16; i += 5) digests.push(...(await create(chunked, sixteen().slice(i, i + 5))).row_digests);
    expect(digests).toEqual(D01);
    const res = await fromDigests(chunked, digests);
    expect(res.digest).toBe(D02);
    const rows = await query(chunked, D02);
    expect(rows.rows.map((r) => r.digest)).toEqual(D01);
    expect(vals(rows)).toEqual(sixteen());
  });

  test("D-03 / D-04 dataset row digests and table digest", async () => {
    const res = await create(makeCtx(), [
      { a: 5, b: 6 },
      { a: 7, b: 10 },
    ]);
    expect(res.row_digests).toEqual(["XfhC9dNA5D4taMvhKT4MKN2uce7F56Krsyv4Q6mvVMA", "G6XnO6PDsyRcuPNuEuEKAprSjBBtbhKk55Ba7ArL5JQ"]);
    expect(res.digest).toBe("6ca638095afa4d3b33fe2314375de840dc058c55a0ef5d466818d81c8a417944");
  });

  test("D-14 small tables and the empty table", async () => {
    const ctx = makeCtx();
    const res = await create(ctx, [{ val: 1 }, { val: 2 }, { val: 3 }]);
    expect(res.row_digests).toEqual([
      "Y13JwuYFEqtYKJNxsvw7imqBgCJuke2NoOMecEcFqJw",
      "M24gG0mNvQYVmXX5AWPRstmzYqY5uquLntIrg3vXjlo",
      "Izg1gNbOyFM8zXBU1bBUwKQz8YyfmJSApDHLy7ocZvA",
    ]);
    expect(res.digest).toBe("13415f3eb4a91cea3c9b31df95eee0cca89a617518c84c0e65523005eec1600f");
    const empty = await create(ctx, []);
    expect(empty).toEqual({ digest: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", row_digests: [] });
    expect((await query(ctx, empty.digest)).rows).toEqual([]);
    expect(await tables.tableQueryStats(ctx, { project_id: P, digest: empty.digest })).toEqual({ count: 0 });
  });

  test("D-16 digest alphabet and order dependence", async () => {
    const ctx = makeCtx();
    const ab = await create(ctx, [{ r: 1 }, { r: 2 }]);
    const ba = await create(ctx, [{ r: 2 }, { r: 1 }]);
    for (const d of [...ab.row_digests, ...ba.row_digests]) expect(d).toMatch(/^[A-Za-z0-9]{43}$/);
    expect(ab.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(ab.digest).not.toBe(ba.digest);
    expect(ab.row_digests).toEqual([...ba.row_digests].reverse());
  });

  test("D-12 key order does not change a row digest", async () => {
    const res = await create(makeCtx(), [
      { b: 1, a: 2 },
      { a: 2, b: 1 },
    ]);
    expect(res.row_digests[0]).toBe(res.row_digests[1]);
    expect(res.row_digests[0]).toBe(strDigest('{"a": 2, "b": 1}'));
  });

  test("D-17 expected_digest mismatch is DIGEST_MISMATCH (409) and stores nothing", async () => {
    const ctx = makeCtx();
    const error = await expectWeftError(create(ctx, [{ a: 1 }, { a: 2 }], { expected_digest: "definitely_wrong_digest" }), "DIGEST_MISMATCH", /digest mismatch/i);
    expect(error.status).toBe(409);
    await expectWeftError(fromDigests(ctx, ["x", "y"], { expected_digest: "definitely_wrong_digest" }), "DIGEST_MISMATCH", /digest/);
    expect(await stored(ctx)).toEqual({ rows: 0, tables: 0, entries: 0 });
    // The right digest is accepted.
    const right = tableDigest([strDigest('{"a": 1}'), strDigest('{"a": 2}')]);
    expect((await create(ctx, [{ a: 1 }, { a: 2 }], { expected_digest: right })).digest).toBe(right);
  });
});

describe("table_create / table_query (§5.1, §5.4)", () => {
  test("TB-01 create + query", async () => {
    const ctx = makeCtx();
    const { digest } = await create(ctx, [
      { id: 1, val: 1 },
      { id: 2, val: 2 },
      { id: 3, val: 3 },
    ]);
    const res = await query(ctx, digest);
    expect(vals(res).map((v) => v.val)).toEqual([1, 2, 3]);
    expect(res.rows.map((r) => r.original_index)).toEqual([0, 1, 2]);
  });

  test("TB-02 round trip keeps insertion order and row digests", async () => {
    const ctx = makeCtx();
    const rows = tbl(10, 10);
    const created = await create(ctx, rows);
    const res = await query(ctx, created.digest);
    expect(vals(res)).toEqual(rows);
    expect(res.rows.map((r) => r.digest)).toEqual(created.row_digests);
  });

  test("TB-04 / TB-05 filter by row digests", async () => {
    const ctx = makeCtx();
    const created = await create(ctx, tbl(10, 5));
    const slice = created.row_digests.slice(2, 5);
    const res = await query(ctx, created.digest, { filter: { row_digests: slice } });
    expect(res.rows.map((r) => r.digest)).toEqual(slice);
    expect(res.rows.map((r) => r.original_index)).toEqual([2, 3, 4]);
    expect((await query(ctx, created.digest, { filter: { row_digests: ["invalid"] } })).rows).toEqual([]);
    // Filter and sort together: the filtered rows in sort order.
    const sorted = await query(ctx, created.digest, { filter: { row_digests: slice }, sort_by: [{ field: "id", direction: "desc" }] });
    expect(vals(sorted).map((r) => r.id)).toEqual(vals(res).map((r) => r.id as number).sort((a, b) => b - a));
    // An empty list is no filter, as in Weave.
    expect((await query(ctx, created.digest, { filter: { row_digests: [] } })).rows).toHaveLength(10);
  });

  test("TB-07 offset; limit 0; unknown table", async () => {
    const ctx = makeCtx();
    const rows = tbl(10, 5);
    const { digest } = await create(ctx, rows);
    const res = await query(ctx, digest, { offset: 3 });
    expect(vals(res)).toEqual(rows.slice(3));
    expect(res.rows.map((r) => r.original_index)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect((await query(ctx, digest, { offset: 3, limit: 2 })).rows.map((r) => r.original_index)).toEqual([3, 4]);
    expect((await query(ctx, digest, { limit: 0 })).rows).toEqual([]);
    expect((await query(ctx, "0".repeat(64))).rows).toEqual([]);
  });

  test("TB-08 / TB-10 sort by id desc, with paging", async () => {
    const ctx = makeCtx();
    const rows10 = tbl(10, 5);
    const { digest } = await create(ctx, rows10);
    const desc = (rs: Row[]) => [...rs].sort((a, b) => (b.id as number) - (a.id as number));
    expect(vals(await query(ctx, digest, { sort_by: [{ field: "id", direction: "desc" }] }))).toEqual(desc(rows10));

    const rows20 = tbl(20, 5, 2);
    const t20 = await create(ctx, rows20);
    const page = await query(ctx, t20.digest, { sort_by: [{ field: "id", direction: "DESC" }], limit: 5, offset: 2 });
    expect(vals(page)).toEqual(desc(rows20).slice(2, 7));
    expect(page.rows.map((r) => r.original_index)).toEqual(desc(rows20).slice(2, 7).map((r) => rows20.indexOf(r)));
  });

  test("TB-11 multi-key sort (col_0 asc, id desc)", async () => {
    const ctx = makeCtx();
    // Few distinct col_0 values, so the second key decides often.
    const rows: Row[] = tbl(20, 5, 3).map((r, i) => ({ ...r, col_0: `value_${i % 3}` }));
    const { digest } = await create(ctx, rows);
    const res = await query(ctx, digest, {
      sort_by: [
        { field: "col_0", direction: "asc" },
        { field: "id", direction: "desc" },
      ],
    });
    const expected = [...rows].sort((a, b) => (a.col_0 as string).localeCompare(b.col_0 as string) || (b.id as number) - (a.id as number));
    expect(vals(res)).toEqual(expected);
  });

  test("sort by a nested path; mixed types follow the ClickHouse 3-key rule (O-02 for rows)", async () => {
    const ctx = makeCtx();
    const rows = tbl(10, 1);
    const { digest } = await create(ctx, rows);
    const byNested = vals(await query(ctx, digest, { sort_by: [{ field: "nested_col.prop_a", direction: "desc" }] }));
    expect(byNested.map((r) => (r.nested_col as Row).prop_a)).toEqual(rows.map((r) => (r.nested_col as Row).prop_a).sort().reverse());

    const mixed = await create(ctx, [{ v: null }, { w: 1 }, { v: 100 }, { v: 2 }, { v: "b" }, { v: "a" }]);
    const order = async (direction: "asc" | "desc") =>
      vals(await query(ctx, mixed.digest, { sort_by: [{ field: "v", direction }] })).map((r) => ("v" in r ? r.v : "missing"));
    expect(await order("desc")).toEqual([100, 2, "b", "a", null, "missing"]);
    expect(await order("asc")).toEqual([2, 100, "a", "b", null, "missing"]);
  });

  test("TB-13 duplicate rows are kept per position", async () => {
    const ctx = makeCtx();
    for (const times of [1, 2, 3]) {
      const rows = Array.from({ length: 10 }, (_, i) => ({ val: i })).flatMap((r) => Array.from({ length: times }, () => r));
      const created = await create(ctx, rows);
      expect(new Set(created.row_digests).size).toBe(10);
      expect((await query(ctx, created.digest, { limit: 100 })).rows).toHaveLength(10 * times);
      expect((await query(ctx, created.digest, { limit: 10 })).rows).toHaveLength(10);
      expect(await tables.tableQueryStats(ctx, { project_id: P, digest: created.digest })).toEqual({ count: 10 * times });
      const first = await query(ctx, created.digest, { filter: { row_digests: [created.row_digests[0] as string] } });
      expect(first.rows).toHaveLength(times);
      expect(first.rows.map((r) => r.original_index)).toEqual(Array.from({ length: times }, (_, i) => i));
    }
    // Each distinct row is stored once per project.
    expect(await ctx.db.row_values.count()).toBe(10);
  });

  test("TB-16 table_create_from_digests: same digest as create; concatenation; order matters", async () => {
    const ctx = makeCtx();
    const people = [
      { id: 1, name: "Alice", value: 100 },
      { id: 2, name: "Bob", value: 200 },
      { id: 3, name: "Charlie", value: 300 },
    ];
    const more = [
      { id: 4, name: "Dave", value: 400 },
      { id: 5, name: "Eve", value: 500 },
      { id: 6, name: "Frank", value: 600 },
    ];
    const a = await create(ctx, people);
    expect(a.digest).toBe("eb04a546e2cee5a9b51d588ce88d25b53991953a6ab604a3ceabb919e49ed1d4");
    expect((await fromDigests(ctx, a.row_digests)).digest).toBe(a.digest);
    const b = await create(ctx, more);
    const combined = await fromDigests(ctx, [...a.row_digests, ...b.row_digests]);
    expect(vals(await query(ctx, combined.digest))).toEqual([...people, ...more]);
    const [r1, r2, r3] = a.row_digests as [string, string, string];
    expect((await fromDigests(ctx, [r3, r1, r2])).digest).not.toBe(a.digest);
  });

  test("TB-17 chunked and whole uploads of large rows agree; order changes digests", async () => {
    const big = (n: number): Row => ({ n, blob: String(n).repeat(500_000) });
    const digestsOf = async (order: number[], chunked: boolean) => {
      const ctx = makeCtx();
      const rows = order.map(big);
      if (!chunked) return create(ctx, rows);
      const rowDigests: string[] = [];
      for (const row of rows) rowDigests.push(...(await create(ctx, [row])).row_digests);
      return { digest: (await fromDigests(ctx, rowDigests)).digest, row_digests: rowDigests };
    };
    const whole = await digestsOf([1, 2, 3], false);
    expect(await digestsOf([1, 2, 3], true)).toEqual(whole);
    const other = await digestsOf([3, 1, 2], false);
    expect(other.digest).not.toBe(whole.digest);
    expect(other.row_digests).toEqual([whole.row_digests[2], whole.row_digests[0], whole.row_digests[1]]);
  });

  test("TB-20 rows must be dicts: schema and handler both refuse, nothing stored", async () => {
    const ctx = makeCtx();
    const parsed = METHODS.table_create.req.safeParse({ table: { project_id: P, rows: [{ a: 1 }, [1, 2]] } });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain("All rows must be dictionaries");
    // Called without the schema (e.g. by another module): the handler checks too.
    const req = { table: { project_id: P, rows: [{ a: 1 }, "nope"] } } as unknown as MethodReq<"table_create">;
    await expectWeftError(tables.tableCreate(ctx, req as never), "VALIDATION", /All rows must be dictionaries: table\.rows\[1\] is a string/);
    expect(() => prepareRow(P, new Date(), "row")).toThrow(/All rows must be dictionaries/);
    expect(await stored(ctx)).toEqual({ rows: 0, tables: 0, entries: 0 });
  });

  test("table_create is idempotent per table and per row", async () => {
    const ctx = makeCtx();
    const rows = tbl(5, 2);
    const first = await create(ctx, rows);
    const again = await create(ctx, rows);
    expect(again).toEqual(first);
    await create(ctx, [...rows, { extra: true }]);
    expect(await stored(ctx)).toEqual({ rows: 6, tables: 2, entries: 2 });
  });

  test("table_query_stream yields the rows of table_query", async () => {
    const ctx = makeCtx();
    const { digest } = await create(ctx, tbl(30, 2));
    const req = METHODS.table_query_stream.req.parse({ project_id: P, digest, sort_by: [{ field: "col_1", direction: "asc" }], offset: 4, limit: 20 });
    const streamed = [];
    for await (const row of tables.tableQueryStream(ctx, req)) streamed.push(row);
    expect(streamed).toEqual((await tables.tableQuery(ctx, req)).rows);
    expect(streamed).toHaveLength(20);
  });
});

describe("sorted pages: both read plans, duplicates, missing rows (§5.4)", () => {
  afterEach(() => vi.restoreAllMocks());

  type Scored = { i: number; score: number };
  const byScoreDesc = [{ field: "score", direction: "desc" as const }];
  /** What a sorted page must hold: positions stably sorted by score desc, then paged. */
  const reference = (rows: readonly Scored[], offset: number, limit: number) =>
    rows
      .map((val, index) => ({ val, index }))
      .sort((a, b) => b.val.score - a.val.score)
      .slice(offset, offset + limit)
      .map(({ val, index }) => [index, val]);
  const got = (res: { rows: Array<{ val: unknown; original_index?: number | null | undefined }> }) => res.rows.map((r) => [r.original_index, r.val]);
  const PAGES: Array<[number, number]> = [
    [0, 5],
    [3, 4],
    [590, 20],
    [0, 1000],
    [0, 20_000], // past the size whose winners keep their values: read back a page at a time
  ];

  test("a table that is most of its project (range scan) and one that is a small part of it (by key)", async () => {
    const ctx = makeCtx();
    // Many ties (37 scores), so order within a score is table order.
    const big: Scored[] = Array.from({ length: 600 }, (_, i) => ({ i, score: i % 37 }));
    const bigTable = await create(ctx, big);
    // Duplicated rows, and ties between different rows (42 and 79 have big[5]'s score).
    const b = (i: number) => big[i] as Scored;
    const small: Scored[] = [b(5), b(42), { i: -1, score: 36 }, b(5), b(79), { i: -2, score: 0 }, b(42)];
    const smallTable = await create(ctx, small);

    const bulkGet = vi.spyOn(ctx.db.row_values, "bulkGet");
    for (const [offset, limit] of PAGES.slice(0, 4)) {
      expect(got(await query(ctx, bigTable.digest, { sort_by: byScoreDesc, offset, limit }))).toEqual(reference(big, offset, limit));
    }
    // The big table is most of the project: read by key range, no lookup by key.
    expect(bulkGet).not.toHaveBeenCalled();
    for (const [offset, limit] of PAGES) {
      expect(got(await query(ctx, smallTable.digest, { sort_by: byScoreDesc, offset, limit }))).toEqual(reference(small, offset, limit));
    }
    // Five distinct rows of a 602-row project: looked up by key.
    expect(bulkGet).toHaveBeenCalled();
    const ascending = await query(ctx, smallTable.digest, { sort_by: [{ field: "score", direction: "asc" }] });
    expect(ascending.rows.map((r) => r.original_index)).toEqual([5, 0, 1, 3, 4, 6, 2]);
    // Storage sizes read values the same two ways: per position, duplicates counted each time.
    const stats = await tables.tableQueryStatsBatch(
      ctx,
      METHODS.table_query_stats_batch.req.parse({ project_id: P, digests: [smallTable.digest, bigTable.digest], include_storage_size: true }),
    );
    const size = (rows: readonly Scored[]) => rows.reduce((n, row) => n + pythonJsonDumps(row).length, 0);
    expect(stats.tables.map((t) => t.storage_size_bytes)).toEqual([size(small), size(big)]);
  });

  test("filtered and sorted; duplicates of a filtered row keep every position", async () => {
    const ctx = makeCtx();
    const rows: Scored[] = [
      { i: 0, score: 1 },
      { i: 1, score: 9 },
      { i: 0, score: 1 },
      { i: 2, score: 5 },
      { i: 1, score: 9 },
    ];
    const created = await create(ctx, rows);
    const [d0, , , d2] = created.row_digests as [string, string, string, string];
    const res = await query(ctx, created.digest, { filter: { row_digests: [d0, d2] }, sort_by: byScoreDesc });
    expect(got(res)).toEqual([
      [3, { i: 2, score: 5 }],
      [0, { i: 0, score: 1 }],
      [2, { i: 0, score: 1 }],
    ]);
    expect(got(await query(ctx, created.digest, { filter: { row_digests: [d0, d2] }, sort_by: byScoreDesc, offset: 1, limit: 1 }))).toEqual([[0, { i: 0, score: 1 }]]);
  });

  test("positions whose value was never stored are left out; positions keep their index", async () => {
    const ctx = makeCtx();
    const rows: Scored[] = [
      { i: 0, score: 2 },
      { i: 1, score: 7 },
    ];
    const created = await create(ctx, rows);
    const [r0, r1] = created.row_digests as [string, string];
    const unknown = strDigest("never stored");
    const table = await fromDigests(ctx, [unknown, r0, unknown, r1]);
    expect(got(await query(ctx, table.digest, { sort_by: byScoreDesc }))).toEqual([
      [3, { i: 1, score: 7 }],
      [1, { i: 0, score: 2 }],
    ]);
    // Only unknown rows: an empty page, whichever plan.
    const ghost = await fromDigests(ctx, [unknown]);
    expect((await query(ctx, ghost.digest, { sort_by: byScoreDesc })).rows).toEqual([]);
  });
});

describe("storing rows: each distinct row once per project, never rewritten (§5.1)", () => {
  afterEach(() => vi.restoreAllMocks());

  test("a project holding few rows writes only the missing ones; a larger one lets add skip them", async () => {
    const ctx = makeCtx();
    const bulkPut = vi.spyOn(ctx.db.row_values, "bulkPut");
    const bulkAdd = vi.spyOn(ctx.db.row_values, "bulkAdd");
    const a = tbl(3, 1, 7);
    await create(ctx, [a[0], a[1], a[0], a[2]]);
    expect(bulkPut.mock.calls.map(([rows]) => rows.length)).toEqual([3]);
    // 3 stored ≤ 5 written: the project's keys are read, and only the 2 new rows put.
    const b = tbl(2, 1, 8);
    await create(ctx, [...a, ...b]);
    expect(bulkPut.mock.calls.map(([rows]) => rows.length)).toEqual([3, 2]);
    expect(bulkAdd).not.toHaveBeenCalled();
    // 5 stored > 2 written: add, which skips the one that exists without failing the request.
    const c = { id: "new", nested_col: { prop_a: "c" } };
    const last = await create(ctx, [a[1] as Row, c]);
    expect(bulkAdd).toHaveBeenCalledTimes(1);
    expect(await ctx.db.row_values.count()).toBe(6);
    expect(vals(await query(ctx, last.digest))).toEqual([a[1], c]);
  });
});

describe("O-10 sort field validation", () => {
  test.each(["", " ", ".", "..", "...", "a.", ".a", "a..b", "a. .b"])("field %j is VALIDATION, even for an unknown table", async (field) => {
    const ctx = makeCtx();
    const { digest } = await create(ctx, [{ a: 1 }]);
    await expectWeftError(query(ctx, digest, { sort_by: [{ field, direction: "asc" }] }), "VALIDATION", /Sort field cannot be empty|Invalid sort field/);
    await expectWeftError(query(ctx, "f".repeat(64), { sort_by: [{ field, direction: "asc" }] }), "VALIDATION", /sort field/i);
  });
});

describe("table_update (§5.3)", () => {
  test("TB-14 insert, pop, append in order; digest equals create of the final rows", async () => {
    const ctx = makeCtx();
    const base = await create(ctx, [{ val: 1 }, { val: 2 }, { val: 3 }]);
    const res = await update(ctx, base.digest, [{ insert: { index: 1, row: { val: 4 } } }, { pop: { index: 0 } }, { append: { row: { val: 5 } } }]);
    expect(res.digest).toBe("bd9a467656550cd96b65b16757c086590ffc25eae0f375c4efd7c19a96d02113");
    expect(res.updated_row_digests).toEqual([strDigest('{"val": 4}'), base.row_digests[0], strDigest('{"val": 5}')]);
    expect(vals(await query(ctx, res.digest)).map((v) => v.val)).toEqual([4, 2, 3, 5]);
    // The base table is unchanged.
    expect(vals(await query(ctx, base.digest)).map((v) => v.val)).toEqual([1, 2, 3]);
  });

  test("missing base is NOT_FOUND; bad indexes are VALIDATION; nothing stored on error", async () => {
    const ctx = makeCtx();
    const missing = "a".repeat(64);
    await expectWeftError(update(ctx, missing, [{ append: { row: { x: 1 } } }]), "NOT_FOUND", new RegExp(`^Table ${P}:${missing} not found$`));
    const base = await create(ctx, [{ val: 1 }, { val: 2 }]);
    const before = await stored(ctx);
    await expectWeftError(update(ctx, base.digest, [{ append: { row: { val: 9 } } }, { pop: { index: 3 } }]), "VALIDATION", /^Index out of range/);
    await expectWeftError(update(ctx, base.digest, [{ pop: { index: -1 } }]), "VALIDATION", /^Index out of range/);
    await expectWeftError(update(ctx, base.digest, [{ insert: { index: 3, row: { val: 9 } } }]), "VALIDATION", /Index out of range/);
    await expectWeftError(update(ctx, base.digest, [{ insert: { index: -1, row: { val: 9 } } }]), "VALIDATION", /Index out of range/);
    expect(await stored(ctx)).toEqual(before);
    // Insert at len is an append; pop of the last index is fine.
    const ok = await update(ctx, base.digest, [{ insert: { index: 2, row: { val: 3 } } }, { pop: { index: 2 } }]);
    expect(ok.digest).toBe(base.digest);
  });

  test("updates across entry chunks keep every position", async () => {
    const ctx = makeCtx();
    const n = TABLE_ENTRY_CHUNK * 2 + 500;
    const rows = Array.from({ length: n }, (_, i) => ({ i }));
    const base = await create(ctx, rows);
    const res = await update(ctx, base.digest, [{ insert: { index: 1, row: { i: -1 } } }, { pop: { index: n } }]);
    const expected = [rows[0], { i: -1 }, ...rows.slice(1, n - 1)];
    expect(res.digest).toBe((await create(makeCtx(), expected)).digest);
    const page = await query(ctx, res.digest, { offset: TABLE_ENTRY_CHUNK - 2, limit: 4 });
    expect(vals(page)).toEqual(expected.slice(TABLE_ENTRY_CHUNK - 2, TABLE_ENTRY_CHUNK + 2));
    expect(await tables.tableQueryStats(ctx, { project_id: P, digest: res.digest })).toEqual({ count: n });
  });
});

describe("stats (§5.5)", () => {
  test("table_query_stats counts; an unknown table counts 0", async () => {
    const ctx = makeCtx();
    const { digest } = await create(ctx, tbl(7, 1));
    expect(await tables.tableQueryStats(ctx, { project_id: P, digest })).toEqual({ count: 7 });
    expect(await tables.tableQueryStats(ctx, { project_id: P, digest: "b".repeat(64) })).toEqual({ count: 0 });
    expect(await tables.tableQueryStats(ctx, { project_id: "other/project", digest })).toEqual({ count: 0 });
  });

  test("TB-19 stats batch: existing tables only, storage size = stored value bytes per position", async () => {
    const ctx = makeCtx();
    const one = await create(ctx, [{ key: "value".repeat(1000) }]);
    const dup = await create(ctx, [{ key: "value".repeat(1000) }, { key: "value".repeat(1000) }, { a: 1 }]);
    const req = (include: boolean) =>
      METHODS.table_query_stats_batch.req.parse({ project_id: P, digests: [one.digest, "c".repeat(64), dup.digest, one.digest], include_storage_size: include });
    const sized = await tables.tableQueryStatsBatch(ctx, req(true));
    const byDigest = new Map(sized.tables.map((t) => [t.digest, t]));
    expect(sized.tables).toHaveLength(2);
    expect(byDigest.get(one.digest)).toEqual({ digest: one.digest, count: 1, storage_size_bytes: 5011 });
    expect(byDigest.get(dup.digest)).toEqual({ digest: dup.digest, count: 3, storage_size_bytes: 5011 * 2 + '{"a": 1}'.length });
    const plain = await tables.tableQueryStatsBatch(ctx, req(false));
    expect(plain.tables.map((t) => t.storage_size_bytes)).toEqual([null, null]);
    expect((await tables.tableQueryStatsBatch(ctx, { project_id: P })).tables).toEqual([]);
  });
});

describe("refs in rows (D-06 for rows)", () => {
  const external = "weave:///shawn/test-project/object/my_obj:abc";
  const internal = `weave-trace-internal:///${btoa(P)}/object/my_obj:abc`;

  test("rows are hashed and stored in internal form, returned in external form", async () => {
    const ctx = makeCtx();
    const row = { model: external, nested: [{ ref: external }] };
    const created = await create(ctx, [row]);
    const internalRow = { model: internal, nested: [{ ref: internal }] };
    expect(created.row_digests).toEqual([strDigest(pythonJsonDumps(internalRow))]);
    const raw = await ctx.db.row_values.get([P, created.row_digests[0] as string]);
    expect(raw?.val_dump).toBe(pythonJsonDumps(internalRow));
    expect(vals(await query(ctx, created.digest))).toEqual([row]);
  });

  test("getTableRowValue: only rows of that table, value in external form", async () => {
    const ctx = makeCtx();
    const a = await create(ctx, [{ x: 1 }, { ref: external }]);
    const b = await create(ctx, [{ y: 2 }]);
    const [, refRow] = a.row_digests as [string, string];
    expect(await getTableRowValue(ctx, P, a.digest, refRow)).toEqual({ found: true, val: { ref: external } });
    expect(await getTableRowValue(ctx, P, b.digest, refRow)).toEqual({ found: false });
    expect(await getTableRowValue(ctx, P, "d".repeat(64), refRow)).toEqual({ found: false });
    expect(await getTableRowValue(ctx, "other/project", a.digest, refRow)).toEqual({ found: false });
  });
});

describe("a large table is queried without loading it whole", () => {
  // 20k rows rather than 100k: creating 100k rows in fake-indexeddb takes well over 20 s on the
  // 2-core CI machines; 20k still spans 20 entry chunks and makes the sorted plan compact its top-k.
  const N = 20_000;
  test(`${N} rows: a sorted page and a deep unsorted page`, async () => {
    const ctx = makeCtx();
    const rows = Array.from({ length: N }, (_, i) => ({ i, score: (i * 7919) % N, group: `g${i % 17}`, text: `row ${i}` }));
    const created = await create(ctx, rows);
    expect(created.row_digests).toHaveLength(N);
    expect(await ctx.db.table_entries.count()).toBe(Math.ceil(N / TABLE_ENTRY_CHUNK));

    const deep = await query(ctx, created.digest, { offset: N - 150, limit: 100 });
    expect(vals(deep)).toEqual(rows.slice(N - 150, N - 50));
    expect(deep.rows.map((r) => r.original_index)).toEqual(rows.slice(N - 150, N - 50).map((r) => r.i));

    const sorted = await query(ctx, created.digest, { sort_by: [{ field: "score", direction: "desc" }], offset: 50, limit: 50 });
    const expected = [...rows].sort((a, b) => b.score - a.score).slice(50, 100);
    expect(vals(sorted)).toEqual(expected);

    const byGroup = await query(ctx, created.digest, {
      sort_by: [
        { field: "group", direction: "asc" },
        { field: "score", direction: "asc" },
      ],
      offset: 5000,
      limit: 10,
    });
    const groupOrder = [...rows].sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : a.score - b.score));
    expect(vals(byGroup)).toEqual(groupOrder.slice(5000, 5010));
  }, 120_000);
});
