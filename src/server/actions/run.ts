/**
 * Running one action on one call (weave-semantics.md §10), as Weave's `actions_worker` does:
 * `contains_words` looks for substrings of `json.dumps(call.output)`; `llm_judge` asks a model,
 * through an untracked `completions_create`, for JSON matching the action's `response_schema`.
 */
import { WeftError } from "../../errors";
import type { CallSchema } from "../../schema/calls";
import { CompletionsCreateReqSchema } from "../../schema/completions";
import { completionsCreate } from "../completions/handlers";
import type { ProviderContext } from "../providers";
import { pythonJsonDumps } from "../python-json";
import type { ActionSpec, ContainsWordsConfig, LlmJudgeConfig } from "./action-spec";

/** Python's `json.dumps(value)` (no `sort_keys`: Weave's action code uses the defaults). */
function jsonDumps(value: unknown): string {
  return pythonJsonDumps(value, { sortKeys: false });
}

/**
 * True iff any target word is a substring of `json.dumps(call.output)`. Because that text is
 * `ensure_ascii` JSON, a word with non-ASCII characters or a `"` never matches its raw form, exactly
 * as in Weave; and `"a": 1` matches `{"a": 1}` thanks to Python's `": "` separator.
 */
export function containsWords(config: ContainsWordsConfig, call: CallSchema): boolean {
  const text = jsonDumps(call.output ?? null);
  return config.target_words.some((word) => text.includes(word));
}

/** The key a non-object response schema is wrapped under (Weave's `dummy_key`). */
const WRAP_KEY = "response";

/**
 * The `response_format` sent to the judge: `json_schema` with the action's schema, or, when the
 * schema's `type` is not `"object"`, an object schema with that schema under `response` (structured
 * outputs require an object at the top).
 */
export function judgeResponseFormat(config: LlmJudgeConfig): { wrapped: boolean; responseFormat: Record<string, unknown> } {
  const wrapped = config.response_schema.type !== "object";
  const schema = wrapped
    ? { type: "object", properties: { [WRAP_KEY]: config.response_schema }, additionalProperties: false }
    : config.response_schema;
  return { wrapped, responseFormat: { type: "json_schema", json_schema: { name: "response_format", schema } } };
}

function judgeFailure(message: string, model: string): WeftError {
  return new WeftError("UPSTREAM", `llm_judge with model "${model}": ${message}`, { model });
}

/**
 * Asks the judge model about one call: system message = the action's prompt, user message =
 * `json.dumps({"inputs": call.inputs, "output": call.output})`; the call is not logged
 * (`track_llm_call: false`, as Weave). The result is the parsed JSON content (unwrapped from
 * `response` when the schema was wrapped), or null when the model gave no content.
 * @throws WeftError as `completionsCreate`; UPSTREAM when the content is not JSON or a wrapped
 *   answer lacks `response` (Weave fails there with a 500).
 */
export async function llmJudge(ctx: ProviderContext, projectId: string, config: LlmJudgeConfig, call: CallSchema): Promise<unknown> {
  const { wrapped, responseFormat } = judgeResponseFormat(config);
  const req = CompletionsCreateReqSchema.parse({
    project_id: projectId,
    inputs: {
      model: config.model,
      messages: [
        { role: "system", content: config.prompt },
        { role: "user", content: jsonDumps({ inputs: call.inputs, output: call.output ?? null }) },
      ],
      response_format: responseFormat,
    },
    track_llm_call: false,
  });
  const { response } = await completionsCreate(ctx, req);
  const choices = response.choices;
  const first = Array.isArray(choices) ? (choices[0] as { message?: { content?: unknown } } | undefined) : undefined;
  const content = first?.message?.content;
  if (content === null || content === undefined) return null;
  if (typeof content !== "string") throw judgeFailure("the answer's content is not text", config.model);
  let parsed: unknown;
  try {
    parsed = JSON.parse(content) as unknown;
  } catch {
    throw judgeFailure(`the answer is not JSON: ${content.slice(0, 200)}`, config.model);
  }
  if (!wrapped) return parsed;
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed) || !Object.hasOwn(parsed, WRAP_KEY)) {
    throw judgeFailure(`the answer has no "${WRAP_KEY}" key: ${content.slice(0, 200)}`, config.model);
  }
  return (parsed as Record<string, unknown>)[WRAP_KEY];
}

/**
 * Runs `spec` on `call`.
 * @throws WeftError from `llmJudge` (contains_words cannot fail).
 */
export async function runAction(ctx: ProviderContext, projectId: string, spec: ActionSpec, call: CallSchema): Promise<unknown> {
  switch (spec.config.action_type) {
    case "contains_words":
      return containsWords(spec.config, call);
    case "llm_judge":
      return llmJudge(ctx, projectId, spec.config, call);
  }
}
