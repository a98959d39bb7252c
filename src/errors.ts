/**
 * weft's one error type. Everything the server throws is a `WeftError` with a code; the worker sends it
 * as plain data (`toWire`) and the client rebuilds a real `WeftError` (`fromWire`), so `instanceof`
 * works on the main thread. Each code maps to the HTTP status Weave uses for the matching Python
 * exception (weave-semantics.md §0.5).
 */
import type { z } from "zod";

/** Codes and the HTTP status each one maps to. */
export const ERROR_STATUS = {
  /** Bad request shape or value (pydantic ValidationError, ValueError, InvalidRequest): 400. */
  VALIDATION: 400,
  /** A field name in a query, sort or column list that the server does not know (InvalidFieldError): 422. */
  INVALID_FIELD: 422,
  /** Missing row, object, table or file (NotFoundError): 404. */
  NOT_FOUND: 404,
  /** The object version exists but was deleted (ObjectDeletedError): 404, `details.deleted_at`. */
  OBJECT_DELETED: 404,
  /** A write that contradicts stored state, e.g. an object name reused with another class: 400. */
  CONFLICT: 400,
  /** Client-supplied `expected_digest` differs from the server's digest (DigestMismatchError): 409. */
  DIGEST_MISMATCH: 409,
  /** Too many items in one request (RequestTooLarge): 413. */
  REQUEST_TOO_LARGE: 413,
  /** The browser refused the write for lack of storage quota. */
  QUOTA_EXCEEDED: 507,
  /** IndexedDB failed for another reason (aborted transaction, closed connection). */
  STORAGE: 500,
  /** The worker is gone (terminated, crashed, or never started). */
  WORKER_UNAVAILABLE: 503,
  /** The remote side refused our credentials. */
  UNAUTHORIZED: 401,
  /** The remote side refused access. */
  FORBIDDEN: 403,
  /** The remote side asked us to slow down. */
  RATE_LIMITED: 429,
  /** An upstream service (LLM provider, remote Weave server) failed or could not be reached. */
  UPSTREAM: 502,
  /** The caller aborted the operation (AbortSignal). */
  ABORTED: 499,
  /** A bug: anything not expected. */
  INTERNAL: 500,
} as const;

export type WeftErrorCode = keyof typeof ERROR_STATUS;

/** One problem found while validating a request: where it is and what is wrong. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** Extra, structured facts about an error. Everything in here is plain JSON data. */
export interface WeftErrorDetails {
  issues?: ValidationIssue[];
  field?: string;
  deleted_at?: string;
  status?: number;
  [key: string]: unknown;
}

/** The plain-data form of a `WeftError`, safe for postMessage and JSON. */
export interface WeftErrorWire {
  __weft_error: true;
  code: WeftErrorCode;
  message: string;
  details?: WeftErrorDetails;
}

/**
 * The error every weft API throws. `code` says what kind of failure it is; `message` names the
 * offending field and how to fix it; `details` carries structured data (validation issues, `deleted_at`).
 */
export class WeftError extends Error {
  override readonly name = "WeftError";
  readonly code: WeftErrorCode;
  readonly details: WeftErrorDetails | undefined;

  constructor(code: WeftErrorCode, message: string, details?: WeftErrorDetails) {
    super(message);
    this.code = code;
    this.details = details;
  }

  /** The HTTP status Weave would answer with for this error. */
  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toWire(): WeftErrorWire {
    const wire: WeftErrorWire = { __weft_error: true, code: this.code, message: this.message };
    if (this.details !== undefined) wire.details = this.details;
    return wire;
  }

  static fromWire(wire: WeftErrorWire): WeftError {
    const code: WeftErrorCode = wire.code in ERROR_STATUS ? wire.code : "INTERNAL";
    return new WeftError(code, wire.message, wire.details);
  }

  static isWire(value: unknown): value is WeftErrorWire {
    return (
      typeof value === "object" &&
      value !== null &&
      (value as { __weft_error?: unknown }).__weft_error === true &&
      typeof (value as { message?: unknown }).message === "string"
    );
  }
}

/** Shorthand for the most common error: a bad request value at `path`. */
export function validationError(path: string, message: string): WeftError {
  const text = path ? `${path}: ${message}` : message;
  return new WeftError("VALIDATION", `Invalid request: ${text}`, { issues: [{ path, message }] });
}

function issuePath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

/** Turns zod issues into a `VALIDATION` error that lists every offending field path. */
export function fromZodError(error: z.ZodError, what = "request"): WeftError {
  const issues: ValidationIssue[] = error.issues.map((issue) => ({
    path: issuePath(issue.path),
    message: issue.message,
  }));
  const shown = issues
    .slice(0, 5)
    .map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
    .join("; ");
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : "";
  return new WeftError("VALIDATION", `Invalid ${what}: ${shown}${more}`, { issues });
}

/**
 * Converts anything thrown into a `WeftError`. IndexedDB quota failures become `QUOTA_EXCEEDED`,
 * other DOMExceptions from storage become `STORAGE`, and everything unexpected is `INTERNAL`
 * (with the original message kept, never swallowed).
 */
export function toWeftError(error: unknown): WeftError {
  if (error instanceof WeftError) return error;
  if (WeftError.isWire(error)) return WeftError.fromWire(error);
  const name = typeof error === "object" && error !== null ? (error as { name?: unknown }).name : undefined;
  const message =
    typeof error === "object" && error !== null && typeof (error as { message?: unknown }).message === "string"
      ? (error as { message: string }).message
      : String(error);
  const inner = typeof error === "object" && error !== null ? (error as { inner?: { name?: unknown } }).inner : undefined;
  const names = [name, inner?.name];
  if (error instanceof RangeError && /call stack/i.test(message)) {
    return new WeftError("VALIDATION", "Invalid request: it is nested too deeply to process");
  }
  if (names.includes("DataCloneError")) {
    return new WeftError("VALIDATION", `Invalid request: a value cannot be copied to the worker (functions, symbols and DOM nodes cannot): ${message}`);
  }
  if (names.includes("QuotaExceededError")) {
    return new WeftError(
      "QUOTA_EXCEEDED",
      "Storage quota exceeded: the browser refused the write. Free space (purge() old traces, deleteProject()) or ask for persistent storage (requestPersistentStorage()).",
    );
  }
  if (
    names.some((n) =>
      ["AbortError", "InvalidStateError", "DatabaseClosedError", "OpenFailedError", "TransactionInactiveError", "UnknownError", "DataError", "ConstraintError", "VersionError"].includes(
        String(n),
      ),
    )
  ) {
    return new WeftError("STORAGE", `Storage error (${String(name)}): ${message}`);
  }
  return new WeftError("INTERNAL", `Internal error: ${message}`);
}
