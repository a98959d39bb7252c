/**
 * The write requests the exporter sends, checked against the official `weave` package (0.11.1):
 * at the type level, the request types of `src/export/requests.ts` must be assignable to the request
 * types generated from Weave's OpenAPI (`node_modules/weave/dist/generated/traceServerApi.d.ts`);
 * at run time, the bodies of a real export (captured over HTTP) may only carry fields those
 * generated types declare, plus fields newer than that OpenAPI which Weave's server accepts, and
 * must carry every field they require.
 *
 * Two places where the generated types are narrower than Weave's server, so they are compared
 * without those fields (and the reason is asserted): `EndedCallSchemaForInsert.output` is generated
 * as `null` (the OpenAPI says `Any`, which the generator turns into `null`), and `summary` is typed as
 * `SummaryInsertMap` whose `usage` entries only know six counters, while the server stores any dict
 * verbatim (weave-semantics.md §2.3) and the SDK itself sends cache counters.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import type * as W from "../../node_modules/weave/dist/generated/traceServerApi";
import { exportProject, memoryStateStore } from "../../src/export";
import type {
  CallBatchItemBody,
  CostCreateBody,
  CostInputBody,
  EndBody,
  FeedbackCreateBody,
  FileCreateBody,
  ObjCreateBody,
  StartBody,
  TableAppendBody,
  TableCreateBody,
} from "../../src/export/requests";
import { createRemoteTraceServer } from "../../src/http";
import type { LocalTraceServer } from "../../src/server";
import { seedProject, startReceiver, tickingClock, type Receiver } from "./export-fixture";
import { makeServer } from "./support/server";

type StartItem = Extract<CallBatchItemBody, { mode: "start" }>;
type EndItem = Extract<CallBatchItemBody, { mode: "end" }>;
type NarrowEndFields = "output" | "summary";

describe("request types are assignable to the weave package's generated request types", () => {
  it("call_start_batch (/call/upsert_batch)", () => {
    expectTypeOf<StartBody>().toExtend<W.StartedCallSchemaForInsert>();
    expectTypeOf<StartItem>().toExtend<W.CallBatchStartMode>();
    expectTypeOf<{ batch: StartItem[] }>().toExtend<W.CallCreateBatchReq>();
    expectTypeOf<Omit<EndBody, NarrowEndFields>>().toExtend<Omit<W.EndedCallSchemaForInsert, NarrowEndFields>>();
    expectTypeOf<EndBody["summary"]>().toExtend<object>();
    expectTypeOf<{ mode: EndItem["mode"]; req: { end: Omit<EndBody, NarrowEndFields> & Pick<W.EndedCallSchemaForInsert, NarrowEndFields> } }>().toExtend<W.CallBatchEndMode>();
    // Why those two fields are left out: the generated type cannot hold an op's return value at all.
    expectTypeOf<W.EndedCallSchemaForInsert["output"]>().toEqualTypeOf<null | undefined>();
    expectTypeOf<{ answer: string }>().not.toExtend<NonNullable<W.EndedCallSchemaForInsert["output"]>>();
  });

  it("obj_create, table_create, table_update", () => {
    expectTypeOf<ObjCreateBody>().toExtend<W.ObjCreateReq>();
    expectTypeOf<ObjCreateBody["obj"]>().toExtend<W.ObjSchemaForInsert>();
    expectTypeOf<TableCreateBody>().toExtend<W.TableCreateReq>();
    expectTypeOf<TableAppendBody>().toExtend<W.TableUpdateReq>();
  });

  it("feedback_create, cost_create, file_create", () => {
    expectTypeOf<FeedbackCreateBody>().toExtend<W.FeedbackCreateReq>();
    expectTypeOf<CostCreateBody>().toExtend<W.CostCreateReq>();
    expectTypeOf<CostInputBody>().toExtend<W.CostCreateInput>();
    // Multipart: `project_id` as a form field, the content as the `file` part (RemoteTraceServer).
    expectTypeOf<Pick<FileCreateBody, "project_id">>().toExtend<Omit<W.BodyFileCreateFileCreatePost, "file">>();
  });
});

/** The fields of `export interface <name>` in the generated declarations: name → required. */
function declaredFields(source: string, name: string): Map<string, boolean> {
  const start = source.indexOf(`export interface ${name} {`);
  if (start < 0) throw new Error(`weave's generated types have no interface ${name}`);
  const fields = new Map<string, boolean>();
  let depth = 0;
  for (const line of source.slice(start).split("\n")) {
    if (depth === 1) {
      const m = /^\s+(\w+)(\?)?:/.exec(line);
      if (m) fields.set(m[1] as string, m[2] !== "?");
    }
    depth += (line.match(/{/g) ?? []).length - (line.match(/}/g) ?? []).length;
    if (depth === 0 && line.includes("}")) break;
  }
  return fields;
}

/**
 * Fields the exporter may send that weave 0.11.1's OpenAPI predates; Weave's server (HEAD) declares
 * them (weave-semantics.md §2.2, §2.3, §3.2, §8.2) and the exporter sends them only when set.
 */
const NEWER_FIELDS: Record<string, string[]> = {
  StartedCallSchemaForInsert: ["thread_id", "turn_id", "wb_run_step"],
  EndedCallSchemaForInsert: ["wb_run_step_end"],
  FeedbackCreateReq: ["id"],
  CostCreateInput: ["cache_read_input_token_cost", "cache_creation_input_token_cost"],
};

describe("bodies of a real export carry only fields Weave declares, and every field it requires", () => {
  const source = readFileSync(fileURLToPath(new URL("../../node_modules/weave/dist/generated/traceServerApi.d.ts", import.meta.url)), "utf8");
  let local: LocalTraceServer;
  let receiver: Receiver;
  const bodies = (path: string): unknown[] => receiver.seen.filter((s) => s.path === path).map((s) => JSON.parse(s.body) as unknown);

  beforeAll(async () => {
    local = makeServer({ now: tickingClock() });
    await seedProject(local, "me/typed");
    await local.call_start_batch({
      batch: [
        { mode: "start", req: { start: { project_id: "me/typed", id: "th-1", trace_id: "t", thread_id: "th", turn_id: "th-1", op_name: "chat", started_at: "2025-01-01T00:00:00Z", attributes: {}, inputs: {}, wb_run_step: 3 } } },
        { mode: "end", req: { end: { project_id: "me/typed", id: "th-1", ended_at: "2025-01-01T00:00:01Z", summary: {}, wb_run_step_end: 4 } } },
      ],
    });
    receiver = await startReceiver();
    const remote = createRemoteTraceServer({ baseUrl: receiver.url, apiKey: "k" });
    await exportProject({ from: local, to: remote, project: "me/typed", toProject: "team/typed", stateStore: memoryStateStore() });
  });
  afterAll(async () => {
    await receiver.close();
    await local.close();
  });

  const check = (value: unknown, type: string): void => {
    const fields = declaredFields(source, type);
    const keys = Object.keys(value as object);
    const allowed = new Set([...fields.keys(), ...(NEWER_FIELDS[type] ?? [])]);
    expect(keys.filter((k) => !allowed.has(k)), `${type}: fields Weave does not declare`).toEqual([]);
    const required = [...fields].filter(([, req]) => req).map(([k]) => k);
    expect(required.filter((k) => !keys.includes(k)), `${type}: required fields missing`).toEqual([]);
  };

  it("/call/upsert_batch: CallCreateBatchReq of CallBatchStartMode / CallBatchEndMode", () => {
    const batches = bodies("/call/upsert_batch") as Array<{ batch: Array<{ mode: string; req: { start?: object; end?: object } }> }>;
    expect(batches.length).toBeGreaterThan(0);
    let starts = 0;
    let ends = 0;
    for (const body of batches) {
      check(body, "CallCreateBatchReq");
      for (const item of body.batch) {
        check(item, item.mode === "start" ? "CallBatchStartMode" : "CallBatchEndMode");
        if (item.req.start) (starts++, check(item.req, "CallStartReq"), check(item.req.start, "StartedCallSchemaForInsert"));
        if (item.req.end) (ends++, check(item.req, "CallEndReq"), check(item.req.end, "EndedCallSchemaForInsert"));
      }
    }
    expect([starts, ends]).toEqual([24, 23]);
  });

  it("/obj/create, /table/create: ObjCreateReq (ObjSchemaForInsert), TableCreateReq (TableSchemaForInsert)", () => {
    for (const body of bodies("/obj/create") as Array<{ obj: object }>) (check(body, "ObjCreateReq"), check(body.obj, "ObjSchemaForInsert"));
    for (const body of bodies("/table/create") as Array<{ table: object }>) (check(body, "TableCreateReq"), check(body.table, "TableSchemaForInsert"));
    expect(bodies("/obj/create")).toHaveLength(6);
  });

  it("/feedback/batch/create items: FeedbackCreateReq; /cost/create: CostCreateReq of CostCreateInput", () => {
    const items = (bodies("/feedback/batch/create") as Array<{ batch: object[] }>).flatMap((b) => b.batch);
    expect(items).toHaveLength(3);
    for (const item of items) check(item, "FeedbackCreateReq");
    // A reaction goes as a client sends it; the fields the server derives from the emoji are left out.
    expect(items.find((i) => (i as { feedback_type: string }).feedback_type === "wandb.reaction.1")).toMatchObject({ payload: { emoji: "👍" } });
    expect(Object.keys((items[0] as { payload: object }).payload)).toEqual(["emoji"]);
    for (const body of bodies("/cost/create") as Array<{ costs: Record<string, object> }>) {
      check(body, "CostCreateReq");
      for (const input of Object.values(body.costs)) check(input, "CostCreateInput");
    }
  });

  it("/file/create: multipart with the fields of BodyFileCreateFileCreatePost", () => {
    const files = receiver.seen.filter((s) => s.path === "/file/create");
    expect(files).toHaveLength(3);
    for (const f of files) {
      const names = [...f.body.matchAll(/\bname="([^"]+)"/g)].map((m) => m[1]);
      expect(names).toEqual([...declaredFields(source, "BodyFileCreateFileCreatePost").keys()]);
    }
  });
});
