/**
 * Serving Weave's HTTP API (weave-semantics.md §13) from any object that implements (part of) the
 * interface: a `LocalTraceServer`, a client of a weft worker, or a `RemoteTraceServer` (a proxy).
 * The handler is a plain `(Request) => Promise<Response>`, so it runs in a Service Worker's `fetch`
 * event, as the official SDK's `customFetch` (through `toCustomFetch`), or behind `node:http`
 * (through `toNodeListener`). It never throws: every failure is an HTTP answer with Weave's error
 * body (§0.5).
 */
import { toWeftError, WeftError } from "../errors";
import type { MethodName, TraceServerInterface } from "../interface";
import { jsonlStream } from "./jsonl";
import {
  CONTENT_TYPE,
  DEFAULT_SERVER_VERSION,
  errorBody,
  GET_PATHS,
  HEALTH_BODY,
  POST_ROUTES,
  serverInfoBody,
  type GetPath,
  type MethodRoute,
} from "./route-table";

/** A fetch-style handler: one `Request` in, one `Response` out, never a rejection. */
export type FetchHandler = (request: Request) => Promise<Response>;

/** Options of `createFetchHandler`. */
export interface FetchHandlerOptions {
  /** Path prefix the routes live under, e.g. `/traces` (Weave self-hosted) or `/__weave` (a Service Worker). */
  basePath?: string;
  /** What `GET /version` answers and `GET /server_info` reports as `trace_server_version`. */
  serverVersion?: string;
  /**
   * Called with every exception that is not a `WeftError` (a bug somewhere): the client only gets
   * Weave's opaque `{"reason": "Internal server error"}`, so this is where to log it.
   */
  onError?: (error: unknown, request: Request) => void;
}

/** A failure of the HTTP layer itself (bad body, wrong content type), before any method runs. */
class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errorType = "InvalidRequest",
  ) {
    super(message);
  }
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": CONTENT_TYPE.json, ...headers } });
}

/** The media type of a request, lower case, without parameters (`""` when absent). */
function mediaType(request: Request): string {
  return (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
}

/**
 * A JSON body as FastAPI reads it: no content type or `application/json` / `…+json`. Other types
 * get 415, not FastAPI's 422: in Weave's status registry 422 means InvalidFieldError (§0.5), and a
 * client mapping statuses to errors (ours does) would misread it. Bad JSON is 400 (pydantic's
 * ValidationError status in Weave) rather than FastAPI's 422 for the same reason. ISO datetimes stay
 * strings: the server's schemas parse them.
 */
async function readJson(request: Request, route: MethodRoute): Promise<unknown> {
  const type = mediaType(request);
  if (type !== "" && type !== CONTENT_TYPE.json && !type.endsWith("+json")) {
    throw new HttpProblem(415, `POST ${route.path} takes a JSON body (Content-Type: application/json), not ${type}.`);
  }
  const text = await request.text();
  if (text.trim() === "") throw new HttpProblem(400, `POST ${route.path} needs a JSON object body; the body is empty.`);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpProblem(400, `POST ${route.path}: the body is not valid JSON (${(error as Error).message}).`);
  }
}

/**
 * `file_create`'s multipart form, as Weave's route reads it (§7): field `project_id`, optional
 * `expected_digest` (newer Python clients), and a file part `file` whose filename becomes `name`
 * (`<unnamed_file>` without one). `Request.formData()` does the parsing in every realm we target
 * (browsers, Service Workers, Node ≥ 18), so weft carries no multipart parser of its own.
 */
async function readMultipart(request: Request, route: MethodRoute): Promise<unknown> {
  const type = mediaType(request);
  if (type !== CONTENT_TYPE.multipart) {
    throw new HttpProblem(415, `POST ${route.path} takes multipart/form-data with fields project_id and file, not ${type || "a body without Content-Type"}.`);
  }
  let form: FormData;
  try {
    form = await request.formData();
  } catch (error) {
    throw new HttpProblem(400, `POST ${route.path}: the multipart body could not be parsed (${(error as Error).message}).`);
  }
  const projectId = form.get("project_id");
  const file = form.get("file");
  const expected = form.get("expected_digest");
  if (typeof projectId !== "string") throw new HttpProblem(400, `POST ${route.path}: form field project_id is required.`);
  if (file === null || typeof file === "string") {
    throw new HttpProblem(400, `POST ${route.path}: form field file is required and must be a file part (a Blob with a filename).`);
  }
  return {
    project_id: projectId,
    name: file.name || "<unnamed_file>",
    content: new Uint8Array(await file.arrayBuffer()),
    ...(typeof expected === "string" && expected !== "" ? { expected_digest: expected } : {}),
  };
}

/** Whether `server` declares that it does not implement `method` (a `LocalTraceServer` does). */
function declaresMissing(server: object, method: MethodName): boolean {
  const declared = (server as { implementedMethods?: unknown }).implementedMethods;
  return Array.isArray(declared) && !declared.includes(method);
}

function notImplemented(route: MethodRoute): Response {
  return json(501, {
    reason: `${route.method} (POST ${route.path}) is not implemented by this weft server yet.`,
    error_type: "NotImplementedError",
  });
}

/**
 * What a `LocalTraceServer` offers besides the interface: some answers and stream items as JSON
 * text built from its stored payload texts, which the handler sends as they are instead of
 * stringifying the objects (duck-typed, so this layer needs no server code).
 */
interface JsonText {
  jsonAnswers?: readonly string[];
  answerJson?(method: string, req: unknown): Promise<string>;
  jsonStreams?: readonly string[];
  streamJson?(method: string, req: unknown): AsyncIterable<string>;
}

/** Runs one method and shapes its answer by the route's response kind. */
async function callMethod(server: Partial<TraceServerInterface>, route: MethodRoute, request: Request): Promise<Response> {
  const fn = (server as Record<string, unknown>)[route.method];
  if (typeof fn !== "function" || declaresMissing(server, route.method)) return notImplemented(route);
  const req = route.body === "multipart" ? await readMultipart(request, route) : await readJson(request, route);
  const text = server as JsonText;
  if (route.response === "jsonl") {
    const streamJson = text.jsonStreams?.includes(route.method) === true ? text.streamJson : undefined;
    const items = streamJson ? streamJson.call(server, route.method, req) : (fn.call(server, req) as AsyncIterable<unknown>);
    const iterator = items[Symbol.asyncIterator]();
    // Pull the first item before answering: validation errors surface there, and must still get
    // their status; later failures can only cut the stream (see jsonlStream).
    const first = await iterator.next();
    return new Response(jsonlStream(first, iterator, streamJson !== undefined), { status: 200, headers: { "content-type": CONTENT_TYPE.jsonl } });
  }
  const answerJson = route.response === "json" && text.jsonAnswers?.includes(route.method) === true ? text.answerJson : undefined;
  if (answerJson) {
    return new Response(await answerJson.call(server, route.method, req), { status: 200, headers: { "content-type": CONTENT_TYPE.json } });
  }
  const res = (await (fn as (r: unknown) => Promise<unknown>).call(server, req)) as Record<string, unknown>;
  if (route.response === "bytes") {
    const content = res.content as Uint8Array<ArrayBuffer>;
    return new Response(content, { status: 200, headers: { "content-type": CONTENT_TYPE.bytes } });
  }
  return json(200, res);
}

function serviceAnswer(path: GetPath, version: string): unknown {
  if (path === "/health") return HEALTH_BODY;
  if (path === "/server_info") return serverInfoBody(version);
  return version;
}

/** The answer for anything thrown while serving: Weave's body and status (§0.5). */
function failure(error: unknown, request: Request, options: FetchHandlerOptions): Response {
  if (error instanceof HttpProblem) return json(error.status, { reason: error.message, error_type: error.errorType });
  const coded = error instanceof WeftError || WeftError.isWire(error);
  const weft = toWeftError(error);
  // A weft worker refuses methods its server lacks with details.implemented === false.
  if (weft.details?.implemented === false) return json(501, { reason: weft.message, error_type: "NotImplementedError" });
  if (!coded && weft.code === "INTERNAL") {
    try {
      options.onError?.(error, request);
    } catch {
      // A failing logger must not turn into a rejected handler.
    }
    return json(500, { reason: "Internal server error", error_type: "INTERNAL" });
  }
  return json(weft.status, errorBody(weft));
}

function normalizeBase(basePath: string | undefined): string {
  const trimmed = (basePath ?? "").replace(/\/+$/, "");
  return trimmed === "" || trimmed.startsWith("/") ? trimmed : `/${trimmed}`;
}

/**
 * Serves Weave's trace-server routes from `server`: `POST <path>` (and aliases) for every method of
 * the table, JSON in and out, JSONL for streams, raw bytes for `/file/content`, multipart for
 * `/file/create`; `GET /health`, `/server_info`, `/version`. Answers: 200 on success; Weave's
 * `{reason, error_type, …}` with the status of the `WeftError`'s code; 400 for bad JSON or a bad
 * form; 415 for a wrong content type; 404 `{"reason":"Not Found"}` for an unknown path; 405 for a
 * wrong verb (with `Allow`); 501 for a method `server` lacks or declares unimplemented; 500
 * `{"reason":"Internal server error"}` for anything else.
 * @throws never — the returned handler always resolves to a `Response`
 */
export function createFetchHandler(server: Partial<TraceServerInterface>, options: FetchHandlerOptions = {}): FetchHandler {
  const basePath = normalizeBase(options.basePath);
  const version = options.serverVersion ?? DEFAULT_SERVER_VERSION;
  return async (request) => {
    try {
      let path = new URL(request.url).pathname;
      if (basePath !== "") {
        if (path !== basePath && !path.startsWith(`${basePath}/`)) return json(404, { reason: "Not Found" });
        path = path.slice(basePath.length) || "/";
      }
      const route = POST_ROUTES.get(path);
      if (route) {
        if (request.method !== "POST") return json(405, { reason: "Method Not Allowed" }, { allow: "POST" });
        return await callMethod(server, route, request);
      }
      if ((GET_PATHS as readonly string[]).includes(path)) {
        if (request.method !== "GET" && request.method !== "HEAD") return json(405, { reason: "Method Not Allowed" }, { allow: "GET, HEAD" });
        const answer = json(200, serviceAnswer(path as GetPath, version));
        return request.method === "HEAD" ? new Response(null, { status: 200, headers: answer.headers }) : answer;
      }
      return json(404, { reason: "Not Found" });
    } catch (error) {
      return failure(error, request, options);
    }
  };
}

/** Origin given to relative URLs (the SDK with `WF_TRACE_SERVER_URL=''` fetches `/call/start`). */
const RELATIVE_ORIGIN = "http://weft.local";

/**
 * Adapts a handler to `fetch`'s signature, for the official SDK's `customFetch` (it calls
 * `customFetch(url, init)` with `init.body` a JSON string or the `FormData` itself). A string body
 * without a content type is sent as JSON, where `fetch` would label it text/plain; a `FormData` body
 * is encoded by `Request` as multipart with its boundary. Relative URLs are resolved against
 * `http://weft.local`.
 * @throws TypeError, as `fetch` does, when `init` cannot make a `Request` (e.g. a body on a GET)
 */
export function toCustomFetch(handler: FetchHandler): (input: string | URL | Request, init?: RequestInit) => Promise<Response> {
  return async (input, init) => {
    if (input instanceof Request && init === undefined) return handler(input);
    let options = init;
    if (typeof init?.body === "string") {
      const headers = new Headers(init.headers);
      if (!headers.has("content-type")) headers.set("content-type", CONTENT_TYPE.json);
      options = { ...init, headers };
    }
    const target = input instanceof Request ? input : new URL(String(input), RELATIVE_ORIGIN);
    return handler(new Request(target, options));
  };
}

/** The part of Node's `IncomingMessage` the listener reads (structural, so no Node types leak into browser builds). */
export interface NodeRequestLike extends AsyncIterable<Uint8Array | string> {
  method?: string | undefined;
  url?: string | undefined;
  headers: Record<string, string | string[] | undefined>;
}

/** The part of Node's `ServerResponse` the listener writes. */
export interface NodeResponseLike {
  statusCode: number;
  readonly headersSent: boolean;
  setHeader(name: string, value: string): unknown;
  write(chunk: Uint8Array): boolean;
  end(chunk?: string): unknown;
  once(event: "drain" | "close", listener: () => void): unknown;
  destroy(error?: Error): unknown;
}

// Hop-by-hop and framing headers describe Node's connection, not the buffered body we hand on.
const SKIPPED_HEADERS = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive", "expect", "upgrade"]);

async function toRequest(req: NodeRequestLike): Promise<Request> {
  const host = typeof req.headers.host === "string" ? req.headers.host : "localhost";
  let url: URL;
  try {
    url = new URL(req.url ?? "/", `http://${host}`);
  } catch {
    url = new URL(req.url ?? "/", "http://localhost");
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || SKIPPED_HEADERS.has(name)) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const method = req.method ?? "GET";
  if (method === "GET" || method === "HEAD") return new Request(url, { method, headers });
  // Request bodies are buffered (they are bounded: Weave caps them at 32 MiB, §13); responses stream.
  const chunks: Uint8Array[] = [];
  const encoder = new TextEncoder();
  for await (const chunk of req) chunks.push(typeof chunk === "string" ? encoder.encode(chunk) : chunk);
  const body = new Blob(chunks as BlobPart[]);
  return new Request(url, { method, headers, body });
}

async function writeResponse(response: Response, res: NodeResponseLike): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, name) => res.setHeader(name, value));
  if (!response.body) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  let finished = false;
  // A client that disconnects cancels the body, which closes the server's cursor (jsonlStream).
  const gone = new Promise<"gone">((resolve) =>
    res.once("close", () => {
      if (!finished) void reader.cancel().catch(() => undefined);
      resolve("gone");
    }),
  );
  try {
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      if (res.write(chunk.value)) continue;
      const drained = new Promise<"drained">((resolve) => res.once("drain", () => resolve("drained")));
      if ((await Promise.race([drained, gone])) === "gone") return;
    }
  } finally {
    finished = true;
  }
  res.end();
}

/**
 * Adapts a handler to `http.createServer(listener)`: the request body is read whole, the response
 * body is written chunk by chunk as the handler produces it (JSONL streams reach the client
 * incrementally, with backpressure), and a client that disconnects cancels the stream.
 * @throws never — failures outside the handler become a 500 (or a destroyed socket once headers are sent)
 */
export function toNodeListener(handler: FetchHandler): (req: NodeRequestLike, res: NodeResponseLike) => void {
  return (req, res) => {
    void (async () => {
      try {
        await writeResponse(await handler(await toRequest(req)), res);
      } catch (error) {
        if (!res.headersSent) {
          res.statusCode = 500;
          res.setHeader("content-type", CONTENT_TYPE.json);
          res.end(JSON.stringify({ reason: "Internal server error", error_type: "INTERNAL" }));
        } else {
          res.destroy(error instanceof Error ? error : new Error(String(error)));
        }
      }
    })();
  };
}
