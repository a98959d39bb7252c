/**
 * A fingerprint of everything an IndexedDB database holds, read through the raw IndexedDB API only
 * (no Dexie, nothing from weft), so it says what is really stored and runs unchanged in Node on
 * fake-indexeddb and in Chromium. Used to prove that a rejected request changed nothing.
 *
 * Every record of every object store is read in one read-only transaction (`getAllKeys` + `getAll`),
 * serialized canonically (object keys sorted, `-0`/NaN/Dates/typed arrays/Maps/Sets told apart,
 * binary contents included) and hashed with SHA-256 (`crypto.subtle`).
 */

/** Something to read: a database name, an open `IDBDatabase`, or a Dexie instance (`backendDB()`). */
export type StoreSource = string | IDBDatabase | { backendDB(): IDBDatabase | null; name: string };

/** Options of `digestStore` and `snapshotStore`. */
export interface DigestOptions {
  /** The factory that holds a database given by name (default: the realm's `indexedDB`). */
  indexedDB?: IDBFactory;
  /** Only these object stores (default: all). */
  stores?: readonly string[];
  /** Keep only the records this returns true for (e.g. one project's rows). */
  filter?: (store: string, key: IDBValidKey, value: unknown) => boolean;
}

/** One object store's records, canonically serialized and in key order. */
export interface StoreContents {
  count: number;
  hash: string;
  /** `[canonical key, canonical value]`; binary contents appear as their length and SHA-256. */
  records: Array<[string, string]>;
}

/** The whole database: one hash over every store, and the stores themselves for diffing. */
export interface StoreSnapshot {
  hash: string;
  stores: Record<string, StoreContents>;
}

type Blobs = Uint8Array[];

function hex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function sha256(parts: readonly Uint8Array[]): Promise<string> {
  let total = 0;
  for (const p of parts) total += p.byteLength;
  const all = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    all.set(p, offset);
    offset += p.byteLength;
  }
  return hex(await crypto.subtle.digest("SHA-256", all));
}

function tagOf(value: object): string {
  return Object.prototype.toString.call(value).slice(8, -1);
}

function bytesOf(value: ArrayBuffer | ArrayBufferView): Uint8Array {
  return ArrayBuffer.isView(value)
    ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
    : new Uint8Array(value);
}

/**
 * Canonical text of a structured-clone value. Binary contents go to `blobs` and are referred to by
 * position; `hashBlobs` replaces the references by content hashes.
 */
function canonical(value: unknown, blobs: Blobs, seen: Set<object>): string {
  switch (typeof value) {
    case "undefined":
      return "u";
    case "boolean":
      return value ? "t" : "f";
    case "number":
      return Object.is(value, -0) ? "n:-0" : `n:${String(value)}`;
    case "bigint":
      return `i:${value.toString()}`;
    case "string":
      return JSON.stringify(value);
    case "symbol":
    case "function":
      return `?${typeof value}`;
  }
  if (value === null) return "null";
  const obj = value as object;
  if (seen.has(obj)) return "cycle";
  seen.add(obj);
  try {
    const tag = tagOf(obj);
    if (ArrayBuffer.isView(obj) || tag === "ArrayBuffer" || tag === "SharedArrayBuffer") {
      blobs.push(bytesOf(obj as ArrayBuffer | ArrayBufferView));
      return `${tag}(${(obj as ArrayBuffer).byteLength})#${blobs.length - 1}`;
    }
    if (Array.isArray(obj)) {
      const items: string[] = [];
      for (let i = 0; i < obj.length; i++) items.push(i in obj ? canonical(obj[i], blobs, seen) : "hole");
      return `[${items.join(",")}]`;
    }
    if (tag === "Date") return `D:${(obj as Date).getTime()}`;
    if (tag === "RegExp") return `R:${String(obj)}`;
    if (tag === "Map") {
      const entries = [...(obj as Map<unknown, unknown>)].map(([k, v]) => `${canonical(k, blobs, seen)}=>${canonical(v, blobs, seen)}`);
      return `M{${entries.sort().join(",")}}`;
    }
    if (tag === "Set") {
      return `S{${[...(obj as Set<unknown>)].map((v) => canonical(v, blobs, seen)).sort().join(",")}}`;
    }
    if (tag === "Blob" || tag === "File") {
      const b = obj as Blob;
      return `${tag}(${b.size},${JSON.stringify(b.type)})`;
    }
    const keys = Object.keys(obj).sort();
    const body = keys.map((k) => `${JSON.stringify(k)}:${canonical((obj as Record<string, unknown>)[k], blobs, seen)}`).join(",");
    return tag === "Object" ? `{${body}}` : `${tag}{${body}}`;
  } finally {
    seen.delete(obj);
  }
}

/** Canonical text with binary contents replaced by `len:sha256`. */
async function canonicalText(value: unknown): Promise<string> {
  const blobs: Blobs = [];
  const text = canonical(value, blobs, new Set());
  if (blobs.length === 0) return text;
  const hashes = await Promise.all(blobs.map((b) => sha256([b])));
  return text.replace(/#(\d+)/g, (_, i: string) => `<${hashes[Number(i)] as string}>`);
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error("IndexedDB request failed"));
  });
}

/**
 * Opens `name` without creating it: when the database does not exist the open is aborted in its
 * upgrade (so nothing is created) and the result is `undefined`.
 */
function openExisting(factory: IDBFactory, name: string): Promise<IDBDatabase | undefined> {
  return new Promise((resolve, reject) => {
    const req = factory.open(name);
    let created = false;
    req.onupgradeneeded = () => {
      created = true;
      req.transaction?.abort();
    };
    req.onsuccess = () => {
      if (created) {
        req.result.close();
        resolve(undefined);
      } else resolve(req.result);
    };
    req.onerror = (event) => {
      if (created) {
        event.preventDefault();
        resolve(undefined);
      } else reject(req.error ?? new Error(`cannot open ${name}`));
    };
    req.onblocked = () => reject(new Error(`opening ${name} is blocked`));
  });
}

async function readAll(db: IDBDatabase, options: DigestOptions): Promise<Record<string, StoreContents>> {
  const all = Array.from({ length: db.objectStoreNames.length }, (_, i) => db.objectStoreNames.item(i) as string);
  const names = all.filter((n) => !options.stores || options.stores.includes(n)).sort();
  const out: Record<string, StoreContents> = {};
  if (names.length === 0) return out;
  const tx = db.transaction(names, "readonly");
  const done = new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error("IndexedDB transaction failed"));
    tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
  });
  const raw = await Promise.all(
    names.map(async (name) => {
      const store = tx.objectStore(name);
      const [keys, values] = await Promise.all([request(store.getAllKeys()), request(store.getAll())]);
      return { name, keys, values };
    }),
  );
  await done;
  for (const { name, keys, values } of raw) {
    if (keys.length !== values.length) throw new Error(`store ${name}: ${keys.length} keys but ${values.length} values`);
    const records: Array<[string, string]> = [];
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as IDBValidKey;
      const value: unknown = values[i];
      if (options.filter && !options.filter(name, key, value)) continue;
      records.push([await canonicalText(key), await canonicalText(value)]);
    }
    records.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const text = records.map(([k, v]) => `${k}\t${v}`).join("\n");
    out[name] = { count: records.length, hash: await sha256([new TextEncoder().encode(text)]), records };
  }
  return out;
}

function isIdbDatabase(source: unknown): source is IDBDatabase {
  return typeof source === "object" && source !== null && "objectStoreNames" in source && "transaction" in source;
}

/**
 * Reads every record of every object store (or those `options` keeps).
 * A database given by name that does not exist reads as empty (and is not created).
 */
export async function snapshotStore(source: StoreSource, options: DigestOptions = {}): Promise<StoreSnapshot> {
  let db: IDBDatabase | undefined;
  let close = false;
  if (typeof source === "string") {
    const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (!factory) throw new Error("digestStore: no IDBFactory (pass options.indexedDB)");
    db = await openExisting(factory, source);
    close = true;
  } else if (isIdbDatabase(source)) {
    db = source;
  } else {
    const backend = source.backendDB();
    if (!backend) throw new Error(`digestStore: database ${source.name} is not open`);
    db = backend;
  }
  try {
    const stores = db ? await readAll(db, options) : {};
    const summary = Object.keys(stores)
      .sort()
      .map((name) => `${name}:${(stores[name] as StoreContents).count}:${(stores[name] as StoreContents).hash}`)
      .join("\n");
    return { hash: await sha256([new TextEncoder().encode(summary)]), stores };
  } finally {
    if (close) db?.close();
  }
}

/** A SHA-256 (hex) over every record of every store: equal digests mean equal contents. */
export async function digestStore(source: StoreSource, options: DigestOptions = {}): Promise<string> {
  return (await snapshotStore(source, options)).hash;
}

/**
 * What differs between two snapshots, one line per added, removed or changed record (at most
 * `limit` lines), for a readable failure message.
 */
export function diffSnapshots(before: StoreSnapshot, after: StoreSnapshot, limit = 10): string[] {
  const lines: string[] = [];
  const names = [...new Set([...Object.keys(before.stores), ...Object.keys(after.stores)])].sort();
  const clip = (s: string): string => (s.length > 300 ? `${s.slice(0, 300)}…` : s);
  for (const name of names) {
    const a = new Map(before.stores[name]?.records ?? []);
    const b = new Map(after.stores[name]?.records ?? []);
    for (const [key, value] of b) {
      if (!a.has(key)) lines.push(`${name}: added ${clip(key)} = ${clip(value)}`);
      else if (a.get(key) !== value) lines.push(`${name}: changed ${clip(key)}: ${clip(a.get(key) as string)} → ${clip(value)}`);
    }
    for (const key of a.keys()) if (!b.has(key)) lines.push(`${name}: removed ${clip(key)}`);
  }
  return lines.slice(0, limit);
}
