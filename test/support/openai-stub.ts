/**
 * A stand-in for the OpenAI HTTP API, for tests of `wrapOpenAI` with the official `openai` client:
 * `POST /v1/chat/completions`, plain JSON or SSE streaming (with the usage chunk when
 * `stream_options.include_usage` is set), on 127.0.0.1 at a random port. Every request is recorded.
 * CORS is open (and `Authorization` allowed, which a `*` would not cover) so a page on another
 * port can call it. Model `"stub-error"` answers 400 with an OpenAI-style error body.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A request as the stub saw it. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** The running stub. */
export interface OpenAIStub {
  /** `http://127.0.0.1:<port>/v1`: the client's `baseURL`. */
  baseURL: string;
  /** Non-preflight requests, oldest first. */
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** What every completion says, and how it is streamed (one chunk per piece). */
export const STUB_REPLY_PIECES = ["Hello", " from", " the", " stub", "!"] as const;
export const STUB_REPLY = STUB_REPLY_PIECES.join("");
/** The usage every completion reports. */
export const STUB_USAGE = { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 } as const;

function cors(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader("Access-Control-Allow-Origin", "*");
  res.setHeader("Access-Control-Allow-Methods", "POST, GET, OPTIONS");
  res.setHeader("Access-Control-Allow-Headers", req.headers["access-control-request-headers"] ?? "authorization, content-type");
  res.setHeader("Access-Control-Max-Age", "600");
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  const text = Buffer.concat(parts).toString("utf8");
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

function completion(n: number, model: string): Record<string, unknown> {
  return {
    id: `chatcmpl-stub-${n}`,
    object: "chat.completion",
    created: 1_700_000_000 + n,
    model,
    system_fingerprint: "fp_stub",
    choices: [{ index: 0, message: { role: "assistant", content: STUB_REPLY, refusal: null }, finish_reason: "stop", logprobs: null }],
    usage: { ...STUB_USAGE },
  };
}

function streamChunks(n: number, model: string, includeUsage: boolean): Array<Record<string, unknown>> {
  const base = { id: `chatcmpl-stub-${n}`, object: "chat.completion.chunk", created: 1_700_000_000 + n, model, system_fingerprint: "fp_stub" };
  const choice = (delta: Record<string, unknown>, finish: string | null) => [{ index: 0, delta, finish_reason: finish, logprobs: null }];
  const chunks = [{ ...base, choices: choice({ role: "assistant", content: "" }, null) }];
  for (const piece of STUB_REPLY_PIECES) chunks.push({ ...base, choices: choice({ content: piece }, null) });
  chunks.push({ ...base, choices: choice({}, "stop") });
  if (includeUsage) chunks.push({ ...base, choices: [], usage: { ...STUB_USAGE } } as never);
  return chunks;
}

/**
 * Starts the stub.
 * @throws {Error} when the port cannot be bound
 */
export async function startOpenAIStub(): Promise<OpenAIStub> {
  const requests: RecordedRequest[] = [];
  let count = 0;
  const server = createServer((req, res) => {
    cors(req, res);
    if (req.method === "OPTIONS") {
      res.writeHead(204).end();
      return;
    }
    readBody(req).then(
      (body) => {
        requests.push({ method: req.method ?? "", path: req.url ?? "", headers: { ...req.headers }, body });
        const n = ++count;
        const model = typeof body.model === "string" ? body.model : "unknown";
        if (req.method !== "POST" || !req.url?.startsWith("/v1/chat/completions")) {
          res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: `no route ${req.url}`, type: "not_found" } }));
        } else if (model === "stub-error") {
          res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "The model `stub-error` does not exist", type: "invalid_request_error", code: "model_not_found" } }));
        } else if (body.stream === true) {
          const options = body.stream_options as { include_usage?: boolean } | undefined;
          res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
          for (const chunk of streamChunks(n, model, options?.include_usage === true)) res.write(`data: ${JSON.stringify(chunk)}\n\n`);
          res.end("data: [DONE]\n\n");
        } else {
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(completion(n, model)));
        }
      },
      (error: unknown) => res.writeHead(400).end(String(error)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
