/**
 * From `completions_create` inputs to what goes out and what is logged (weave-semantics.md §9): the
 * provider request (model renamed, nulls and Weave-only fields dropped, headers and key attached) and
 * the inputs recorded on the `weave.completions_create` call (nulls dropped, secrets withheld).
 */
import { validationError, WeftError } from "../../errors";
import type { CompletionsCreateReq, CompletionsCreateRequestInputs } from "../../schema/completions";
import type { ProviderRoute } from "../providers";
import type { ChatRequest } from "./provider-call";

/** Default provider timeout, in seconds (LiteLLM's default request timeout is far longer; 120 s is plenty for a UI). */
export const DEFAULT_TIMEOUT_SECONDS = 120;

/**
 * Inputs Weave consumes itself (LiteLLM options, prompt templating, Vertex credentials) rather than
 * passing to the model: OpenAI-compatible servers reject unknown body fields, so they never go in the body.
 */
const NOT_FOR_PROVIDER = new Set(["timeout", "extra_headers", "prompt", "template_vars", "vertex_credentials", "api_version"]);

/** Header names whose values are credentials: logged calls show them redacted. */
const CREDENTIAL_HEADER = /^(authorization|proxy-authorization|api-key|x-api-key|x-goog-api-key)$/i;

/** Inputs without null/absent fields, as pydantic's `model_dump(exclude_none=True)` (top level only). */
export function droppingNulls(inputs: CompletionsCreateRequestInputs): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(inputs)) if (value !== null && value !== undefined) out[key] = value;
  return out;
}

/**
 * Refuses what weft cannot do yet, before anything is sent: a dedicated inference route (it would
 * send the key to a URL taken from the request), streaming (an SSE answer belongs to
 * `completions_create_stream`, which weft does not serve yet), and Weave's Prompt refs
 * (`inputs.prompt`, not resolved by weft yet).
 * @throws WeftError VALIDATION naming the field.
 */
export function checkSupported(req: CompletionsCreateReq): void {
  if (req.inference_route) throw validationError("inference_route", "dedicated inference routes are not supported by weft; register the endpoint as a provider instead");
  if (req.inputs.stream === true) throw validationError("inputs.stream", "streaming is not supported by completions_create; omit stream or set it to false");
  if (req.inputs.prompt) throw validationError("inputs.prompt", "Prompt refs are not resolved by weft yet; send the prompt's messages in inputs.messages");
}

function timeoutMs(timeout: CompletionsCreateRequestInputs["timeout"]): number {
  if (timeout === null || timeout === undefined) return DEFAULT_TIMEOUT_SECONDS * 1000;
  const seconds = typeof timeout === "number" ? timeout : Number(timeout.trim());
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw validationError("inputs.timeout", `must be a positive number of seconds (got ${JSON.stringify(timeout)})`);
  }
  return seconds * 1000;
}

function extraHeaders(inputs: CompletionsCreateRequestInputs): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(inputs.extra_headers ?? {})) {
    if (typeof value !== "string") throw validationError(`inputs.extra_headers.${name}`, "header values must be strings");
    out.push([name, value]);
  }
  return out;
}

/**
 * The provider request for `inputs` routed by `route`. Headers in increasing precedence: JSON
 * content type, the provider's headers, the request's `extra_headers`, then `Authorization: Bearer
 * <key>`, so a request cannot swap the registered key for another.
 * @throws WeftError VALIDATION when the provider has no key (and no Authorization header of its own),
 *   naming the provider, `details.api_key` = provider name (Weave's MissingLLMApiKeyError, 400,
 *   names the secret in `api_key`); a bad timeout or header value.
 */
export function buildChatRequest(route: ProviderRoute, inputs: CompletionsCreateRequestInputs): ChatRequest {
  const { provider } = route;
  const headers = new Headers({ "content-type": "application/json", accept: "application/json" });
  for (const [name, value] of Object.entries(provider.headers ?? {})) headers.set(name, value);
  if (provider.apiKey === undefined && !headers.has("authorization")) {
    throw new WeftError(
      "VALIDATION",
      `No API key for provider "${provider.name}" (model "${inputs.model}"): set one with providers.set({name: "${provider.name}", baseUrl, apiKey})`,
      { api_key: provider.name, provider: provider.name, issues: [{ path: "inputs.model", message: `provider "${provider.name}" has no API key` }] },
    );
  }
  for (const [name, value] of extraHeaders(inputs)) headers.set(name, value);
  if (provider.apiKey !== undefined) headers.set("authorization", `Bearer ${provider.apiKey}`);
  const body: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(droppingNulls(inputs))) if (!NOT_FOR_PROVIDER.has(key)) body[key] = value;
  body.model = route.model;
  return { provider, headers, body, timeoutMs: timeoutMs(inputs.timeout) };
}

/**
 * The inputs logged on the call: the request's inputs with nulls dropped and the original model
 * name (§9), minus `vertex_credentials` (Weave HEAD never logs it) and with credential-like
 * `extra_headers` values replaced, since call rows are stored and may be exported.
 */
export function recordedInputs(inputs: CompletionsCreateRequestInputs): Record<string, unknown> {
  const out = droppingNulls(inputs);
  delete out.vertex_credentials;
  if (inputs.extra_headers) {
    out.extra_headers = Object.fromEntries(
      Object.entries(inputs.extra_headers).map(([name, value]) => [name, CREDENTIAL_HEADER.test(name) ? "[redacted]" : value]),
    );
  }
  return out;
}
