/**
 * Call batching: `call_start` and `call_end` are validated and queued on the main thread, then sent
 * together as one `call_start_batch` (one worker message, one IndexedDB transaction) when the queue
 * reaches `maxItems` or `maxBytes`, after `flushIntervalMs`, or on `flush()`.
 *
 * At most `maxInFlight` batches are in the worker at once; further full batches wait here, as the
 * JSON text they are kept in anyway, until one is stored. Why: the worker parses a batch and builds
 * its rows as soon as it arrives, but storage takes them one transaction at a time, so an app that
 * traces faster than IndexedDB stores (a burst of 100k calls, stored in ~30 s) had the worker hold
 * every waiting batch as objects: its heap reached 500 MB; with two in flight, 57 MB. Two keep
 * storage busy: one batch is being stored while the next is prepared.
 *
 * Validation happens once, in the worker (the trust boundary), so queuing costs the main thread
 * only a copy: the tracing API queues on every op call. The copy is the item's JSON text when that
 * is exact (`json-snapshot.ts`: cheaper to take, to keep and to post), else a structured clone.
 * The worker rejects a batch with a bad item whole; the batcher then rejects just the bad items
 * (named by the error's issue paths) and sends the good ones again, so one bad call never costs
 * the others. Starts get uuidv7 `id`/`trace_id` here when
 * absent, as Weave's SDKs do: that makes a replayed batch (page-hide outbox) an idempotent upsert.
 */
import { v7 as uuidv7 } from "uuid";
import { toWeftError, validationError, WeftError } from "../errors";
import type { MethodReq, MethodRes } from "../interface";
import { badBatchItems } from "../transport/batch-items";
import type { WireItem } from "../transport/batch-wire";
import { requestCopyError } from "./connection";
import { jsonSnapshot } from "./json-snapshot";
import type { CallCreateBatchReqInput } from "../schema/calls";
import { estimateBytes } from "../transport/protocol";

/**
 * A request carrying this (symbol-keyed, so never sent) promises that its caller built it fresh and
 * will not change it: the batcher then skips its defensive snapshot. The tracing API marks its records
 * so; anything else is copied at queue time.
 */
export const OWNED_REQUEST = Symbol.for("weft.owned-request");

/** Batching limits of `createClient`; a value out of range makes it throw `VALIDATION` naming the option. */
export interface BatchOptions {
  /** Send once this many starts/ends are queued. Default 1000; at least 1. */
  maxItems?: number;
  /** Send once the queued items are estimated at this many bytes. Default 4 MiB; at least 1. */
  maxBytes?: number;
  /** Send this long after the first item was queued. Default 25 ms; 0 to 2^31 − 1. */
  flushIntervalMs?: number;
  /**
   * Batches sent and not yet stored at once; more wait in the page until one is stored (page hide
   * sends everything regardless). Default 2; at least 1, `Infinity` for no limit.
   */
  maxInFlight?: number;
}

/** Longest delay `setTimeout` keeps (longer ones fire at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * One batching option, checked: a number from `min` to `max` (Infinity allowed for the limits,
 * where it means "no limit").
 * @throws WeftError VALIDATION naming the option
 */
function batchOption(options: BatchOptions, key: keyof BatchOptions, fallback: number, min: number, max = Infinity): number {
  const value: unknown = options[key];
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value) || value < min || value > max) {
    const message = `must be a number from ${min} to ${max === Infinity ? "Infinity" : max}`;
    throw new WeftError("VALIDATION", `Invalid createClient option batch.${key}: ${message}, got ${String(value)}`, {
      issues: [{ path: `batch.${key}`, message }],
    });
  }
  return value;
}

/** The input form of one batch item (datetimes may still be `Date`s). */
type BatchItemInput = CallCreateBatchReqInput["batch"][number];

interface Queued {
  item: WireItem;
  bytes: number;
  resolve: (res: MethodRes<"call_start"> | MethodRes<"call_end">) => void;
  reject: (error: WeftError) => void;
}

/** A batch sent to the worker and not yet acknowledged. */
export interface InFlightBatch {
  /** Unique and increasing per client; names the batch in the page-hide outbox. */
  readonly key: string;
  /** The items as sent: objects, or their JSON text (`batch-wire.ts`). */
  readonly items: readonly WireItem[];
  /** How many outbox pieces hold this batch (0 until page hide parks it). */
  parked: number;
  /** Settles when the worker answered: undefined when stored, else the error. Never rejects. */
  readonly outcome: Promise<WeftError | undefined>;
}

/** Sends one `call_start_batch`; string items are JSON text (see `batch-wire.ts`). */
type Send = (batch: { batch: WireItem[] }) => Promise<MethodRes<"call_start_batch">>;

/** What the page-hide guard wants to hear about. */
export interface BatcherHooks {
  /** A batch settled: `error` undefined when stored (the guard deletes its parked copy). */
  settled?(batch: InFlightBatch, error: WeftError | undefined): void;
  /** The batcher went from idle to holding calls (true) or back (false). */
  busy?(busy: boolean): void;
  /** A batch was just handed to the worker (the guard parks it at once while the page unloads). */
  dispatched?(batch: InFlightBatch): void;
}

/** The queue and the batches in flight for one client. */
export class CallBatcher {
  /** The batch being filled. */
  private open: Queued[] = [];
  private openBytes = 0;
  /** Set when the open batch should leave as soon as a slot is free (its interval passed). */
  private openDue = false;
  /** Full batches waiting for a slot, oldest first. */
  private readonly sealed: Queued[][] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly inFlight = new Set<InFlightBatch>();
  private readonly clientKey = uuidv7();
  private sequence = 0;
  /** Items ever queued, and ever dispatched (first sends only): batches leave in queue order. */
  private queuedCount = 0;
  private dispatchedCount = 0;
  /** `flush()` calls collecting the outcomes of batches dispatched (or failed queued) while they wait. */
  private readonly flushWatchers = new Set<(outcome: Promise<WeftError | undefined>) => void>();
  /** While the page unloads: send at the end of each task instead of after `flushIntervalMs`. */
  private urgent = false;
  private readonly maxItems: number;
  private readonly maxBytes: number;
  private readonly intervalMs: number;
  private readonly maxInFlight: number;

  constructor(
    private readonly send: Send,
    options: BatchOptions = {},
    private readonly hooks: BatcherHooks = {},
  ) {
    this.maxItems = Math.floor(batchOption(options, "maxItems", 1000, 1));
    this.maxBytes = batchOption(options, "maxBytes", 4 * 1024 * 1024, 1);
    this.intervalMs = batchOption(options, "flushIntervalMs", 25, 0, MAX_TIMER_MS);
    this.maxInFlight = Math.floor(batchOption(options, "maxInFlight", 2, 1));
  }

  /** Queues a start; resolves with `{id, trace_id}` once its batch is stored. @throws WeftError VALIDATION */
  start(req: MethodReq<"call_start">): Promise<MethodRes<"call_start">> {
    const start = (req as { start?: unknown } | null)?.start;
    if (typeof start !== "object" || start === null) return Promise.reject(validationError("start", "required: the call's start fields"));
    const s = start as { id?: string | null; trace_id?: string | null };
    const filled = { ...start, id: s.id ?? uuidv7(), trace_id: s.trace_id ?? uuidv7() };
    const owned = (req as { [OWNED_REQUEST]?: boolean })[OWNED_REQUEST] === true;
    return this.enqueue({ mode: "start", req: { ...req, start: filled } } as BatchItemInput, owned) as Promise<MethodRes<"call_start">>;
  }

  /** Queues an end; resolves with `{}` once its batch is stored. @throws WeftError VALIDATION */
  end(req: MethodReq<"call_end">): Promise<MethodRes<"call_end">> {
    const end = (req as { end?: unknown } | null)?.end;
    if (typeof end !== "object" || end === null) return Promise.reject(validationError("end", "required: the call's end fields"));
    const owned = (req as { [OWNED_REQUEST]?: boolean })[OWNED_REQUEST] === true;
    return this.enqueue({ mode: "end", req }, owned) as Promise<MethodRes<"call_end">>;
  }

  private enqueue(item: BatchItemInput, owned = false): Promise<unknown> {
    let copy: WireItem = item;
    let bytes: number;
    if (owned) {
      bytes = estimateBytes(item);
    } else {
      try {
        // Snapshot now: the batch leaves up to `flushIntervalMs` later and callers often mutate what
        // they traced (a chat app pushes the reply onto the `messages` array it passed as input).
        const json = jsonSnapshot(item);
        copy = json ?? structuredClone(item);
        bytes = json === undefined ? estimateBytes(copy) : json.length;
      } catch (error) {
        return Promise.reject(requestCopyError(error));
      }
    }
    return new Promise((resolve, reject) => {
      if (this.idle()) this.hooks.busy?.(true);
      // Keep batches under maxBytes: seal what is open before an item would push it over.
      if (this.open.length > 0 && this.openBytes + bytes > this.maxBytes) this.seal();
      this.open.push({ item: copy, bytes, resolve, reject });
      this.openBytes += bytes;
      this.queuedCount++;
      if (this.open.length >= this.maxItems || this.openBytes >= this.maxBytes) this.seal();
      if (this.urgent) this.scheduleMicrotaskSend();
      else if (this.sealed.length > 0) this.pump();
      if (this.open.length > 0 && !this.urgent && !this.openDue) this.timer ??= setTimeout(() => this.due(), this.intervalMs);
    });
  }

  /** Moves the open batch to the sealed ones; its interval timer is done. */
  private seal(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.openDue = false;
    if (this.open.length === 0) return;
    this.sealed.push(this.open);
    this.open = [];
    this.openBytes = 0;
  }

  /** The open batch has waited its interval: it leaves when a slot is free, taking calls until then. */
  private due(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.open.length > 0) this.openDue = true;
    this.pump();
  }

  /**
   * Sends waiting batches while fewer than `maxInFlight` are in the worker: the sealed ones first,
   * then the open one if it is due. A batch held back keeps filling (a bigger, fuller transaction)
   * until a slot frees.
   */
  private pump(): void {
    while (this.inFlight.size < this.maxInFlight) {
      if (this.sealed.length === 0) {
        if (!this.openDue) return;
        this.seal();
      }
      const batch = this.sealed.shift();
      if (batch) this.dispatch(batch);
    }
  }

  private microtaskPending = false;
  private scheduleMicrotaskSend(): void {
    if (this.microtaskPending) return;
    this.microtaskPending = true;
    queueMicrotask(() => {
      this.microtaskPending = false;
      this.sendNow();
    });
  }

  /**
   * Urgent mode (the page is unloading): everything queued in a task is sent, and parked, at the
   * end of that task, because nothing guarantees the page lives until the timer fires.
   */
  setUrgent(urgent: boolean): void {
    this.urgent = urgent;
    if (urgent) this.sendNow();
  }

  /**
   * Sends everything queued at once, whatever is in flight, without waiting: for page hide, when
   * what matters is that every call reaches the worker (and the outbox) before the page goes.
   */
  sendNow(): void {
    this.seal();
    while (this.sealed.length > 0) this.dispatch(this.sealed.shift() as Queued[]);
  }

  /**
   * Sends `items` as one batch and tracks it until the worker answers. `retry` marks the good items
   * of a refused batch going again (already counted as dispatched).
   */
  private dispatch(items: Queued[], retry = false): InFlightBatch {
    if (!retry) this.dispatchedCount += items.length;
    const wire = items.map((q) => q.item);
    const key = `${this.clientKey}:${String(++this.sequence).padStart(10, "0")}`;
    const outcome = this.send({ batch: wire }).then(
      (res) => {
        items.forEach((q, i) => q.resolve((res.res[i] ?? {}) as MethodRes<"call_start">));
        return undefined;
      },
      (error: unknown): WeftError | undefined | Promise<WeftError | undefined> => {
        const weftError = toWeftError(error);
        const bad = badBatchItems(weftError, items.length);
        if (bad && bad.size < items.length) {
          // Only some items were bad: they fail alone, the rest go again (and this batch settles
          // when they are stored, so flush() still waits for them).
          items.forEach((q, i) => bad.get(i) && q.reject(bad.get(i) as WeftError));
          return this.dispatch(items.filter((_, i) => !bad.has(i)), true).outcome;
        }
        items.forEach((q, i) => q.reject(bad?.get(i) ?? weftError));
        return weftError;
      },
    );
    const flight: InFlightBatch = { key, items: wire, parked: 0, outcome };
    this.inFlight.add(flight);
    for (const watch of this.flushWatchers) watch(outcome);
    this.hooks.dispatched?.(flight);
    void outcome.then((error) => {
      this.inFlight.delete(flight);
      this.hooks.settled?.(flight, error);
      if (this.idle()) this.hooks.busy?.(false);
      else this.pump();
    });
    return flight;
  }

  /**
   * Sends everything queued and waits until it is stored, along with every batch in flight at this
   * moment. The in-flight limit still holds: a backlog leaves batch by batch as storage takes it.
   * @throws WeftError the first failed batch's error (its items were rejected with it too)
   */
  async flush(): Promise<void> {
    const target = this.queuedCount;
    const outcomes = [...this.inFlight].map((f) => f.outcome);
    const watch = (outcome: Promise<WeftError | undefined>): void => void outcomes.push(outcome);
    this.flushWatchers.add(watch);
    try {
      // Sealed, not just due: calls queued after this flush start a batch of their own.
      this.seal();
      this.pump();
      // Batches leave in queue order, so once `target` items have left, all of ours are in flight.
      while (this.dispatchedCount < target && this.inFlight.size > 0) {
        await Promise.race([...this.inFlight].map((f) => f.outcome));
      }
    } finally {
      this.flushWatchers.delete(watch);
    }
    const failed = (await Promise.all(outcomes)).find((error) => error !== undefined);
    if (failed) throw failed;
  }

  private idle(): boolean {
    return this.open.length === 0 && this.sealed.length === 0 && this.inFlight.size === 0;
  }

  /** Batches sent but not yet acknowledged (what page-hide parks). */
  unacknowledged(): InFlightBatch[] {
    return [...this.inFlight];
  }

  /** Rejects everything still queued (the worker died); batches in flight are rejected by the connection. */
  failQueued(error: WeftError): void {
    this.seal();
    const rejected = this.sealed.splice(0).flat();
    // Counted as gone, so a flush() waiting for them stops waiting, and fails with their error.
    this.dispatchedCount += rejected.length;
    for (const q of rejected) q.reject(error);
    if (rejected.length > 0) for (const watch of this.flushWatchers) watch(Promise.resolve(error));
    if (rejected.length > 0 && this.idle()) this.hooks.busy?.(false);
  }
}
