/**
 * Saved Monitor objects carry a calls `query` that a scoring worker runs every cycle. Weave checks that
 * query when the object is written (conformance OB-29), so a bad monitor fails on save instead of on
 * every cycle: a query it recognizes must compile against the calls field catalog; anything it does
 * not recognize as a query (absent, `null`, a string, another shape) is stored untouched.
 */
import type { z } from "zod";
import { WeftError } from "../../errors";
import { QuerySchema } from "../../schema/query";
import { CALL_FIELDS } from "../calls/catalog";
import { compileQuery } from "../query/compile-expr";

/** The serialized class names that make an object a Monitor (Weave keeps them as plain strings). */
const MONITOR_CLASSES = new Set(["Monitor", "ClassifierMonitor"]);

/** Keys the Python client's serializer adds to a pydantic `Query` it saves inside an object. */
const BOOKKEEPING_KEYS = new Set(["_type", "_class_name", "_bases"]);

/**
 * The field list Weave's error message offers: the calls table's plain columns, then the prefixes of
 * its dynamic (JSON) columns and its special families, in Weave's order. Written out because the
 * message is part of the contract clients read; weft's catalog knows the same names.
 */
const ALLOWED_FIELDS = [
  "deleted_at", "display_name", "ended_at", "exception", "id", "input_refs", "op_name", "output_refs",
  "parent_id", "project_id", "started_at", "storage_size_bytes", "thread_id", "total_storage_size_bytes",
  "trace_id", "turn_id", "wb_run_id", "wb_run_step", "wb_run_step_end", "wb_user_id",
];
const ALLOWED_PREFIXES = [
  "feedback.*", "annotation_queue_items.queue_id", "summary.weave.*", "attributes.*", "inputs.*", "output.*", "summary.*",
];

function stripBookkeeping(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripBookkeeping);
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) if (!BOOKKEEPING_KEYS.has(key)) out[key] = stripBookkeeping(inner);
  return out;
}

/**
 * Rejects a Monitor whose `query` uses a field calls do not have (INVALID_FIELD, listing the allowed
 * fields) or is malformed (VALIDATION "Invalid query: …", e.g. an empty `$and`). Other objects, and
 * monitors without a recognizable query, pass.
 * @throws WeftError INVALID_FIELD or VALIDATION
 */
export function checkMonitorQuery(val: unknown, baseObjectClass: string | null, leafObjectClass: string | null): void {
  const isMonitor = MONITOR_CLASSES.has(baseObjectClass ?? "") || MONITOR_CLASSES.has(leafObjectClass ?? "");
  if (!isMonitor || typeof val !== "object" || val === null || Array.isArray(val)) return;
  const raw = (val as Record<string, unknown>)["query"];
  if (raw === undefined || raw === null) return;
  const parsed = QuerySchema.safeParse(stripBookkeeping(raw));
  if (!parsed.success) {
    // Weave's model accepts an empty `$and`/`$or` and fails only when compiling it; weft's schema
    // refuses it up front, so that one refusal still counts as a recognized, malformed query.
    if (mentions(parsed.error.issues, EMPTY_JUNCTION)) invalidQuery(EMPTY_JUNCTION);
    return;
  }
  try {
    compileQuery(parsed.data, CALL_FIELDS);
  } catch (error) {
    if (!(error instanceof WeftError)) throw error;
    const field = error.details?.field;
    if (error.code === "INVALID_FIELD" && field !== undefined) {
      throw new WeftError(
        "INVALID_FIELD",
        `Field ${field} is not allowed. Allowed fields: ${ALLOWED_FIELDS.join(", ")}. ` +
          `Allowed dynamic field prefixes: ${ALLOWED_PREFIXES.join(", ")}`,
        { field, path: "obj.val.query" },
      );
    }
    invalidQuery(error.message);
  }
}

const EMPTY_JUNCTION = "Empty AND/OR operation";

function invalidQuery(reason: string): never {
  throw new WeftError("VALIDATION", `Invalid query: ${reason}`, { issues: [{ path: "obj.val.query", message: reason }] });
}

/** Whether a zod issue tree (unions nest their branches' issues) carries `message` anywhere. */
function mentions(issues: readonly z.core.$ZodIssue[], message: string): boolean {
  return issues.some((issue) => issue.message === message || (issue.code === "invalid_union" && issue.errors.some((branch) => mentions(branch, message))));
}
