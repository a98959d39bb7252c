/**
 * A stand-in OpenAI-compatible LLM provider for tests: `node:http` on 127.0.0.1, a random port. It
 * answers `POST /v1/chat/completions` (and `/chat/completions`) with a `chat.completion` including
 * `usage`, can be told to fail with a status or to hang, and records every request (method, path,
 * lower-cased headers, parsed JSON body) so tests can check exactly what weft sent.
 *
 * Start it in `beforeAll` and close it in `afterAll`; `reset()` between tests restores the default
 * answer and forgets recorded requests.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request as the stub received it. */
export interface RecordedRequest {
  method: string;
  path: string;
  /** Header names lower-cased (as Node gives them); repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The JSON body, or the raw text when it was not JSON. */
  body: unknown;
}

/** What the stub answers with. */
type Behaviour =
  | { kind: "complete"; content: string | null; usage: Record<string, number> | null }
  | { kind: "fail"; status: number; message: string; echoAuthorization: boolean }
  | { kind: "hang" };

/** Default token counts of every answer. */
export const STUB_USAGE = { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 } as const;
/** Default assistant text of every answer. */
export const STUB_CONTENT = "Hello from the stub.";

const DEFAULT: Behaviour = { kind: "complete", content: STUB_CONTENT, usage: { ...STUB_USAGE } };

/** A running stub. */
export interface LlmStub {
  /** `http://127.0.0.1:<port>/v1`, the base URL an OpenAI client would use. */
  readonly baseUrl: string;
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** Every request received since start or the last `reset()`, in order. */
  readonly requests: RecordedRequest[];
  /** Answer with this assistant content (a JSON string for judges; null for no content) and usage. */
  complete(content: string | null, usage?: Record<string, number> | null): void;
  /**
   * Answer with an OpenAI-style error body `{error: {message, type, code}}` and `status`. With
   * `echoAuthorization` the message quotes the Authorization header it got, as some providers
   * quote the key they refused: tests use it to prove weft redacts the key.
   */
  fail(status: number, message?: string, echoAuthorization?: boolean): void;
  /** Accept requests and never answer (until `close()`). */
  hang(): void;
  /** Back to the default answer; recorded requests are forgotten. */
  reset(): void;
  /** Stops listening and drops open (hanging) connections. */
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** Starts a stub on 127.0.0.1 with a port chosen by the OS. */
export async function startLlmStub(): Promise<LlmStub> {
  const requests: RecordedRequest[] = [];
  let behaviour: Behaviour = DEFAULT;
  let served = 0;

  const server: Server = createServer((req, res) => {
    void (async () => {
      const text = await readBody(req);
      let body: unknown = text;
      try {
        body = text === "" ? null : (JSON.parse(text) as unknown);
      } catch {
        // keep the raw text: a test may want to see what was sent
      }
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      const headers = headersOf(req);
      requests.push({ method: req.method ?? "", path, headers, body });
      if (req.method !== "POST" || (path !== "/v1/chat/completions" && path !== "/chat/completions")) {
        sendJson(res, 404, { error: { message: `No route ${req.method} ${path}`, type: "invalid_request_error", code: null } });
        return;
      }
      const now = behaviour;
      if (now.kind === "hang") return;
      if (now.kind === "fail") {
        const message = now.echoAuthorization ? `${now.message} (got: ${headers.authorization ?? "none"})` : now.message;
        sendJson(res, now.status, { error: { message, type: "stub_error", code: String(now.status) } });
        return;
      }
      served++;
      const model = typeof body === "object" && body !== null ? (body as { model?: unknown }).model : undefined;
      const completion: Record<string, unknown> = {
        id: `chatcmpl-stub-${served}`,
        object: "chat.completion",
        created: 1_700_000_000 + served,
        model: typeof model === "string" ? model : "unknown",
        choices: [{ index: 0, message: { role: "assistant", content: now.content }, logprobs: null, finish_reason: "stop" }],
      };
      if (now.usage) completion.usage = now.usage;
      sendJson(res, 200, completion);
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  return {
    baseUrl: `${origin}/v1`,
    origin,
    requests,
    complete(content, usage = { ...STUB_USAGE }) {
      behaviour = { kind: "complete", content, usage };
    },
    fail(status, message = `Stub error ${status}`, echoAuthorization = false) {
      behaviour = { kind: "fail", status, message, echoAuthorization };
    },
    hang() {
      behaviour = { kind: "hang" };
    },
    reset() {
      behaviour = DEFAULT;
      requests.length = 0;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}

/** A `http://127.0.0.1:<port>/v1` URL on which nothing listens (a port taken and released again). */
export async function closedPortBaseUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/v1`;
}
