/**
 * Client-side call summaries, as Weave's SDKs compute them (weave-semantics.md §2.3): the server
 * stores `summary` verbatim, so the roll-up happens here when a call ends.
 * - A call's summary = its own summary (from `summarize`, or Python's `{model, usage}` output rule)
 *   merged with the merged summaries of its children: numeric leaves add up, dicts merge
 *   recursively, any other leaf keeps the call's own value (the JS SDK's `mergeSummaries`; Python's
 *   `sum_dict_leaves` does the same for the numbers and dicts it sees).
 * - `usage[model]` entries get `requests: 1` unless they say otherwise (JS SDK `processSummary`).
 * - `status_counts: {success, error}` counts the call and all its ended descendants (Python's
 *   `finish_call`); the server's `descendant_error` status reads it (§2.5).
 */
import { isDict } from "./serialize";

/** A summary dict as stored on a call. */
export type Summary = Record<string, unknown>;

/**
 * Merges two summaries: numbers add, dicts merge recursively, otherwise `own` wins. Neither input
 * is modified.
 * @throws never
 */
export function mergeSummaries(own: Summary, other: Summary): Summary {
  const result: Summary = { ...other };
  for (const [key, value] of Object.entries(own)) {
    const there = result[key];
    if (typeof value === "number" && typeof there === "number") result[key] = value + there;
    else if (isDict(value) && isDict(there)) result[key] = mergeSummaries(value, there);
    else if (value !== undefined) result[key] = value;
  }
  return result;
}

/** Gives every `usage[model]` dict a `requests` count of 1 unless it has one. */
function countRequests(summary: Summary): Summary {
  const usage = summary.usage;
  if (!isDict(usage)) return summary;
  const counted: Record<string, unknown> = {};
  for (const [model, entry] of Object.entries(usage)) counted[model] = isDict(entry) ? { requests: 1, ...entry } : entry;
  return { ...summary, usage: counted };
}

/**
 * Python's rule for a call without children whose output is an LLM response `{model, usage}`:
 * `summary.usage[model] = {requests: 1, ...usage}`.
 * @throws never
 */
export function usageFromOutput(output: unknown): Summary {
  if (!isDict(output) || typeof output.model !== "string" || !isDict(output.usage)) return {};
  return { usage: { [output.model]: { requests: 1, ...output.usage } } };
}

/**
 * The summary a call ends with: `own` (with request counts) merged over `children`, plus its
 * `status_counts`.
 * @throws never
 */
export function finalSummary(own: Summary, children: Summary, failed: boolean): Summary {
  const merged = mergeSummaries(countRequests(own), children);
  const counts = isDict(children.status_counts) ? children.status_counts : {};
  const success = typeof counts.success === "number" ? counts.success : 0;
  const error = typeof counts.error === "number" ? counts.error : 0;
  merged.status_counts = { ...counts, success: success + (failed ? 0 : 1), error: error + (failed ? 1 : 0) };
  return merged;
}
