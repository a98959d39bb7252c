/**
 * What the viewer benchmark (bench/viewer.ts) runs inside the demo's page. Each export is passed to
 * Playwright's `page.evaluate`, which sends the function's source to the page: so each is
 * self-contained (no imports, no outside helpers) and touches the page only through its DOM, the
 * Performance APIs and `globalThis.weftDemo`. The measured window of V2 and V3 lies between the
 * marks `viewer-bench:start` and `viewer-bench:end`, where the driver finds it in its trace. The
 * page is the production build under its Content-Security-Policy; `evaluate` goes through the DevTools protocol, which the policy allows.
 */

/** A repetition's values by key, e.g. `{ from_load_ms: 120 }`. */
export type PageFigures = Record<string, number>;

/**
 * Fills the demo's store with sample traces (the demo's own generator) until it holds `calls` calls,
 * overshooting by at most 3. A trace has 3 or 4 calls: asking for a quarter of what is missing
 * never overshoots, and the rounds shrink fast.
 */
export async function fillStore(calls: number): Promise<{ traces: number; calls: number }> {
  interface Demo {
    ready: Promise<void>;
    generateSample(traces: number, seed?: number): Promise<{ traces: number; calls: number }>;
  }
  const demo = (globalThis as unknown as { weftDemo?: Demo }).weftDemo;
  if (!demo) throw new Error("the page has no weftDemo global: is it the demo?");
  await demo.ready;
  let traces = 0;
  let written = 0;
  for (let seed = 1; written < calls; seed++) {
    const left = calls - written;
    const done = await demo.generateSample(left >= 4 ? Math.floor(left / 4) : 1, seed);
    traces += done.traces;
    written += done.calls;
  }
  return { traces, calls: written };
}

/**
 * V1: when the table's first rows reached the DOM (the `weft-demo:first-rows` mark), after
 * navigation start and after the load event, with the load event's own time beside them. Then it
 * waits for the table's count, as a visit would before the next one: a reload while the count of
 * 100k calls is still running in the browser's IndexedDB backend makes the next page's first read
 * wait for it (about a second), which is the last visit's cost, not this one's.
 */
export async function firstRowsTiming(): Promise<PageFigures> {
  const mark = performance.getEntriesByName("weft-demo:first-rows")[0];
  const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
  if (!mark || !nav) throw new Error("no first-rows mark or navigation entry: did the table render?");
  const count = document.querySelector("[data-testid=call-count]");
  const deadline = performance.now() + 60_000;
  while (!/^[\d,]+ /.test(count?.textContent ?? "")) {
    if (performance.now() > deadline) throw new Error("timed out waiting for the count");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return {
    from_load_ms: mark.startTime - nav.loadEventStart,
    from_navigation_ms: mark.startTime,
    load_event_ms: nav.loadEventStart,
    dom_content_loaded_ms: nav.domContentLoadedEventStart,
    count_shown_ms: performance.now(),
  };
}

/**
 * V2: scrolls the calls table `screens` screens down, one screen every other frame (a fast fling),
 * then jumps to 25%, 50%, 75% and 100% of it and back to the top, waiting at each stop for the rows
 * there to arrive. Returns the longest main-thread task (> 50 ms, Long Tasks API) from the first
 * scroll until the last rows were drawn, 0 when there was none.
 */
export async function scrollTasks(screens: number): Promise<PageFigures> {
  const frame = (): Promise<void> => new Promise((resolve) => requestAnimationFrame(() => resolve()));
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  const until = async (what: string, ok: () => boolean, timeoutMs = 60_000): Promise<void> => {
    const deadline = performance.now() + timeoutMs;
    while (!ok()) {
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(10);
    }
  };
  const loaded = (): boolean => document.querySelector(".ct-row.loading") === null;
  const scroller = document.querySelector<HTMLElement>(".ct-scroll");
  const count = document.querySelector("[data-testid=call-count]");
  if (!scroller || !count) throw new Error("no calls table on the page");
  // The table is only as tall as the rows it knows of until the count arrives.
  await until("the count", () => /^[\d,]+ /.test(count.textContent ?? ""));
  await until("the first rows", loaded);
  await sleep(300);

  const tasks: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => tasks.push(...list.getEntries()));
  const t0 = performance.now();
  performance.mark("viewer-bench:start");
  observer.observe({ type: "longtask", buffered: true });
  for (let i = 0; i < screens; i++) {
    scroller.scrollTop += scroller.clientHeight;
    await frame();
    await frame();
  }
  await until("the rows after scrolling", loaded);
  for (const at of [0.25, 0.5, 0.75, 1, 0]) {
    scroller.scrollTop = at * (scroller.scrollHeight - scroller.clientHeight);
    await frame();
    await until(`the rows at ${at * 100}%`, loaded);
  }
  await frame();
  await sleep(100);
  performance.mark("viewer-bench:end");
  tasks.push(...observer.takeRecords());
  observer.disconnect();
  const ours = tasks.filter((t) => t.startTime >= t0);
  return {
    scroll_longest_task_ms: Math.max(0, ...ours.map((t) => t.duration)),
    scroll_long_tasks: ours.length,
    scroll_total_ms: performance.now() - t0,
    rows_scrolled_past: Math.round((screens * scroller.clientHeight) / 34),
  };
}

/**
 * V3: clicks the `row`-th visible row of the calls table (once the page is quiet) and waits until
 * the trace panel shows that trace's tree and the call's detail. Returns the longest main-thread
 * task from the click until two frames after that, and how long the open took.
 */
export async function openTraceTasks(row: number): Promise<PageFigures> {
  const frame = (): Promise<void> => new Promise((resolve) => requestAnimationFrame(() => resolve()));
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  const until = async (what: string, ok: () => boolean, timeoutMs = 60_000): Promise<void> => {
    const deadline = performance.now() + timeoutMs;
    while (!ok()) {
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await frame();
    }
  };
  const count = document.querySelector("[data-testid=call-count]");
  await until("the count", () => /^[\d,]+ /.test(count?.textContent ?? ""));
  await sleep(300);
  const rows = [...document.querySelectorAll<HTMLElement>(".ct-row[data-call-id]")].sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top);
  const target = rows[row % Math.max(1, rows.length)];
  const id = target?.dataset.callId;
  if (!target || !id) throw new Error("no rows to open");

  const tasks: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => tasks.push(...list.getEntries()));
  const t0 = performance.now();
  performance.mark("viewer-bench:start");
  observer.observe({ type: "longtask", buffered: true });
  target.click();
  await until("the trace tree and the call detail", () => document.querySelector(`[data-testid=trace-view] .tv-row[data-call-id="${id}"]`) !== null && document.querySelector(`[data-testid=call-detail][data-call-id="${id}"]`) !== null);
  const openMs = performance.now() - t0;
  await frame();
  await frame();
  await sleep(100);
  performance.mark("viewer-bench:end");
  tasks.push(...observer.takeRecords());
  observer.disconnect();
  const ours = tasks.filter((t) => t.startTime >= t0);
  return { open_longest_task_ms: Math.max(0, ...ours.map((t) => t.duration)), open_long_tasks: ours.length, open_ms: openMs };
}
