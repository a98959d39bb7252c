/**
 * The checks `feedback_create` runs before anything is written (weave-semantics.md §3.2), in Weave's
 * order (`validate_feedback_create_req`, then `process_feedback_payload`), with Weave's messages. Every
 * failure is a `VALIDATION` WeftError (Weave's InvalidRequest, HTTP 400), so nothing is stored.
 */
import { Validator, type Schema, type SchemaDraft } from "@cfworker/json-schema";
import { WeftError } from "../../errors";
import { FEEDBACK_PAYLOAD_TOO_LARGE_MESSAGE, MAX_FEEDBACK_PAYLOAD_CHARS, type FeedbackCreateReq } from "../../schema/feedback";
import type { ServerContext } from "../context";
import { pythonJsonDumps } from "../python-json";
import { refsReadBatch } from "../refs/read-batch";
import { internalProjectId, parseAnyRef, type Ref } from "../refs/uri";
import { reactionFields } from "./emoji";

const REACTION_TYPE = "wandb.reaction.1";
const NOTE_TYPE = "wandb.note.1";
const ANNOTATION_PREFIX = "wandb.annotation";
const RUNNABLE_PREFIX = "wandb.runnable";
// The two agent types are exact names (Weave's `feedback_type_is_agent_*` compare with ==), unlike the
// annotation and runnable prefixes: `wandb.agent_monitor.x` is an ordinary type.
const AGENT_MONITOR_TYPE = "wandb.agent_monitor";
const AGENT_USER_FEEDBACK_TYPE = "wandb.agent_user_feedback";
const MAX_NOTE_CHARS = 1024;
const SCORER_FIELDS = [
  "scorer_tags",
  "scorer_tag_reasons",
  "scorer_tag_confidences",
  "scorer_ratings",
  "scorer_rating_reasons",
  "scorer_rating_confidences",
] as const;

function invalid(message: string, path = ""): WeftError {
  return new WeftError("VALIDATION", message, { issues: [{ path, message }] });
}

/** Python truthiness of an optional request field: null, "", [] and {} are all "not set". */
function isSet(value: unknown): boolean {
  if (value === undefined || value === null || value === "") return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object") return Object.keys(value).length > 0;
  return true;
}

/** Weave's `ensure_ref_is_valid`: parses either ref form and checks its kind. */
function refOf(ref: string, kinds: ReadonlyArray<Ref["kind"]>, field: string): Ref {
  let parsed: Ref;
  try {
    parsed = parseAnyRef(ref).ref;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw invalid(`Invalid ref: ${ref}, ${why}`, field);
  }
  if (!kinds.includes(parsed.kind)) throw invalid(`Invalid ref: ${ref}, expected a ${kinds.join(" or ")} ref`, field);
  return parsed;
}

/** The name of an object/op ref (the other kinds never reach here). */
function refName(ref: Ref): string {
  return ref.kind === "object" || ref.kind === "op" ? ref.name : "";
}

/** Pydantic's payload models for the two fixed types (FeedbackPayloadReactionReq / NoteReq). */
function checkKnownPayload(req: FeedbackCreateReq): void {
  const fail = (why: string): never => {
    throw invalid(`Invalid payload for feedback_type ${req.feedback_type}: ${why}`, "payload");
  };
  if (req.feedback_type === REACTION_TYPE && typeof req.payload.emoji !== "string") fail("emoji: a string is required");
  if (req.feedback_type === NOTE_TYPE) {
    const note = req.payload.note;
    if (typeof note !== "string") fail("note: a string is required");
    // Python counts code points, not UTF-16 units.
    const length = [...(note as string)].length;
    if (length < 1 || length > MAX_NOTE_CHARS) fail(`note: must be 1 to ${MAX_NOTE_CHARS} characters (got ${length})`);
  }
}

/** Which annotation/runnable/agent-monitor rules apply, and the refs each requires (§3.2 steps 3–4). */
function checkTypeAndRefs(req: FeedbackCreateReq): void {
  const type = req.feedback_type;
  const payloadFail = (why: string): never => {
    throw invalid(`Invalid payload for feedback_type ${type}: ${why}`, "payload");
  };
  if (type.startsWith(ANNOTATION_PREFIX)) {
    if (!type.startsWith(`${ANNOTATION_PREFIX}.`)) throw invalid(`Invalid annotation feedback type: ${type}`, "feedback_type");
    const subname = type.slice(ANNOTATION_PREFIX.length + 1);
    if (!req.annotation_ref) throw invalid("annotation_ref is required for annotation feedback", "annotation_ref");
    if (refName(refOf(req.annotation_ref, ["object"], "annotation_ref")) !== subname) {
      throw invalid(`annotation_ref must point to an object with name ${subname}`, "annotation_ref");
    }
    if (!Object.hasOwn(req.payload, "value")) payloadFail("value: field required");
  } else if (req.annotation_ref) {
    throw invalid("annotation_ref is not allowed for non-annotation feedback", "annotation_ref");
  } else if (type.startsWith(RUNNABLE_PREFIX)) {
    if (!type.startsWith(`${RUNNABLE_PREFIX}.`)) throw invalid(`Invalid runnable feedback type: ${type}`, "feedback_type");
    const subname = type.slice(RUNNABLE_PREFIX.length + 1);
    if (!req.runnable_ref) throw invalid("runnable_ref is required for runnable feedback", "runnable_ref");
    const ref = refOf(req.runnable_ref, ["op", "object"], "runnable_ref");
    if (refName(ref) !== subname) throw invalid(`runnable_ref must point to an object with name ${subname}`, "runnable_ref");
    if (ref.kind === "op" && !req.call_ref) throw invalid("call_ref is required for runnable feedback on ops", "call_ref");
    if (!Object.hasOwn(req.payload, "output")) payloadFail("output: field required");
  } else if (type === AGENT_MONITOR_TYPE) {
    if (!req.runnable_ref) throw invalid("runnable_ref is required for agent monitor feedback", "runnable_ref");
    if (req.call_ref == null) throw invalid("call_ref is required for agent monitor feedback", "call_ref");
    if (req.trigger_ref == null) throw invalid("trigger_ref is required for agent monitor feedback", "trigger_ref");
  } else if (req.runnable_ref) {
    throw invalid("runnable_ref is not allowed for non-runnable feedback", "runnable_ref");
  } else if (req.call_ref) {
    throw invalid("call_ref is not allowed for non-runnable feedback", "call_ref");
  } else if (req.trigger_ref) {
    throw invalid("trigger_ref is not allowed for non-runnable feedback", "trigger_ref");
  }
  // Typed scorer columns are reserved for scorer-generated feedback (HEAD).
  const scorerAllowed = type.startsWith(RUNNABLE_PREFIX) || type === AGENT_MONITOR_TYPE || type === AGENT_USER_FEEDBACK_TYPE;
  const scorerField = SCORER_FIELDS.find((f) => isSet(req[f]));
  if (!scorerAllowed && scorerField) {
    // Weave's message names all six columns; the issue path names the one this request set.
    throw invalid(
      "scorer_tags, scorer_tag_reasons, scorer_tag_confidences, scorer_ratings, scorer_rating_reasons, and " +
        "scorer_rating_confidences are only allowed on wandb.agent_monitor, wandb.agent_user_feedback, or wandb.runnable feedback",
      scorerField,
    );
  }
  // An agent user feedback's value is the tag itself; an empty one would be noise.
  if (type === AGENT_USER_FEEDBACK_TYPE && !isSet(req.scorer_tags)) {
    throw invalid("scorer_tags is required for agent user feedback", "scorer_tags");
  }
}

/** `$schema` → the draft @cfworker validates with; Python's jsonschema defaults to the latest draft. */
function draftOf(schema: Record<string, unknown>): SchemaDraft {
  const id = typeof schema.$schema === "string" ? schema.$schema : "";
  if (id.includes("draft-04")) return "4";
  if (id.includes("draft-07") || id.includes("draft-06")) return "7";
  if (id.includes("2019-09")) return "2019-09";
  return "2020-12";
}

/**
 * Reads the AnnotationSpec `annotation_ref` points to and validates `payload.value` against its
 * `field_schema` (§3.2 step 3). The spec is read through `refs_read_batch`, as Weave does, so a
 * missing version is that method's NOT_FOUND and a deleted one resolves to null ("not found").
 */
async function checkAnnotationValue(ctx: ServerContext, req: FeedbackCreateReq, annotationRef: string): Promise<void> {
  const { ref, external } = parseAnyRef(annotationRef);
  const project = external ? req.project_id : internalProjectId(req.project_id);
  if (ref.project !== project) {
    throw invalid(`Annotation ref ${annotationRef} does not match project id ${req.project_id}`, "annotation_ref");
  }
  const spec = (await refsReadBatch(ctx, { refs: [annotationRef] })).vals[0];
  if (spec === null || spec === undefined) throw invalid(`Annotation ref ${annotationRef} not found`, "annotation_ref");
  const notSpec = (): WeftError => invalid(`Annotation ref ${annotationRef} is not a valid annotation spec`, "annotation_ref");
  if (typeof spec !== "object" || Array.isArray(spec)) throw notSpec();
  const { field_schema: fieldSchema = {}, unique_among_creators: unique, op_scope: opScope } = spec as Record<string, unknown>;
  if (typeof fieldSchema !== "object" || fieldSchema === null || Array.isArray(fieldSchema)) throw notSpec();
  if (unique !== undefined && typeof unique !== "boolean") throw notSpec();
  if (opScope !== undefined && opScope !== null && !(Array.isArray(opScope) && opScope.every((s) => typeof s === "string"))) throw notSpec();
  let valid: boolean;
  try {
    const schema = fieldSchema as Record<string, unknown>;
    valid = new Validator(schema as Schema, draftOf(schema)).validate(req.payload.value).valid;
  } catch {
    // A schema the validator cannot even run is what Weave's SchemaError stands for.
    throw notSpec();
  }
  if (!valid) throw invalid("Feedback payload does not match annotation spec", "payload.value");
}

/**
 * Everything `feedback_create` checks, in Weave's order, and the processed payload to store: for
 * reactions the payload gains `alias`, `detoned`, `detoned_alias` (§3.2 step 6); then the 1 MiB cap
 * on `len(json.dumps(payload))` (step 7).
 * @throws WeftError VALIDATION with Weave's InvalidRequest message for every rule of §3.2
 *   ("Invalid payload for feedback_type …", "annotation_ref is required …", "Invalid ref: …",
 *   "Feedback payload too large", …); NOT_FOUND when `annotation_ref` names a version that does not exist.
 */
export async function validateFeedbackCreate(ctx: ServerContext, req: FeedbackCreateReq): Promise<Record<string, unknown>> {
  checkKnownPayload(req);
  checkTypeAndRefs(req);
  if (req.annotation_ref) await checkAnnotationValue(ctx, req, req.annotation_ref);
  if (req.runnable_ref) refOf(req.runnable_ref, ["op", "object"], "runnable_ref");
  if (req.call_ref) refOf(req.call_ref, ["call"], "call_ref");
  if (req.trigger_ref) refOf(req.trigger_ref, ["object"], "trigger_ref");
  if (req.queue_id) {
    // weft has no annotation queues, so every queue id is one Weave's lookup would not find (FB-19).
    throw invalid(`Queue ${req.queue_id} not found or has been deleted`, "queue_id");
  }
  const payload: Record<string, unknown> = { ...req.payload };
  if (req.feedback_type === REACTION_TYPE) {
    const fields = await reactionFields(req.payload.emoji as string);
    if (!fields) throw invalid("Value of emoji key in payload must be exactly one emoji", "payload.emoji");
    Object.assign(payload, fields);
  }
  if (pythonJsonDumps(payload, { sortKeys: false }).length > MAX_FEEDBACK_PAYLOAD_CHARS) {
    throw invalid(FEEDBACK_PAYLOAD_TOO_LARGE_MESSAGE, "payload");
  }
  return payload;
}
