/**
 * `completions_create` (weave-semantics.md §9): Weave's LLM proxy, against the OpenAI-compatible
 * providers of the server's `ProviderRegistry`, logging each request as a `weave.completions_create`
 * call when `track_llm_call` is on (the default).
 *
 * Errors: Weave returns most provider failures inside `response` as `{error}` with HTTP 200. weft
 * throws a coded `WeftError` instead (UPSTREAM, UNAUTHORIZED, RATE_LIMITED; VALIDATION for a missing
 * key or an unknown model), so callers can branch on `code` rather than sniff the response. The
 * logged call is still Weave's: when the provider was actually asked and failed, the call is recorded
 * with `output = {error}` and `exception = <message>`, and the thrown error carries its id in
 * `details.weave_call_id`. Failures found before anything is sent (no key, unknown model, bad
 * inputs) record nothing, as Weave's MissingLLMApiKeyError records nothing.
 */
import { v7 as uuidv7 } from "uuid";
import { WeftError } from "../../errors";
import type { CompletionsCreateReq, CompletionsCreateRes } from "../../schema/completions";
import { writeCallParts } from "../calls/write";
import { providerForModel, type ProviderContext } from "../providers";
import { postChatCompletion } from "./provider-call";
import { buildChatRequest, checkSupported, recordedInputs } from "./request";

/** The op name of logged completions (§9). */
export const COMPLETIONS_OP_NAME = "weave.completions_create";

function isDict(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

type Outcome = { response: Record<string, unknown> } | { error: string };

/**
 * Logs one completion as a finished call: inputs as sent by the caller (nulls dropped, original
 * model name), output = the provider response (or `{error}`), `summary.usage = {<model>: usage}`
 * keyed by the request's model name as Weave keys it, with `requests: 1` added so `include_costs`
 * prices it like SDK-logged LLM calls.
 */
async function recordCall(ctx: ProviderContext, req: CompletionsCreateReq, startedAt: number, outcome: Outcome): Promise<string> {
  const summary: Record<string, unknown> = {};
  let output: unknown;
  let exception: string | undefined;
  if ("response" in outcome) {
    output = outcome.response;
    const usage = outcome.response.usage;
    if (isDict(usage)) summary.usage = { [req.inputs.model]: { ...usage, requests: usage.requests ?? 1 } };
  } else {
    output = { error: outcome.error };
    exception = outcome.error;
  }
  // The id is chosen here so that start and end go in one write (one transaction, §2.4).
  const id = uuidv7();
  await writeCallParts(ctx, [
    {
      kind: "start",
      start: {
        project_id: req.project_id,
        id,
        op_name: COMPLETIONS_OP_NAME,
        started_at: startedAt,
        attributes: {},
        inputs: recordedInputs(req.inputs),
        wb_user_id: req.wb_user_id ?? ctx.userId,
        trace_id: req.trace_id ?? null,
        parent_id: req.parent_id ?? null,
      },
    },
    {
      kind: "end",
      end: { project_id: req.project_id, id, ended_at: ctx.now(), output, summary, exception: exception ?? null },
    },
  ]);
  return id;
}

/**
 * `completions_create` (§9) → `{response, weave_call_id}`: routes `inputs.model` through the
 * registry (`providerForModel`), sends the chat completion request, logs it unless
 * `track_llm_call` is false (then `weave_call_id` is absent).
 * @throws WeftError VALIDATION: no provider for the model (naming it), no API key for the provider
 *   (naming it, `details.api_key`), `inputs.stream`, `inputs.prompt`, `inference_route`, a bad
 *   `inputs.timeout`; UPSTREAM: provider unreachable (naming it and its base URL), timed out, or a
 *   4xx/5xx answer (with the provider's message); UNAUTHORIZED: 401/403; RATE_LIMITED: 429. Provider
 *   failures of a tracked request carry `details.weave_call_id` of the call logged with the exception.
 */
export async function completionsCreate(ctx: ProviderContext, req: CompletionsCreateReq): Promise<CompletionsCreateRes> {
  checkSupported(req);
  const route = providerForModel(ctx.providers, req.inputs.model);
  const request = buildChatRequest(route, req.inputs);
  // Python's `if req.track_llm_call` would treat an explicit null as off; weft reads null as "not given".
  const tracked = req.track_llm_call ?? true;
  const startedAt = ctx.now();
  let response: Record<string, unknown>;
  try {
    response = await postChatCompletion(request);
  } catch (error) {
    if (!tracked || !(error instanceof WeftError)) throw error;
    const callId = await recordCall(ctx, req, startedAt, { error: error.message });
    throw new WeftError(error.code, error.message, { ...error.details, weave_call_id: callId });
  }
  if (!tracked) return { response };
  const callId = await recordCall(ctx, req, startedAt, { response });
  return { response, weave_call_id: callId };
}
