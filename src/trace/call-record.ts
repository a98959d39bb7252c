/**
 * One traced call while it runs: its ids, its place in the tree, the summaries its children
 * reported, and the start/end records it hands to its tracer. Ids are uuidv7 made here, so a child
 * knows its parent's id and trace id at once and nothing waits for storage (as Weave's SDKs do).
 */
import { openScope } from "./context";
import { newId } from "./ids";
import { serialize, serializeDict } from "./serialize";
import { finalSummary, mergeSummaries, type Summary } from "./summary";
import type { Tracer } from "./init";

/** What `getCurrentCall()` hands out: the facts of a running call. */
export interface TraceCall {
  readonly id: string;
  readonly traceId: string;
  /** The parent call's id; undefined for a root call. */
  readonly parentId: string | undefined;
  readonly opName: string;
  /** `entity/project` the call is stored under. */
  readonly projectId: string;
  readonly displayName: string | undefined;
}

/** How a call starts. */
export interface CallSpec {
  opName: string;
  displayName: string | undefined;
  /** Already named (`arg0…` or `parameterNames`) and post-processed, not yet serialized. */
  inputs: Record<string, unknown>;
  /** Attributes of enclosing `withAttributes` scopes. */
  scopeAttributes: Readonly<Record<string, unknown>> | undefined;
}

/** How a call ended. */
export type Outcome = { ok: true; output: unknown; summary: Summary } | { ok: false; error: unknown };

/** The message Weave's JS SDK stores as `exception`. @throws never */
export function exceptionMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A running call (methods document their own errors). @throws never */
export class CallRecord implements TraceCall {
  readonly id: string = newId();
  readonly traceId: string;
  readonly parentId: string | undefined;
  readonly opName: string;
  readonly projectId: string;
  readonly displayName: string | undefined;
  private childSummary: Summary = {};
  private childCount = 0;
  private ended = false;
  private readonly closeScope: () => void;

  /**
   * Builds the start record and queues it with the tracer (never awaited).
   * @throws whatever serializing the inputs throws (a getter, `toJSON`)
   */
  constructor(
    readonly tracer: Tracer,
    readonly parent: CallRecord | undefined,
    spec: CallSpec,
  ) {
    this.traceId = parent?.traceId ?? newId();
    this.parentId = parent?.id;
    this.opName = spec.opName;
    this.projectId = tracer.projectId;
    this.displayName = spec.displayName || undefined;
    const inputs = serializeDict(spec.inputs, tracer.refLookup);
    const start = {
      project_id: this.projectId,
      id: this.id,
      op_name: this.opName,
      trace_id: this.traceId,
      ...(this.parentId ? { parent_id: this.parentId } : {}),
      ...(this.displayName ? { display_name: this.displayName } : {}),
      // A Date, not its ISO text: the schema takes both and `toISOString` costs ~1 µs a call in Chromium.
      started_at: new Date(),
      // Shared between calls when no scope adds any: the client snapshots each record it queues.
      attributes: spec.scopeAttributes ? tracer.attributesWith(spec.scopeAttributes) : tracer.callAttributes,
      inputs: inputs.value,
    };
    this.closeScope = openScope();
    if (parent) parent.childCount++;
    tracer.enqueueStart(() => ({ start }), inputs.pending);
  }

  /** True once the call has children (Python reads LLM usage off the output only when it has none). */
  get hasChildren(): boolean {
    return this.childCount > 0;
  }

  /** True once `finish` ran. */
  get isEnded(): boolean {
    return this.ended;
  }

  /**
   * Ends the call once (later calls are ignored): rolls its summary into the parent and queues the
   * end record.
   * @throws never; a value that cannot be serialized is reported to the tracer and stored as a string
   */
  finish(outcome: Outcome): void {
    if (this.ended) return;
    this.ended = true;
    this.closeScope();
    const summary = finalSummary(outcome.ok ? outcome.summary : {}, this.childSummary, !outcome.ok);
    // Before any await, so a parent always sees its children's summaries (the JS SDK's rule).
    if (this.parent && !this.parent.ended) this.parent.childSummary = mergeSummaries(summary, this.parent.childSummary);
    let output: { value: unknown; pending: Promise<void> | undefined } = { value: null, pending: undefined };
    if (outcome.ok) {
      try {
        output = serialize(outcome.output, this.tracer.refLookup);
      } catch (error) {
        this.tracer.report(error);
        output = { value: `<unserializable: ${exceptionMessage(error)}>`, pending: undefined };
      }
    }
    const ended_at = new Date();
    this.tracer.enqueueEnd(
      () => ({
        end: {
          project_id: this.projectId,
          id: this.id,
          ended_at,
          output: output.value,
          summary,
          ...(outcome.ok ? {} : { exception: exceptionMessage(outcome.error) }),
        },
      }),
      output.pending,
    );
  }
}
