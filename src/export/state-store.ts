/**
 * What an export has already sent, so that exporting again sends nothing twice and an interrupted
 * export (tab closed, network gone, `signal` aborted) continues where it stopped. Entries are keyed
 * by (target, kind, local id or digest) and hold what the target answered (its digest or id).
 *
 * The default store is a small IndexedDB database of its own (`weft-export-state`), apart from the
 * trace database: it belongs to the exporter, may be deleted at any time (the next export then
 * re-sends, which content-addressed writes and upserts absorb), and never slows the tracer.
 */
import { toWeftError, WeftError } from "../errors";
import { emptyRefMaps, type RefMaps } from "./ref-rewrite";

/** Kinds of state entries. */
export type StateKind = "file" | "table" | "object" | "call" | "feedback" | "cost";

/**
 * One thing sent. `value` by kind: file/object → remote digest; table → `TableState`; call →
 * `"start"` (sent running) or `"end"` (sent complete); feedback/cost → remote id.
 */
export interface StateEntry {
  kind: StateKind;
  key: string;
  value: unknown;
}

/** A sent table: its remote digest and the row digests that differ (local → remote). */
export interface TableState {
  digest: string;
  rows?: Array<[string, string]>;
}

/** Where export state lives. Implementations must keep entries of different targets apart. */
export interface ExportStateStore {
  /** Every entry recorded for `target`. */
  load(target: string): Promise<StateEntry[]>;
  /** Records entries (replacing same kind+key). Resolves once durable. */
  save(target: string, entries: readonly StateEntry[]): Promise<void>;
  /** Forgets everything about `target` (the next export sends everything again). */
  clear(target: string): Promise<void>;
  /** Releases the store's resources. */
  close(): void;
}

/**
 * A store in memory: idempotent within one process, nothing survives a reload.
 * @throws never
 */
export function memoryStateStore(): ExportStateStore {
  const targets = new Map<string, Map<string, StateEntry>>();
  const of = (target: string): Map<string, StateEntry> => {
    let map = targets.get(target);
    if (!map) targets.set(target, (map = new Map()));
    return map;
  };
  return {
    load: async (target) => [...of(target).values()].map((e) => ({ ...e })),
    save: async (target, entries) => {
      for (const e of entries) of(target).set(`${e.kind}\u0000${e.key}`, { ...e });
    },
    clear: async (target) => void targets.delete(target),
    close: () => undefined,
  };
}

/** Options of `indexedDbStateStore`. */
export interface IndexedDbStateStoreOptions {
  /** Database name (default `weft-export-state`). */
  dbName?: string;
  /** An `IDBFactory` (fake-indexeddb's in Node); default the realm's `indexedDB`. */
  indexedDB?: IDBFactory;
  /** The `IDBKeyRange` matching `indexedDB`; default the realm's. */
  IDBKeyRange?: typeof IDBKeyRange;
}

const STORE = "sent";

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(toWeftError(req.error));
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(toWeftError(tx.error));
    tx.onabort = () => reject(toWeftError(tx.error ?? new DOMException("transaction aborted", "AbortError")));
  });
}

/**
 * The default store: raw IndexedDB (one object store, keys `[target, kind, key]`), opened lazily.
 * @throws WeftError STORAGE (from its methods) when IndexedDB is missing or fails; QUOTA_EXCEEDED
 */
export function indexedDbStateStore(options: IndexedDbStateStoreOptions = {}): ExportStateStore {
  const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  const KeyRange = options.IDBKeyRange ?? (globalThis as { IDBKeyRange?: typeof IDBKeyRange }).IDBKeyRange;
  const name = options.dbName ?? "weft-export-state";
  let opened: Promise<IDBDatabase> | undefined;
  const db = (): Promise<IDBDatabase> => {
    if (!factory || !KeyRange) {
      return Promise.reject(new WeftError("STORAGE", "No IndexedDB here to keep export state: pass `stateStore: memoryStateStore()` (no resume across reloads) or an `indexedDB`."));
    }
    opened ??= new Promise<IDBDatabase>((resolve, reject) => {
      const req = factory.open(name, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE);
      req.onsuccess = () => {
        // Never hold up another tab that opens a newer version of this database.
        req.result.onversionchange = () => req.result.close();
        resolve(req.result);
      };
      req.onerror = () => reject(toWeftError(req.error));
      req.onblocked = () => reject(new WeftError("STORAGE", `The export state database ${name} is blocked by another tab's older version; close other tabs and retry.`));
    });
    // A failed open is tried again on the next call rather than remembered.
    opened.catch(() => (opened = undefined));
    return opened;
  };
  // Arrays sort after strings in IndexedDB, so [target, []] bounds every [target, kind, key] from above.
  const range = (target: string): IDBKeyRange => (KeyRange as typeof IDBKeyRange).bound([target], [target, []]);
  return {
    async load(target) {
      const tx = (await db()).transaction(STORE, "readonly");
      const store = tx.objectStore(STORE);
      const [keys, values] = await Promise.all([request(store.getAllKeys(range(target))), request(store.getAll(range(target)))]);
      return keys.map((key, i) => {
        const [, kind, id] = key as [string, StateKind, string];
        return { kind, key: id, value: values[i] as unknown };
      });
    },
    async save(target, entries) {
      if (entries.length === 0) return;
      const tx = (await db()).transaction(STORE, "readwrite");
      const store = tx.objectStore(STORE);
      for (const e of entries) store.put(e.value, [target, e.kind, e.key]);
      await done(tx);
    },
    async clear(target) {
      const tx = (await db()).transaction(STORE, "readwrite");
      tx.objectStore(STORE).delete(range(target));
      await done(tx);
    },
    close() {
      void opened?.then((d) => d.close()).catch(() => undefined);
      opened = undefined;
    },
  };
}

/** The entries of one target in memory, written through to the store. */
export class ExportState {
  private readonly entries = new Map<string, unknown>();

  private constructor(
    private readonly store: ExportStateStore,
    readonly target: string,
  ) {}

  /**
   * Loads the state of `target`.
   * @throws WeftError STORAGE when the store cannot be read
   */
  static async open(store: ExportStateStore, target: string): Promise<ExportState> {
    const state = new ExportState(store, target);
    for (const e of await store.load(target)) state.entries.set(`${e.kind}\u0000${e.key}`, e.value);
    return state;
  }

  get(kind: StateKind, key: string): unknown {
    return this.entries.get(`${kind}\u0000${key}`);
  }

  has(kind: StateKind, key: string): boolean {
    return this.entries.has(`${kind}\u0000${key}`);
  }

  /**
   * Records entries, durably, before anything that depends on them is sent.
   * @throws WeftError STORAGE / QUOTA_EXCEEDED from the store
   */
  async record(entries: readonly StateEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.store.save(this.target, entries);
    for (const e of entries) this.entries.set(`${e.kind}\u0000${e.key}`, e.value);
  }

  /** The digest maps implied by what was sent, to rewrite refs on a resumed run. */
  refMaps(): RefMaps {
    const maps = emptyRefMaps();
    for (const [id, value] of this.entries) {
      const [kind, key] = id.split("\u0000") as [StateKind, string];
      if (kind === "file" && typeof value === "string") maps.files.set(key, value);
      else if (kind === "object" && typeof value === "string") maps.objects.set(key.slice(key.lastIndexOf(":") + 1), value);
      else if (kind === "table" && typeof value === "object" && value !== null) {
        const table = value as TableState;
        maps.tables.set(key, table.digest);
        for (const [local, remote] of table.rows ?? []) maps.rows.set(local, remote);
      }
    }
    return maps;
  }
}
