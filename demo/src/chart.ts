/**
 * The chart tab: latency and cost over time (uPlot), bucketed from a bounded read of the newest
 * 2,000 root calls with only the columns it needs, and totals for the same calls. Root calls carry
 * their subtree's usage (the tracer rolls it up), so their costs cover whole traces (§8.5).
 */
import { h, type ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { callStatus, latencyMs, totalCost, totalTokens } from "./call-fields";
import { errorText } from "./errors";
import { formatCost, formatCount, formatLatency } from "./format";
import { queryCalls } from "./calls-fetch";
import { PROJECT_ID } from "./store";
import type { Call } from "./weft-types";

const NEWEST = 2000;
/** Weave caps `include_costs` pages (HEAD, §2.9.4); two pages of 1,000 stay under it. */
const COST_PAGE = 1000;
const BUCKETS = 48;

async function newestRoots(): Promise<{ calls: Call[]; warning: string | null }> {
  const out: Call[] = [];
  let warning: string | null = null;
  for (let offset = 0; offset < NEWEST; offset += COST_PAGE) {
    const page = await queryCalls({
      project_id: PROJECT_ID,
      filter: { trace_roots_only: true },
      sort_by: [{ field: "started_at", direction: "desc" }],
      offset,
      limit: COST_PAGE,
      columns: ["id", "started_at", "ended_at", "exception", "summary"],
      include_costs: true,
    });
    warning ??= page.warning;
    out.push(...page.calls);
    if (page.calls.length < COST_PAGE) break;
  }
  return { calls: out, warning };
}

interface Series {
  /** Bucket start, unix seconds. */
  x: number[];
  latency: Array<number | null>;
  cost: Array<number | null>;
  count: number[];
}

/** Buckets calls by start time: mean latency of ended calls and summed cost per bucket. */
function bucketize(calls: readonly Call[], buckets = BUCKETS): Series {
  const times = calls.map((c) => Date.parse(c.started_at));
  const lo = Math.min(...times);
  const hi = Math.max(...times);
  const width = Math.max(1000, (hi - lo) / buckets);
  const n = calls.length === 0 ? 0 : Math.min(buckets, Math.floor((hi - lo) / width) + 1);
  const series: Series = { x: [], latency: [], cost: [], count: [] };
  const latSum = new Array<number>(n).fill(0);
  const latN = new Array<number>(n).fill(0);
  const costSum = new Array<number>(n).fill(0);
  const costN = new Array<number>(n).fill(0);
  const count = new Array<number>(n).fill(0);
  calls.forEach((call, i) => {
    const b = Math.min(n - 1, Math.floor(((times[i] ?? lo) - lo) / width));
    count[b] = (count[b] ?? 0) + 1;
    const ms = latencyMs(call);
    if (ms !== undefined) {
      latSum[b] = (latSum[b] ?? 0) + ms;
      latN[b] = (latN[b] ?? 0) + 1;
    }
    const cost = totalCost(call);
    if (cost !== undefined) {
      costSum[b] = (costSum[b] ?? 0) + cost;
      costN[b] = (costN[b] ?? 0) + 1;
    }
  });
  for (let b = 0; b < n; b++) {
    series.x.push((lo + b * width) / 1000);
    series.latency.push(latN[b] ? (latSum[b] ?? 0) / (latN[b] ?? 1) : null);
    series.cost.push(costN[b] ? (costSum[b] ?? 0) : null);
    series.count.push(count[b] ?? 0);
  }
  return series;
}

function Plot({ series }: { series: Series }): ComponentChildren {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(320, el.clientWidth),
      height: 320,
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: true }, ms: { auto: true }, usd: { auto: true } },
      series: [
        {},
        { label: "Mean latency", scale: "ms", stroke: "#4f46e5", width: 2, spanGaps: true, value: (_u, v) => (v == null ? "–" : formatLatency(v)) },
        {
          label: "Cost",
          scale: "usd",
          stroke: "#d97706",
          fill: "rgba(217,119,6,0.12)",
          width: 1.5,
          ...(uPlot.paths.stepped ? { paths: uPlot.paths.stepped({ align: 1 }) } : {}),
          value: (_u, v) => (v == null ? "–" : formatCost(v)),
        },
      ],
      axes: [
        {},
        { scale: "ms", label: "latency (ms)", values: (_u, ticks) => ticks.map((t) => `${Math.round(t)}`) },
        { scale: "usd", side: 1, label: "cost ($)", grid: { show: false }, values: (_u, ticks) => ticks.map((t) => `$${t.toPrecision(2)}`) },
      ],
    };
    const plot = new uPlot(opts, [series.x, series.latency, series.cost], el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(320, el.clientWidth), height: 320 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [series]);
  return h("div", { class: "plot", ref: box, "data-testid": "chart" });
}

function Stat({ label, value }: { label: string; value: string }): ComponentChildren {
  return h("div", { class: "stat" }, h("div", { class: "stat-value" }, value), h("div", { class: "stat-label" }, label));
}

export function ChartTab({ tick }: { tick: number }): ComponentChildren {
  const [calls, setCalls] = useState<Call[] | null>(null);
  const [warning, setWarning] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let stale = false;
    newestRoots().then(
      (found) => {
        if (stale) return;
        setCalls(found.calls);
        setWarning(found.warning);
      },
      (err: unknown) => !stale && setError(errorText(err)),
    );
    return () => {
      stale = true;
    };
  }, [tick]);
  if (error) return h("p", { class: "error-text pad" }, error);
  if (!calls) return h("p", { class: "muted pad" }, "Loading…");
  if (calls.length === 0) return h("p", { class: "muted pad" }, "No traces yet: ask the assistant something or generate sample data.");
  const latencies = calls.map(latencyMs).filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  const p = (q: number): number | undefined => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  const costs = calls.map(totalCost).filter((c): c is number => c !== undefined);
  const cost = costs.length > 0 ? costs.reduce((sum, c) => sum + c, 0) : undefined;
  const tokens = calls.reduce((sum, c) => sum + (totalTokens(c) ?? 0), 0);
  const errors = calls.filter((c) => callStatus(c) !== "success" && callStatus(c) !== "running").length;
  return h(
    "div",
    { class: "chart-tab" },
    h("p", { class: "muted" }, `The newest ${formatCount(calls.length)} traces.`),
    warning ? h("p", { class: "warn-text small" }, warning) : null,
    h(
      "div",
      { class: "stats", "data-testid": "totals" },
      h(Stat, { label: "traces", value: formatCount(calls.length) }),
      h(Stat, { label: "with errors", value: `${formatCount(errors)} (${((errors / calls.length) * 100).toFixed(1)}%)` }),
      h(Stat, { label: "median latency", value: formatLatency(p(0.5)) || "–" }),
      h(Stat, { label: "p95 latency", value: formatLatency(p(0.95)) || "–" }),
      h(Stat, { label: "tokens", value: formatCount(tokens) }),
      h(Stat, { label: "total cost", value: cost === undefined ? "–" : formatCost(cost) }),
    ),
    h(Plot, { series: bucketize(calls) }),
  );
}
