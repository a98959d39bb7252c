/**
 * The write requests the exporter sends, built from what the source returned. Their types are
 * spelled out (rather than taken from weft's schemas) because they are checked against the official
 * `weave` package's request types (`test/unit/export-weave-types.test.ts`): the exporter must send
 * what a Weave server accepts, whatever weft itself would also accept.
 *
 * Optional fields are sent only when set, so an older server that rejects unknown keys (HEAD models
 * are `extra="forbid"`, weave-semantics.md §0.4) only sees newer fields when the data has them.
 */
import type { CallSchema } from "../schema/calls";
import type { CostQueryOutput } from "../schema/costs";
import { FEEDBACK_HEAD_DEFAULTS } from "../schema/feedback";
import type { FeedbackRowOut, SourceRow } from "./plan";
import { rewriteValue, type RefRewrite } from "./ref-rewrite";

/** `StartedCallSchemaForInsert` as sent. */
export interface StartBody {
  project_id: string;
  id: string;
  op_name: string;
  display_name?: string | null;
  trace_id: string;
  parent_id?: string | null;
  thread_id?: string | null;
  turn_id?: string | null;
  started_at: string;
  attributes: Record<string, unknown>;
  inputs: Record<string, unknown>;
  wb_user_id?: string | null;
  wb_run_id?: string | null;
  wb_run_step?: number | null;
}

/** `EndedCallSchemaForInsert` as sent. */
export interface EndBody {
  project_id: string;
  id: string;
  ended_at: string;
  exception?: string | null;
  output?: unknown;
  summary: Record<string, unknown>;
  wb_run_step_end?: number | null;
}

/** One item of `/call/upsert_batch`. */
export type CallBatchItemBody = { mode: "start"; req: { start: StartBody } } | { mode: "end"; req: { end: EndBody } };
/** The body of `call_start_batch`. */
export interface CallBatchBody {
  batch: CallBatchItemBody[];
}
/** The body of `obj_create`. */
export interface ObjCreateBody {
  obj: { project_id: string; object_id: string; val: unknown };
}
/** The body of `table_create`. */
export interface TableCreateBody {
  table: { project_id: string; rows: Array<Record<string, unknown>> };
}
/** The body of `table_update` with appends only (how large tables are sent in parts, §5.1). */
export interface TableAppendBody {
  project_id: string;
  base_digest: string;
  updates: Array<{ append: { row: Record<string, unknown> } }>;
}
/** The body of `file_create` (sent as multipart: `project_id` and a `file` part named `name`). */
export interface FileCreateBody {
  project_id: string;
  name: string;
  content: Uint8Array;
}
/** The body of `feedback_create` (and one item of `feedback_create_batch`). */
export interface FeedbackCreateBody {
  project_id: string;
  /** The source row's id (HEAD accepts a client id), so a repeat can be recognised on the target. */
  id: string;
  weave_ref: string;
  creator?: string | null;
  feedback_type: string;
  payload: Record<string, unknown>;
  annotation_ref?: string | null;
  runnable_ref?: string | null;
  call_ref?: string | null;
  trigger_ref?: string | null;
  [head: string]: unknown;
}
/** One price of `cost_create`. */
export interface CostInputBody {
  prompt_token_cost: number;
  completion_token_cost: number;
  prompt_token_cost_unit?: string | null;
  completion_token_cost_unit?: string | null;
  effective_date?: string | null;
  provider_id?: string | null;
  cache_read_input_token_cost?: number;
  cache_creation_input_token_cost?: number;
}
/** The body of `cost_create`. */
export interface CostCreateBody {
  project_id: string;
  costs: Record<string, CostInputBody>;
}

/** `summary.weave` keys a server derives on read (§2.5, §3.8, §8.5): never sent, or they would be stored. */
const DERIVED_WEAVE_KEYS = new Set(["status", "latency_ms", "trace_name", "display_name", "costs", "feedback"]);

/**
 * The stored summary of a call as read: without the fields the server adds on every read.
 * @throws never
 */
export function storedSummary(summary: Record<string, unknown> | null | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { ...summary };
  const weave = out.weave;
  if (typeof weave === "object" && weave !== null && !Array.isArray(weave)) {
    const kept = Object.fromEntries(Object.entries(weave).filter(([key]) => !DERIVED_WEAVE_KEYS.has(key)));
    if (Object.keys(kept).length > 0) out.weave = kept;
    else delete out.weave;
  }
  return out;
}

/** Copies `source[key]` into `target` when it is set (not null, not undefined). */
function setIfPresent<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | null | undefined): void {
  if (value !== null && value !== undefined) target[key] = value;
}

/**
 * The upsert items of one call for the target: start and end together for an ended call, the start
 * alone for a running one, only the end when the start went in an earlier run (`startSent`).
 * @throws never
 */
export function callBatchItems(call: CallSchema, rw: RefRewrite, startSent: boolean): CallBatchItemBody[] {
  const items: CallBatchItemBody[] = [];
  const project_id = rw.toProject;
  if (!startSent) {
    const start: StartBody = {
      project_id,
      id: call.id,
      op_name: rewriteValue(call.op_name, rw),
      trace_id: call.trace_id,
      started_at: call.started_at,
      attributes: rewriteValue(call.attributes, rw),
      inputs: rewriteValue(call.inputs, rw),
    };
    setIfPresent(start, "display_name", call.display_name);
    setIfPresent(start, "parent_id", call.parent_id);
    setIfPresent(start, "thread_id", call.thread_id);
    setIfPresent(start, "turn_id", call.turn_id);
    setIfPresent(start, "wb_user_id", call.wb_user_id);
    setIfPresent(start, "wb_run_id", call.wb_run_id);
    setIfPresent(start, "wb_run_step", call.wb_run_step);
    items.push({ mode: "start", req: { start } });
  }
  if (call.ended_at !== null && call.ended_at !== undefined) {
    const end: EndBody = { project_id, id: call.id, ended_at: call.ended_at, summary: rewriteValue(storedSummary(call.summary), rw) };
    setIfPresent(end, "exception", call.exception);
    // `output: null` is a real value (an op that returned None); only a missing output is left out.
    if (call.output !== undefined) end.output = rewriteValue(call.output, rw);
    setIfPresent(end, "wb_run_step_end", call.wb_run_step_end);
    items.push({ mode: "end", req: { end } });
  }
  return items;
}

/**
 * `obj_create` for one object or op version, its refs rewritten. The processed val carries its classes (§4.2).
 * @throws never
 */
export function objCreateBody(objectId: string, val: unknown, rw: RefRewrite): ObjCreateBody {
  return { obj: { project_id: rw.toProject, object_id: objectId, val: rewriteValue(val, rw) } };
}

/**
 * `table_create` for rows (refs rewritten).
 * @throws never
 */
export function tableCreateBody(rows: readonly SourceRow[], rw: RefRewrite): TableCreateBody {
  return { table: { project_id: rw.toProject, rows: rows.map((r) => rewriteValue(r.val, rw)) } };
}

/**
 * `table_update` appending rows to `baseDigest`.
 * @throws never
 */
export function tableAppendBody(baseDigest: string, rows: readonly SourceRow[], rw: RefRewrite): TableAppendBody {
  return { project_id: rw.toProject, base_digest: baseDigest, updates: rows.map((r) => ({ append: { row: rewriteValue(r.val, rw) } })) };
}

/**
 * `file_create` (bytes unchanged, so the digest is too).
 * @throws never
 */
export function fileCreateBody(name: string, content: Uint8Array, rw: RefRewrite): FileCreateBody {
  return { project_id: rw.toProject, name, content };
}

/** Payload keys the server derives from a reaction's emoji. */
const REACTION_DERIVED = ["alias", "detoned", "detoned_alias"];

function isDefault(value: unknown, fallback: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === "object") return Object.keys(value).length === 0;
  return value === fallback;
}

/**
 * `feedback_create` for a stored feedback row: same id (so a repeat is recognised), refs rewritten.
 * `wb_user_id` and `created_at` are the server's to set (§0.3, §3.2); HEAD-only columns go only when
 * set, since Weave refuses `scorer_*` on most feedback types.
 * @throws never
 */
export function feedbackCreateBody(row: FeedbackRowOut, rw: RefRewrite): FeedbackCreateBody {
  const payload: Record<string, unknown> = { ...(row.payload as Record<string, unknown> | null | undefined) };
  // The server adds these to reactions (§3.2 step 6) and adds them again: send what a client sends.
  if (row.feedback_type === "wandb.reaction.1") for (const key of REACTION_DERIVED) delete payload[key];
  const body: FeedbackCreateBody = {
    project_id: rw.toProject,
    id: row.id,
    weave_ref: rewriteValue(row.weave_ref, rw),
    feedback_type: row.feedback_type,
    payload: rewriteValue(payload, rw),
  };
  for (const key of ["creator", "annotation_ref", "runnable_ref", "call_ref", "trigger_ref"] as const) {
    const value = row[key];
    if (typeof value === "string") body[key] = rewriteValue(value, rw);
  }
  for (const [key, fallback] of Object.entries(FEEDBACK_HEAD_DEFAULTS)) {
    if (!isDefault(row[key], fallback)) body[key] = rewriteValue(row[key], rw);
  }
  return body;
}

/**
 * `cost_create` for one stored price (one row per request: several rows may share an `llm_id`).
 * @throws never
 */
export function costCreateBody(cost: CostQueryOutput, toProject: string): CostCreateBody {
  const input: CostInputBody = { prompt_token_cost: cost.prompt_token_cost ?? 0, completion_token_cost: cost.completion_token_cost ?? 0 };
  setIfPresent(input, "prompt_token_cost_unit", cost.prompt_token_cost_unit);
  setIfPresent(input, "completion_token_cost_unit", cost.completion_token_cost_unit);
  setIfPresent(input, "effective_date", cost.effective_date);
  setIfPresent(input, "provider_id", cost.provider_id);
  if (cost.cache_read_input_token_cost) input.cache_read_input_token_cost = cost.cache_read_input_token_cost;
  if (cost.cache_creation_input_token_cost) input.cache_creation_input_token_cost = cost.cache_creation_input_token_cost;
  return { project_id: toProject, costs: { [cost.llm_id ?? ""]: input } };
}

/**
 * True when two price rows say the same thing (what makes a second `cost_create` a duplicate).
 * @throws never
 */
export function sameCost(a: CostQueryOutput, b: CostQueryOutput): boolean {
  const date = (d: string | null | undefined): number | undefined => (d ? Date.parse(d) : undefined);
  return (
    a.llm_id === b.llm_id &&
    date(a.effective_date) === date(b.effective_date) &&
    a.prompt_token_cost === b.prompt_token_cost &&
    a.completion_token_cost === b.completion_token_cost &&
    (a.provider_id ?? "default") === (b.provider_id ?? "default")
  );
}
