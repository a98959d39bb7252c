/**
 * What this server wrote while a purge was running, as node keys (`nodes.ts`).
 *
 * Purge marks what is still referenced by reading the project in many small transactions, so a write
 * that lands between that reading and the sweep is never seen by it: a new call referencing an old
 * op version, a `file_create` that found an old image already stored (and so wrote nothing) just
 * before the call that uses it. Every request through this server is therefore noted here while a
 * purge runs — the refs and file digests it carries, when it starts and again when it is stored
 * (a request that began just before the purge may be stored after the purge's scans went past it),
 * and the digests its response names — and each sweep transaction rescues whatever the journal
 * names before it deletes anything. Writes made through another tab's server are not seen (see
 * `purge.ts`).
 */
import { objectKey, walkValue } from "./nodes";

type Loose = Record<string, unknown> | undefined;

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** The journal of one server; `Retention` owns it and the server feeds it. Nothing here throws. */
export class WriteJournal {
  #active = 0;
  // Append-only while anyone holds the journal open, so each reader keeps its own position (a
  // purge queued behind another must still see what was noted while the first one ran).
  #log: string[] = [];
  #logged = new Set<string>();

  /** True while a purge runs; the server skips noting anything otherwise. */
  get active(): boolean {
    return this.#active > 0;
  }

  /** Starts noting; returns the function that stops. Nested purges each hold the journal open. */
  open(): () => void {
    this.#active++;
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      if (--this.#active === 0) {
        this.#log = [];
        this.#logged.clear();
      }
    };
  }

  /** A reader: each call returns the keys noted since its previous call (all so far, the first time). */
  reader(): () => string[] {
    let position = 0;
    let log = this.#log;
    return () => {
      // The log is replaced when the last holder closes; a reader that outlived it starts over.
      if (log !== this.#log) (log = this.#log), (position = 0);
      const keys = log.slice(position);
      position = log.length;
      return keys;
    };
  }

  #add(key: string): void {
    if (this.#logged.has(key)) return;
    this.#logged.add(key);
    this.#log.push(key);
  }

  /** A validated request, noted before its handler runs: every ref and file digest it carries. */
  noteRequest(method: string, req: unknown): void {
    if (!this.active) return;
    const add = (key: string): void => this.#add(key);
    // Refs of every project: rescuing a little more than needed is safe, and cheaper than parsing.
    walkValue(req, add);
    const r = req as Loose;
    if (method === "table_update" && str(r?.["base_digest"])) add(`t:${str(r?.["base_digest"])}`);
    if (method === "table_create_from_digests") for (const d of strings(r?.["row_digests"])) add(`r:${d}`);
  }

  /**
   * A request once its handler succeeded: what it carries (again) and the digests its response
   * names. An existing row that a write "created" again (same content) is in use from now on,
   * though the write changed nothing.
   */
  noteResponse(method: string, req: unknown, res: unknown): void {
    if (!this.active) return;
    this.noteRequest(method, req);
    const r = req as Loose;
    const out = res as Loose;
    const digest = str(out?.["digest"]);
    switch (method) {
      case "obj_create": {
        const id = str(out?.["object_id"]);
        if (id && digest) this.#add(objectKey(id, digest));
        break;
      }
      case "op_create": {
        const id = str((r?.["op_obj"] as Loose)?.["object_id"]);
        if (id && digest) this.#add(objectKey(id, digest));
        break;
      }
      case "file_create":
        if (digest) this.#add(`f:${digest}`);
        break;
      case "table_create":
      case "table_create_from_digests":
      case "table_update":
        if (digest) this.#add(`t:${digest}`);
        for (const d of [...strings(out?.["row_digests"]), ...strings(out?.["updated_row_digests"])]) this.#add(`r:${d}`);
        break;
    }
  }
}
