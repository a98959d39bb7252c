/**
 * Scorer feedback with typed columns (conformance §18 FB-10, FB-11, FB-14; weave-semantics.md §3):
 * `wandb.agent_monitor` / `wandb.agent_user_feedback` / `wandb.runnable.*` rows carrying `scorer_tags`,
 * the scorer maps and the `span_*` columns; `feedback_query` over those columns with ClickHouse
 * semantics (array membership, map access where a missing key is NULL); and the columns surviving
 * an export to another server and a bundle round trip. Requests go through `LocalTraceServer`, so the
 * method table's schemas validate them as the worker does.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WeftError } from "../../src/errors";
import { exportBundle, exportProject, importBundle, memoryStateStore } from "../../src/export";
import type { MethodReq } from "../../src/interface";
import type { LocalTraceServer } from "../../src/server";
import { makeServer } from "./support/server";

const P = "shawn/test-project";
const RUNNABLE = `weave:///${P}/object/my_scorer:obj_id_123`;
const CALL = `weave:///${P}/call/call_id_123`;
const TRIGGER = `weave:///${P}/object/my_scorer:trigger_id_123`;
const MONITOR = { feedback_type: "wandb.agent_monitor", runnable_ref: RUNNABLE, call_ref: CALL, trigger_ref: TRIGGER };

let server: LocalTraceServer;
beforeEach(() => {
  server = makeServer();
});
afterEach(async () => {
  await server.close();
});

type CreateReq = MethodReq<"feedback_create">;
const create = (req: Partial<CreateReq>, on: LocalTraceServer = server) =>
  on.feedback_create({ project_id: P, weave_ref: CALL, feedback_type: "custom", payload: {}, ...req } as CreateReq);
// Loosely typed: literal query objects do not narrow to the Query tuple types; the schema checks them.
const query = async (req: Record<string, unknown> = {}, on: LocalTraceServer = server) =>
  (await on.feedback_query({ project_id: P, ...req } as MethodReq<"feedback_query">)).result;
/** The last path segment of each row's weave_ref, as a set (row order is not part of these cases). */
const suffixes = (rows: Array<Record<string, unknown>>) => new Set(rows.map((r) => String(r.weave_ref).split("/").pop()));
const getField = (name: string) => ({ $getField: name });
const lit = (value: unknown) => ({ $literal: value });

/** Runs `fn`, expecting a WeftError with `code` whose message contains `text`; returns it. */
async function rejects(fn: () => Promise<unknown>, code: string, text: string | RegExp): Promise<WeftError> {
  const error = await fn().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WeftError);
  expect((error as WeftError).code).toBe(code);
  expect((error as WeftError).message).toMatch(text);
  return error as WeftError;
}

describe("FB-10: wandb.agent_monitor feedback", () => {
  it("requires runnable_ref, call_ref and trigger_ref; scorer columns only on scorer types", async () => {
    const payload = { value: ["nsfw"], reason: ["explicit language"] };
    await rejects(() => create({ feedback_type: "wandb.agent_monitor", payload, scorer_tags: ["nsfw"] }), "VALIDATION", "runnable_ref is required for agent monitor feedback");
    await rejects(() => create({ feedback_type: "wandb.agent_monitor", payload, runnable_ref: RUNNABLE }), "VALIDATION", "call_ref is required for agent monitor feedback");
    await rejects(() => create({ feedback_type: "wandb.agent_monitor", payload, runnable_ref: RUNNABLE, call_ref: CALL }), "VALIDATION", "trigger_ref is required for agent monitor feedback");
    const scorerOnCustom = await rejects(() => create({ scorer_tags: ["nsfw"] }), "VALIDATION", "are only allowed on wandb.agent_monitor, wandb.agent_user_feedback, or wandb.runnable feedback");
    expect(scorerOnCustom.details?.issues).toEqual([{ path: "scorer_tags", message: scorerOnCustom.message }]);
    // Every scorer column counts, not just the tags; empty values are "not set" (Python truthiness).
    await rejects(() => create({ scorer_ratings: { _rating_: 0 } }), "VALIDATION", "only allowed on");
    await rejects(() => create({ feedback_type: "wandb.note.1", payload: { note: "n" }, scorer_tag_reasons: { a: "b" } }), "VALIDATION", "only allowed on");
    await create({ scorer_tags: [], scorer_ratings: {}, span_agent_name: "" });
    expect(await query({ fields: ["count(*)"] })).toEqual([{ "count(*)": 1 }]);
  });

  it("stores the typed columns and feedback_query echoes them", async () => {
    const payload = { value: ["nsfw"], reason: ["explicit language"] };
    const { id } = await create({
      ...MONITOR,
      payload,
      scorer_tags: ["nsfw", "high-quality"],
      scorer_tag_reasons: { nsfw: "explicit language" },
      scorer_tag_confidences: { nsfw: 0.95 },
      scorer_ratings: { _rating_: 0.87 },
      scorer_rating_reasons: { _rating_: "very confident response" },
      scorer_rating_confidences: { _rating_: 0.92 },
      span_agent_name: "midi-generator",
      span_agent_version: "1.2.0",
      span_status_code: "OK",
    });
    const rows = await query();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toEqual({
      id, project_id: P, weave_ref: CALL, wb_user_id: expect.any(String), creator: null, created_at: expect.any(String),
      feedback_type: "wandb.agent_monitor", payload, annotation_ref: null, runnable_ref: RUNNABLE, call_ref: CALL,
      trigger_ref: TRIGGER, queue_id: null, scorer_tags: ["nsfw", "high-quality"],
      scorer_tag_reasons: { nsfw: "explicit language" }, scorer_tag_confidences: { nsfw: 0.95 },
      scorer_ratings: { _rating_: 0.87 }, scorer_rating_reasons: { _rating_: "very confident response" },
      scorer_rating_confidences: { _rating_: 0.92 }, span_agent_name: "midi-generator", span_agent_version: "1.2.0",
      span_status_code: "OK", span_conversation_id: "", span_trace_id: "", scorer_trace_id: "",
    });
    // `fields` may name the typed columns, and a map key (ClickHouse `col['key']`, NULL when absent).
    expect(await query({ fields: ["scorer_tags", "scorer_ratings._rating_", "scorer_tag_reasons.missing", "span_status_code"] })).toEqual([
      { scorer_tags: ["nsfw", "high-quality"], "scorer_ratings._rating_": 0.87, "scorer_tag_reasons.missing": null, span_status_code: "OK" },
    ]);
  });

  it("a minimal row reads back with ClickHouse's column defaults", async () => {
    await create({ ...MONITOR, payload: { value: null } });
    const [row] = await query();
    expect(row).toMatchObject({
      scorer_tags: [], scorer_tag_reasons: {}, scorer_tag_confidences: {}, scorer_ratings: {}, scorer_rating_reasons: {},
      scorer_rating_confidences: {}, span_agent_name: "", span_agent_version: "", span_status_code: "UNSET",
    });
  });

  it("runnable scorer feedback may carry the typed columns too, beside its raw output", async () => {
    const { id } = await create({
      feedback_type: "wandb.runnable.my_scorer", runnable_ref: RUNNABLE, call_ref: CALL, trigger_ref: TRIGGER,
      payload: { output: { passed: false } }, scorer_tags: ["unsafe"], scorer_tag_reasons: { unsafe: "contains disallowed content" },
      scorer_tag_confidences: { unsafe: 0.91 }, scorer_ratings: { _rating_: 0.2 }, scorer_rating_reasons: { _rating_: "low quality response" },
      scorer_rating_confidences: { _rating_: 0.88 },
    });
    const [row] = await query({ query: { $expr: { $eq: [getField("id"), lit(id)] } } });
    expect(row).toMatchObject({
      payload: { output: { passed: false } }, scorer_tags: ["unsafe"], scorer_tag_reasons: { unsafe: "contains disallowed content" },
      scorer_tag_confidences: { unsafe: 0.91 }, scorer_ratings: { _rating_: 0.2 }, scorer_rating_reasons: { _rating_: "low quality response" },
      scorer_rating_confidences: { _rating_: 0.88 },
    });
  });

  it("wandb.agent_user_feedback needs scorer_tags and no scorer refs", async () => {
    const weave_ref = `weave:///${P}/object/agent_turn:turn_id_123`;
    await rejects(() => create({ weave_ref, feedback_type: "wandb.agent_user_feedback", payload: { emoji: "👍" } }), "VALIDATION", "scorer_tags is required for agent user feedback");
    await rejects(() => create({ weave_ref, feedback_type: "wandb.agent_user_feedback", payload: {}, scorer_tags: ["👍"], runnable_ref: RUNNABLE }), "VALIDATION", "runnable_ref is not allowed for non-runnable feedback");
    await create({ weave_ref, feedback_type: "wandb.agent_user_feedback", payload: { emoji: "👍", scorer_tags: ["👍"] }, scorer_tags: ["👍"], span_agent_name: "support-bot", span_agent_version: "1.2.0", span_status_code: "OK" });
    expect(await query()).toMatchObject([
      { feedback_type: "wandb.agent_user_feedback", scorer_tags: ["👍"], runnable_ref: null, trigger_ref: null, scorer_ratings: {}, span_agent_name: "support-bot", span_agent_version: "1.2.0", span_status_code: "OK" },
    ]);
  });

  it("the agent types are exact names, not prefixes (Weave compares with ==)", async () => {
    // `wandb.agent_monitor.x` is an ordinary type: scorer refs and scorer columns are refused on it.
    await rejects(() => create({ ...MONITOR, feedback_type: "wandb.agent_monitor.x" }), "VALIDATION", "runnable_ref is not allowed for non-runnable feedback");
    await rejects(() => create({ feedback_type: "wandb.agent_monitor.x", scorer_tags: ["a"] }), "VALIDATION", "only allowed on");
    await rejects(() => create({ feedback_type: "wandb.agent_user_feedback_v2", scorer_tags: ["a"] }), "VALIDATION", "only allowed on");
  });

  it("span_status_code is ClickHouse's Enum8('UNSET', 'OK', 'ERROR'); map values are typed", async () => {
    const bad = await rejects(() => create({ ...MONITOR, span_status_code: "FINE" as never }), "VALIDATION", "span_status_code");
    expect(bad.details?.issues).toEqual([expect.objectContaining({ path: "span_status_code" })]);
    await rejects(() => create({ ...MONITOR, scorer_ratings: { _rating_: "high" } as never }), "VALIDATION", "scorer_ratings");
    await rejects(() => create({ ...MONITOR, scorer_tags: "nsfw" as never }), "VALIDATION", "scorer_tags");
    await rejects(() => create({ ...MONITOR, scorer_tag_reasons: { nsfw: 1 } as never }), "VALIDATION", "scorer_tag_reasons");
    for (const code of ["UNSET", "OK", "ERROR"]) await create({ ...MONITOR, span_status_code: code as never });
    expect((await query({ fields: ["span_status_code"] })).map((r) => r.span_status_code)).toEqual(["UNSET", "OK", "ERROR"]);
  });
});

describe("FB-11: typed-column filters", () => {
  const monitor = (suffix: string, fields: Partial<CreateReq> = {}) =>
    create({ ...MONITOR, weave_ref: `weave:///${P}/call/${suffix}`, payload: { value: fields.scorer_tags ?? [] }, ...fields });
  const where = (expr: unknown) => query({ query: { $expr: expr } });
  const contains = (field: string, needle: unknown, caseInsensitive?: boolean) => ({
    $contains: { input: getField(field), substr: lit(needle), ...(caseInsensitive === undefined ? {} : { case_insensitive: caseInsensitive }) },
  });

  beforeEach(async () => {
    await monitor("a", { scorer_tags: ["nsfw"], scorer_ratings: { _rating_: 0.9 } });
    await monitor("b", { scorer_tags: ["high-quality"], scorer_ratings: { _rating_: 0.4 }, scorer_tag_reasons: { "high-quality": "well formatted" } });
    await monitor("c");
  });

  it("$contains on scorer_tags is array membership (ClickHouse has()), not substring", async () => {
    expect(suffixes(await where(contains("scorer_tags", "nsfw")))).toEqual(new Set(["a"]));
    expect(await where(contains("scorer_tags", "ns"))).toEqual([]);
    expect(await where(contains("scorer_tags", "NSFW"))).toEqual([]);
  });

  it("case_insensitive $contains on scorer_tags compares lower(tag) = lower(needle)", async () => {
    await monitor("upper", { scorer_tags: ["NSFW"] });
    expect(suffixes(await where(contains("scorer_tags", "nsfw", true)))).toEqual(new Set(["a", "upper"]));
    expect(suffixes(await where(contains("scorer_tags", "nsfw", false)))).toEqual(new Set(["a"]));
    expect(await where(contains("scorer_tags", "NS", true))).toEqual([]);
  });

  it("scorer_ratings.<name> is a typed map lookup", async () => {
    expect(suffixes(await where({ $gt: [getField("scorer_ratings._rating_"), lit(0.5)] }))).toEqual(new Set(["a"]));
    expect(suffixes(await where({ $lt: [getField("scorer_ratings._rating_"), lit(0.5)] }))).toEqual(new Set(["b"]));
    expect(suffixes(await where({ $gte: [getField("scorer_ratings._rating_"), lit(0.4)] }))).toEqual(new Set(["a", "b"]));
    // A String literal against Float64 converts the constant, as ClickHouse does.
    expect(suffixes(await where({ $eq: [getField("scorer_ratings._rating_"), lit("0.9")] }))).toEqual(new Set(["a"]));
  });

  it("scorer_tag_reasons.<tag> compares the reason text", async () => {
    expect(suffixes(await where({ $eq: [getField("scorer_tag_reasons.high-quality"), lit("well formatted")] }))).toEqual(new Set(["b"]));
    expect(suffixes(await where(contains("scorer_tag_reasons.high-quality", "formatted")))).toEqual(new Set(["b"]));
  });

  it("a missing map key is NULL: it never equals 0 or '', and `$eq null` finds it", async () => {
    expect(await where({ $eq: [getField("scorer_ratings._rating_"), lit(0)] })).toEqual([]);
    expect(await where({ $eq: [getField("scorer_tag_reasons.missing"), lit("")] })).toEqual([]);
    expect(await where({ $lte: [getField("scorer_ratings._rating_"), lit(0)] })).toEqual([]);
    expect(await where({ $not: [{ $eq: [getField("scorer_ratings._rating_"), lit(0)] }] })).toHaveLength(2);
    expect(suffixes(await where({ $eq: [getField("scorer_ratings._rating_"), lit(null)] }))).toEqual(new Set(["c"]));
  });

  it("a map string value takes the literal's cast, as a JSON path does (toFloat64OrNull, toInt64OrNull)", async () => {
    await monitor("n", { scorer_tag_reasons: { score: "7" } });
    expect(suffixes(await where({ $eq: [getField("scorer_tag_reasons.score"), lit(7)] }))).toEqual(new Set(["n"]));
    expect(suffixes(await where({ $gt: [getField("scorer_tag_reasons.score"), lit(6.5)] }))).toEqual(new Set(["n"]));
    // Text that does not parse is NULL after the cast and never matches.
    expect(await where({ $eq: [getField("scorer_tag_reasons.high-quality"), lit(0)] })).toEqual([]);
  });

  it("the string columns filter natively; unknown map columns are Unknown field", async () => {
    await monitor("agent", { span_agent_name: "midi-generator", span_status_code: "ERROR" });
    expect(suffixes(await where({ $eq: [getField("span_agent_name"), lit("midi-generator")] }))).toEqual(new Set(["agent"]));
    expect(suffixes(await where({ $eq: [getField("span_status_code"), lit("UNSET")] }))).toEqual(new Set(["a", "b", "c"]));
    await rejects(() => where({ $eq: [getField("scorer_scores._rating_"), lit(1)] }), "VALIDATION", "Unknown field: scorer_scores._rating_");
    await rejects(() => query({ fields: ["scorer_scores._rating_"] }), "VALIDATION", "Unknown field: scorer_scores._rating_");
  });

  it("sort_by a map key orders natively with missing keys last (test_agent_monitor_feedback_sort_by_map_column)", async () => {
    await monitor("low", { scorer_ratings: { _rating_: 0.1 }, scorer_rating_reasons: { _rating_: "alpha" } });
    const order = async (field: string, direction: "asc" | "desc") =>
      (await query({ sort_by: [{ field, direction }], fields: ["weave_ref"] })).map((r) => String(r.weave_ref).split("/").pop());
    expect(await order("scorer_ratings._rating_", "asc")).toEqual(["low", "b", "a", "c"]);
    expect(await order("scorer_ratings._rating_", "desc")).toEqual(["a", "b", "low", "c"]);
    // Only "low" has a rating reason; the rest are NULL and sort last in both directions.
    expect((await order("scorer_rating_reasons._rating_", "asc"))[0]).toBe("low");
    expect((await order("scorer_rating_reasons._rating_", "desc"))[0]).toBe("low");
  });
});

describe("FB-14: replace validates before it purges", () => {
  // feedback.test.ts checks the handler; this goes through the server's request validation too, and
  // checks that a valid replacement keeps the typed columns.
  it("scorer_tags on a reaction is refused and the original row stays; a valid replacement stores them", async () => {
    const original = await create({ feedback_type: "wandb.reaction.1", payload: { emoji: "👍" } });
    await rejects(
      () => server.feedback_replace({ project_id: P, feedback_id: original.id, weave_ref: CALL, feedback_type: "wandb.reaction.1", payload: { emoji: "👍" }, scorer_tags: ["nsfw"] }),
      "VALIDATION",
      "scorer_tags",
    );
    expect((await query({ fields: ["id"] })).map((r) => r.id)).toEqual([original.id]);
    // A valid replacement that keeps the scorer columns stores them on the new row.
    const replaced = await server.feedback_replace({ project_id: P, feedback_id: original.id, weave_ref: CALL, ...MONITOR, payload: { value: 1 }, scorer_tags: ["nsfw"] });
    expect(await query({ fields: ["id", "scorer_tags"] })).toEqual([{ id: replaced.id, scorer_tags: ["nsfw"] }]);
  });
});

describe("typed columns survive export and bundles", { timeout: 30_000 }, () => {
  const TO = "team/copied";
  const typed = {
    ...MONITOR,
    payload: { value: ["nsfw"] },
    scorer_tags: ["nsfw", "high-quality"],
    scorer_tag_reasons: { nsfw: "explicit language" },
    scorer_tag_confidences: { nsfw: 0.95 },
    scorer_ratings: { _rating_: 0.87 },
    scorer_rating_reasons: { _rating_: "very confident response" },
    scorer_rating_confidences: { _rating_: 0.92 },
    span_agent_name: "midi-generator",
    span_agent_version: "1.2.0",
    span_status_code: "OK" as const,
    span_conversation_id: "conv-1",
    span_trace_id: "trace-1",
    scorer_trace_id: "judge-1",
  };
  const SCORER_COLUMNS = [
    "feedback_type", "scorer_tags", "scorer_tag_reasons", "scorer_tag_confidences", "scorer_ratings", "scorer_rating_reasons",
    "scorer_rating_confidences", "span_agent_name", "span_agent_version", "span_status_code", "span_conversation_id",
    "span_trace_id", "scorer_trace_id", "runnable_ref", "call_ref", "trigger_ref",
  ];
  const columns = async (on: LocalTraceServer, project: string) =>
    (await on.feedback_query({ project_id: project, fields: SCORER_COLUMNS, sort_by: [{ field: "feedback_type", direction: "asc" }] })).result;
  /** What the source rows should read as under `project`: refs moved to that project, the rest as written. */
  const expected = (project: string) => [
    {
      ...Object.fromEntries(SCORER_COLUMNS.map((c) => [c, (typed as Record<string, unknown>)[c]])),
      runnable_ref: `weave:///${project}/object/my_scorer:obj_id_123`,
      call_ref: `weave:///${project}/call/call_id_123`,
      trigger_ref: `weave:///${project}/object/my_scorer:trigger_id_123`,
    },
    {
      feedback_type: "wandb.reaction.1", scorer_tags: [], scorer_tag_reasons: {}, scorer_tag_confidences: {}, scorer_ratings: {},
      scorer_rating_reasons: {}, scorer_rating_confidences: {}, span_agent_name: "", span_agent_version: "", span_status_code: "UNSET",
      span_conversation_id: "", span_trace_id: "", scorer_trace_id: "", runnable_ref: null, call_ref: null, trigger_ref: null,
    },
  ];

  let target: LocalTraceServer;
  beforeEach(async () => {
    target = makeServer();
    await create(typed);
    // A row without scorer columns: the exporter must not send them (Weave refuses them on reactions).
    await create({ feedback_type: "wandb.reaction.1", payload: { emoji: "👍" } });
    expect(await columns(server, P)).toEqual(expected(P));
  });
  afterEach(async () => {
    await target.close();
  });

  it("exportProject sends them to the target, which answers with the same columns", async () => {
    const result = await exportProject({ from: server, to: target, project: P, toProject: TO, stateStore: memoryStateStore() });
    expect(result.sent.feedback).toBe(2);
    expect(await columns(target, TO)).toEqual(expected(TO));
  });

  it("a bundle carries them and importBundle writes them back", async () => {
    const blob = await exportBundle({ from: server, project: P });
    await importBundle(blob, { to: target, project: TO });
    expect(await columns(target, TO)).toEqual(expected(TO));
  });
});
