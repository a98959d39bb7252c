/**
 * "The calls table has shown its first rows": what a page load is for. The requests that only fill
 * in around the table (the op list of the filter bar, the store size, the stand-in model's price)
 * wait for it, so in the worker they do not queue in front of the first page of calls. A page that
 * shows no rows (an empty store, another tab open) releases them when its first page is known to be
 * empty, or after a moment at the latest.
 */

/**
 * A `performance.mark` set once per page load, in the commit that first puts rows of calls in the
 * DOM (before the browser paints them): "the first page is visible", which the viewer benchmark
 * (bench/viewer.ts) times from navigation start and from the load event.
 */
export const FIRST_ROWS_MARK = "weft-demo:first-rows";

/** How long the secondary requests wait at most: the first page takes well under this. */
const WAIT_AT_MOST_MS = 2000;

let release: () => void = () => undefined;
const released = new Promise<void>((resolve) => (release = resolve));
let marked = false;

/** Called by the calls table when rows first reach the DOM: sets the mark, releases the waiters. */
export function markFirstRows(): void {
  if (marked) return;
  marked = true;
  performance.mark(FIRST_ROWS_MARK);
  release();
}

/** Called when the first page came back without rows: nothing to wait for. */
export function noFirstRows(): void {
  release();
}

/** Whether the mark is set (the table marks only its first rows of the page load). */
export function firstRowsMarked(): boolean {
  return marked;
}

/** Resolves once the first rows are shown (or there are none), after `WAIT_AT_MOST_MS` at the latest. */
export function afterFirstRows(): Promise<void> {
  return Promise.race([released, new Promise<void>((resolve) => setTimeout(resolve, WAIT_AT_MOST_MS))]);
}
