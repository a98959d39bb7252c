/**
 * Weave's HTTP API as data (weave-semantics.md §13), derived from the method table: one `POST` route
 * per method with a path (plus its aliases), the three service `GET`s, the content types, and the
 * wire form of errors (§0.5). Both directions use it: `fetch-handler.ts` serves these routes and
 * `remote-trace-server.ts` sends them, so a route or an error status is never written twice.
 */
import { WeftError, type WeftErrorCode, type WeftErrorDetails } from "../errors";
import { METHOD_NAMES, METHODS, type HttpBody, type HttpResponse, type MethodName } from "../interface";

/** Content types of Weave's routes. Streams are JSONL (FastAPI `StreamingResponse`, `application/jsonl`). */
export const CONTENT_TYPE = {
  json: "application/json",
  jsonl: "application/jsonl",
  bytes: "application/octet-stream",
  multipart: "multipart/form-data",
} as const;

/** One `POST` route of the trace server. */
export interface MethodRoute {
  readonly method: MethodName;
  /** The primary path (the one `RemoteTraceServer` sends to). */
  readonly path: string;
  /** How the request body travels: JSON, or multipart for `file_create`. */
  readonly body: HttpBody;
  /** How the answer travels: JSON, JSONL for streams, raw bytes for `file_content_read`. */
  readonly response: HttpResponse;
}

function routeOf(method: MethodName): MethodRoute | undefined {
  const spec: { path: string | null; body?: HttpBody; response?: HttpResponse } = METHODS[method];
  if (spec.path === null) return undefined;
  return { method, path: spec.path, body: spec.body ?? "json", response: spec.response ?? "json" };
}

/** Every method's route, by method name; methods without a Weave route (`ensure_project_exists`, §11) are absent. */
export const METHOD_ROUTES: Readonly<Partial<Record<MethodName, MethodRoute>>> = Object.fromEntries(
  METHOD_NAMES.flatMap((m) => {
    const route = routeOf(m);
    return route ? [[m, route]] : [];
  }),
);

/** `POST` routes by path, aliases included (`/files/create` beside `/file/create`, §7). */
export const POST_ROUTES: ReadonlyMap<string, MethodRoute> = new Map(
  Object.values(METHOD_ROUTES).flatMap((route) => {
    const aliases: readonly string[] = (METHODS[route.method] as { aliases?: readonly string[] }).aliases ?? [];
    return [route.path, ...aliases].map((path) => [path, route] as const);
  }),
);

/** The service `GET` routes (not methods of the interface). */
export const GET_PATHS = ["/health", "/server_info", "/version"] as const;
/** One of `GET_PATHS`. */
export type GetPath = (typeof GET_PATHS)[number];

/**
 * `GET /health`. Weave's reference route generator answers `{"status": "ok"}` (and §13 lists the
 * same); the OpenAPI bundled with the TS SDK types it as an untyped object and the SDK's `login()`
 * only checks for a 2xx, so the richer body is safe for every client.
 */
export const HEALTH_BODY = { status: "ok" } as const;

/**
 * `GET /server_info`. Python clients refuse to talk to a server whose
 * `min_required_weave_python_version` is above their own; weft accepts every client, hence 0.0.0.
 * @throws never
 */
export function serverInfoBody(version: string): { min_required_weave_python_version: string; trace_server_version: string } {
  return { min_required_weave_python_version: "0.0.0", trace_server_version: version };
}

/** Default answer of `GET /version`: valid semver that says which server this is. */
export const DEFAULT_SERVER_VERSION = "0.0.0+weft";

/**
 * Weave's exception class per weft code, for `error_type` (§0.5: HEAD adds the class name to every
 * error body). Codes without a Weave counterpart send their own name.
 */
const ERROR_TYPE: Partial<Record<WeftErrorCode, string>> = {
  VALIDATION: "InvalidRequest",
  CONFLICT: "InvalidRequest",
  INVALID_FIELD: "InvalidFieldError",
  NOT_FOUND: "NotFoundError",
  OBJECT_DELETED: "ObjectDeletedError",
  DIGEST_MISMATCH: "DigestMismatchError",
  REQUEST_TOO_LARGE: "RequestTooLarge",
};

/** Weave's error body: `{reason, error_type, …extra}`; extra fields (e.g. `deleted_at`) come from `details`. */
export interface ErrorBody {
  reason: string;
  error_type: string;
  [key: string]: unknown;
}

/**
 * The body Weave sends for `error` (§0.5): `reason` is the message, `error_type` the exception class,
 * and structured details (`deleted_at` for OBJECT_DELETED, validation `issues`, …) ride along as
 * extra fields, as Weave's per-class extras do.
 * @throws never
 */
export function errorBody(error: WeftError): ErrorBody {
  const extra: WeftErrorDetails = { ...error.details };
  delete extra.status;
  return { ...extra, reason: error.message, error_type: ERROR_TYPE[error.code] ?? error.code };
}

/**
 * The code a client gives an HTTP error status from a Weave server (the inverse of `ERROR_STATUS`, §0.5).
 * @throws never
 */
export function codeForStatus(status: number, body: Record<string, unknown>): WeftErrorCode {
  switch (status) {
    case 400:
      return "VALIDATION";
    case 401:
      return "UNAUTHORIZED";
    case 403:
      return "FORBIDDEN";
    case 404:
      // ObjectDeletedError is a 404 whose body carries deleted_at (§0.5).
      return typeof body.deleted_at === "string" ? "OBJECT_DELETED" : "NOT_FOUND";
    case 409:
      return "DIGEST_MISMATCH";
    case 413:
      return "REQUEST_TOO_LARGE";
    case 422:
      return "INVALID_FIELD";
    case 429:
      return "RATE_LIMITED";
    default:
      return status >= 500 ? "UPSTREAM" : "VALIDATION";
  }
}

/**
 * Rebuilds a `WeftError` from a Weave error response: the code from the status, the message from
 * `reason` (Weave) or `detail` (FastAPI's own 422 body), every other field kept in `details`.
 * @throws never — it returns the error, for the caller to throw
 */
export function errorFromBody(status: number, body: unknown, what: string): WeftError {
  const fields: Record<string, unknown> = typeof body === "object" && body !== null && !Array.isArray(body) ? { ...body } : {};
  const code = codeForStatus(status, fields);
  const reason = fields.reason ?? fields.detail ?? (typeof body === "string" && body ? body : undefined);
  delete fields.reason;
  const text = typeof reason === "string" ? reason : reason === undefined ? `HTTP ${status}` : JSON.stringify(reason);
  return new WeftError(code, `${what} failed (HTTP ${status}): ${text}`, { ...fields, status });
}

