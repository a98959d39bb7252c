/**
 * OB-29: a saved Monitor's calls `query` is checked when the object is written. The values are shaped
 * as the Python client serializes a `weave.Monitor`: the object and every pydantic node of its query
 * carry `_type`, `_class_name` and `_bases`, which the check ignores.
 */
import { describe, expect, it } from "vitest";
import { WeftError } from "../../src/errors";
import { PROJECT, makeServer } from "./support/server";

/** A pydantic model as the Python client dumps it into an object value. */
function model(className: string, fields: Record<string, unknown>, bases = ["BaseModel"]): Record<string, unknown> {
  return { ...fields, _type: className, _class_name: className, _bases: bases };
}

/** A query as the client dumps it: every operation node is a pydantic model too. */
function dumpedQuery(expr: Record<string, unknown>): Record<string, unknown> {
  const node = (op: unknown): unknown => {
    if (Array.isArray(op)) return op.map(node);
    if (typeof op !== "object" || op === null) return op;
    const [key] = Object.keys(op);
    const inner = (op as Record<string, unknown>)[key as string];
    return model(`${(key as string).slice(1)}Operation`, { [key as string]: node(inner) });
  };
  return model("Query", { $expr: node(expr) });
}

function monitor(name: string, query: unknown, className = "Monitor"): Record<string, unknown> {
  return model(
    className,
    { name, description: null, sampling_rate: 1, scorers: [], op_names: [], query, active: false },
    ["Object", "BaseModel"],
  );
}

async function rejection(run: () => Promise<unknown>): Promise<WeftError> {
  const error: unknown = await run().then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(WeftError);
  return error as WeftError;
}

describe("OB-29: Monitor query validation on obj_create", () => {
  it("rejects an unknown field (listing the allowed ones, no _dump names) and an empty $and; stores neither", async () => {
    const s = makeServer();
    const create = (object_id: string, val: unknown) => s.obj_create({ obj: { project_id: PROJECT, object_id, val } });

    const unknown = await rejection(() =>
      create("bad-monitor", monitor("bad-monitor", dumpedQuery({ $eq: [{ $getField: "operation_name" }, { $literal: "predict" }] }))),
    );
    expect(unknown.code).toBe("INVALID_FIELD");
    expect(unknown.status).toBe(422);
    expect(unknown.message).toMatch(/^Field operation_name is not allowed\. Allowed fields: deleted_at, display_name, /);
    expect(unknown.message).toContain("op_name");
    expect(unknown.message).toContain("Allowed dynamic field prefixes: feedback.*, annotation_queue_items.queue_id, summary.weave.*, attributes.*, inputs.*, output.*, summary.*");
    expect(unknown.message).not.toContain("_dump");
    expect(unknown.details?.field).toBe("operation_name");

    const emptyAnd = await rejection(() => create("empty-and-monitor", monitor("empty-and-monitor", dumpedQuery({ $and: [] }))));
    expect(emptyAnd.code).toBe("VALIDATION");
    expect(emptyAnd.status).toBe(400);
    expect(emptyAnd.message).toMatch(/^Invalid query: .*Empty AND\/OR operation/);

    const stored = await s.objs_query({ project_id: PROJECT, filter: { object_ids: ["bad-monitor", "empty-and-monitor"] } });
    expect(stored.objs).toEqual([]);
  });

  it("accepts static, dynamic, absent and unrecognizable queries, and a ClassifierMonitor's", async () => {
    const s = makeServer();
    const create = (object_id: string, val: unknown) => s.obj_create({ obj: { project_id: PROJECT, object_id, val } });
    const valid = dumpedQuery({
      $and: [
        { $eq: [{ $getField: "parent_id" }, { $literal: null }] },
        { $eq: [{ $getField: "summary.weave.status" }, { $literal: "success" }] },
      ],
    });
    await create("valid-monitor", monitor("valid-monitor", valid));
    await create("dynamic-monitor", monitor("dynamic-monitor", dumpedQuery({ $eq: [{ $getField: "inputs.foo" }, { $literal: "bar" }] })));
    await create("no-query-monitor", monitor("no-query-monitor", null));
    await create("opaque-monitor", monitor("opaque-monitor", "not-a-query"));
    await create("classifier", monitor("classifier", dumpedQuery({ $eq: [{ $getField: "op_name" }, { $literal: "x" }] }), "ClassifierMonitor"));

    const stored = await s.objs_query({ project_id: PROJECT, filter: { latest_only: true } });
    expect(stored.objs.map((o) => o.object_id).sort()).toEqual(["classifier", "dynamic-monitor", "no-query-monitor", "opaque-monitor", "valid-monitor"]);
    expect(stored.objs.find((o) => o.object_id === "valid-monitor")?.base_object_class).toBe("Monitor");
  });

  it("leaves other objects alone, even with a `query` key that would be invalid for a monitor", async () => {
    const s = makeServer();
    const val = model("Report", { query: dumpedQuery({ $eq: [{ $getField: "operation_name" }, { $literal: 1 }] }) }, ["Object", "BaseModel"]);
    const { digest } = await s.obj_create({ obj: { project_id: PROJECT, object_id: "report", val } });
    expect(digest).toMatch(/^[A-Za-z0-9]+$/);
    const plain = await s.obj_create({ obj: { project_id: PROJECT, object_id: "plain", val: { query: { $expr: { $and: [] } } } } });
    expect(plain.digest).toMatch(/^[A-Za-z0-9]+$/);
  });
});
