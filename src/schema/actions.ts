/**
 * Actions: `actions_execute_batch` (weave-semantics.md §10; removed from Weave's interface at HEAD but
 * still routed). The action object (`ActionSpec`) is read and checked by the server.
 */
import { z } from "zod";
import { EmptyResSchema, OptionalString, ProjectIdSchema } from "./common";

/**
 * `actions_execute_batch` request: run the `ActionSpec` at `action_ref` over the calls and write each
 * result as `wandb.runnable.<name>` feedback. Weave handles at most one call id per request (more is
 * NotImplementedError, 500) and requires `wb_user_id` (§0.3); both are server checks.
 */
export const ActionsExecuteBatchReqSchema = z.strictObject({
  project_id: ProjectIdSchema,
  action_ref: z.string(),
  call_ids: z.array(z.string()),
  wb_user_id: OptionalString,
});
export type ActionsExecuteBatchReq = z.infer<typeof ActionsExecuteBatchReqSchema>;

/** `actions_execute_batch` response: `{}`. */
export const ActionsExecuteBatchResSchema = EmptyResSchema;
export type ActionsExecuteBatchRes = z.infer<typeof ActionsExecuteBatchResSchema>;
