/**
 * Progress of an export or import: per kind of thing and overall, in items and bytes. Things already
 * in the target (an earlier run sent them) count as done at once, so a resumed run starts where the
 * last one stopped instead of at zero.
 */

/** What the exporter copies, in the order it sends them. */
export const EXPORT_KINDS = ["files", "tables", "objects", "calls", "feedback", "costs"] as const;
/** One of `EXPORT_KINDS`. */
export type ExportKind = (typeof EXPORT_KINDS)[number];

/** Counts of one kind, or of everything. Byte totals of files grow as their contents are read. */
export interface ProgressCounts {
  done: number;
  total: number;
  bytesDone: number;
  bytesTotal: number;
}

/** One progress event: the kind that moved, its counts, and the overall counts. */
export interface ExportProgress extends ProgressCounts {
  kind: ExportKind;
  /** Of `done`, how many were already in the target (sent by an earlier run, or equal content). */
  skipped: number;
  overall: ProgressCounts;
}

/** Receives progress events; must not throw (an exception is swallowed, so progress never breaks an export). */
export type ProgressListener = (event: ExportProgress) => void;

/** Keeps the counts and tells the listener after every change. */
export class ProgressTracker {
  private readonly counts = new Map<ExportKind, ProgressCounts & { skipped: number }>(
    EXPORT_KINDS.map((kind) => [kind, { done: 0, total: 0, bytesDone: 0, bytesTotal: 0, skipped: 0 }]),
  );

  constructor(private readonly listener: ProgressListener | undefined) {}

  private get(kind: ExportKind): ProgressCounts & { skipped: number } {
    return this.counts.get(kind) as ProgressCounts & { skipped: number };
  }

  /** Adds planned work (`count` items, `bytes` bytes) to `kind`'s totals. */
  plan(kind: ExportKind, count: number, bytes = 0): void {
    const c = this.get(kind);
    c.total += count;
    c.bytesTotal += bytes;
    this.emit(kind);
  }

  /** Marks `count` items (`bytes` bytes) of `kind` as done; `skipped` when they needed no write. */
  done(kind: ExportKind, count: number, bytes = 0, skipped = false): void {
    const c = this.get(kind);
    c.done += count;
    c.bytesDone += bytes;
    if (skipped) c.skipped += count;
    // Things found only while sending (a call started after planning) grow the total too.
    if (c.done > c.total) c.total = c.done;
    if (c.bytesDone > c.bytesTotal) c.bytesTotal = c.bytesDone;
    this.emit(kind);
  }

  /** The counts of one kind. */
  of(kind: ExportKind): ProgressCounts & { skipped: number } {
    return { ...this.get(kind) };
  }

  /** The counts of everything. */
  overall(): ProgressCounts {
    const sum: ProgressCounts = { done: 0, total: 0, bytesDone: 0, bytesTotal: 0 };
    for (const c of this.counts.values()) {
      sum.done += c.done;
      sum.total += c.total;
      sum.bytesDone += c.bytesDone;
      sum.bytesTotal += c.bytesTotal;
    }
    return sum;
  }

  private emit(kind: ExportKind): void {
    if (!this.listener) return;
    try {
      this.listener({ kind, ...this.of(kind), overall: this.overall() });
    } catch {
      // A broken progress bar must not break the export.
    }
  }
}
