/**
 * Refs: `refs_read_batch` (weave-semantics.md §6.3). The ref grammar itself (§6.1–6.2) is parsed by the
 * server, which raises Weave's specific errors; here a ref is just a string.
 */
import { z } from "zod";
import { JsonValueSchema } from "./common";

/** Most refs in one `refs_read_batch`; the server raises `TOO_MANY_REFS_MESSAGE` beyond it (§6.3, 400). */
export const MAX_REFS_PER_READ = 1000;
/** Weave's ValueError message for more than `MAX_REFS_PER_READ` refs (§6.3). */
export const TOO_MANY_REFS_MESSAGE = "Too many refs";

/** `refs_read_batch` request: `weave:///` object/op refs, optionally with `key`/`attr`/`index`/`id` edges. */
export const RefsReadBatchReqSchema = z.strictObject({
  refs: z.array(z.string()),
});
export type RefsReadBatchReq = z.infer<typeof RefsReadBatchReqSchema>;

/** `refs_read_batch` response: one value per ref, same order; a deleted object or a missing edge is `null`. */
export const RefsReadBatchResSchema = z.object({
  vals: z.array(JsonValueSchema),
});
export type RefsReadBatchRes = z.infer<typeof RefsReadBatchResSchema>;
