/**
 * Bounded top-k selection for sorted pages: a page `offset..offset+limit` of a query that must fall
 * back to a scan only needs the `offset + limit` smallest rows, so we keep a max-heap of that size
 * instead of sorting every match (ARCHITECTURE.md "use a bounded top-k for sorted pages").
 * O(n log k) time, O(k) memory.
 */

interface Entry<T> {
  value: T;
  /** Arrival order: breaks ties so the result equals a stable sort of the input. */
  seq: number;
}

/**
 * Returns the `k` smallest items by `cmp`, in ascending order. Ties keep input order, so the result
 * is exactly `stableSort(items, cmp).slice(0, k)`. `k <= 0` (or NaN) gives `[]`.
 */
export function topK<T>(items: Iterable<T>, k: number, cmp: (a: T, b: T) => number): T[] {
  if (!(k > 0)) return [];
  const limit = Math.floor(k);
  if (limit === 0) return [];
  const heap: Array<Entry<T>> = [];
  // Max-heap order: the entry that would come *last* in the result sits at heap[0].
  const after = (a: Entry<T>, b: Entry<T>): boolean => {
    const c = cmp(a.value, b.value);
    return c !== 0 ? c > 0 : a.seq > b.seq;
  };
  let seq = 0;
  for (const value of items) {
    const n = seq++;
    if (heap.length < limit) {
      heap.push({ value, seq: n });
      siftUp(heap, heap.length - 1, after);
    } else {
      const top = heap[0] as Entry<T>;
      // Equal to the current last one: the earlier item wins, so only strictly smaller ones enter.
      // The evicted entry is reused: input in reverse order replaces the top on every item.
      if (cmp(value, top.value) < 0) {
        top.value = value;
        top.seq = n;
        siftDown(heap, 0, after);
      }
    }
  }
  heap.sort((a, b) => cmp(a.value, b.value) || a.seq - b.seq);
  return heap.map((e) => e.value);
}

function siftUp<T>(heap: Array<Entry<T>>, i: number, after: (a: Entry<T>, b: Entry<T>) => boolean): void {
  const item = heap[i] as Entry<T>;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    const p = heap[parent] as Entry<T>;
    if (!after(item, p)) break;
    heap[i] = p;
    i = parent;
  }
  heap[i] = item;
}

function siftDown<T>(heap: Array<Entry<T>>, i: number, after: (a: Entry<T>, b: Entry<T>) => boolean): void {
  const n = heap.length;
  const item = heap[i] as Entry<T>;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    const r = l + 1;
    let child = l;
    if (r < n && after(heap[r] as Entry<T>, heap[l] as Entry<T>)) child = r;
    const c = heap[child] as Entry<T>;
    if (!after(c, item)) break;
    heap[i] = c;
    i = child;
  }
  heap[i] = item;
}
