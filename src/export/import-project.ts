/**
 * `importProject`: pulls a project (or selected calls and what they refer to) from a Weave server
 * into a local weft store, for offline viewing. The same copy as `exportProject`, the other way:
 * calls stream in through `calls_query_stream`, objects come from `objs_query`/`obj_read`, tables
 * from `table_query`, files from `file_content_read`.
 */
import type { CallsFilter } from "../schema/calls";
import type { Query } from "../schema/query";
import type { BatchLimits } from "./batching";
import type { PlanSource } from "./plan";
import type { ProgressListener } from "./progress";
import { replicate, type ReplicateResult } from "./replicate";
import type { ExportTarget } from "./replicator";
import { memoryStateStore, type ExportStateStore } from "./state-store";
import { explainTargetError } from "./target-errors";

/** Options of `importProject`. */
export interface ImportProjectOptions {
  /** Where the project is: a `RemoteTraceServer`, or any `TraceServerInterface`. */
  from: PlanSource & { readonly baseUrl?: string };
  /** The local store: a weft client or a `LocalTraceServer`. */
  to: ExportTarget;
  /** The `entity/project` to read. */
  project: string;
  /** The local `entity/project` to write; default `project`. */
  toProject?: string;
  filter?: CallsFilter;
  query?: Query;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  /**
   * Record of what was imported; default in memory. Importing again is safe without it (content-
   * addressed objects, upserted calls, feedback and prices checked first); pass
   * `indexedDbStateStore()` to make a large import resumable across reloads.
   */
  stateStore?: ExportStateStore;
  batch?: Partial<BatchLimits>;
}

/**
 * Imports `project` from `from` into `to` (as `toProject`), refs rewritten like `exportProject`.
 * @throws WeftError VALIDATION (bad project ids); UNAUTHORIZED / FORBIDDEN / UPSTREAM from reading a
 *   remote `from` (after its retries); ABORTED; QUOTA_EXCEEDED / STORAGE from the local store
 */
export async function importProject(options: ImportProjectOptions): Promise<ReplicateResult> {
  const stateStore = options.stateStore ?? memoryStateStore();
  try {
    return await replicate({
      from: options.from,
      to: options.to,
      project: options.project,
      toProject: options.toProject ?? options.project,
      filter: options.filter,
      query: options.query,
      onProgress: options.onProgress,
      signal: options.signal,
      stateStore,
      batch: options.batch,
      targetLabel: "the local store",
      targetId: `import:${options.from.baseUrl ?? "source"}`,
      what: "The import",
    });
  } catch (error) {
    // Here the remote is the source: its 401/403/unreachable errors get the same advice as an export's.
    throw explainTargetError(error, options.from.baseUrl ?? "the source", options.project);
  }
}
