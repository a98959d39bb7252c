/**
 * Where earlier pages ended, so `offset` paging does not cost O(offset). Weave's API pages by offset;
 * a viewer scrolling through a long list asks for offset 0, 50, 100, … and every page can start from
 * the index key where the previous one stopped (keyset paging) instead of skipping `offset` entries.
 *
 * Checkpoints are keyed by (index range, direction) and hold index keys, never rows. Any write to the
 * calls store — from this worker or, through Dexie's cross-context `storagemutated` event, from
 * another tab's — clears them; a generation number keeps a query that was running during a write
 * from storing a checkpoint computed before it.
 */

const MAX_QUERIES = 64;
const MAX_CHECKPOINTS = 256;

/** A remembered position: the index key of the row at `offset` (inclusive) or just before it. */
export interface Checkpoint {
  offset: number;
  key: unknown;
  /** True: `key` is the row at `offset` itself; false: the row just before it. */
  inclusive: boolean;
}

export class PageCursors {
  private generation = 0;
  private readonly queries = new Map<string, Map<number, Checkpoint>>();

  /** The generation a reader must pass back to `remember`. */
  current(): number {
    return this.generation;
  }

  /** Forgets every checkpoint (after any write to calls). */
  clear(): void {
    this.generation++;
    this.queries.clear();
  }

  /** The nearest checkpoint at or before `offset`. */
  nearest(query: string, offset: number): Checkpoint | undefined {
    const points = this.queries.get(query);
    if (!points) return undefined;
    let best: Checkpoint | undefined;
    for (const point of points.values()) {
      if (point.offset <= offset && (!best || point.offset > best.offset)) best = point;
    }
    return best;
  }

  /** Records a position of the query's order (see `Checkpoint`). */
  remember(query: string, generation: number, point: Checkpoint): void {
    if (generation !== this.generation || point.offset <= 0) return;
    let points = this.queries.get(query);
    if (!points) {
      if (this.queries.size >= MAX_QUERIES) this.queries.delete(this.queries.keys().next().value as string);
      points = new Map();
      this.queries.set(query, points);
    }
    if (points.size >= MAX_CHECKPOINTS) points.delete(points.keys().next().value as number);
    points.set(point.offset, point);
  }
}
