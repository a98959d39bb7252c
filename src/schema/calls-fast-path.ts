/**
 * A fast path for validating call starts and ends, the requests a traced app sends most (every
 * traced function sends both, a thousand at a time in a `call_start_batch`).
 *
 * Why: zod's generic machinery (a result object per node, wrappers per `nullish`, a check loop per
 * refinement) cost 3.5–6 µs per part in Node, with garbage collection 29% of a profile of it; this
 * path, checking the fields directly and building the same output, ~1.9 µs.
 *
 * The schemas stay the one definition of what is valid: this path only ever *accepts*. Anything it
 * does not recognise at once (an unknown or undefined field, a `Date` of odd provenance, a bad
 * value) returns `undefined`, and the caller runs the zod schema, which then decides and names the
 * offending field. Each field check below is the schema's own rule (`isCallId`, `opNameProblem`,
 * `dateTimeMs`, `findNonJson`, …), and a property test holds this path to the schema: whatever
 * it accepts, the schema accepts with an equal result.
 */
import {
  type CallCreateBatchReq,
  type CallEndReq,
  type CallStartReq,
  type EndedCallSchemaForInsert,
  EndedCallSchemaForInsertSchema,
  isCallId,
  MAX_DISPLAY_NAME_LENGTH,
  opNameProblem,
  type StartedCallSchemaForInsert,
  StartedCallSchemaForInsertSchema,
} from "./calls";
import { dateTimeMs, findNonJson, isPlainObject, isProjectId } from "./common";
import { type FieldRule, hasOnlyKey, parseFields, REFUSED, requiredKeys, same } from "./fast-path";

const projectId: FieldRule = { required: true, check: (v) => same(isProjectId(v), v) };
const callId: FieldRule = { required: true, check: (v) => same(isCallId(v), v) };
const optionalCallId: FieldRule = { required: false, check: (v) => same(v === null || isCallId(v), v) };
const optionalString: FieldRule = { required: false, check: (v) => same(v === null || typeof v === "string", v) };
const optionalStep: FieldRule = {
  required: false,
  check: (v) => same(v === null || (typeof v === "number" && Number.isSafeInteger(v) && v >= 0), v),
};
const dateTime: FieldRule = {
  required: true,
  check: (v) => {
    const ms = typeof v === "string" || (v instanceof Date && Object.getPrototypeOf(v) === Date.prototype) ? dateTimeMs(v) : undefined;
    return ms === undefined ? REFUSED : ms;
  },
};
const jsonObject: FieldRule = { required: true, check: (v) => same(isPlainObject(v) && findNonJson(v) === undefined, v) };

/**
 * One rule per field of the start schema: the type requires every key of its shape, so a field
 * added to the schema fails the type check here until the fast path knows it.
 */
const START_RULES: Record<keyof typeof StartedCallSchemaForInsertSchema.shape, FieldRule> = {
  project_id: projectId,
  id: optionalCallId,
  op_name: { required: true, check: (v) => same(typeof v === "string" && v.length > 0 && opNameProblem(v) === undefined, v) },
  display_name: { required: false, check: (v) => same(v === null || (typeof v === "string" && v.length <= MAX_DISPLAY_NAME_LENGTH), v) },
  trace_id: optionalCallId,
  parent_id: optionalCallId,
  thread_id: optionalString,
  turn_id: optionalString,
  started_at: dateTime,
  attributes: jsonObject,
  inputs: jsonObject,
  wb_user_id: optionalString,
  wb_run_id: optionalString,
  wb_run_step: optionalStep,
};

const END_RULES: Record<keyof typeof EndedCallSchemaForInsertSchema.shape, FieldRule> = {
  project_id: projectId,
  id: callId,
  ended_at: dateTime,
  exception: optionalString,
  output: { required: false, check: (v) => same(findNonJson(v) === undefined, v) },
  summary: jsonObject,
  wb_run_step_end: optionalStep,
};

const START_REQUIRED = requiredKeys(START_RULES);
const END_REQUIRED = requiredKeys(END_RULES);

/** `CallStartReqSchema`'s output for `req`, or undefined when the fast path does not accept it. */
export function fastCallStartReq(req: unknown): CallStartReq | undefined {
  if (!hasOnlyKey(req, "start")) return undefined;
  const start = parseFields(req["start"], START_RULES, START_REQUIRED);
  return start && { start: start as StartedCallSchemaForInsert };
}

/** `CallEndReqSchema`'s output for `req`, or undefined when the fast path does not accept it. */
export function fastCallEndReq(req: unknown): CallEndReq | undefined {
  if (!hasOnlyKey(req, "end")) return undefined;
  const end = parseFields(req["end"], END_RULES, END_REQUIRED);
  return end && { end: end as EndedCallSchemaForInsert };
}

/** `CallCreateBatchReqSchema`'s output for `req`, or undefined when the fast path does not accept all of it. */
export function fastCallCreateBatchReq(req: unknown): CallCreateBatchReq | undefined {
  if (!hasOnlyKey(req, "batch")) return undefined;
  const items = req["batch"];
  if (!Array.isArray(items)) return undefined;
  const batch: CallCreateBatchReq["batch"] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const item: unknown = items[i];
    if (!isPlainObject(item)) return undefined;
    const keys = Object.keys(item);
    if (keys.length !== 2 || !Object.hasOwn(item, "mode") || !Object.hasOwn(item, "req")) return undefined;
    if (item["mode"] === "start") {
      const parsed = fastCallStartReq(item["req"]);
      if (!parsed) return undefined;
      batch[i] = { mode: "start", req: parsed };
    } else if (item["mode"] === "end") {
      const parsed = fastCallEndReq(item["req"]);
      if (!parsed) return undefined;
      batch[i] = { mode: "end", req: parsed };
    } else {
      return undefined;
    }
  }
  return { batch };
}
