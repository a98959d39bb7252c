/**
 * Retention for one server: `purge` and `deleteProject`, run one at a time, and the write journal
 * the server feeds while a purge runs (`journal.ts`).
 */
import type { DeleteProjectReq, DeleteProjectRes, PurgeReq, PurgeRes } from "../../schema/extensions";
import type { ServerContext } from "../context";
import { deleteProject } from "./delete-project";
import { WriteJournal } from "./journal";
import { purge } from "./purge";

export { storageInfo } from "./storage-info";
export { WriteJournal } from "./journal";

/** The retention state of one `LocalTraceServer`. */
export class Retention {
  /** Fed by the server with every request and write response while a purge runs. */
  readonly journal = new WriteJournal();
  #queue: Promise<unknown> = Promise.resolve();

  // One at a time: two purges of one project would both count the same deletions, and a purge
  // running beside a deleteProject would mark from rows that are disappearing under it.
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /**
   * See `purge.ts`.
   * @throws WeftError STORAGE (via the server) when IndexedDB fails.
   */
  purge(ctx: ServerContext, req: PurgeReq): Promise<PurgeRes> {
    // The journal opens now, not when the purge's turn comes: requests that start while it waits
    // are noted too.
    const close = this.journal.open();
    const run = this.#serial(() => purge(ctx, this.journal, req));
    void run.finally(close).catch(() => undefined);
    return run;
  }

  /**
   * See `delete-project.ts`.
   * @throws WeftError STORAGE (via the server) when IndexedDB fails.
   */
  deleteProject(ctx: ServerContext, req: DeleteProjectReq): Promise<DeleteProjectRes> {
    return this.#serial(() => deleteProject(ctx, req));
  }
}
