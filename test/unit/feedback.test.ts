/**
 * Feedback (weave-semantics.md §3) against the conformance catalogue §18 (FB-*) and the feedback half
 * of §9 (I-08). Handlers are called directly with requests parsed by the method table's schemas.
 */
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import { WeftError } from "../../src/errors";
import { METHODS, type MethodReq } from "../../src/interface";
import type { ServerContext } from "../../src/server/context";
import { WeftDb } from "../../src/server/db";
import * as feedback from "../../src/server/feedback/handlers";
import * as objects from "../../src/server/objects/handlers";

const P = "entity/project";
const OBJ = `weave:///${P}/object/name:digest`;
const T0 = Date.UTC(2025, 0, 1, 12);
let dbCount = 0;

function setup() {
  let t = T0;
  const ctx: ServerContext = {
    db: new WeftDb(`feedback-test-${++dbCount}`, { indexedDB: new IDBFactory(), IDBKeyRange }),
    userId: "local",
    now: () => (t += 1000),
  };
  const create = (req: Partial<MethodReq<"feedback_create">>) =>
    feedback.feedbackCreate(ctx, METHODS.feedback_create.req.parse({ project_id: P, weave_ref: OBJ, feedback_type: "custom", payload: {}, ...req }));
  // Loosely typed: literal query objects do not narrow to the Query tuple types; the schema checks them.
  const query = async (req: Record<string, unknown> = {}) =>
    (await feedback.feedbackQuery(ctx, METHODS.feedback_query.req.parse({ project_id: P, ...req }))).result;
  const count = async (q?: unknown) => (await query({ fields: ["count(*)"], query: q }))[0]?.["count(*)"];
  const purge = (q: unknown) => feedback.feedbackPurge(ctx, METHODS.feedback_purge.req.parse({ project_id: P, query: q }));
  const replace = (req: Partial<MethodReq<"feedback_replace">>) =>
    feedback.feedbackReplace(ctx, METHODS.feedback_replace.req.parse({ project_id: P, weave_ref: OBJ, feedback_type: "custom", payload: {}, ...req }));
  return { ctx, create, query, count, purge, replace };
}

const eq = (field: string, value: unknown) => ({ $expr: { $eq: [{ $getField: field }, { $literal: value }] } });
const eqId = (id: string) => ({ $eq: [{ $getField: "id" }, { $literal: id }] });

/** Runs `fn`, expecting a WeftError with `code` whose message contains `text`. */
async function rejects(fn: () => Promise<unknown>, code: string, text: string | RegExp): Promise<void> {
  const error = await fn().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WeftError);
  expect((error as WeftError).code).toBe(code);
  expect((error as WeftError).message).toMatch(text);
}

describe("feedback_create / feedback_query / feedback_purge", () => {
  it("FB-01: create, count by query, purge by id and by $or; other purge queries are refused", async () => {
    const s = setup();
    const ball = await s.create({ feedback_type: "wandb.reaction.1", payload: { emoji: "🎱" }, wb_user_id: "J" });
    const toned = await s.create({ feedback_type: "wandb.reaction.1", payload: { emoji: "👍🏻" }, wb_user_id: "J" });
    const plain = await s.create({ feedback_type: "wandb.reaction.1", payload: { emoji: "👍" }, wb_user_id: "S" });
    const note = await s.create({ feedback_type: "wandb.note.1", payload: { note: "this is a note" }, wb_user_id: "J" });
    const custom = await s.create({ payload: { key: "value" }, wb_user_id: "J" });
    const other = await s.create({ payload: { key: "value" }, weave_ref: `weave:///${P}/object/name2:digest`, wb_user_id: "J" });
    for (const r of [ball, toned, plain, note, custom, other]) expect(r.id).toHaveLength(36);
    expect(ball.payload.alias).toBe(":pool_8_ball:");
    expect(toned.payload.detoned_alias).toBe(":thumbs_up:");
    expect(plain.payload.detoned_alias).toBe(":thumbs_up:");
    expect(ball.wb_user_id).toBe("J");

    expect(await s.count()).toBe(6);
    expect(await s.count(eq("feedback_type", "wandb.reaction.1"))).toBe(3);
    expect(await s.count(eq("weave_ref", OBJ))).toBe(5);
    await s.purge({ $expr: eqId(note.id) });
    expect(await s.count()).toBe(5);
    await s.purge({ $expr: { $or: [eqId(ball.id), eqId(toned.id)] } });
    expect(await s.count()).toBe(3);
    const message = "Can only purge feedback by specifying one or more feedback ids";
    await rejects(() => s.purge(eq("feedback_type", "wandb.reaction.1")), "VALIDATION", message);
    await rejects(() => s.purge({ $expr: { $in: [{ $getField: "id" }, [{ $literal: custom.id }]] } }), "VALIDATION", message);
    await rejects(() => s.purge({ $expr: { $or: [eqId(custom.id), eq("feedback_type", "custom").$expr] } }), "VALIDATION", message);
    expect(await s.count()).toBe(3);
  });

  it("FB-02: a reaction's payload comes back as a dict with the emoji and its derived fields", async () => {
    const s = setup();
    await s.create({ feedback_type: "wandb.reaction.1", payload: { emoji: "🎱" } });
    const [row] = await s.query();
    expect(row?.payload).toEqual({ emoji: "🎱", alias: ":pool_8_ball:", detoned: "🎱", detoned_alias: ":pool_8_ball:" });
  });

  it("FB-04: created_at compares as a datetime with ISO literals; fields pick the keys", async () => {
    const s = setup();
    const { id } = await s.create({ payload: { key: "value123" } });
    const q = (iso: string) => ({ $expr: { $gte: [{ $getField: "created_at" }, { $literal: iso }] } });
    expect(await s.query({ fields: ["id", "feedback_type", "payload"], query: q("2000-01-01T00:00:00.000000Z") })).toEqual([
      { id, feedback_type: "custom", payload: { key: "value123" } },
    ]);
    expect(await s.query({ fields: ["id", "feedback_type", "payload"], query: q("2999-01-01T00:00:00.000000Z") })).toEqual([]);
  });

  it("FB-05: notes and reactions on calls: list, by id, by reaction, limit, purge", async () => {
    const s = setup();
    const call1 = `weave:///${P}/call/0190f5b2-0000-7000-8000-000000000001`;
    const call2 = `weave:///${P}/call/0190f5b2-0000-7000-8000-000000000002`;
    const thumbs = await s.create({ weave_ref: call1, feedback_type: "wandb.reaction.1", payload: { emoji: "👍" } });
    await s.create({ weave_ref: call1, feedback_type: "wandb.note.1", payload: { note: "this is a note on call1" } });
    const note2 = await s.create({ weave_ref: call2, feedback_type: "wandb.note.1", payload: { note: "this is a note on call2" } });
    expect(await s.query()).toHaveLength(3);
    const [byId] = await s.query({ query: eq("id", note2.id) });
    expect(byId?.payload).toEqual({ note: "this is a note on call2" });
    expect((await s.query({ query: eq("payload.emoji", "👍") })).map((r) => r.id)).toEqual([thumbs.id]);
    expect(await s.query({ limit: 1 })).toHaveLength(1);
    await s.purge({ $expr: eqId(note2.id) });
    expect(await s.query({ query: eq("weave_ref", call2) })).toEqual([]);
    expect(await s.query()).toHaveLength(2);
  });

  it("FB-16: an unknown field in a query is Weave's ValueError (400), not a 422", async () => {
    const s = setup();
    await s.create({ feedback_type: "wandb.note.1", payload: { note: "n" } });
    const query = { $expr: { $contains: { input: { $getField: "inputs.message_id" }, substr: { $literal: "test-id" } } } };
    await rejects(() => s.query({ query }), "VALIDATION", "Unknown field: inputs.message_id");
    await rejects(() => s.query({ fields: ["inputs.message_id"] }), "VALIDATION", "Unknown field: inputs.message_id");
  });

  it("FB-17 (second half): $contains on a payload string path", async () => {
    const s = setup();
    await s.create({ payload: { dataset_id: 94, dataset_id_str: "94" } });
    const query = { $expr: { $contains: { input: { $getField: "payload.dataset_id_str" }, substr: { $literal: "9" } } } };
    expect(await s.query({ query })).toHaveLength(1);
  });

  it("FB-20: created_at is ISO-8601 UTC with Z", async () => {
    const s = setup();
    const created = await s.create({ payload: { a: 1 } });
    const [row] = await s.query();
    expect(row?.created_at).toBe("2025-01-01T12:00:01Z");
    expect(created.created_at).toBe(row?.created_at);
    expect(new Date(row?.created_at as string).getTime()).toBe(T0 + 1000);
  });

  it("returns every column with HEAD's defaults, and wb_user_id falls back to the local user (§0.3)", async () => {
    const s = setup();
    const { id } = await s.create({ payload: { a: 1 }, creator: "me" });
    expect(await s.query()).toEqual([
      {
        id, project_id: P, weave_ref: OBJ, wb_user_id: "local", creator: "me", created_at: "2025-01-01T12:00:01Z",
        feedback_type: "custom", payload: { a: 1 }, annotation_ref: null, runnable_ref: null, call_ref: null,
        trigger_ref: null, queue_id: null, scorer_tags: [], scorer_tag_reasons: {}, scorer_tag_confidences: {},
        scorer_ratings: {}, scorer_rating_reasons: {}, scorer_rating_confidences: {}, span_agent_name: "",
        span_agent_version: "", span_status_code: "UNSET", span_conversation_id: "", span_trace_id: "", scorer_trace_id: "",
      },
    ]);
  });

  it("fields: payload paths give the ClickHouse string; sort_by payload paths uses the 3-key rule", async () => {
    const s = setup();
    for (const score of [2, 100, "b", "a", null, undefined]) await s.create({ payload: score === undefined ? {} : { score, nested: { x: [1] } } });
    const sorted = await s.query({ fields: ["payload.score"], sort_by: [{ field: "payload.score", direction: "desc" }] });
    expect(sorted.map((r) => r["payload.score"])).toEqual(["100", "2", "b", "a", "", ""]);
    const asc = await s.query({ fields: ["payload.score", "payload.nested"], sort_by: [{ field: "payload.score", direction: "asc" }], limit: 2, offset: 1 });
    expect(asc).toEqual([
      { "payload.score": "100", "payload.nested": '{"x":[1]}' },
      { "payload.score": "a", "payload.nested": '{"x":[1]}' },
    ]);
    await rejects(() => s.query({ fields: ["count(*)", "id"] }), "VALIDATION", "count(*)");
    expect(await s.query({ limit: 0 })).toEqual([]);
  });

  it("never reads another project's rows", async () => {
    const s = setup();
    await s.create({ payload: { a: 1 } });
    await s.create({ project_id: "other/project", payload: { a: 2 } });
    expect((await s.query({ fields: ["payload"] })).map((r) => r.payload)).toEqual([{ a: 1 }]);
  });
});

describe("payload rules (§3.2)", () => {
  it("reaction aliases: 🎱, a skin-toned 👍🏻, and exactly one emoji", async () => {
    const s = setup();
    const toned = await s.create({ feedback_type: "wandb.reaction.1", payload: { emoji: "👍🏻" } });
    expect(toned.payload).toEqual({ emoji: "👍🏻", alias: ":thumbs_up_light_skin_tone:", detoned: "👍", detoned_alias: ":thumbs_up:" });
    const dark = await s.create({ feedback_type: "wandb.reaction.1", payload: { emoji: "🤝🏿" } });
    expect(dark.payload).toMatchObject({ alias: ":handshake_dark_skin_tone:", detoned: "🤝", detoned_alias: ":handshake:" });
    const flag = await s.create({ feedback_type: "wandb.reaction.1", payload: { emoji: "🇺🇸" } });
    expect(flag.payload.alias).toBe(":United_States:");
    const text = await s.create({ feedback_type: "wandb.reaction.1", payload: { emoji: "👎" } });
    expect(text.payload).toMatchObject({ alias: ":thumbs_down:", detoned: "👎" });
    for (const emoji of ["👍👍", "hello", ""]) {
      await rejects(() => s.create({ feedback_type: "wandb.reaction.1", payload: { emoji } }), "VALIDATION", "Value of emoji key in payload must be exactly one emoji");
    }
    await rejects(() => s.create({ feedback_type: "wandb.reaction.1", payload: { emoji: 1 } }), "VALIDATION", "Invalid payload for feedback_type wandb.reaction.1");
  });

  it("notes are 1..1024 characters (code points)", async () => {
    const s = setup();
    await s.create({ feedback_type: "wandb.note.1", payload: { note: "😀".repeat(1024) } });
    for (const note of ["", "x".repeat(1025)]) {
      await rejects(() => s.create({ feedback_type: "wandb.note.1", payload: { note } }), "VALIDATION", "Invalid payload for feedback_type wandb.note.1");
    }
    expect(await s.count()).toBe(1);
  });

  it("payload size limit: len(json.dumps(payload)) above 1 MiB is refused and nothing is stored", async () => {
    const s = setup();
    // json.dumps({"key": "<n chars>"}) is n + 11 characters long.
    await s.create({ payload: { key: "x".repeat(1048576 - 11) } });
    await rejects(() => s.create({ payload: { key: "x".repeat(1048576 - 10) } }), "VALIDATION", /^Feedback payload too large$/);
    // ensure_ascii: "é" is six characters ("\u00e9") in Python's text.
    await rejects(() => s.create({ payload: { key: "é".repeat(174763) } }), "VALIDATION", "Feedback payload too large");
    expect(await s.count()).toBe(1);
  });

  it("FB-07: annotation feedback needs a matching AnnotationSpec and a value its field_schema accepts", async () => {
    const s = setup();
    const spec = { _type: "AnnotationSpec", name: null, description: null, field_schema: { type: "integer" }, unique_among_creators: false, op_scope: null, _class_name: "AnnotationSpec", _bases: ["BaseObject", "BaseModel"] };
    const { digest } = await objects.objCreate(s.ctx, METHODS.obj_create.req.parse({ obj: { project_id: P, object_id: "column_name", val: spec, builtin_object_class: "AnnotationSpec" } }));
    const annotation_ref = `weave:///${P}/object/column_name:${digest}`;
    const base = { weave_ref: `weave:///${P}/call/cal_id_123`, feedback_type: "wandb.annotation.column_name", annotation_ref, payload: { value: 1 }, wb_user_id: "shawn" };
    const bad: Array<[Partial<MethodReq<"feedback_create">>, string]> = [
      [{ feedback_type: "wandb.annotation" }, "Invalid annotation feedback type: wandb.annotation"],
      [{ feedback_type: "wandb.annotation." }, "annotation_ref must point to an object with name "],
      [{ annotation_ref: `weave:///${P}/object/column_name` }, "Invalid ref"],
      [{ feedback_type: "wandb.annotation.column_name_wrong_name" }, "annotation_ref must point to an object with name column_name_wrong_name"],
      [{ feedback_type: "not.annotation", annotation_ref: `weave:///${P}/op/column_name:${digest}` }, "annotation_ref is not allowed for non-annotation feedback"],
      [{ payload: { not: "a valid payload" } }, "Invalid payload for feedback_type wandb.annotation.column_name"],
      [{ payload: { value: "one" } }, "Feedback payload does not match annotation spec"],
      [{ annotation_ref: `weave:///other/project/object/column_name:${digest}` }, "does not match project id"],
    ];
    for (const [change, message] of bad) await rejects(() => s.create({ ...base, ...change }), "VALIDATION", message);
    // A version that does not exist is refs_read_batch's NOT_FOUND, as on ClickHouse.
    await rejects(() => s.create({ ...base, annotation_ref: `weave:///${P}/object/column_name:nodigest` }), "NOT_FOUND", "found 0 objects");
    expect(await s.count()).toBe(0);

    await s.create(base);
    const rows = await s.query();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ annotation_ref, runnable_ref: null, call_ref: null, trigger_ref: null, queue_id: null, wb_user_id: "shawn", creator: null, payload: { value: 1 } });

    // A deleted spec reads as null: "not found".
    await objects.objDelete(s.ctx, METHODS.obj_delete.req.parse({ project_id: P, object_id: "column_name", digests: [digest] }));
    await rejects(() => s.create(base), "VALIDATION", `Annotation ref ${annotation_ref} not found`);
  });

  it("FB-08: runnable feedback needs a matching op/object ref, a call_ref for ops and an output", async () => {
    const s = setup();
    const runnable_ref = `weave:///${P}/op/runnable_name:op_id_123`;
    const call_ref = `weave:///${P}/call/call_id_123`;
    const trigger_ref = `weave:///${P}/object/runnable_name:trigger_id_123`;
    const base = { feedback_type: "wandb.runnable.runnable_name", runnable_ref, call_ref, trigger_ref, payload: { output: 1 } };
    const bad: Array<[Partial<MethodReq<"feedback_create">>, string]> = [
      [{ feedback_type: "wandb.runnable" }, "Invalid runnable feedback type: wandb.runnable"],
      [{ feedback_type: "wandb.runnable." }, "runnable_ref must point to an object with name "],
      [{ runnable_ref: `weave:///${P}/op/runnable_name` }, "Invalid ref"],
      [{ feedback_type: "wandb.runnable.wrong_name" }, "runnable_ref must point to an object with name wrong_name"],
      [{ feedback_type: "not.runnable", call_ref: null, trigger_ref: null }, "runnable_ref is not allowed for non-runnable feedback"],
      [{ feedback_type: "not.runnable", runnable_ref: null, trigger_ref: null }, "call_ref is not allowed for non-runnable feedback"],
      [{ feedback_type: "not.runnable", runnable_ref: null, call_ref: null }, "trigger_ref is not allowed for non-runnable feedback"],
      [{ payload: { not: "output" } }, "Invalid payload for feedback_type wandb.runnable.runnable_name"],
      [{ call_ref: null }, "call_ref is required for runnable feedback on ops"],
      [{ call_ref: `weave:///${P}/object/x:y` }, "Invalid ref"],
    ];
    for (const [change, message] of bad) await rejects(() => s.create({ ...base, ...change }), "VALIDATION", message);
    await s.create(base);
    const rows = await s.query();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ runnable_ref, call_ref, trigger_ref, payload: { output: 1 } });
  });

  it("FB-19 (the part without queues): an unknown queue_id is refused with Weave's message; none reads back null", async () => {
    const s = setup();
    // weft has no annotation queues, so every queue id is one Weave's lookup would not find.
    const queue_id = "00000000-0000-0000-0000-000000000000";
    await rejects(() => s.create({ queue_id }), "VALIDATION", `Queue ${queue_id} not found or has been deleted`);
    expect(await s.count()).toBe(0);
    await s.create({ queue_id: null });
    expect(await s.query({ fields: ["queue_id"] })).toEqual([{ queue_id: null }]);
    expect(await s.count(eq("queue_id", queue_id))).toBe(0);
  });

  it("feedback_create_batch validates every item before writing any", async () => {
    const s = setup();
    const batch = (items: unknown[]) => feedback.feedbackCreateBatch(s.ctx, METHODS.feedback_create_batch.req.parse({ batch: items }));
    const item = (payload: object, feedback_type = "custom") => ({ project_id: P, weave_ref: OBJ, feedback_type, payload });
    await rejects(() => batch([item({ a: 1 }), item({ note: "" }, "wandb.note.1")]), "VALIDATION", "wandb.note.1");
    expect(await s.count()).toBe(0);
    const { res } = await batch([item({ a: 1 }), item({ emoji: "👍" }, "wandb.reaction.1")]);
    expect(res.map((r) => r.payload)).toEqual([{ a: 1 }, { emoji: "👍", alias: ":thumbs_up:", detoned: "👍", detoned_alias: ":thumbs_up:" }]);
    expect(await s.count()).toBe(2);
  });
});

describe("feedback_replace (§3.6)", () => {
  it("FB-13: replace keeps the total, gives a new id and leaves other rows alone", async () => {
    const s = setup();
    const first = await s.create({ weave_ref: "weave:///test/project/obj/123:abc", feedback_type: "wandb.reaction.1", payload: { emoji: "👍" } });
    const noteRef = "weave:///test/project/obj/456:def";
    const note = await s.create({ weave_ref: noteRef, feedback_type: "wandb.note.1", payload: { note: "original" } });
    const replaced = await s.replace({ feedback_id: first.id, weave_ref: "weave:///test/project/obj/123:abc", feedback_type: "wandb.note.1", payload: { note: "Updated feedback" } });
    expect([first.id, note.id]).not.toContain(replaced.id);
    expect(await s.count()).toBe(2);
    expect((await s.query({ query: eq("id", note.id) }))[0]?.payload).toEqual({ note: "original" });
    const again = await s.replace({ feedback_id: replaced.id, weave_ref: "weave:///test/project/obj/123:abc", feedback_type: "wandb.reaction.1", payload: { emoji: "👍" } });
    const rows = await s.query({ query: eq("id", again.id) });
    expect(rows[0]).toMatchObject({ feedback_type: "wandb.reaction.1", payload: { emoji: "👍" } });
    expect(again.id).not.toBe(first.id);
    expect(await s.count()).toBe(2);
  });

  it("FB-14: an invalid replacement is refused before the old row is purged", async () => {
    const s = setup();
    const original = await s.create({ feedback_type: "wandb.reaction.1", payload: { emoji: "👍" } });
    await rejects(() => s.replace({ feedback_id: original.id, feedback_type: "wandb.reaction.1", payload: { emoji: "👍" }, scorer_tags: ["nsfw"] }), "VALIDATION", "scorer_tags");
    expect((await s.query({ fields: ["id"] })).map((r) => r.id)).toEqual([original.id]);
  });
});

describe("feedbackForCalls (§3.8, I-08)", () => {
  it("groups the feedback of a page of calls by call id, in creation order", async () => {
    const s = setup();
    const ids = ["c0", "c1", "c2"];
    const ref = (id: string) => `weave:///${P}/call/${id}`;
    await s.create({ weave_ref: ref("c0"), feedback_type: "wandb.note.1", payload: { note: "this is a note on call1" } });
    await s.create({ weave_ref: ref("c0"), feedback_type: "wandb.reaction.1", payload: { emoji: "👍" } });
    await s.create({ weave_ref: ref("c0"), feedback_type: "wandb.reaction.1", payload: { emoji: "👍" } });
    await s.create({ weave_ref: ref("c0"), feedback_type: "wandb.reaction.1", payload: { emoji: "👎" } });
    await s.create({ weave_ref: ref("c1"), feedback_type: "wandb.reaction.1", payload: { emoji: "👍" } });
    await s.create({ project_id: "other/project", weave_ref: `weave:///other/project/call/c1`, payload: { a: 1 } });
    const map = await feedback.feedbackForCalls(s.ctx, P, ids);
    expect(map.get("c0")?.map((f) => f.payload)).toEqual([
      { note: "this is a note on call1" },
      { emoji: "👍", alias: ":thumbs_up:", detoned: "👍", detoned_alias: ":thumbs_up:" },
      { emoji: "👍", alias: ":thumbs_up:", detoned: "👍", detoned_alias: ":thumbs_up:" },
      { emoji: "👎", alias: ":thumbs_down:", detoned: "👎", detoned_alias: ":thumbs_down:" },
    ]);
    expect(map.get("c1")).toHaveLength(1);
    expect(map.get("c2")).toEqual([]);
    expect(map.get("c1")?.[0]).toEqual({
      id: expect.any(String), feedback_type: "wandb.reaction.1", weave_ref: ref("c1"), creator: null, created_at: "2025-01-01T12:00:05Z",
      wb_user_id: "local", annotation_ref: null, runnable_ref: null, call_ref: null, trigger_ref: null,
      payload: { emoji: "👍", alias: ":thumbs_up:", detoned: "👍", detoned_alias: ":thumbs_up:" },
    });
  });
});
