/**
 * `exportProject`: copies a local project (or the calls a filter or query selects, with everything
 * they refer to) to another Weave server, normally a `RemoteTraceServer` pointed at
 * `https://trace.wandb.ai`, a self-hosted W&B, or a proxy in front of either.
 */
import type { CallsFilter } from "../schema/calls";
import type { Query } from "../schema/query";
import type { BatchLimits } from "./batching";
import type { PlanSource } from "./plan";
import type { ProgressListener } from "./progress";
import { replicate, type ReplicateResult } from "./replicate";
import type { ExportTarget } from "./replicator";
import { indexedDbStateStore, type ExportStateStore } from "./state-store";

/** Options of `exportProject`. */
export interface ExportProjectOptions {
  /** Where the project is: a weft client, a `LocalTraceServer`, or any `TraceServerInterface`. */
  from: PlanSource;
  /** Where it goes: a `RemoteTraceServer` (or any `TraceServerInterface`). */
  to: ExportTarget & { readonly baseUrl?: string };
  /** The local `entity/project`. */
  project: string;
  /** The target `entity/project` (the entity must exist there and the API key may write to it). */
  toProject: string;
  /** Only calls matching this filter (plus what they refer to); default every call. */
  filter?: CallsFilter;
  /** Only calls matching this query (plus what they refer to); default every call. */
  query?: Query;
  /** Told after every step; see `ExportProgress`. */
  onProgress?: ProgressListener;
  /**
   * Cancels the export: it fails with ABORTED at once (run it again to continue). Give the same
   * signal to `createRemoteTraceServer` to also cut the request in flight.
   */
  signal?: AbortSignal;
  /** Where the record of what was sent lives; default `indexedDbStateStore()` (database `weft-export-state`). */
  stateStore?: ExportStateStore;
  /** Limits of one write request; default 500 items and 2 MiB. */
  batch?: Partial<BatchLimits>;
  /** Names the target server in the state store; default `to.baseUrl`, else `"default"`. */
  targetId?: string;
  /**
   * Forget what earlier runs sent to this target and send everything again (after the target
   * project was deleted or emptied; otherwise unneeded, since sending twice is harmless but slow).
   */
  restart?: boolean;
}

/** What an export did, per kind: `sent` written now, `skipped` already in the target. */
export type ExportResult = ReplicateResult;

/**
 * Exports `project` to `to` as `toProject`, in dependency order (files, tables, objects and ops
 * innermost first, calls, feedback, prices), rewriting every ref to the new project and to the digests
 * the target computes. Idempotent and resumable: what was sent is recorded (per target server, source
 * and target project) as it goes, so running it again sends only what is new or was not sent yet.
 * Retries on 429/5xx/network errors are done by `RemoteTraceServer`.
 * @throws WeftError VALIDATION (bad project ids); UNAUTHORIZED / FORBIDDEN (the API key, with what to
 *   check); UPSTREAM (server unreachable: in a browser usually CORS, the message says to use a proxy;
 *   or 5xx after retries); ABORTED (`signal`); the target's other refusals (e.g. VALIDATION for a call
 *   id Weave does not accept); STORAGE (state store); errors of reading `from`
 */
export async function exportProject(options: ExportProjectOptions): Promise<ExportResult> {
  const targetId = options.targetId ?? options.to.baseUrl ?? "default";
  const ownStore = options.stateStore === undefined;
  const stateStore = options.stateStore ?? indexedDbStateStore();
  try {
    return await replicate({
      from: options.from,
      to: options.to,
      project: options.project,
      toProject: options.toProject,
      filter: options.filter,
      query: options.query,
      onProgress: options.onProgress,
      signal: options.signal,
      stateStore,
      batch: options.batch,
      restart: options.restart,
      targetLabel: options.to.baseUrl ?? "the target store",
      targetId,
      what: "The export",
    });
  } finally {
    if (ownStore) stateStore.close();
  }
}
