/**
 * Cancellation and the errors an export surfaces. Retries with backoff on 429/5xx and network
 * errors are `RemoteTraceServer`'s job (it already does them); what is left here is turning what
 * finally fails into a message that says what to do: a refused key, a missing permission, and a
 * server a browser cannot reach because it does not allow this origin (CORS).
 */
import { toWeftError, WeftError } from "../errors";

/**
 * The error of an export or import stopped by its `signal`.
 * @throws never
 */
export function abortedError(what = "The export"): WeftError {
  return new WeftError("ABORTED", `${what} was cancelled. Run it again with the same target to continue where it stopped.`);
}

/**
 * Throws when `signal` has fired.
 * @throws WeftError ABORTED
 */
export function throwIfAborted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw abortedError(what);
}

/**
 * `promise`, or ABORTED as soon as `signal` fires. The request itself may still complete in the
 * background; that is harmless, because every write the exporter makes is safe to repeat (upserts,
 * content-addressed creates, feedback and prices checked before they are written).
 * @throws WeftError ABORTED; whatever `promise` rejects with
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined, what?: string): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(abortedError(what));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortedError(what));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** True for a failure to reach the server at all (no HTTP status): offline, DNS, refused, or CORS. */
function isUnreachable(error: WeftError): boolean {
  return error.code === "UPSTREAM" && error.details?.status === undefined && /could not reach|failed to fetch|networkerror|load failed/i.test(error.message);
}

/**
 * The error an export reports for a failed write to `target` (a URL or a name): 401 and 403 say to
 * check the API key; an unreachable server mentions CORS and the proxy option; the rest pass through
 * with the target named.
 * @throws never — it returns the error, for the caller to throw
 */
export function explainTargetError(error: unknown, target: string, project: string): WeftError {
  const e = toWeftError(error);
  if (e.code === "ABORTED") return e;
  if (e.code === "UNAUTHORIZED") {
    return new WeftError(
      "UNAUTHORIZED",
      `The Weave server at ${target} refused the API key (HTTP 401). Check the API key: it is the 40-character key from https://wandb.ai/authorize (or your W&B server's), passed as \`apiKey\` to createRemoteTraceServer. (${e.message})`,
      e.details,
    );
  }
  if (e.code === "FORBIDDEN") {
    return new WeftError(
      "FORBIDDEN",
      `The Weave server at ${target} refused access to ${project} (HTTP 403). Check the API key and that its user may write to the entity "${project.split("/")[0] ?? ""}". (${e.message})`,
      e.details,
    );
  }
  if (isUnreachable(e)) {
    // RemoteTraceServer's own message carries a shorter CORS hint; keep only its first sentence.
    const cause = e.message.split(" In a browser")[0] ?? e.message;
    return new WeftError(
      "UPSTREAM",
      `Could not reach the Weave server at ${target}. In a browser this is usually CORS: the server does not allow requests from this page's origin (trace.wandb.ai does not). ` +
        `Export through a proxy instead: run one next to the app (see the README, "Export through a proxy") and pass its URL as \`baseUrl\` to createRemoteTraceServer. Otherwise check the URL and the network. (${cause})`,
      e.details,
    );
  }
  return e;
}
