/**
 * The calls table's row cache: fixed pages of rows fetched with `calls_query` limit/offset only when
 * they scroll into view. While the user flings through 100k rows only the pages still in view when a
 * fetch slot frees up are requested (at most two in flight), and far-away pages are evicted, so
 * memory and worker load stay bounded.
 */
import type { EnrichedCalls } from "./calls-fetch";
import type { Call } from "./weft-types";

export const PAGE_SIZE = 100;
const MAX_IN_FLIGHT = 2;
const MAX_CACHED_PAGES = 60;

export type FetchPage = (offset: number, limit: number) => Promise<EnrichedCalls>;

export class CallPages {
  private readonly pages = new Map<number, Call[]>();
  /** Pages shown but out of date (after a live refresh): kept on screen until their refetch lands. */
  private readonly stale = new Set<number>();
  private readonly inFlight = new Set<number>();
  private wanted: { first: number; last: number } = { first: 0, last: 0 };
  private disposed = false;
  /** The last error of a page fetch, for the table to show (a bad advanced filter, say). */
  error: unknown = null;
  /** Set when pages came back without costs/feedback (see `calls-fetch.ts`). */
  warning: string | null = null;

  private settleFirst: () => void = () => undefined;
  /**
   * Settles when page 0 has arrived (or failed). Slow work such as the count waits for it, so it
   * does not queue in front of the first rows in the worker.
   */
  readonly firstPage: Promise<void> = new Promise((resolve) => {
    this.settleFirst = resolve;
  });

  constructor(
    private readonly fetchPage: FetchPage,
    private readonly onChange: () => void,
  ) {}

  /** The row at `index`, or undefined while its page is loading. */
  row(index: number): Call | undefined {
    return this.pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE];
  }

  /** How many rows are known to exist from the pages loaded so far (before the count arrives). */
  extent(): number {
    let extent = 0;
    for (const [page, rows] of this.pages) extent = Math.max(extent, page * PAGE_SIZE + rows.length);
    return extent;
  }

  /** Says which rows are on screen (inclusive); missing pages among them get fetched. */
  want(firstRow: number, lastRow: number): void {
    this.wanted = { first: Math.floor(Math.max(0, firstRow) / PAGE_SIZE), last: Math.floor(Math.max(0, lastRow) / PAGE_SIZE) };
    this.pump();
  }

  /**
   * Live refresh: every cached page is out of date. Pages on screen are refetched and swapped in
   * when they arrive (no flash of empty rows); the others are dropped.
   */
  invalidate(): void {
    for (const page of this.pages.keys()) {
      if (page >= this.wanted.first && page <= this.wanted.last) this.stale.add(page);
      else this.pages.delete(page);
    }
    this.pump();
  }

  dispose(): void {
    this.disposed = true;
  }

  private needs(page: number): boolean {
    return (!this.pages.has(page) || this.stale.has(page)) && !this.inFlight.has(page);
  }

  private pump(): void {
    for (let page = this.wanted.first; page <= this.wanted.last && this.inFlight.size < MAX_IN_FLIGHT; page++) {
      if (this.needs(page)) void this.load(page);
    }
  }

  private async load(page: number): Promise<void> {
    this.inFlight.add(page);
    try {
      const { calls, warning } = await this.fetchPage(page * PAGE_SIZE, PAGE_SIZE);
      if (this.disposed) return;
      this.pages.set(page, calls);
      this.warning = warning;
      this.stale.delete(page);
      this.error = null;
      this.evict();
    } catch (error) {
      if (this.disposed) return;
      this.error = error;
      // Do not retry in a loop: the page stays missing until the view or the data changes.
      this.pages.set(page, []);
      this.stale.delete(page);
    } finally {
      this.inFlight.delete(page);
      if (page === 0) this.settleFirst();
    }
    this.onChange();
    this.pump();
  }

  /** Drops the pages farthest from the view once the cache is over its budget. */
  private evict(): void {
    if (this.pages.size <= MAX_CACHED_PAGES) return;
    const centre = (this.wanted.first + this.wanted.last) / 2;
    const byDistance = [...this.pages.keys()].sort((a, b) => Math.abs(b - centre) - Math.abs(a - centre));
    for (const page of byDistance.slice(0, this.pages.size - MAX_CACHED_PAGES)) this.pages.delete(page);
  }
}
