/**
 * One request to an OpenAI-compatible provider: `POST {baseUrl}/chat/completions` with `fetch` (a
 * Worker and Node 20 both have it), bounded by a timeout, with the provider's failures mapped to
 * `WeftError` codes so callers can branch on them (weave-semantics.md §9; weft throws where Weave
 * returns `{error}` inside `response`, see `handlers.ts`).
 *
 * The key goes only to the provider's own base URL: redirects are refused (a redirect could point
 * anywhere), cookies are never attached, and any echo of the key in a provider's error text is
 * redacted before it becomes part of a message.
 */
import { WeftError, type WeftErrorCode } from "../../errors";
import type { ProviderConfig } from "../providers";

/** Everything needed to send one chat completion request. */
export interface ChatRequest {
  provider: Readonly<ProviderConfig>;
  headers: Headers;
  body: Record<string, unknown>;
  timeoutMs: number;
}

const MAX_MESSAGE_CHARS = 500;

/** The provider-side URL of chat completions. */
export function chatCompletionsUrl(provider: Readonly<ProviderConfig>): string {
  return `${provider.baseUrl}/chat/completions`;
}

/** Replaces every occurrence of the provider's secrets (key, header values) in `text`. */
function redact(text: string, provider: Readonly<ProviderConfig>): string {
  const secrets = [provider.apiKey, ...Object.values(provider.headers ?? {})].filter((s): s is string => !!s && s.length >= 4);
  let out = text;
  for (const secret of secrets) out = out.split(secret).join("[redacted]");
  return out;
}

function describe(provider: Readonly<ProviderConfig>): string {
  return `provider "${provider.name}" (${provider.baseUrl})`;
}

/** The provider's own error text: OpenAI's `{error: {message}}`, `{error: "…"}`, `{message}`, or the raw body. */
function providerMessage(text: string): string {
  let message = text.trim();
  try {
    const body = JSON.parse(text) as unknown;
    if (typeof body === "object" && body !== null) {
      const { error, message: top } = body as { error?: unknown; message?: unknown };
      if (typeof error === "string") message = error;
      else if (typeof error === "object" && error !== null && typeof (error as { message?: unknown }).message === "string") {
        message = (error as { message: string }).message;
      } else if (typeof top === "string") message = top;
    }
  } catch {
    // not JSON: keep the text
  }
  if (message === "") message = "(empty body)";
  return message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}…` : message;
}

function statusCode(status: number): WeftErrorCode {
  if (status === 401 || status === 403) return "UNAUTHORIZED";
  if (status === 429) return "RATE_LIMITED";
  return "UPSTREAM";
}

function statusHint(status: number): string {
  if (status === 401 || status === 403) return " Check the API key registered for it.";
  if (status === 429) return " Wait and retry, or lower the request rate.";
  return "";
}

/** Why `fetch` itself failed: Node puts the socket error (ECONNREFUSED, …) in `cause`. */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (cause && typeof cause.code === "string") return cause.code;
  if (cause && typeof cause.message === "string") return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Sends the request and returns the provider's JSON response.
 * @throws WeftError UPSTREAM when the provider cannot be reached (message names it and its base URL),
 *   times out ("timed out"), redirects, answers a 4xx/5xx other than below (carrying the provider's
 *   message, `details.status`), or answers something that is not a JSON object; UNAUTHORIZED for
 *   401/403 (`details.status` tells which); RATE_LIMITED for 429 (`details.retry_after` when sent).
 */
export async function postChatCompletion(req: ChatRequest): Promise<Record<string, unknown>> {
  const { provider } = req;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, req.timeoutMs);
  const timeoutError = (): WeftError =>
    new WeftError("UPSTREAM", `Request to ${describe(provider)} timed out after ${req.timeoutMs / 1000} s`, {
      provider: provider.name,
      timeout_ms: req.timeoutMs,
    });
  try {
    let res: Response;
    try {
      res = await fetch(chatCompletionsUrl(provider), {
        method: "POST",
        headers: req.headers,
        body: JSON.stringify(req.body),
        signal: controller.signal,
        redirect: "error",
        credentials: "omit",
      });
    } catch (error) {
      if (timedOut) throw timeoutError();
      throw new WeftError("UPSTREAM", `Could not reach provider "${provider.name}" at ${provider.baseUrl}: ${redact(networkReason(error), provider)}`, {
        provider: provider.name,
      });
    }
    let text: string;
    try {
      // The timer still runs: a provider that sends headers and then stalls is a timeout too.
      text = await res.text();
    } catch (error) {
      if (timedOut) throw timeoutError();
      throw new WeftError("UPSTREAM", `Lost the connection to ${describe(provider)}: ${redact(networkReason(error), provider)}`, {
        provider: provider.name,
      });
    }
    if (!res.ok) {
      const details: Record<string, unknown> = { provider: provider.name, status: res.status };
      const retryAfter = res.headers.get("retry-after");
      if (res.status === 429 && retryAfter !== null) details.retry_after = retryAfter;
      const message = redact(providerMessage(text), provider);
      const sentence = `${message.replace(/\.$/, "")}.${statusHint(res.status)}`;
      throw new WeftError(statusCode(res.status), `Provider "${provider.name}" (${provider.baseUrl}) answered ${res.status}: ${sentence}`, details);
    }
    let body: unknown;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      body = undefined;
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new WeftError("UPSTREAM", `Provider "${provider.name}" (${provider.baseUrl}) answered ${res.status} with something that is not a JSON object`, {
        provider: provider.name,
        status: res.status,
      });
    }
    return body as Record<string, unknown>;
  } finally {
    clearTimeout(timer);
  }
}
