/**
 * Completions: `completions_create` (and `completions_create_stream`, same request), Weave's LLM proxy
 * (weave-semantics.md §9). Provider errors come back inside `response` as `{error}`, not as exceptions.
 */
import { z } from "zod";
import { JsonObjectSchema, JsonValueSchema, OptionalBool, OptionalString, ProjectIdSchema } from "./common";

const OptionalNumber = z.number().nullish();
const OptionalInt = z.number().int().nullish();
const OptionalJsonList = z.array(JsonValueSchema).nullish();
const OptionalJsonObject = JsonObjectSchema.nullish();

/**
 * The LLM call's parameters (`CompletionsCreateRequestInputs`), every field of Weave's HEAD model:
 * OpenAI chat parameters plus Weave's `prompt` (a Prompt object ref whose messages are prepended) and
 * `template_vars` (§9). Weave declares this nested model as a plain pydantic `BaseModel`, which
 * *drops* unknown keys rather than rejecting them; we do the same, so an unknown provider parameter is
 * ignored, not forwarded. `messages` defaults to `[]` as in Weave.
 */
export const CompletionsCreateRequestInputsSchema = z.object({
  model: z.string(),
  messages: z.array(JsonValueSchema).default([]),
  timeout: z.union([z.number(), z.string()]).nullish(),
  temperature: OptionalNumber,
  top_p: OptionalNumber,
  n: OptionalInt,
  stop: z.union([z.string(), z.array(JsonValueSchema)]).nullish(),
  max_completion_tokens: OptionalInt,
  max_tokens: OptionalInt,
  modalities: OptionalJsonList,
  presence_penalty: OptionalNumber,
  frequency_penalty: OptionalNumber,
  stream: OptionalBool,
  logit_bias: OptionalJsonObject,
  user: OptionalString,
  /** Weave also allows a pydantic class here (Python only); over the wire it is a JSON object. */
  response_format: OptionalJsonObject,
  seed: OptionalInt,
  tools: OptionalJsonList,
  tool_choice: z.union([z.string(), JsonObjectSchema]).nullish(),
  logprobs: OptionalBool,
  top_logprobs: OptionalInt,
  parallel_tool_calls: OptionalBool,
  reasoning_effort: OptionalString,
  extra_headers: OptionalJsonObject,
  functions: OptionalJsonList,
  function_call: OptionalString,
  api_version: OptionalString,
  prompt: OptionalString,
  template_vars: OptionalJsonObject,
  /** Vertex AI credentials JSON; Weave never stores it in the logged call (HEAD). */
  vertex_credentials: OptionalString,
});
export type CompletionsCreateRequestInputs = z.infer<typeof CompletionsCreateRequestInputsSchema>;
export type CompletionsCreateRequestInputsInput = z.input<typeof CompletionsCreateRequestInputsSchema>;

/** Routing to a dedicated inference deployment (`DedicatedInferenceRoute`, HEAD); strict in Weave. */
export const DedicatedInferenceRouteSchema = z.strictObject({
  connection_type: z.literal("dedicated"),
  connection: z.string(),
  base_url: z.string(),
});
export type DedicatedInferenceRoute = z.infer<typeof DedicatedInferenceRouteSchema>;

/**
 * `completions_create` request (§9). `track_llm_call` (default true) logs the call as
 * `weave.completions_create`; `trace_id`/`parent_id`/`conversation_*`/`source`/`inference_route` are
 * HEAD fields, accepted because HEAD clients send them.
 */
export const CompletionsCreateReqSchema = z.strictObject({
  project_id: ProjectIdSchema,
  inputs: CompletionsCreateRequestInputsSchema,
  inference_route: DedicatedInferenceRouteSchema.nullish(),
  wb_user_id: OptionalString,
  track_llm_call: OptionalBool,
  trace_id: OptionalString,
  parent_id: OptionalString,
  conversation_id: OptionalString,
  conversation_name: OptionalString,
  source: OptionalString,
});
export type CompletionsCreateReq = z.infer<typeof CompletionsCreateReqSchema>;
export type CompletionsCreateReqInput = z.input<typeof CompletionsCreateReqSchema>;

/**
 * `completions_create` response: the provider's response (or `{error}`) and the logged call's id
 * (§9). `span_id`/`trace_id`/`conversation_id` are HEAD's agent-span ids.
 */
export const CompletionsCreateResSchema = z.object({
  response: JsonObjectSchema,
  weave_call_id: OptionalString,
  span_id: OptionalString,
  trace_id: OptionalString,
  conversation_id: OptionalString,
});
export type CompletionsCreateRes = z.infer<typeof CompletionsCreateResSchema>;
