/**
 * `calls_query` with a safety net for the read-time enrichments (`include_costs`,
 * `include_feedback`): if attaching one fails, the calls are fetched again without it (costs go
 * first, then feedback) and the failure is reported as a warning, so a broken price table never
 * hides the calls themselves. Errors about the request itself (a bad filter) are thrown as they are.
 */
import { WeftError } from "../../src/index";
import { errorText } from "./errors";
import { client } from "./store";
import type { Call, CallsQueryReq } from "./weft-types";

export interface EnrichedCalls {
  calls: Call[];
  /** What is missing and why, when something is. */
  warning: string | null;
}

function isRequestError(error: unknown): boolean {
  return error instanceof WeftError && (error.code === "VALIDATION" || error.code === "INVALID_FIELD") && error.details?.implemented !== false;
}

export async function queryCalls(req: CallsQueryReq): Promise<EnrichedCalls> {
  const attempts: Array<[CallsQueryReq, string | null]> = [[req, null]];
  if (req.include_costs) attempts.push([{ ...req, include_costs: false }, "Costs"]);
  if (req.include_feedback) attempts.push([{ ...req, include_costs: false, include_feedback: false }, req.include_costs ? "Costs and feedback" : "Feedback"]);
  let first: unknown;
  for (const [attempt, missing] of attempts) {
    try {
      const { calls } = await client.calls_query(attempt);
      return { calls, warning: missing ? `${missing} could not be attached: ${errorText(first)}` : null };
    } catch (error) {
      if (isRequestError(error)) throw error;
      first ??= error;
    }
  }
  throw first;
}
