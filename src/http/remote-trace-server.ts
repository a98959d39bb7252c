/**
 * `RemoteTraceServer`: Weave's `TraceServerInterface` spoken over HTTP to a Weave trace server (or to
 * weft's own fetch handler), the way Weave's clients speak it (weave-semantics.md §13,
 * weave-ts-sdk-and-http-api.md §1–2): Basic auth `api:<key>`, JSON bodies, multipart `/file/create`,
 * raw bytes from `/file/content`, JSONL streams read incrementally, retries with backoff on 429,
 * 5xx and network errors. Every method is generated from the method table and the route table.
 */
import { fromZodError, WeftError } from "../errors";
import { METHOD_NAMES, METHODS, type MethodName, type TraceServerInterface } from "../interface";
import { EnsureProjectExistsReqSchema } from "../schema/projects";
import { parseJsonl } from "./jsonl";
import { CONTENT_TYPE, errorFromBody, METHOD_ROUTES, type MethodRoute } from "./route-table";

/** Options of `createRemoteTraceServer`. */
export interface RemoteTraceServerOptions {
  /** The trace server's base URL, e.g. `https://trace.wandb.ai` or `https://<host>/traces`. */
  baseUrl: string;
  /** W&B API key, sent as Basic `api:<key>` (access tokens `wb_at_…` as Bearer, as HEAD clients do). */
  apiKey?: string;
  /** The fetch to use (default: the realm's `fetch`); `toCustomFetch(handler)` fits. */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** Retries after the first attempt on 429, 5xx and network errors (default 4). */
  retries?: number;
  /** First backoff delay in ms, doubled per retry, with jitter (default 500). */
  retryDelayMs?: number;
  /** Cap of one delay, `Retry-After` included (default 30 000). */
  maxRetryDelayMs?: number;
  /** Aborts every request and wait (they fail with `ABORTED`). */
  signal?: AbortSignal;
  /** How to wait between retries (default: a timer that `signal` cancels); tests record delays with it. */
  sleep?: (ms: number) => Promise<void>;
}

/** Weave's interface over HTTP, plus the URL it talks to. */
export type RemoteTraceServer = TraceServerInterface & { readonly baseUrl: string };

/** The `Authorization` header value for `apiKey`; base64 of UTF-8 without Node's `Buffer`. */
function authorization(apiKey: string): string {
  if (apiKey.startsWith("wb_at_")) return `Bearer ${apiKey}`;
  const bytes = new TextEncoder().encode(`api:${apiKey}`);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
}

/** Seconds or an HTTP date, in ms from now; undefined when absent or unreadable. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/**
 * The parsed response with the raw response's unknown keys put back, at every depth: responses are
 * validated leniently, because a newer Weave server adds fields (and an exporter must not drop
 * them), while defaults and transforms of our schemas still apply.
 */
function keepUnknownKeys(raw: unknown, parsed: unknown): unknown {
  if (raw === parsed) return raw;
  if (Array.isArray(raw) && Array.isArray(parsed) && raw.length === parsed.length) {
    return parsed.map((item: unknown, i) => keepUnknownKeys(raw[i], item));
  }
  if (isPlainObject(raw) && isPlainObject(parsed)) {
    const out: Record<string, unknown> = { ...raw };
    for (const [key, value] of Object.entries(parsed)) out[key] = keepUnknownKeys(raw[key], value);
    return out;
  }
  return parsed;
}

function validated(method: MethodName, raw: unknown): unknown {
  const result = METHODS[method].res.safeParse(raw);
  if (result.success) return keepUnknownKeys(raw, result.data);
  const issue = fromZodError(result.error, `${method} response from the server`);
  throw new WeftError("UPSTREAM", issue.message, issue.details);
}

/** Browsers report CORS refusals as a bare network TypeError; say so, since it is the usual cause. */
function networkError(error: unknown, url: string): WeftError {
  const message = error instanceof Error ? error.message : String(error);
  const inBrowser = typeof (globalThis as { process?: { versions?: { node?: unknown } } }).process?.versions?.node !== "string";
  const cors =
    inBrowser && error instanceof TypeError && /failed to fetch|networkerror|load failed/i.test(message)
      ? " In a browser this is usually CORS: the server must allow this origin and the Authorization header (or go through a same-origin proxy)."
      : "";
  return new WeftError("UPSTREAM", `Could not reach the Weave server at ${url}: ${message}.${cors}`);
}

function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (error instanceof Error && error.name === "AbortError");
}

function abortError(url: string): WeftError {
  return new WeftError("ABORTED", `The request to ${url} was aborted.`);
}

/** Builds the body and content headers of one route (multipart for `file_create`, §7). */
function encode(route: MethodRoute, req: unknown): { body: BodyInit; headers: Record<string, string> } {
  const accept = route.response === "jsonl" ? CONTENT_TYPE.jsonl : route.response === "bytes" ? CONTENT_TYPE.bytes : CONTENT_TYPE.json;
  if (route.body === "multipart") {
    const file = req as { project_id: string; name: string; content: Uint8Array | ArrayBuffer; expected_digest?: string | null };
    const form = new FormData();
    form.append("project_id", file.project_id);
    if (typeof file.expected_digest === "string") form.append("expected_digest", file.expected_digest);
    // Copy into a fresh ArrayBuffer-backed array: Blob refuses views of shared memory.
    form.append("file", new Blob([new Uint8Array(file.content)]), file.name);
    return { body: form, headers: { accept } };
  }
  // JSON.stringify writes Dates as ISO strings, which every Weave request schema accepts (§0.4).
  let body: string;
  try {
    body = JSON.stringify(req);
  } catch (error) {
    throw new WeftError("VALIDATION", `The ${route.method} request cannot be sent as JSON: ${(error as Error).message}`);
  }
  return { body, headers: { "content-type": CONTENT_TYPE.json, accept } };
}

/**
 * Creates a `RemoteTraceServer`. Retries: up to `retries` more attempts on 429, 5xx (but 501) and
 * network errors, waiting `retryDelayMs · 2^n` with jitter or the server's `Retry-After` (both capped at
 * `maxRetryDelayMs`); other 4xx are never retried; a stream is retried only until its response
 * arrives, never mid-stream (§13). Like Weave's SDKs it retries every method, which is safe for the
 * idempotent writes (upserts, content-addressed objects) but may duplicate a `feedback_create`
 * whose answer was lost. `ensure_project_exists` has no trace-server route: Weave's clients do it
 * through W&B's GraphQL API (§11), so it answers `{project_name}` locally.
 * @throws WeftError (from the methods) by status: 400 VALIDATION, 401 UNAUTHORIZED, 403 FORBIDDEN,
 *   404 NOT_FOUND (OBJECT_DELETED with `deleted_at`), 409 DIGEST_MISMATCH, 413 REQUEST_TOO_LARGE,
 *   422 INVALID_FIELD, 429 RATE_LIMITED, 5xx UPSTREAM; UPSTREAM for network failures and answers
 *   that do not match Weave's schemas; VALIDATION for a request that is not JSON (a cycle, a
 *   BigInt); ABORTED when `signal` fires
 */
export function createRemoteTraceServer(options: RemoteTraceServerOptions): RemoteTraceServer {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const fetchFn = options.fetch ?? ((input: string, init: RequestInit) => globalThis.fetch(input, init));
  const retries = options.retries ?? 4;
  const baseDelay = options.retryDelayMs ?? 500;
  const maxDelay = options.maxRetryDelayMs ?? 30_000;
  const signal = options.signal;
  const common: Record<string, string> = { ...options.headers };
  if (options.apiKey !== undefined) common.authorization = authorization(options.apiKey);

  const sleep =
    options.sleep ??
    ((ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        function done(): void {
          clearTimeout(timer);
          signal?.removeEventListener("abort", done);
          resolve();
        }
        signal?.addEventListener("abort", done, { once: true });
      }));

  const delayFor = (attempt: number, retryAfter: number | undefined): number => {
    if (retryAfter !== undefined) return Math.min(retryAfter, maxDelay);
    const ceiling = Math.min(maxDelay, baseDelay * 2 ** attempt);
    return ceiling / 2 + Math.random() * (ceiling / 2);
  };

  /** One call: the first successful response, after retries; or the error it ends with. */
  async function send(route: MethodRoute, req: unknown): Promise<Response> {
    const url = `${baseUrl}${route.path}`;
    const { body, headers } = encode(route, req);
    const init: RequestInit = { method: "POST", body, headers: { ...common, ...headers } };
    if (signal) init.signal = signal;
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw abortError(url);
      let response: Response;
      try {
        response = await fetchFn(url, init);
      } catch (error) {
        if (isAbort(error, signal)) throw abortError(url);
        if (attempt >= retries) throw networkError(error, url);
        await sleep(delayFor(attempt, undefined));
        continue;
      }
      if (response.ok) return response;
      // 501 Not Implemented is permanent (a weft server without that method): retrying cannot help.
      const retriable = response.status === 429 || (response.status >= 500 && response.status !== 501);
      if (retriable && attempt < retries) {
        await response.body?.cancel().catch(() => undefined);
        await sleep(delayFor(attempt, retryAfterMs(response.headers.get("retry-after"))));
        continue;
      }
      const text = await response.text().catch(() => "");
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text) as unknown;
      } catch {
        // A proxy's HTML error page: keep the text as the reason.
      }
      throw errorFromBody(response.status, parsed, `${route.method} (POST ${url})`);
    }
  }

  /** Reads a body to the end, turning transport failures into coded errors. */
  async function read<T>(url: string, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (error) {
      if (error instanceof WeftError) throw error;
      if (isAbort(error, signal)) throw abortError(url);
      throw new WeftError("UPSTREAM", `The answer from ${url} broke off: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async function unary(route: MethodRoute, req: unknown): Promise<unknown> {
    const response = await send(route, req);
    const url = `${baseUrl}${route.path}`;
    if (route.response === "bytes") return { content: new Uint8Array(await read(url, () => response.arrayBuffer())) };
    const text = await read(url, () => response.text());
    let raw: unknown;
    try {
      raw = JSON.parse(text) as unknown;
    } catch {
      throw new WeftError("UPSTREAM", `The answer of ${route.method} from ${url} is not JSON: ${text.slice(0, 120)}`);
    }
    return validated(route.method, raw);
  }

  function stream(route: MethodRoute, req: unknown): AsyncIterable<unknown> {
    const url = `${baseUrl}${route.path}`;
    return {
      async *[Symbol.asyncIterator]() {
        const response = await send(route, req);
        if (!response.body) return;
        const items = parseJsonl(response.body);
        let finished = false;
        try {
          for (;;) {
            const next = await read(url, () => items.next());
            if (next.done) {
              finished = true;
              return;
            }
            yield validated(route.method, next.value);
          }
        } finally {
          // A consumer that stops early (break, or a throw in its loop) closes the body too.
          if (!finished) await items.return().catch(() => undefined);
        }
      },
    };
  }

  const server: Record<string, unknown> = { baseUrl };
  for (const name of METHOD_NAMES) {
    const route = METHOD_ROUTES[name];
    if (route) {
      server[name] = route.response === "jsonl" ? (req: unknown) => stream(route, req) : (req: unknown) => unary(route, req);
    } else if (name === "ensure_project_exists") {
      server[name] = async (req: unknown) => {
        const parsed = EnsureProjectExistsReqSchema.safeParse(req);
        if (!parsed.success) throw fromZodError(parsed.error, "ensure_project_exists request");
        return { project_name: parsed.data.project };
      };
    } else {
      server[name] = () => Promise.reject(new WeftError("VALIDATION", `${name} has no HTTP route in Weave's API, so a remote server cannot serve it.`));
    }
  }
  return server as unknown as RemoteTraceServer;
}
