/**
 * What happens to queued calls when the page is hidden or goes away.
 *
 * Measured in Chromium 156 (headless, Playwright, which disables the back/forward cache; on-disk
 * and in-memory profiles; the page navigating away or its tab closing right after tracing):
 * - `pagehide` fires before `visibilitychange` → hidden on navigation; both fire on tab close.
 * - A raw IndexedDB worker given a batch in `pagehide` stored it when it needed under ~300 ms and
 *   lost it at 500 ms and more (navigation), or already at 300 ms (tab close): the worker dies with
 *   its document. With weft's real worker, a batch posted in `pagehide` never even reached the
 *   worker's handler (0 of 200 calls in 5 of 5 runs, with its database cold or already open).
 * - A readwrite transaction issued from the main thread in `pagehide`, on a connection opened
 *   earlier, committed in every run of one idle browser, as long as no value exceeded 64 KB (see
 *   `OUTBOX_PIECE_CHARS`); with two browsers sharing 2 cores it was lost in 6 of 17 runs, and with
 *   the page tracing 5,000 calls/s it was lost in 3 of 8 reloads (`faults-crash.test.ts`).
 * - The same transaction issued in `beforeunload` (navigation start) had completed before
 *   `pagehide` fired in every run (6 of 6 under the same load), and nothing was lost.
 * - Opening a connection inside `pagehide` and then writing never survived a navigation.
 * - When the document goes, the parking transaction the storage is running commits, and the ones
 *   queued behind it on the same store are aborted. A backlog of 2,000–3,400 unacknowledged calls
 *   (the page tracing 5,000 calls/s, faster than the worker stores them) parked in 1 MB
 *   transactions kept only the first few (7 navigations of 8 lost calls); parked as one
 *   transaction behind a small one (the batch sent at that moment), it was lost whole now and then
 *   while the small one survived; parked as one transaction, nothing was lost (10 of 10).
 *
 * So when the page starts to unload (`beforeunload`), is hidden (`visibilitychange`) or goes
 * (`pagehide`), we send the queue to the worker (the page may well live on, e.g. after a tab
 * switch) and park every unacknowledged batch in the outbox from the main thread, in one
 * transaction; from
 * `beforeunload` on, every batch is also sent at the end of its task and parked as it leaves
 * (`src/transport/outbox.ts`), through a connection opened as soon as the worker said hello. Each
 * batch is parked once. The next worker on the same database replays the outbox before serving
 * any request.
 * Not covered: a page killed without `pagehide`/`visibilitychange` (crash, OOM), and a page kept in
 * the back/forward cache whose worker never resumes (its parked batches are still replayed by the
 * next worker opened on the database).
 */
import { batchJson } from "../transport/batch-wire";
import { deleteFromOutbox, openOutbox, saveToOutbox, toPieces, type OutboxKey } from "../transport/outbox";
import type { CallBatcher, InFlightBatch } from "./call-batcher";
import type { Connection } from "./connection";

/**
 * Whether a batch's failure means it can never be stored: the server's request validation refused
 * it, naming the offending fields. A `VALIDATION` without issues (a value that could not be copied
 * at that moment, a stack overflow) proves nothing about the batch, so its parked copy is kept; the
 * replay drops it if the server refuses it again.
 */
function refusedForGood(error: unknown): boolean {
  const { code, details } = error as { code?: unknown; details?: { issues?: unknown } };
  return code === "VALIDATION" && Array.isArray(details?.issues) && details.issues.length > 0;
}

/** How long after `beforeunload` without the page going the unloading mode ends (a cancelled navigation). */
const UNLOADING_GRACE_MS = 5000;

/** The page-hide protection of one client. */
export interface PageHideGuard {
  /** Resolves once the outbox is open (or known to be unavailable): from then on hiding is safe. */
  readonly armed: Promise<void>;
  /** Called by the batcher when a batch settles. */
  settled(batch: InFlightBatch, error: unknown): void;
  /** Called by the batcher when it starts or stops holding calls. */
  busy(busy: boolean): void;
  /** Called by the batcher when it hands a batch to the worker. */
  dispatched(batch: InFlightBatch): void;
  /** Stops listening and closes the outbox connection. */
  dispose(): void;
}

interface PageTarget {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

/**
 * Arms the page-hide handling for `batcher`. Outside a document (Node, a worker) only `flush()`
 * and the timer send batches, and `armed` resolves at once.
 * @throws never; outbox failures are reported with `console.warn` (there is nobody to reject)
 */
export function guardPageHide(connection: Connection, batcher: () => CallBatcher): PageHideGuard {
  const doc = (globalThis as { document?: Document }).document;
  const win = globalThis as unknown as Partial<PageTarget>;
  const factory = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  let outbox: IDBDatabase | undefined;
  let disposed = false;

  if (!doc || typeof win.addEventListener !== "function" || !factory) {
    return { armed: Promise.resolve(), settled: () => undefined, busy: () => undefined, dispatched: () => undefined, dispose: () => undefined };
  }

  const armed = connection.hello
    .then((hello) => openOutbox(factory, hello.dbName))
    .then(
      (db) => {
        if (disposed) db.close();
        else outbox = db;
      },
      (error: unknown) => {
        if (!connection.deadError()) console.warn("weft: page-hide outbox unavailable; calls queued at unload may be lost:", error);
      },
    );

  const park = (flights: InFlightBatch[]): void => {
    if (!outbox) return;
    const toPark = flights.filter((f) => f.parked === 0);
    if (toPark.length === 0) return;
    const now = Date.now();
    const pieces = toPark.flatMap((f) => {
      const cut = toPieces(f.key, batchJson(f.items), now);
      f.parked = cut.length;
      return cut;
    });
    saveToOutbox(outbox, pieces).catch((error: unknown) => console.warn("weft: could not park call batches at page hide:", error));
  };
  // While `onHide` sends the queue, the batch it sends is parked with the rest, not on its own.
  let hiding = false;
  const onHide = (): void => {
    const b = batcher();
    hiding = true;
    try {
      b.sendNow();
    } finally {
      hiding = false;
    }
    park(b.unacknowledged());
  };

  // From `beforeunload` on, the page may go at any moment, and a save issued in `pagehide` was lost
  // under load (faults-crash.test.ts): so batches are sent at the end of each task and parked as
  // soon as they leave. A cancelled navigation (a download, a 204) brings the page back: `pageshow`,
  // visibility, or a few seconds without unloading end the mode.
  let unloading = false;
  let unloadingTimer: ReturnType<typeof setTimeout> | undefined;
  const endUnloading = (): void => {
    if (!unloading) return;
    unloading = false;
    if (unloadingTimer !== undefined) clearTimeout(unloadingTimer);
    batcher().setUrgent(false);
  };
  const onBeforeUnload = (): void => {
    // Everything queued or unacknowledged goes into ONE transaction, issued before any other: when
    // the document goes, the transaction the storage is running commits, and those queued behind it
    // are aborted. Parked as two (the batch sent here first, the backlog after it), the backlog was
    // lost while the small one survived (a middle gap of 1,200–2,800 calls, faults-crash); parked
    // in 1 MB transactions, all but the first few were lost (7 rounds of 8).
    onHide();
    unloading = true;
    if (unloadingTimer !== undefined) clearTimeout(unloadingTimer);
    unloadingTimer = setTimeout(endUnloading, UNLOADING_GRACE_MS);
    batcher().setUrgent(true);
  };
  const onVisibility = (): void => {
    if (doc.visibilityState === "hidden") onHide();
    else endUnloading();
  };
  win.addEventListener?.("pagehide", onHide);
  win.addEventListener?.("pageshow", endUnloading);
  doc.addEventListener("visibilitychange", onVisibility);

  // `beforeunload` fires when a navigation or close starts, before the next page is even fetched:
  // the parking transaction then usually commits before the document goes (`pagehide` alone lost
  // it under load, see above). Firefox keeps pages with a `beforeunload` listener out of its
  // back/forward cache, so the listener is there only while calls are queued or unacknowledged.
  let listening = false;
  const busy = (isBusy: boolean): void => {
    if (isBusy === listening || disposed) return;
    listening = isBusy;
    if (isBusy) win.addEventListener?.("beforeunload", onBeforeUnload);
    else win.removeEventListener?.("beforeunload", onBeforeUnload);
  };

  return {
    armed,
    busy,
    dispatched(batch) {
      if (unloading && !hiding) park([batch]);
    },
    settled(batch, error) {
      // Stored, or refused for good: the parked copy is no longer needed. Any other failure (the
      // worker died, storage trouble) keeps it for the next worker to replay.
      if (batch.parked > 0 && (error === undefined || refusedForGood(error)) && outbox) {
        const keys = Array.from({ length: batch.parked }, (_, i): OutboxKey => [batch.key, i]);
        deleteFromOutbox(outbox, keys).catch(() => undefined);
      }
    },
    dispose() {
      busy(false);
      endUnloading();
      disposed = true;
      win.removeEventListener?.("pagehide", onHide);
      win.removeEventListener?.("pageshow", endUnloading);
      doc.removeEventListener("visibilitychange", onVisibility);
      outbox?.close();
      outbox = undefined;
    },
  };
}
