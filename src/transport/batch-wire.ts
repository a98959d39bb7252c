/**
 * How the client's call batcher sends `call_start_batch` items to its worker: each item either as
 * the object itself, or as its JSON text when that is exact (`src/client/json-snapshot.ts`), so the
 * snapshot taken at queue time is posted as it is instead of being serialized a second time.
 *
 * Only the batcher sends JSON items, and it says so in the call's options (`CallOptions`); the
 * method's own request schema is untouched, so a string item sent by anyone else (the HTTP route,
 * `client.call_start_batch`) is still refused as an invalid mode.
 */
import { WeftError } from "../errors";
import type { CallCreateBatchReqInput } from "../schema/calls";

/** One item of a batch on the wire: the item, or its JSON text. */
export type WireItem = CallCreateBatchReqInput["batch"][number] | string;

/**
 * The JSON text of `{ batch: items }`, as the page-hide outbox parks it; JSON items are used as
 * they are (objects are stringified: Dates become ISO strings, which the schema accepts).
 * @throws whatever `JSON.stringify` throws for an object item (a bigint)
 */
export function batchJson(items: readonly WireItem[]): string {
  return `{"batch":[${items.map((item) => (typeof item === "string" ? item : JSON.stringify(item))).join(",")}]}`;
}

/**
 * The worker's side: the request with every JSON item parsed back into an object. Text that does
 * not parse is refused as `VALIDATION` naming the item, as any bad item is, so the batcher can
 * single it out.
 * @throws WeftError VALIDATION when `req` has no batch list or an item is not JSON
 */
export function decodeWireBatch(req: unknown): unknown {
  const batch = (req as { batch?: unknown } | null)?.batch;
  if (!Array.isArray(batch)) throw new WeftError("VALIDATION", "Invalid call_start_batch request: batch must be a list", { issues: [{ path: "batch", message: "must be a list" }] });
  const issues: Array<{ path: string; message: string }> = [];
  const items = batch.map((item: unknown, i) => {
    if (typeof item !== "string") return item;
    try {
      return JSON.parse(item) as unknown;
    } catch {
      issues.push({ path: `batch[${i}]`, message: "is not valid JSON text" });
      return undefined;
    }
  });
  if (issues.length > 0) throw new WeftError("VALIDATION", `Invalid call_start_batch request: ${issues[0]?.path} ${issues[0]?.message}`, { issues });
  return { ...(req as object), batch: items };
}
