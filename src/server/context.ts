/**
 * What every server module gets: the database and the facts a request needs besides its body.
 */
import type { PageCursors } from "./calls/page-cursors";
import type { WeftDb } from "./db";

export interface ServerContext {
  readonly db: WeftDb;
  /**
   * The user id written where Weave requires `wb_user_id` and the caller sent none. Weave's HTTP
   * server fills it from the authenticated user (weave-semantics.md §0.3); locally there is one user.
   */
  readonly userId: string;
  /** Current time in epoch ms (a function so tests can pin it). */
  now(): number;
  /** Where earlier pages of calls ended, for keyset continuation (absent: every page skips `offset`). */
  readonly pageCursors?: PageCursors;
}
