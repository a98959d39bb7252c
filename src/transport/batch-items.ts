/**
 * The server rejects a `call_start_batch` with a bad item whole (nothing stored). Senders that batch
 * unrelated calls together (the client's call batcher, the outbox replay) use this to find which
 * items were bad from the error's issue paths (`batch[3].req.start.started_at`), so they can reject
 * just those and send the good ones again.
 */
import { WeftError, type ValidationIssue } from "../errors";

const ITEM_PATH = /^batch\[(\d+)\]\.?(.*)$/;

/**
 * The bad items of a rejected batch of `count` items, each with its own `VALIDATION` error (paths
 * relative to the item's request), or `undefined` when the error does not single out items (then the whole
 * batch failed for another reason).
 */
export function badBatchItems(error: WeftError, count: number): Map<number, WeftError> | undefined {
  if (error.code !== "VALIDATION") return undefined;
  const byItem = new Map<number, ValidationIssue[]>();
  for (const issue of error.details?.issues ?? []) {
    const match = ITEM_PATH.exec(issue.path);
    if (!match) return undefined;
    const index = Number(match[1]);
    if (index >= count) return undefined;
    const list = byItem.get(index) ?? [];
    // Paths relative to the item's request, as if it had been sent alone (`start.project_id`).
    list.push({ path: (match[2] ?? "").replace(/^req\.?/, ""), message: issue.message });
    byItem.set(index, list);
  }
  if (byItem.size === 0) return undefined;
  const out = new Map<number, WeftError>();
  for (const [index, issues] of byItem) {
    const text = issues
      .slice(0, 5)
      .map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
      .join("; ");
    out.set(index, new WeftError("VALIDATION", `Invalid call part: ${text}`, { issues }));
  }
  return out;
}
