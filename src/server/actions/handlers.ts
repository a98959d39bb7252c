/**
 * `actions_execute_batch` (weave-semantics.md §10): runs the `ActionSpec` at `action_ref` over calls
 * and writes each result as `wandb.runnable.<action object name>` feedback on the call.
 *
 * Differences from Weave, on purpose:
 * - Any number of call ids is accepted. Weave refuses more than one (NotImplementedError, 500): a gap
 *   of its worker dispatch, not a rule of the method. Repeated ids run once.
 * - All-or-nothing: every call is read (a missing one is NOT_FOUND) and every action run before any
 *   feedback is written, then all rows go in one `feedback_create_batch` transaction. A failing
 *   judge therefore leaves no partial results behind.
 * - Judges run one call at a time, so a batch does not hit the provider's rate limit all at once.
 */
import { WeftError } from "../../errors";
import type { ActionsExecuteBatchReq, ActionsExecuteBatchRes } from "../../schema/actions";
import type { CallSchema } from "../../schema/calls";
import type { FeedbackCreateReq } from "../../schema/feedback";
import { callRead } from "../calls/handlers";
import { feedbackCreateBatch } from "../feedback/handlers";
import type { ProviderContext } from "../providers";
import { formatExternalRef } from "../refs/uri";
import { readActionSpec } from "./action-spec";
import { runAction } from "./run";

/** Feedback types of action results are `wandb.runnable.<name>` (§10, §3.2). */
export const RUNNABLE_FEEDBACK_PREFIX = "wandb.runnable.";

async function readCalls(ctx: ProviderContext, projectId: string, callIds: readonly string[]): Promise<CallSchema[]> {
  const calls: CallSchema[] = [];
  for (const id of callIds) {
    const { call } = await callRead(ctx, { project_id: projectId, id });
    if (!call) throw new WeftError("NOT_FOUND", `Call ${id} not found in project ${projectId}`, { call_id: id });
    calls.push(call);
  }
  return calls;
}

/**
 * `actions_execute_batch` (§10) → `{}`. No call ids is a no-op (nothing is read, as in Weave).
 * Feedback rows: `weave_ref = weave:///<project>/call/<id>`, `runnable_ref = action_ref` as sent,
 * `payload = {output: result}`, `wb_user_id` from the request, else the local user (§0.3).
 * @throws WeftError VALIDATION: `action_ref` is not an object ref of the project, or not a valid
 *   ActionSpec; NOT_FOUND: the action version or a call does not exist; OBJECT_DELETED: the action
 *   version was deleted; from llm_judge actions, every error of `completionsCreate` (VALIDATION for
 *   an unroutable model or a missing key, UPSTREAM, UNAUTHORIZED, RATE_LIMITED). Nothing is written
 *   when any of these is thrown.
 */
export async function actionsExecuteBatch(ctx: ProviderContext, req: ActionsExecuteBatchReq): Promise<ActionsExecuteBatchRes> {
  if (req.call_ids.length === 0) return {};
  const action = await readActionSpec(ctx, req.action_ref, req.project_id);
  const calls = await readCalls(ctx, req.project_id, [...new Set(req.call_ids)]);
  const batch: FeedbackCreateReq[] = [];
  for (const call of calls) {
    const output = await runAction(ctx, req.project_id, action.spec, call);
    batch.push({
      project_id: req.project_id,
      weave_ref: formatExternalRef({ kind: "call", project: req.project_id, id: call.id, extra: [] }),
      feedback_type: RUNNABLE_FEEDBACK_PREFIX + action.objectName,
      runnable_ref: req.action_ref,
      payload: { output },
      wb_user_id: req.wb_user_id ?? ctx.userId,
    });
  }
  await feedbackCreateBatch(ctx, { batch });
  return {};
}
