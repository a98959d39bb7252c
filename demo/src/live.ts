/**
 * "Something changed in the store": what makes calls appear as the assistant runs, here and in every
 * other tab open on the same database. Two cheap sources, both on:
 * - a `BroadcastChannel` message that this tab sends after each traced run, generated batch or
 *   feedback edit (other tabs hear it at once; this tab's own listeners are called directly);
 * - while the tab is visible, a poll every second of the newest call (one row from the started_at
 *   index, a few ms at 100k calls), which also catches writers that do not broadcast (another app on
 *   the same database). Counts are not polled: at 100k calls they cost seconds of worker time.
 */
import { PROJECT_ID, client } from "./store";

type Listener = () => void;

const CHANNEL = "weft-demo-changes";
const POLL_MS = 1000;

const listeners = new Set<Listener>();
const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(CHANNEL) : null;
channel?.addEventListener("message", () => emit());

function emit(): void {
  for (const listener of listeners) listener();
}

/** Tells this tab and the others that the store changed. */
export function notifyChanged(): void {
  channel?.postMessage({ at: Date.now() });
  emit();
}

let signature = "";
let timer: ReturnType<typeof setTimeout> | undefined;

async function poll(): Promise<void> {
  timer = undefined;
  if (document.visibilityState === "visible" && listeners.size > 0) {
    try {
      const { calls } = await client.calls_query({
        project_id: PROJECT_ID,
        sort_by: [{ field: "started_at", direction: "desc" }],
        limit: 1,
        columns: ["id", "ended_at"],
      });
      const newest = calls[0];
      const next = newest ? `${newest.id}/${newest.ended_at ?? ""}` : "empty";
      if (signature && next !== signature) emit();
      signature = next;
    } catch {
      // A failed poll (worker restarting) is retried on the next tick.
    }
  }
  schedule();
}

function schedule(): void {
  if (timer === undefined && listeners.size > 0) timer = setTimeout(() => void poll(), POLL_MS);
}

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") emit();
});

/** Calls `listener` whenever the store may have changed; returns the unsubscribe function. */
export function onStoreChange(listener: Listener): () => void {
  listeners.add(listener);
  schedule();
  return () => {
    listeners.delete(listener);
  };
}
