/**
 * Old stores stay readable: every `test/fixtures/stores/v<N>/<scenario>.json` is a raw dump of a
 * database that weft wrote at schema version N (every object store's records with their keys, and
 * the stores and indexes exactly as IndexedDB held them). Each test restores a dump into a raw
 * IndexedDB database at that version, with no weft code involved, then opens it with today's
 * `createLocalTraceServer` (which runs whatever Dexie upgrades lead from N to `SCHEMA_VERSION`) and
 * checks that queries answer as they did when the dump was written.
 *
 * ## Adding a fixture (always when you bump `SCHEMA_VERSION` in src/server/db.ts)
 * 1. Keep every existing fixture: `v1/realistic.json` must keep passing, through your upgrade
 *    function. Never edit or regenerate a fixture: today's code cannot write an old format again.
 * 2. Write one with the new code: `WEFT_WRITE_STORE_FIXTURE=1 npx vitest run test/unit/migrations.test.ts`
 *    adds `test/fixtures/stores/v<SCHEMA_VERSION>/realistic.json` (or `realistic-2.json`, … when
 *    that exists: the writer never overwrites) from `writeRealisticStore` below. Do the same when
 *    what weft stores changes without a version bump (a new field in a row): the old file keeps
 *    proving that rows written the old way still read.
 * 3. `writeRealisticStore` and `checkRealisticStore` serve every version's fixture: if the new
 *    version stores something new, cover it with a *new* scenario (writer, checker, file name)
 *    rather than changing what `realistic` means, or the old fixtures stop matching.
 * The "current schema version" test fails until step 2 is done, and whenever the stores or indexes
 * Dexie declares differ from the current version's fixtures (changed without a version bump).
 *
 * The fixture format and its reader/writer: `test/fixtures/stores/store-dump.ts`.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import { createLocalTraceServer, type LocalTraceServer } from "../../src/server";
import { SCHEMA_VERSION, WeftDb } from "../../src/server/db";
import {
  FIXTURES,
  FORMAT,
  decode,
  dumpDatabase,
  encode,
  fixtureFiles,
  fixtureText,
  request,
  restore,
  type StoreDump,
  type StoreFixture,
} from "../fixtures/stores/store-dump";
import { snapshotStore } from "../support/store-digest";

/** The stores and indexes Dexie declares today, in the dump's raw form (Dexie names each IDB index after its spec). */
function liveSchema(): Record<string, Omit<StoreDump, "records">> {
  const db = new WeftDb("weft-migrations-schema-probe", { indexedDB: new IDBFactory(), IDBKeyRange });
  const out: Record<string, Omit<StoreDump, "records">> = {};
  for (const table of [...db.tables].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const { primKey, indexes } = table.schema;
    out[table.name] = {
      keyPath: primKey.keyPath ?? null,
      autoIncrement: Boolean(primKey.auto),
      indexes: indexes
        .map((index) => ({ name: index.name, keyPath: index.keyPath as string | string[], unique: Boolean(index.unique), multiEntry: Boolean(index.multi) }))
        .sort((a, b) => (a.name < b.name ? -1 : 1)),
    };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The "realistic" scenario: what the fixture holds, and what reading it must answer

const P = "fixture/realistic";
const OTHER = "fixture/other-project";
const T0 = Date.UTC(2025, 2, 1, 9, 0, 0);
const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString();
/** How weft writes a datetime back: Python's isoformat, no fraction when it is zero. */
const shown = (seconds: number): string => at(seconds).replace(".000Z", "Z");
const ref = (kind: string, name: string, digest: string): string => `weave:///${P}/${kind}/${name}:${digest}`;
const DATASET_ROWS = [
  { question: "2+2", expected: "4" },
  { question: "Capital of France?", expected: "Paris" },
  { question: "Emoji 🙂 and ünïcode", expected: "ok", tags: ["a", "b"], score: 0.5 },
];
const PIPELINE_PY = "import weave\n\n@weave.op\ndef pipeline(question: str) -> str:\n    return answer(question)\n";
const FILE_BYTES = new Uint8Array([0, 1, 2, 254, 255, ...new TextEncoder().encode("weft ✓")]);
const LLM = "fixture-local-llm";

/** Ids and digests `writeRealisticStore` produced that a checker needs (digests are deterministic). */
interface Written {
  fileDigest: string;
  opDigest: string;
  tableDigest: string;
  datasetDigest: string;
}

function opVal(fileDigest: string): unknown {
  return { _type: "CustomWeaveType", weave_type: { type: "Op" }, files: { "obj.py": fileDigest } };
}

/**
 * Writes the scenario through the public server API: a published op (its code as a file), a
 * Dataset and its table, an object with two versions, three traces (nesting four deep, a running
 * call, an error, a renamed call, a deleted one, LLM usage), feedback of three kinds, a project
 * price, and a second project that must stay apart.
 */
async function writeRealisticStore(s: LocalTraceServer): Promise<Written> {
  const file = await s.file_create({ project_id: P, name: "obj.py", content: new TextEncoder().encode(PIPELINE_PY) });
  const raw = await s.file_create({ project_id: P, name: "blob.bin", content: FILE_BYTES });
  const op = await s.obj_create({ obj: { project_id: P, object_id: "pipeline", val: opVal(file.digest) } });
  const table = await s.table_create({ table: { project_id: P, rows: DATASET_ROWS } });
  const tableRef = `weave:///${P}/table/${table.digest}`;
  const dataset = await s.obj_create({
    obj: {
      project_id: P,
      object_id: "qa-set",
      val: { _type: "Dataset", name: "qa-set", description: "three questions", rows: tableRef, _class_name: "Dataset", _bases: ["Object", "BaseModel"] },
    },
  });
  await s.obj_create({ obj: { project_id: P, object_id: "config", val: { temperature: 0.1, model: LLM } } });
  await s.obj_create({ obj: { project_id: P, object_id: "config", val: { temperature: 0.7, model: LLM } } });
  await s.cost_create({ project_id: P, costs: { [LLM]: { prompt_token_cost: 0.5, completion_token_cost: 1.5 } } });

  const opName = ref("op", "pipeline", op.digest);
  const usage = (prompt: number, completion: number) => ({ usage: { [LLM]: { requests: 1, prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion } } });
  const start = (id: string, trace: string, sec: number, fields: Record<string, unknown>) => ({
    mode: "start" as const,
    req: { start: { project_id: P, id, trace_id: trace, op_name: "llm", started_at: at(sec), attributes: { env: "fixture" }, inputs: {}, ...fields } },
  });
  const end = (id: string, sec: number, fields: Record<string, unknown>) => ({
    mode: "end" as const,
    req: { end: { project_id: P, id, ended_at: at(sec), summary: {}, ...fields } },
  });
  // Children ended before their parents and an end before its start, as the SDKs send them.
  await s.call_start_batch({
    batch: [
      start("a-root", "trace-a", 0, { op_name: opName, inputs: { question: "2+2", dataset: ref("object", "qa-set", dataset.digest) }, display_name: "first run" }),
      start("a-llm-1", "trace-a", 1, { parent_id: "a-root", inputs: { messages: [{ role: "user", content: "2+2" }] } }),
      start("a-tool", "trace-a", 2, { parent_id: "a-llm-1", op_name: "calculator", inputs: { expr: "2+2" } }),
      start("a-tool-inner", "trace-a", 3, { parent_id: "a-tool", op_name: "parse", inputs: { text: "2+2" } }),
      end("a-tool-inner", 4, { output: ["2", "+", "2"] }),
      end("a-tool", 5, { output: 4 }),
      end("a-llm-1", 6, { output: { role: "assistant", content: "4" }, summary: usage(10, 2) }),
      end("a-llm-2", 9, { output: null, exception: "RateLimitError: slow down", summary: usage(7, 0) }),
      start("a-llm-2", "trace-a", 7, { parent_id: "a-root", inputs: { messages: [{ role: "user", content: "again" }] } }),
      end("a-root", 10, { output: "4", summary: { status_counts: { error: 1 } } }),
      start("b-root", "trace-b", 20, { op_name: opName, inputs: { question: "Capital of France?" } }),
      start("c-root", "trace-c", 30, { op_name: opName, inputs: { question: "" } }),
      end("c-root", 31, { output: null, exception: "ValueError: empty question" }),
      start("d-root", "trace-d", 40, { op_name: opName, inputs: { question: "to delete" } }),
      end("d-root", 41, { output: "gone" }),
      start("o-root", "trace-o", 50, { project_id: OTHER, op_name: "other_op", inputs: { secret: "not yours" } }),
    ],
  });
  await s.call_update({ project_id: P, call_id: "c-root", display_name: "empty question" });
  await s.calls_delete({ project_id: P, call_ids: ["d-root"] });
  const callRef = (id: string) => `weave:///${P}/call/${id}`;
  await s.feedback_create({ project_id: P, weave_ref: callRef("a-root"), feedback_type: "wandb.reaction.1", payload: { emoji: "👍" } });
  await s.feedback_create({ project_id: P, weave_ref: callRef("a-root"), feedback_type: "wandb.note.1", payload: { note: "looks right" } });
  await s.feedback_create({
    project_id: P,
    weave_ref: callRef("a-root"),
    feedback_type: "wandb.runnable.correctness",
    payload: { output: { correct: true, score: 1 } },
    runnable_ref: ref("op", "correctness", "scorerdigest"),
    call_ref: callRef("c-root"),
  });
  await s.feedback_create({ project_id: P, weave_ref: callRef("c-root"), feedback_type: "wandb.reaction.1", payload: { emoji: "👎" } });
  return { fileDigest: file.digest, opDigest: op.digest, tableDigest: table.digest, datasetDigest: dataset.digest };
}

/** The ids and digests a realistic fixture holds, found through queries (never from its raw records). */
async function findWritten(s: LocalTraceServer): Promise<Written> {
  const objs = (await s.objs_query({ project_id: P, filter: { latest_only: true } })).objs;
  const digestOf = (id: string): string => objs.find((o) => o.object_id === id)?.digest ?? `no object ${id}`;
  const dataset = await s.obj_read({ project_id: P, object_id: "qa-set", digest: digestOf("qa-set") });
  const rows = (dataset.obj.val as { rows: string }).rows;
  const op = await s.obj_read({ project_id: P, object_id: "pipeline", digest: digestOf("pipeline") });
  return {
    fileDigest: (op.obj.val as { files: Record<string, string> }).files["obj.py"] ?? "no file",
    opDigest: digestOf("pipeline"),
    tableDigest: rows.slice(rows.lastIndexOf("/") + 1),
    datasetDigest: digestOf("qa-set"),
  };
}

/** What a realistic fixture must answer, whatever version wrote it. */
async function checkRealisticStore(s: LocalTraceServer): Promise<void> {
  const w = await findWritten(s);

  // Calls: counts, one whole trace, roots, the running call, errors, the rename, the deletion.
  expect((await s.calls_query_stats({ project_id: P })).count).toBe(7);
  expect((await s.calls_query_stats({ project_id: P, filter: { trace_roots_only: true } })).count).toBe(3);
  expect((await s.calls_query_stats({ project_id: OTHER })).count).toBe(1);
  const trace = (await s.calls_query({ project_id: P, filter: { trace_ids: ["trace-a"] }, sort_by: [{ field: "started_at", direction: "asc" }] })).calls;
  expect(trace.map((c) => [c.id, c.parent_id ?? null, c.op_name, c.started_at, c.ended_at])).toEqual([
    ["a-root", null, ref("op", "pipeline", w.opDigest), shown(0), shown(10)],
    ["a-llm-1", "a-root", "llm", shown(1), shown(6)],
    ["a-tool", "a-llm-1", "calculator", shown(2), shown(5)],
    ["a-tool-inner", "a-tool", "parse", shown(3), shown(4)],
    ["a-llm-2", "a-root", "llm", shown(7), shown(9)],
  ]);
  const [root, llm1, , inner, llm2] = trace;
  expect(root?.inputs).toEqual({ question: "2+2", dataset: ref("object", "qa-set", w.datasetDigest) });
  expect(root?.output).toBe("4");
  expect(root?.display_name).toBe("first run");
  expect(root?.attributes).toEqual({ env: "fixture" });
  expect(llm1?.output).toEqual({ role: "assistant", content: "4" });
  expect(inner?.output).toEqual(["2", "+", "2"]);
  expect(llm2?.exception).toBe("RateLimitError: slow down");
  const running = (await s.calls_query({ project_id: P, filter: { call_ids: ["b-root"] } })).calls[0];
  expect(running?.ended_at ?? null).toBeNull();
  expect(running?.inputs).toEqual({ question: "Capital of France?" });
  const renamed = (await s.calls_query({ project_id: P, filter: { call_ids: ["c-root"] } })).calls[0];
  expect([renamed?.display_name, renamed?.exception]).toEqual(["empty question", "ValueError: empty question"]);
  expect((await s.calls_query({ project_id: P, filter: { call_ids: ["d-root"] } })).calls).toEqual([]);
  // The indexes: by parent, by op name, by input ref, and a scan over inputs.
  expect((await s.calls_query({ project_id: P, filter: { parent_ids: ["a-root"] } })).calls.map((c) => c.id).sort()).toEqual(["a-llm-1", "a-llm-2"]);
  expect((await s.calls_query_stats({ project_id: P, filter: { op_names: [ref("op", "pipeline", "*")] } })).count).toBe(3);
  expect((await s.calls_query({ project_id: P, filter: { input_refs: [ref("object", "qa-set", w.datasetDigest)] } })).calls.map((c) => c.id)).toEqual(["a-root"]);
  const scan = await s.calls_query({ project_id: P, query: { $expr: { $eq: [{ $getField: "inputs.question" }, { $literal: "Capital of France?" }] } } });
  expect(scan.calls.map((c) => c.id)).toEqual(["b-root"]);
  const errors = await s.calls_query({ project_id: P, query: { $expr: { $eq: [{ $getField: "summary.weave.status" }, { $literal: "error" }] } }, sort_by: [{ field: "started_at", direction: "asc" }] });
  expect(errors.calls.map((c) => c.id)).toEqual(["a-llm-2", "c-root"]);

  // Objects: the op, the Dataset (its table ref read back external), both versions of `config`.
  const dataset = await s.obj_read({ project_id: P, object_id: "qa-set", digest: w.datasetDigest });
  expect(dataset.obj).toMatchObject({ base_object_class: "Dataset", version_index: 0, is_latest: 1 });
  expect((dataset.obj.val as { rows: string }).rows).toBe(`weave:///${P}/table/${w.tableDigest}`);
  const configs = (await s.objs_query({ project_id: P, filter: { object_ids: ["config"] }, sort_by: [{ field: "created_at", direction: "asc" }] })).objs;
  expect(configs.map((o) => [o.version_index, o.is_latest, o.val])).toEqual([
    [0, 0, { temperature: 0.1, model: LLM }],
    [1, 1, { temperature: 0.7, model: LLM }],
  ]);
  expect((await s.objs_query({ project_id: P, filter: { latest_only: true } })).objs.map((o) => o.object_id).sort()).toEqual(["config", "pipeline", "qa-set"]);

  // The table, the files.
  const rows = await s.table_query({ project_id: P, digest: w.tableDigest });
  expect(rows.rows.map((r) => r.val)).toEqual(DATASET_ROWS);
  expect((await s.table_query_stats({ project_id: P, digest: w.tableDigest })).count).toBe(3);
  const code = await s.file_content_read({ project_id: P, digest: w.fileDigest });
  expect(new TextDecoder().decode(code.content)).toBe(PIPELINE_PY);

  // Feedback: the rows, and as calls see it.
  const feedback = (await s.feedback_query({ project_id: P, sort_by: [{ field: "created_at", direction: "asc" }] })).result;
  expect(feedback.map((f) => [String(f.weave_ref).split("/").pop(), f.feedback_type, f.payload])).toEqual([
    ["a-root", "wandb.reaction.1", expect.objectContaining({ emoji: "👍" })],
    ["a-root", "wandb.note.1", { note: "looks right" }],
    ["a-root", "wandb.runnable.correctness", { output: { correct: true, score: 1 } }],
    ["c-root", "wandb.reaction.1", expect.objectContaining({ emoji: "👎" })],
  ]);
  const withFeedback = (await s.calls_query({ project_id: P, filter: { call_ids: ["a-root"] }, include_feedback: true })).calls[0];
  expect((withFeedback?.summary as { weave?: { feedback?: unknown[] } }).weave?.feedback).toHaveLength(3);

  // Costs: the project price, applied to the LLM calls' usage.
  const prices = (await s.cost_query({ project_id: P })).results;
  expect(prices.map((p) => [p.llm_id, p.prompt_token_cost, p.completion_token_cost])).toEqual([[LLM, 0.5, 1.5]]);
  const costed = (await s.calls_query({ project_id: P, filter: { call_ids: ["a-llm-1"] }, include_costs: true })).calls[0];
  const cost = (costed?.summary as { weave?: { costs?: Record<string, { prompt_tokens_total_cost?: number; completion_tokens_total_cost?: number }> } }).weave?.costs?.[LLM];
  expect([cost?.prompt_tokens_total_cost, cost?.completion_tokens_total_cost]).toEqual([5, 3]);

  // And the opened store takes new writes.
  await s.call_start({ start: { project_id: P, id: "after-upgrade", trace_id: "after-upgrade", op_name: "new", started_at: at(100), attributes: {}, inputs: {} } });
  expect((await s.calls_query_stats({ project_id: P })).count).toBe(8);
}

const SCENARIOS: Record<string, { write: (s: LocalTraceServer) => Promise<unknown>; check: (s: LocalTraceServer) => Promise<void> }> = {
  realistic: { write: writeRealisticStore, check: checkRealisticStore },
};

// ---------------------------------------------------------------------------------------------

let dbCounter = 0;

/** A clock that ticks one second a call, so the fixture's created_at values are fixed. */
function tickingClock(): () => number {
  let t = T0 + 3_600_000;
  return () => (t += 1000);
}

/** Writes `scenario` with today's server and dumps it in the fixture format. */
async function writeFixture(scenario: string): Promise<StoreFixture> {
  const factory = new IDBFactory();
  const name = `weft-migrations-source-${++dbCounter}`;
  const server = createLocalTraceServer({ dbName: name, indexedDB: factory, IDBKeyRange, now: tickingClock() });
  await (SCENARIOS[scenario] as { write: (s: LocalTraceServer) => Promise<unknown> }).write(server);
  await server.close();
  const db = await request(factory.open(name));
  try {
    const digest = (await snapshotStore(db)).hash;
    return { format: FORMAT, scenario, schema_version: SCHEMA_VERSION, idb_version: db.version, store_digest: digest, stores: await dumpDatabase(db) };
  } finally {
    db.close();
  }
}

/**
 * Restores `fixture` into a fresh raw database, proves the restore exact (store digest), opens it
 * with today's server, runs its scenario's checks, and checks the database ends at today's version.
 */
async function restoreAndCheck(fixture: StoreFixture): Promise<void> {
  expect(fixture.format).toBe(FORMAT);
  const scenario = SCENARIOS[fixture.scenario];
  if (!scenario) throw new Error(`no checker for scenario ${fixture.scenario}`);
  const factory = new IDBFactory();
  const name = `weft-migrations-restored-${++dbCounter}`;
  await restore(factory, name, fixture);
  expect((await snapshotStore(name, { indexedDB: factory })).hash).toBe(fixture.store_digest);
  const server = createLocalTraceServer({ dbName: name, indexedDB: factory, IDBKeyRange });
  try {
    await scenario.check(server);
  } finally {
    await server.close();
  }
  const reopened = await request(factory.open(name));
  expect(reopened.version).toBe(SCHEMA_VERSION * 10);
  reopened.close();
}

describe("store fixtures", () => {
  if (process.env.WEFT_WRITE_STORE_FIXTURE === "1") {
    it(`writes a new test/fixtures/stores/v${SCHEMA_VERSION}/realistic*.json with today's server`, async () => {
      const fixture = await writeFixture("realistic");
      const dir = join(FIXTURES, `v${SCHEMA_VERSION}`);
      mkdirSync(dir, { recursive: true });
      // Never overwrite: an existing fixture is the only record of what an older weft wrote.
      let file = "realistic.json";
      for (let n = 2; existsSync(join(dir, file)); n++) file = `realistic-${n}.json`;
      writeFileSync(join(dir, file), fixtureText(fixture));
    });
  }

  it("the dump format round-trips every value kind weft stores", () => {
    const value = { a: undefined, b: -0, c: Number.NaN, d: Infinity, e: new Uint8Array([0, 255]), f: new Date(T0), g: { $weft: "user data" }, h: [1, "x", null] };
    const back = decode(JSON.parse(JSON.stringify(encode(value)))) as Record<string, unknown>;
    expect(back).toEqual(value);
    expect(Object.is(back.b, -0)).toBe(true);
    expect("a" in back).toBe(true);
  });

  it("a fixture of the current schema version exists and matches the schema Dexie declares today", () => {
    const current = fixtureFiles().filter((f) => f.fixture.schema_version === SCHEMA_VERSION);
    expect(current.length, `no fixture of schema v${SCHEMA_VERSION}: WEFT_WRITE_STORE_FIXTURE=1 npx vitest run test/unit/migrations.test.ts`).toBeGreaterThan(0);
    const live = liveSchema();
    for (const { fixture } of current) {
      const shapes = Object.fromEntries(Object.entries(fixture.stores).map(([name, { records: _, ...shape }]) => [name, shape]));
      expect(shapes, "the stores changed without a SCHEMA_VERSION bump (or the fixture is stale)").toEqual(live);
      expect(fixture.idb_version).toBe(SCHEMA_VERSION * 10);
    }
  });

  it("today's server: the realistic scenario written, dumped, restored and read back (keeps writer and checker working)", async () => {
    await restoreAndCheck(await writeFixture("realistic"));
  });

  for (const { path, fixture } of fixtureFiles()) {
    it(`${path} (schema v${fixture.schema_version}) opens with today's server and answers queries`, async () => {
      await restoreAndCheck(fixture);
    });
  }
});
