/**
 * The request/response schemas of every domain except calls and the query language: one valid request
 * per domain parses (with its transforms), and bad ones fail with an issue whose path names the field.
 */
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { ActionsExecuteBatchReqSchema, ActionsExecuteBatchResSchema } from "../../src/schema/actions";
import { CompletionsCreateReqSchema, CompletionsCreateResSchema } from "../../src/schema/completions";
import { CostCreateReqSchema, CostCreateResSchema, CostPurgeReqSchema, CostQueryReqSchema } from "../../src/schema/costs";
import {
  FeedbackCreateBatchReqSchema,
  FeedbackCreateReqSchema,
  FeedbackPurgeReqSchema,
  FeedbackQueryReqSchema,
  FeedbackReplaceReqSchema,
} from "../../src/schema/feedback";
import {
  FileContentReadReqSchema,
  FileCreateReqSchema,
  FilesStatsReqSchema,
  MAX_FILE_BYTES,
} from "../../src/schema/files";
import {
  ObjCreateReqSchema,
  ObjDeleteReqSchema,
  ObjQueryReqSchema,
  ObjReadReqSchema,
  ObjReadResSchema,
  OpQueryReqSchema,
} from "../../src/schema/objects";
import { EnsureProjectExistsReqSchema } from "../../src/schema/projects";
import { RefsReadBatchReqSchema } from "../../src/schema/refs";
import {
  TableCreateFromDigestsReqSchema,
  TableCreateReqSchema,
  TableCreateResSchema,
  TableQueryReqSchema,
  TableQueryStatsBatchReqSchema,
  TableUpdateReqSchema,
} from "../../src/schema/tables";

const P = "my-entity/my-project";

/** The issues of a parse that must fail, as `{path, message}` with dotted paths. */
function issuesOf(schema: z.ZodType, input: unknown): { path: string; message: string }[] {
  const result = schema.safeParse(input);
  if (result.success) throw new Error(`expected a failure, got ${JSON.stringify(result.data)}`);
  return result.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
}

/** The one issue at `path` (fails the test if there is none). */
function issueAt(schema: z.ZodType, input: unknown, path: string): string {
  const found = issuesOf(schema, input).find((i) => i.path === path);
  if (!found) throw new Error(`no issue at "${path}": ${JSON.stringify(issuesOf(schema, input))}`);
  return found.message;
}

describe("objects", () => {
  const obj = { project_id: P, object_id: "my_ds", val: { _type: "Dataset", rows: "weave:///e/p/table/abc" } };

  it("parses obj_create and folds set_base_object_class into builtin_object_class", () => {
    const req = ObjCreateReqSchema.parse({ obj: { ...obj, set_base_object_class: "Leaderboard", expected_digest: null } });
    expect(req.obj).toEqual({ ...obj, builtin_object_class: "Leaderboard", expected_digest: null });
    expect("set_base_object_class" in req.obj).toBe(false);
  });

  it("requires val and accepts null as a value", () => {
    expect(issueAt(ObjCreateReqSchema, { obj: { project_id: P, object_id: "x" } }, "obj.val")).toMatch(/required/);
    expect(ObjCreateReqSchema.parse({ obj: { ...obj, val: null } }).obj.val).toBeNull();
  });

  it("rejects a non-JSON val at its path", () => {
    expect(issueAt(ObjCreateReqSchema, { obj: { ...obj, val: { a: [1, Number.NaN] } } }, "obj.val.a.1")).toMatch(/NaN/);
  });

  it("rejects unknown top-level keys and bad project ids", () => {
    expect(issueAt(ObjCreateReqSchema, { obj, extra: 1 }, "")).toBe('Unrecognized key: "extra"');
    expect(issueAt(ObjReadReqSchema, { project_id: "no-slash", object_id: "o", digest: "latest" }, "project_id")).toMatch(
      /entity\/project/,
    );
  });

  it("leaves object_id rules to the server (InvalidFieldError 422, §4.4)", () => {
    expect(ObjCreateReqSchema.safeParse({ obj: { ...obj, object_id: "has space/and slash" } }).success).toBe(true);
  });

  it("parses obj_read with metadata_only and the HEAD flag the SDK always sends", () => {
    const req = { project_id: P, object_id: "o", digest: "v0", metadata_only: true, include_tags_and_aliases: false };
    expect(ObjReadReqSchema.parse(req)).toEqual(req);
  });

  it("parses objs_query, lowercasing the sort direction, and rejects a bad filter key and a negative limit", () => {
    const req = ObjQueryReqSchema.parse({
      project_id: P,
      filter: { is_op: false, latest_only: true, base_object_classes: ["Model"], tags: null },
      sort_by: [{ field: "created_at", direction: "DESC" }],
      limit: 10,
    });
    expect(req.sort_by).toEqual([{ field: "created_at", direction: "desc" }]);
    expect(issueAt(ObjQueryReqSchema, { project_id: P, filter: { is_opp: true } }, "filter")).toMatch(/Unrecognized key/);
    expect(issueAt(ObjQueryReqSchema, { project_id: P, limit: -1 }, "limit")).toBe("Limit must be a positive integer");
  });

  it("parses obj_delete with or without digests (the 100 cap is the server's)", () => {
    expect(ObjDeleteReqSchema.parse({ project_id: P, object_id: "o" })).toEqual({ project_id: P, object_id: "o" });
    const many = Array.from({ length: 150 }, () => "latest");
    expect(ObjDeleteReqSchema.safeParse({ project_id: P, object_id: "o", digests: many }).success).toBe(true);
    expect(issueAt(ObjDeleteReqSchema, { project_id: P, object_id: "o", digests: "abc" }, "digests")).toMatch(/array/);
  });

  it("parses an obj_read response with Weave's 0/1 is_latest", () => {
    const res = {
      obj: {
        project_id: P,
        object_id: "o",
        created_at: "2025-01-01T00:00:00Z",
        deleted_at: null,
        digest: "d",
        version_index: 0,
        is_latest: 1,
        kind: "object",
        base_object_class: null,
        leaf_object_class: null,
        val: {},
      },
    };
    expect(ObjReadResSchema.parse(res)).toEqual(res);
    expect(ObjReadResSchema.safeParse({ obj: { ...res.obj, kind: "table" } }).success).toBe(false);
  });

  it("parses the seed-era ops_query", () => {
    expect(OpQueryReqSchema.parse({ project_id: P, filter: { op_names: ["f"], latest_only: true } }).filter?.op_names).toEqual(["f"]);
  });
});

describe("tables", () => {
  it("parses table_create with rows and expected_digest", () => {
    const table = { project_id: P, rows: [{ a: 1 }, { a: 1 }, {}], expected_digest: "e3b0" };
    expect(TableCreateReqSchema.parse({ table })).toEqual({ table });
  });

  it("rejects a non-dict row with Weave's message, at the row's path", () => {
    for (const bad of [5, "row", [1, 2], null, new Date(0)]) {
      expect(issueAt(TableCreateReqSchema, { table: { project_id: P, rows: [{ ok: true }, bad] } }, "table.rows.1")).toBe(
        "All rows must be dictionaries",
      );
    }
  });

  it("rejects non-JSON inside a row at its path", () => {
    expect(issueAt(TableCreateReqSchema, { table: { project_id: P, rows: [{ a: { b: Infinity } }] } }, "table.rows.0.a.b")).toMatch(
      /Infinity/,
    );
  });

  it("parses table_update specs into the append/pop/insert union", () => {
    const req = TableUpdateReqSchema.parse({
      project_id: P,
      base_digest: "abc",
      updates: [{ append: { row: { a: 1 } } }, { pop: { index: 0 } }, { insert: { index: 1, row: { b: 2 } } }],
    });
    expect(req.updates).toEqual([{ append: { row: { a: 1 } } }, { pop: { index: 0 } }, { insert: { index: 1, row: { b: 2 } } }]);
  });

  it("reports a bad row inside an update at its own path, and a spec with no or two operations", () => {
    const base = { project_id: P, base_digest: "abc" };
    expect(issueAt(TableUpdateReqSchema, { ...base, updates: [{ append: { row: [1] } }] }, "updates.0.append.row")).toBe(
      "All rows must be dictionaries",
    );
    expect(issueAt(TableUpdateReqSchema, { ...base, updates: [{ pop: { index: 1.5 } }] }, "updates.0.pop.index")).toMatch(/int/);
    expect(issueAt(TableUpdateReqSchema, { ...base, updates: [{}] }, "updates.0")).toMatch(/exactly one of/);
    expect(issueAt(TableUpdateReqSchema, { ...base, updates: [{ pop: { index: 0 }, append: { row: {} } }] }, "updates.0")).toMatch(
      /exactly one of/,
    );
  });

  it("parses table_create_from_digests, table_query and table_query_stats_batch", () => {
    expect(TableCreateFromDigestsReqSchema.parse({ project_id: P, row_digests: ["a", "b"] }).row_digests).toEqual(["a", "b"]);
    const q = TableQueryReqSchema.parse({
      project_id: P,
      digest: "d",
      filter: { row_digests: ["a"] },
      sort_by: [{ field: "col_a.prop_b", direction: "asc" }],
      limit: 5,
      offset: 0,
    });
    expect(q.filter?.row_digests).toEqual(["a"]);
    expect(issueAt(TableQueryReqSchema, { project_id: P, digest: "d", filter: { digests: [] } }, "filter")).toMatch(/Unrecognized key/);
    expect(TableQueryStatsBatchReqSchema.parse({ project_id: P, digests: ["d"], include_storage_size: true }).digests).toEqual(["d"]);
  });

  it("defaults row_digests in a table_create response from an older server", () => {
    expect(TableCreateResSchema.parse({ digest: "d" })).toEqual({ digest: "d", row_digests: [] });
  });
});

describe("refs", () => {
  it("parses refs_read_batch and rejects non-string refs at their index", () => {
    expect(RefsReadBatchReqSchema.parse({ refs: ["weave:///e/p/object/o:d"] }).refs).toHaveLength(1);
    expect(issueAt(RefsReadBatchReqSchema, { refs: ["ok", 5] }, "refs.1")).toMatch(/string/);
    expect(issueAt(RefsReadBatchReqSchema, { ref: [] }, "")).toMatch(/Unrecognized key/);
  });
});

describe("files", () => {
  it("normalises an ArrayBuffer to a Uint8Array", () => {
    const buffer = new Uint8Array([1, 2, 3]).buffer;
    const req = FileCreateReqSchema.parse({ project_id: P, name: "obj.py", content: buffer });
    expect(req.content).toBeInstanceOf(Uint8Array);
    expect(Array.from(req.content)).toEqual([1, 2, 3]);
  });

  it("passes a whole-buffer Uint8Array through and copies a partial view", () => {
    const whole = new Uint8Array([1, 2, 3]);
    expect(FileCreateReqSchema.parse({ project_id: P, name: "f", content: whole }).content).toBe(whole);
    const view = new Uint8Array([0, 1, 2, 3, 4]).subarray(1, 3);
    const copied = FileCreateReqSchema.parse({ project_id: P, name: "f", content: view }).content;
    expect(Array.from(copied)).toEqual([1, 2]);
    expect(copied.buffer.byteLength).toBe(2);
  });

  it("accepts a 64 MiB file", () => {
    const content = new Uint8Array(64 * 1024 * 1024);
    expect(FileCreateReqSchema.parse({ project_id: P, name: "big.bin", content }).content.byteLength).toBe(64 * 1024 * 1024);
    expect(MAX_FILE_BYTES).toBeGreaterThanOrEqual(64 * 1024 * 1024);
  });

  it("rejects content that is not binary, at content", () => {
    expect(issueAt(FileCreateReqSchema, { project_id: P, name: "f", content: "text" }, "content")).toMatch(/Uint8Array/);
    expect(issueAt(FileCreateReqSchema, { project_id: P, name: "f", content: [1, 2] }, "content")).toMatch(/Uint8Array/);
  });

  it("parses file_content_read and files_stats, strictly", () => {
    expect(FileContentReadReqSchema.parse({ project_id: P, digest: "d" })).toEqual({ project_id: P, digest: "d" });
    expect(issueAt(FilesStatsReqSchema, { project_id: P, digest: "d" }, "")).toMatch(/Unrecognized key/);
  });
});

describe("feedback", () => {
  const create = {
    project_id: P,
    weave_ref: "weave:///my-entity/my-project/call/0191",
    feedback_type: "wandb.reaction.1",
    payload: { emoji: "👍" },
  };

  it("parses feedback_create with a client id and the HEAD defaults the Python SDK sends", () => {
    const sdkDump = {
      ...create,
      id: "018f1f2a-9c2b-7d3e-b5a1-8c9d2e4f6a7b",
      creator: null,
      annotation_ref: null,
      runnable_ref: null,
      call_ref: null,
      trigger_ref: null,
      queue_id: null,
      scorer_tags: [],
      scorer_tag_reasons: {},
      scorer_tag_confidences: {},
      scorer_ratings: {},
      scorer_rating_reasons: {},
      scorer_rating_confidences: {},
      span_agent_name: "",
      span_agent_version: "",
      span_status_code: "UNSET",
      span_conversation_id: "",
      span_trace_id: "",
      scorer_trace_id: "",
      wb_user_id: null,
    };
    expect(FeedbackCreateReqSchema.parse(sdkDump)).toEqual(sdkDump);
  });

  it("rejects a payload that is not a dict, and unknown keys", () => {
    expect(issueAt(FeedbackCreateReqSchema, { ...create, payload: "nice" }, "payload")).toMatch(/JSON object/);
    expect(issueAt(FeedbackCreateReqSchema, { ...create, score: 1 }, "")).toBe('Unrecognized key: "score"');
  });

  it("validates each batch item at its index", () => {
    expect(FeedbackCreateBatchReqSchema.parse({ batch: [create, create] }).batch).toHaveLength(2);
    expect(issueAt(FeedbackCreateBatchReqSchema, { batch: [create, { ...create, weave_ref: 1 }] }, "batch.1.weave_ref")).toMatch(
      /string/,
    );
  });

  it("parses feedback_replace (strict like create) and requires feedback_id", () => {
    expect(FeedbackReplaceReqSchema.parse({ ...create, feedback_id: "f1" }).feedback_id).toBe("f1");
    expect(issueAt(FeedbackReplaceReqSchema, create, "feedback_id")).toMatch(/string/);
    expect(issueAt(FeedbackReplaceReqSchema, { ...create, feedback_id: "f1", nope: 1 }, "")).toMatch(/Unrecognized key/);
  });

  it("parses feedback_query and feedback_purge with a query", () => {
    const query = { $expr: { $eq: [{ $getField: "id" }, { $literal: "f1" }] } };
    expect(FeedbackQueryReqSchema.parse({ project_id: P, fields: ["id", "payload.note"], query, limit: 10 }).fields).toEqual([
      "id",
      "payload.note",
    ]);
    expect(FeedbackPurgeReqSchema.parse({ project_id: P, query }).query).toEqual(query);
    expect(issueAt(FeedbackPurgeReqSchema, { project_id: P }, "query")).toMatch(/expected object/);
    expect(issueAt(FeedbackQueryReqSchema, { project_id: P, offset: -2 }, "offset")).toBe("Offset must be a positive integer");
  });
});

describe("costs", () => {
  it("parses cost_create, turning effective_date into epoch ms", () => {
    const req = CostCreateReqSchema.parse({
      project_id: P,
      costs: {
        "gpt-4o": { prompt_token_cost: 5e-6, completion_token_cost: 1.5e-5, effective_date: "2024-01-01T00:00:00Z" },
        mine: { prompt_token_cost: 1, completion_token_cost: 2, effective_date: new Date(Date.UTC(2024, 5, 1)) },
      },
    });
    expect(req.costs["gpt-4o"]?.effective_date).toBe(Date.UTC(2024, 0, 1));
    expect(req.costs.mine?.effective_date).toBe(Date.UTC(2024, 5, 1));
  });

  it("rejects a bad price, an unknown price field and a bad date at their paths", () => {
    const base = { prompt_token_cost: 1, completion_token_cost: 2 };
    expect(issueAt(CostCreateReqSchema, { project_id: P, costs: { m: { ...base, prompt_token_cost: "1" } } }, "costs.m.prompt_token_cost")).toMatch(
      /number/,
    );
    expect(issueAt(CostCreateReqSchema, { project_id: P, costs: { m: { ...base, price: 3 } } }, "costs.m")).toMatch(/Unrecognized key/);
    expect(issueAt(CostCreateReqSchema, { project_id: P, costs: { m: { ...base, effective_date: "yesterday" } } }, "costs.m.effective_date")).toMatch(
      /ISO-8601/,
    );
  });

  it("parses cost_query and cost_purge, and [cost_id, llm_id] pairs in the response", () => {
    const query = { $expr: { $in: [{ $getField: "id" }, [{ $literal: "c1" }]] } };
    expect(CostQueryReqSchema.parse({ project_id: P, fields: ["id", "llm_id"], sort_by: [{ field: "llm_id", direction: "asc" }] }).fields).toEqual([
      "id",
      "llm_id",
    ]);
    expect(CostPurgeReqSchema.parse({ project_id: P, query }).query).toEqual(query);
    expect(CostCreateResSchema.parse({ ids: [["c1", "gpt-4o"]] }).ids).toEqual([["c1", "gpt-4o"]]);
    expect(CostCreateResSchema.safeParse({ ids: [["c1"]] }).success).toBe(false);
  });
});

describe("completions", () => {
  it("parses completions_create with provider parameters", () => {
    const req = CompletionsCreateReqSchema.parse({
      project_id: P,
      inputs: {
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: "hi" }],
        temperature: 0.2,
        stop: ["\n"],
        response_format: { type: "json_object" },
        tool_choice: "auto",
        stream: false,
      },
      track_llm_call: false,
    });
    expect(req.inputs.messages).toEqual([{ role: "user", content: "hi" }]);
    expect(req.inputs.response_format).toEqual({ type: "json_object" });
  });

  it("defaults messages to [] and drops unknown provider parameters, like Weave's BaseModel", () => {
    const req = CompletionsCreateReqSchema.parse({ project_id: P, inputs: { model: "m", made_up_param: 1 } });
    expect(req.inputs).toEqual({ model: "m", messages: [] });
  });

  it("rejects a missing model, a non-object response_format and unknown top-level keys", () => {
    expect(issueAt(CompletionsCreateReqSchema, { project_id: P, inputs: {} }, "inputs.model")).toMatch(/string/);
    expect(issueAt(CompletionsCreateReqSchema, { project_id: P, inputs: { model: "m", response_format: "json" } }, "inputs.response_format")).toMatch(
      /JSON object/,
    );
    expect(issueAt(CompletionsCreateReqSchema, { project_id: P, inputs: { model: "m" }, stream: true }, "")).toMatch(/Unrecognized key/);
  });

  it("parses a response carrying the provider's error", () => {
    expect(CompletionsCreateResSchema.parse({ response: { error: "no key" }, weave_call_id: null }).response).toEqual({ error: "no key" });
  });
});

describe("actions", () => {
  it("parses actions_execute_batch and rejects non-list call_ids", () => {
    const req = { project_id: P, action_ref: "weave:///my-entity/my-project/object/judge:d", call_ids: ["c1"] };
    expect(ActionsExecuteBatchReqSchema.parse(req)).toEqual(req);
    expect(issueAt(ActionsExecuteBatchReqSchema, { ...req, call_ids: "c1" }, "call_ids")).toMatch(/array/);
    expect(ActionsExecuteBatchResSchema.parse({})).toEqual({});
  });
});

describe("projects", () => {
  it("parses ensure_project_exists as {entity, project}", () => {
    expect(EnsureProjectExistsReqSchema.parse({ entity: "e", project: "p" })).toEqual({ entity: "e", project: "p" });
  });

  it("rejects parts that would not make an entity/project id", () => {
    expect(issueAt(EnsureProjectExistsReqSchema, { entity: "a/b", project: "p" }, "entity")).toMatch(/'\/'/);
    expect(issueAt(EnsureProjectExistsReqSchema, { entity: "e", project: "" }, "project")).toMatch(/empty/);
    expect(issueAt(EnsureProjectExistsReqSchema, { entity: "e".repeat(300), project: "p".repeat(300) }, "")).toMatch(/too long/);
    expect(issueAt(EnsureProjectExistsReqSchema, { entity: "e", project: "p", project_id: "e/p" }, "")).toMatch(/Unrecognized key/);
  });
});
