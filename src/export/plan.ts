/**
 * What to send, and in which order. The planner reads a source project through Weave's interface
 * (a weft client, a `LocalTraceServer`, or a `RemoteTraceServer` when importing) and finds the
 * closure of what the selected calls need: the objects and ops their inputs, outputs and `op_name`
 * refer to, the tables those objects (or calls) refer to, what table rows refer to, and the files of
 * ops and media (`files` maps). A whole-project export also takes every live object version, since
 * Weave has no way to list tables or files on their own (they are reached through objects).
 *
 * The order things are sent in is `send-order.ts`'s.
 */
import { WeftError } from "../errors";
import type { TraceServerInterface } from "../interface";
import type { CallSchema, CallsFilter } from "../schema/calls";
import type { CostQueryOutput } from "../schema/costs";
import type { ObjSchema } from "../schema/objects";
import type { Query } from "../schema/query";
import { jsonBytes } from "./batching";
import type { ExportKind } from "./progress";
import { collectDeps, depKey, type Dep } from "./ref-rewrite";

/** What the planner reads from. Every weft store and `RemoteTraceServer` has these. */
export type PlanSource = Pick<
  TraceServerInterface,
  "calls_query_stream" | "objs_query" | "obj_read" | "table_query" | "file_content_read" | "feedback_query" | "cost_query"
>;

/** Which calls to take; none of the two means the whole project. */
export interface CallSelection {
  filter?: CallsFilter | undefined;
  query?: Query | undefined;
}

/** One table row as read: its digest in the source and its value. */
export interface SourceRow {
  digest: string;
  val: Record<string, unknown>;
}

/** A thing to send before the calls. `deps` are keys of other nodes. */
export type PlanNode =
  | { type: "file"; key: string; digest: string; name: string; deps: string[] }
  | { type: "table"; key: string; digest: string; rows: SourceRow[]; deps: string[] }
  | {
      type: "object";
      key: string;
      kind: "object" | "op";
      object_id: string;
      digest: string;
      val: unknown;
      created_at: string | null;
      /** Breaks ties of `created_at` (versions written in the same millisecond). */
      version_index: number | null;
      deps: string[];
    };

/** The progress kind of each node type. */
export const NODE_KIND = { file: "files", table: "tables", object: "objects" } as const satisfies Record<PlanNode["type"], ExportKind>;

/**
 * The JSON size of what a node sends; a file's size is known only once it is read (0 here).
 * @throws never
 */
export function nodeBytes(node: PlanNode): number {
  return node.type === "table" ? jsonBytes(node.rows) : node.type === "object" ? jsonBytes(node.val) : 0;
}

/**
 * What `node` refers to in `project` (its table rows or its value); sets `node.deps` to their keys.
 * @throws never
 */
export function nodeDeps(node: PlanNode, project: string): Map<string, Dep> {
  const deps = new Map<string, Dep>();
  collectDeps(node.type === "table" ? node.rows.map((r) => r.val) : node.type === "object" ? node.val : null, project, deps);
  node.deps = [...deps.keys()].filter((k) => k !== node.key);
  return deps;
}

/** A feedback row as `feedback_query` returns it (all columns). */
export type FeedbackRowOut = Record<string, unknown> & { id: string; weave_ref: string; feedback_type: string };

/** What one pass over the selected calls found. */
export interface CallScan {
  ids: Set<string>;
  count: number;
  bytes: number;
  deps: Map<string, Dep>;
}

const PAGE = 1000;

/**
 * True when `selection` picks the whole project.
 * @throws never
 */
export function isWholeProject(selection: CallSelection): boolean {
  return (selection.filter === undefined || selection.filter === null) && (selection.query === undefined || selection.query === null);
}

/** Finds the closure of a selection in the source project. */
export class Planner {
  /** Every node found so far, by key. */
  readonly nodes = new Map<string, PlanNode>();
  /** Keys that could not be read (deleted or missing in the source); refs to them keep their digest. */
  readonly missing = new Set<string>();

  constructor(
    private readonly source: PlanSource,
    readonly project: string,
  ) {}

  /** The selected calls, streamed (a fresh pass each time). */
  calls(selection: CallSelection): AsyncIterable<CallSchema> {
    return this.source.calls_query_stream({ project_id: this.project, filter: selection.filter ?? null, query: selection.query ?? null });
  }

  /**
   * One pass over the selected calls: their ids, count, JSON size and dependencies.
   * @throws WeftError from the source
   */
  async scanCalls(selection: CallSelection): Promise<CallScan> {
    const scan: CallScan = { ids: new Set(), count: 0, bytes: 0, deps: new Map() };
    for await (const call of this.calls(selection)) {
      scan.ids.add(call.id);
      scan.count++;
      scan.bytes += jsonBytes(call);
      collectDeps(call, this.project, scan.deps);
    }
    return scan;
  }

  /**
   * Every live object and op version of the project, with what they need.
   * @throws WeftError from the source
   */
  async addAllObjects(): Promise<PlanNode[]> {
    const found: PlanNode[] = [];
    const deps = new Map<string, Dep>();
    for (let offset = 0; ; offset += PAGE) {
      const { objs } = await this.source.objs_query({
        project_id: this.project,
        sort_by: [{ field: "created_at", direction: "asc" }, { field: "object_id", direction: "asc" }],
        limit: PAGE,
        offset,
      });
      for (const obj of objs) {
        const node = this.objectNode(obj, obj.kind);
        if (this.nodes.has(node.key)) continue;
        this.nodes.set(node.key, node);
        found.push(node);
        for (const [key, dep] of nodeDeps(node, this.project)) deps.set(key, dep);
      }
      if (objs.length < PAGE) break;
    }
    return [...found, ...(await this.expand(deps.values()))];
  }

  /**
   * Resolves `deps` and everything they need, transitively; returns the nodes not known before.
   * @throws WeftError from the source (NOT_FOUND and OBJECT_DELETED only mark a key as missing)
   */
  async expand(deps: Iterable<Dep>): Promise<PlanNode[]> {
    const added: PlanNode[] = [];
    let queue = [...deps].filter((d) => !this.nodes.has(d.key) && !this.missing.has(d.key));
    while (queue.length > 0) {
      const next = new Map<string, Dep>();
      const resolved = [
        ...queue.flatMap((d): PlanNode[] => (d.type === "file" ? [{ type: "file", key: d.key, digest: d.digest, name: d.name, deps: [] }] : [])),
        ...(await this.resolveTables(queue.flatMap((d) => (d.type === "table" ? [d] : [])))),
        ...(await this.resolveObjects(queue.flatMap((d) => (d.type === "object" ? [d] : [])))),
      ];
      const found = new Set(resolved.map((n) => n.key));
      for (const d of queue) if (!found.has(d.key)) this.missing.add(d.key);
      for (const node of resolved) {
        this.nodes.set(node.key, node);
        added.push(node);
        for (const [key, dep] of nodeDeps(node, this.project)) if (!this.nodes.has(key) && !this.missing.has(key)) next.set(key, dep);
      }
      queue = [...next.values()];
    }
    return added;
  }

  /**
   * A file's bytes, or undefined when the source has lost it (the ops naming it still go: they are
   * what the source holds).
   * @throws WeftError from the source, other than NOT_FOUND
   */
  async fileContent(digest: string): Promise<Uint8Array | undefined> {
    try {
      return (await this.source.file_content_read({ project_id: this.project, digest })).content;
    } catch (error) {
      if (error instanceof WeftError && error.code === "NOT_FOUND") return undefined;
      throw error;
    }
  }

  /**
   * The feedback of the project, oldest first; with `callIds`, only feedback on those calls.
   * @throws WeftError from the source
   */
  async feedback(callIds?: ReadonlySet<string>): Promise<FeedbackRowOut[]> {
    const rows: FeedbackRowOut[] = [];
    const callPrefix = `weave:///${this.project}/call/`;
    for (let offset = 0; ; offset += PAGE) {
      const { result } = await this.source.feedback_query({
        project_id: this.project,
        sort_by: [{ field: "created_at", direction: "asc" }, { field: "id", direction: "asc" }],
        limit: PAGE,
        offset,
      });
      for (const row of result as FeedbackRowOut[]) {
        if (callIds) {
          const ref = row.weave_ref;
          if (!ref.startsWith(callPrefix) || !callIds.has(ref.slice(callPrefix.length).split("/")[0] ?? "")) continue;
        }
        rows.push(row);
      }
      if (result.length < PAGE) break;
    }
    return rows;
  }

  /**
   * The project's own LLM prices (`cost_query` never returns the default ones, §8.3).
   * @throws WeftError from the source
   */
  async costs(): Promise<CostQueryOutput[]> {
    const out: CostQueryOutput[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const { results } = await this.source.cost_query({ project_id: this.project, limit: PAGE, offset });
      out.push(...results);
      if (results.length < PAGE) break;
    }
    return out;
  }

  private objectNode(obj: Pick<ObjSchema, "object_id" | "digest" | "val" | "created_at" | "version_index">, kind: "object" | "op"): PlanNode {
    const { object_id, digest, val, created_at, version_index } = obj;
    return { type: "object", key: depKey.object(kind, object_id, digest), kind, object_id, digest, val, created_at, version_index, deps: [] };
  }

  private async resolveObjects(wanted: Array<Extract<Dep, { type: "object" }>>): Promise<PlanNode[]> {
    if (wanted.length === 0) return [];
    const out: PlanNode[] = [];
    const byVersion = new Map(wanted.map((d) => [`${d.name}:${d.digest}`, d]));
    const names = [...new Set(wanted.map((d) => d.name))];
    // One objs_query per 100 names beats one obj_read per version, above all against a remote source.
    for (let i = 0; i < names.length; i += 100) {
      const { objs } = await this.source.objs_query({ project_id: this.project, filter: { object_ids: names.slice(i, i + 100) } });
      for (const obj of objs) {
        const dep = byVersion.get(`${obj.object_id}:${obj.digest}`);
        if (!dep) continue;
        byVersion.delete(`${obj.object_id}:${obj.digest}`);
        out.push(this.objectNode(obj, dep.kind));
      }
    }
    // What objs_query did not list is deleted or missing: obj_read tells which (and reads a val if any).
    for (const dep of byVersion.values()) {
      try {
        const { obj } = await this.source.obj_read({ project_id: this.project, object_id: dep.name, digest: dep.digest });
        out.push(this.objectNode(obj, dep.kind));
      } catch (error) {
        if (!(error instanceof WeftError) || (error.code !== "NOT_FOUND" && error.code !== "OBJECT_DELETED")) throw error;
      }
    }
    return out;
  }

  private async resolveTables(wanted: Array<Extract<Dep, { type: "table" }>>): Promise<PlanNode[]> {
    const out: PlanNode[] = [];
    for (const dep of wanted) {
      const rows: SourceRow[] = [];
      try {
        for (let offset = 0; ; offset += 10 * PAGE) {
          const page = await this.source.table_query({ project_id: this.project, digest: dep.digest, limit: 10 * PAGE, offset });
          for (const row of page.rows) rows.push({ digest: row.digest, val: row.val as Record<string, unknown> });
          if (page.rows.length < 10 * PAGE) break;
        }
      } catch (error) {
        if (error instanceof WeftError && error.code === "NOT_FOUND") continue;
        throw error;
      }
      out.push({ type: "table", key: dep.key, digest: dep.digest, rows, deps: [] });
    }
    return out;
  }
}
