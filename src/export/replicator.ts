/**
 * The writing half of an export or import: sends planned things to a target in order, skipping what
 * the state says is there, learning the target's digests and recording each step durably before
 * anything that depends on it goes out. Reads from the source are the caller's (`readFile`, the call
 * stream), so the same writer serves `exportProject`, `importProject` and `importBundle`.
 */
import { WeftError } from "../errors";
import type { TraceServerInterface } from "../interface";
import type { CallSchema } from "../schema/calls";
import type { CostQueryOutput } from "../schema/costs";
import { chunkBySize, jsonBytes, SizedBatch, type BatchLimits } from "./batching";
import { nextTask } from "./next-task";
import { NODE_KIND, nodeBytes, type FeedbackRowOut, type PlanNode } from "./plan";
import type { ProgressTracker } from "./progress";
import { collectDeps, type Dep, type RefRewrite } from "./ref-rewrite";
import {
  callBatchItems,
  costCreateBody,
  feedbackCreateBody,
  fileCreateBody,
  objCreateBody,
  sameCost,
  tableAppendBody,
  tableCreateBody,
  type FeedbackCreateBody,
} from "./requests";
import type { ExportState, StateEntry, TableState } from "./state-store";
import { explainTargetError, raceAbort, throwIfAborted } from "./target-errors";

/** What the writer needs of the target. Every weft store and `RemoteTraceServer` has these. */
export type ExportTarget = Pick<
  TraceServerInterface,
  "call_start_batch" | "obj_create" | "table_create" | "table_update" | "file_create" | "feedback_create" | "feedback_create_batch" | "feedback_query" | "cost_create" | "cost_query"
> &
  Partial<Pick<TraceServerInterface, "ensure_project_exists">>;

/** Settings of a `Replicator`. */
export interface ReplicatorOptions {
  to: ExportTarget;
  rw: RefRewrite;
  state: ExportState;
  progress: ProgressTracker;
  limits: BatchLimits;
  /** Names the target in error messages (its URL). */
  targetLabel: string;
  signal?: AbortSignal | undefined;
  /** What to call the operation in an ABORTED message ("The export", "The import"). */
  what: string;
  /**
   * Most call batches in flight at once (default 1: each waits for the last). More lets the next
   * batch be prepared and sent while the target stores the last; the state then records batches in
   * the order they finish, which only a state that is not kept across runs can ignore.
   */
  callBatchesInFlight?: number;
}

/** Most feedback rows per `feedback_create_batch`. */
const FEEDBACK_BATCH = 100;

/** Sends planned things, calls, feedback and prices to one target. */
export class Replicator {
  constructor(private readonly o: ReplicatorOptions) {}

  /** One request to the target: cancellable, with the export's own error messages. */
  private async send<T>(request: () => Promise<T>): Promise<T> {
    throwIfAborted(this.o.signal, this.o.what);
    try {
      return await raceAbort(request(), this.o.signal, this.o.what);
    } catch (error) {
      throw explainTargetError(error, this.o.targetLabel, this.o.rw.toProject);
    }
  }

  /**
   * Asks the target to make sure the project exists, as Weave's SDKs do before writing (§11; a
   * `RemoteTraceServer` answers it without a request, since Weave does it through W&B's GraphQL API).
   * @throws WeftError from the target
   */
  async ensureProject(): Promise<void> {
    const ensure = this.o.to.ensure_project_exists;
    if (!ensure) return;
    const [entity, project] = this.o.rw.toProject.split("/") as [string, string];
    await this.send(() => ensure.call(this.o.to, { entity, project }));
  }

  /**
   * Sends `nodes` (already in send order) that the state does not have.
   * `readFile` returns a file's bytes, or undefined when the source has lost it (then refs keep its digest).
   * @throws WeftError from the target (see `explainTargetError`), ABORTED, STORAGE from the state store
   */
  async sendNodes(nodes: readonly PlanNode[], readFile: (node: Extract<PlanNode, { type: "file" }>) => Promise<Uint8Array | undefined>): Promise<void> {
    const { rw, state, progress } = this.o;
    for (const node of nodes) {
      const kind = NODE_KIND[node.type];
      if (state.has(node.type, node.key)) {
        progress.done(kind, 1, nodeBytes(node), true);
        continue;
      }
      throwIfAborted(this.o.signal, this.o.what);
      if (node.type === "file") {
        const content = await raceAbort(readFile(node), this.o.signal, this.o.what);
        if (content === undefined) {
          progress.done(kind, 1, 0, true);
          continue;
        }
        const { digest } = await this.send(() => this.o.to.file_create(fileCreateBody(node.name, content, rw)));
        rw.maps.files.set(node.digest, digest);
        await state.record([{ kind: "file", key: node.key, value: digest }]);
        progress.done(kind, 1, content.byteLength);
      } else if (node.type === "table") {
        const table = await this.sendTable(node);
        await state.record([{ kind: "table", key: node.key, value: table }]);
        progress.done(kind, 1, nodeBytes(node));
      } else {
        const body = objCreateBody(node.object_id, node.val, rw);
        const { digest } = await this.send(() => this.o.to.obj_create(body));
        rw.maps.objects.set(node.digest, digest);
        await state.record([{ kind: "object", key: node.key, value: digest }]);
        progress.done(kind, 1, nodeBytes(node));
      }
    }
  }

  /**
   * One table: one `table_create` when it fits the limits, else a create and then appends
   * (`table_update`), as Weave's SDK splits large tables (§5.1). Row digests map by position.
   */
  private async sendTable(node: Extract<PlanNode, { type: "table" }>): Promise<TableState> {
    const { rw, limits } = this.o;
    const chunks = chunkBySize(node.rows, limits, (row) => jsonBytes(row.val));
    const first = chunks[0] ?? [];
    const created = await this.send(() => this.o.to.table_create(tableCreateBody(first, rw)));
    let digest = created.digest;
    const remoteRows = [...created.row_digests];
    for (const chunk of chunks.slice(1)) {
      const base = digest;
      const updated = await this.send(() => this.o.to.table_update(tableAppendBody(base, chunk, rw)));
      digest = updated.digest;
      remoteRows.push(...updated.updated_row_digests);
    }
    rw.maps.tables.set(node.digest, digest);
    const rows: Array<[string, string]> = [];
    // An older server without row_digests leaves rows unmapped; refs to them keep the local digest.
    if (remoteRows.length === node.rows.length) {
      node.rows.forEach((row, i) => {
        const remote = remoteRows[i] as string;
        rw.maps.rows.set(row.digest, remote);
        if (remote !== row.digest) rows.push([row.digest, remote]);
      });
    }
    return rows.length > 0 ? { digest, rows } : { digest };
  }

  /**
   * Sends calls in batches of whole calls (start and end together), each batch recorded once the
   * target has it. `ensure` is given the dependencies of a batch before it is rewritten, so calls
   * that appeared after planning still find their objects sent first.
   * @throws WeftError from the target, ABORTED, STORAGE
   */
  async sendCalls(calls: AsyncIterable<CallSchema>, ensure: (deps: Map<string, Dep>) => Promise<void>): Promise<void> {
    const { state, progress, limits, rw } = this.o;
    const batch = new SizedBatch<CallSchema>(limits);
    const inFlight = Math.max(1, this.o.callBatchesInFlight ?? 1);
    const running: Array<Promise<void>> = [];
    const flush = async (): Promise<void> => {
      const { items: pending, bytes } = batch.take();
      if (pending.length === 0) return;
      // Rewriting a batch and copying it into the message take tens of ms: in a task of their
      // own, not appended to the reading that filled the batch (exports run on the main thread).
      await nextTask();
      const deps = new Map<string, Dep>();
      for (const call of pending) collectDeps(call, rw.fromProject, deps);
      await ensure(deps);
      const body = { batch: pending.flatMap((call) => callBatchItems(call, rw, state.get("call", call.id) === "start")) };
      const sending = (async () => {
        await this.send(() => this.o.to.call_start_batch(body));
        await state.record(pending.map((call): StateEntry => ({ kind: "call", key: call.id, value: call.ended_at ? "end" : "start" })));
        progress.done("calls", pending.length, bytes);
      })();
      // Awaited below or in the catch; this keeps a failure from being reported as unhandled meanwhile.
      sending.catch(() => undefined);
      running.push(sending);
      if (running.length >= inFlight) await running.shift();
    };
    try {
      for await (const call of calls) {
        throwIfAborted(this.o.signal, this.o.what);
        const sent = state.get("call", call.id);
        const size = jsonBytes(call);
        if (sent === "end" || (sent === "start" && !call.ended_at)) {
          progress.done("calls", 1, size, true);
          continue;
        }
        const parts = sent === "start" || !call.ended_at ? 1 : 2;
        if (!batch.fits(parts, size)) await flush();
        batch.add(call, size, parts);
      }
      await flush();
      while (running.length > 0) await running.shift();
    } catch (error) {
      // Nothing may still be writing once this fails.
      await Promise.allSettled(running);
      throw error;
    }
  }

  /**
   * Sends feedback rows the state does not have. Rows already in the target (same id: a run cut off
   * between the write and its record) are only recorded; Weave would store a second copy.
   * @throws WeftError from the target, ABORTED, STORAGE
   */
  async sendFeedback(rows: readonly FeedbackRowOut[]): Promise<void> {
    const { state, progress, rw, limits } = this.o;
    const todo = rows.filter((row) => {
      if (!state.has("feedback", row.id)) return true;
      progress.done("feedback", 1, 0, true);
      return false;
    });
    const bodies = todo.map((row) => feedbackCreateBody(row, rw));
    for (const chunk of chunkBySize(bodies, { maxItems: Math.min(FEEDBACK_BATCH, limits.maxItems), maxBytes: limits.maxBytes }, jsonBytes)) {
      const ids = chunk.map((b) => b.id);
      const { result } = await this.send(() =>
        this.o.to.feedback_query({
          project_id: rw.toProject,
          fields: ["id"],
          query: { $expr: { $in: [{ $getField: "id" }, ids.map((id) => ({ $literal: id }))] } },
        }),
      );
      const present = new Set(result.map((r) => String(r.id)));
      const fresh = chunk.filter((b) => !present.has(b.id));
      const created = fresh.length > 0 ? await this.createFeedback(fresh) : [];
      const entries: StateEntry[] = [
        ...chunk.filter((b) => present.has(b.id)).map((b): StateEntry => ({ kind: "feedback", key: b.id, value: b.id })),
        ...fresh.map((b, i): StateEntry => ({ kind: "feedback", key: b.id, value: created[i] ?? b.id })),
      ];
      await state.record(entries);
      progress.done("feedback", chunk.length - fresh.length, 0, true);
      progress.done("feedback", fresh.length, jsonBytes(fresh));
    }
  }

  /** `feedback_create_batch`, or one `feedback_create` each on a server without the batch route (§3.3). */
  private async createFeedback(bodies: FeedbackCreateBody[]): Promise<string[]> {
    try {
      const { res } = await this.send(() => this.o.to.feedback_create_batch({ batch: bodies }));
      return res.map((r) => r.id);
    } catch (error) {
      // A route the server lacks is FastAPI's bare 404 "Not Found" (or weft's 501), not a NotFoundError about a ref.
      const status = error instanceof WeftError ? error.details?.status : undefined;
      const missingRoute = status === 501 || (status === 404 && /\(HTTP 404\): Not Found$/.test((error as WeftError).message));
      if (!missingRoute) throw error;
      const ids: string[] = [];
      for (const body of bodies) ids.push((await this.send(() => this.o.to.feedback_create(body))).id);
      return ids;
    }
  }

  /**
   * Sends the project's prices the state does not have; a price the target already holds (same
   * model, date, costs and provider) is only recorded, since `cost_create` always adds a row.
   * @throws WeftError from the target, ABORTED, STORAGE
   */
  async sendCosts(costs: readonly CostQueryOutput[]): Promise<void> {
    const { state, progress, rw } = this.o;
    const todo = costs.filter((cost) => {
      if (cost.id && !state.has("cost", cost.id)) return true;
      progress.done("costs", 1, 0, true);
      return false;
    });
    if (todo.length === 0) return;
    const existing: CostQueryOutput[] = [];
    for (let offset = 0; ; offset += 1000) {
      const { results } = await this.send(() => this.o.to.cost_query({ project_id: rw.toProject, limit: 1000, offset }));
      existing.push(...results);
      if (results.length < 1000) break;
    }
    for (const cost of todo) {
      const match = existing.find((e) => sameCost(e, cost));
      if (match) {
        await state.record([{ kind: "cost", key: cost.id as string, value: match.id ?? "" }]);
        progress.done("costs", 1, 0, true);
        continue;
      }
      const body = costCreateBody(cost, rw.toProject);
      const { ids } = await this.send(() => this.o.to.cost_create(body));
      await state.record([{ kind: "cost", key: cost.id as string, value: ids[0]?.[0] ?? "" }]);
      progress.done("costs", 1, jsonBytes(body));
    }
  }
}
