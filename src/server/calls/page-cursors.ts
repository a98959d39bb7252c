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

export class PageCursors {
  private generation = 0;
  private readonly queries = new Map<string, Map<number, unknown>>();

  /** The generation a reader must pass back to `remember`. */
  current(): number {
    return this.generation;
  }

  /** Forgets every checkpoint (after any write to calls). */
  clear(): void {
    this.generation++;
    this.queries.clear();
  }

  /** The nearest checkpoint at or before `offset`: the key of the row just before position `offset`. */
  nearest(query: string, offset: number): { offset: number; key: unknown } | undefined {
    const points = this.queries.get(query);
    if (!points) return undefined;
    let best: { offset: number; key: unknown } | undefined;
    for (const [at, key] of points) {
      if (at <= offset && (!best || at > best.offset)) best = { offset: at, key };
    }
    return best;
  }

  /** Records that the row at position `offset - 1` has index key `key`. */
  remember(query: string, generation: number, offset: number, key: unknown): void {
    if (generation !== this.generation || offset <= 0) return;
    let points = this.queries.get(query);
    if (!points) {
      if (this.queries.size >= MAX_QUERIES) this.queries.delete(this.queries.keys().next().value as string);
      points = new Map();
      this.queries.set(query, points);
    }
    if (points.size >= MAX_CHECKPOINTS) points.delete(points.keys().next().value as number);
    points.set(offset, key);
  }
}
