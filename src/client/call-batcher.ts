/**
 * Call batching: `call_start` and `call_end` are validated and queued on the main thread, then sent
 * together as one `call_start_batch` (one worker message, one IndexedDB transaction) when the queue
 * reaches `maxItems` or `maxBytes`, after `flushIntervalMs`, or on `flush()`.
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
import { toWeftError, validationError, type WeftError } from "../errors";
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

/** Batching limits of `createClient`. */
export interface BatchOptions {
  /** Send once this many starts/ends are queued. Default 1000. */
  maxItems?: number;
  /** Send once the queued items are estimated at this many bytes. Default 4 MiB. */
  maxBytes?: number;
  /** Send this long after the first item was queued. Default 25 ms. */
  flushIntervalMs?: number;
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
  private queue: Queued[] = [];
  private queueBytes = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly inFlight = new Set<InFlightBatch>();
  private readonly clientKey = uuidv7();
  private sequence = 0;
  /** While the page unloads: send at the end of each task instead of after `flushIntervalMs`. */
  private urgent = false;
  private readonly maxItems: number;
  private readonly maxBytes: number;
  private readonly intervalMs: number;

  constructor(
    private readonly send: Send,
    options: BatchOptions = {},
    private readonly hooks: BatcherHooks = {},
  ) {
    this.maxItems = Math.max(1, options.maxItems ?? 1000);
    this.maxBytes = Math.max(1, options.maxBytes ?? 4 * 1024 * 1024);
    this.intervalMs = Math.max(0, options.flushIntervalMs ?? 25);
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
      // Keep batches under maxBytes: send what is queued before an item would push it over.
      if (this.queue.length > 0 && this.queueBytes + bytes > this.maxBytes) this.sendNow();
      this.queue.push({ item: copy, bytes, resolve, reject });
      this.queueBytes += bytes;
      if (this.queue.length >= this.maxItems || this.queueBytes >= this.maxBytes) this.sendNow();
      else if (this.urgent) this.scheduleMicrotaskSend();
      else this.timer ??= setTimeout(() => this.sendNow(), this.intervalMs);
    });
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

  /** Sends whatever is queued as one batch, without waiting for it. */
  sendNow(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length === 0) return;
    const items = this.queue;
    this.queue = [];
    this.queueBytes = 0;
    this.dispatch(items);
  }

  /** Sends `items` as one batch and tracks it until the worker answers. */
  private dispatch(items: Queued[]): InFlightBatch {
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
          return this.dispatch(items.filter((_, i) => !bad.has(i))).outcome;
        }
        items.forEach((q, i) => q.reject(bad?.get(i) ?? weftError));
        return weftError;
      },
    );
    const flight: InFlightBatch = { key, items: wire, parked: 0, outcome };
    this.inFlight.add(flight);
    this.hooks.dispatched?.(flight);
    void outcome.then((error) => {
      this.inFlight.delete(flight);
      this.hooks.settled?.(flight, error);
      if (this.idle()) this.hooks.busy?.(false);
    });
    return flight;
  }

  /**
   * Sends the queue and waits for every batch in flight at this moment.
   * @throws WeftError the first failed batch's error (its items were rejected with it too)
   */
  async flush(): Promise<void> {
    this.sendNow();
    const outcomes = await Promise.all([...this.inFlight].map((f) => f.outcome));
    const failed = outcomes.find((error) => error !== undefined);
    if (failed) throw failed;
  }

  private idle(): boolean {
    return this.queue.length === 0 && this.inFlight.size === 0;
  }

  /** Batches sent but not yet acknowledged (what page-hide parks). */
  unacknowledged(): InFlightBatch[] {
    return [...this.inFlight];
  }

  /** Rejects everything still queued (the worker died); batches in flight are rejected by the connection. */
  failQueued(error: WeftError): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const rejected = this.queue.splice(0);
    this.queueBytes = 0;
    for (const q of rejected) q.reject(error);
    if (rejected.length > 0 && this.idle()) this.hooks.busy?.(false);
  }
}
