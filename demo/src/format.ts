/** How numbers, durations, money and times are written in the viewer. */

export function formatLatency(ms: number | undefined): string {
  if (ms === undefined) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)} m ${Math.round((ms % 60_000) / 1000)} s`;
}

// One formatter for all: `toLocaleString` builds a new one per call, which shows when scrolling.
const COUNT = new Intl.NumberFormat("en-US");

export function formatCount(n: number | undefined): string {
  if (n === undefined) return "";
  return COUNT.format(n);
}

/** US dollars with enough digits for fractions of a cent (LLM calls are cheap). */
export function formatCost(usd: number | undefined): string {
  if (usd === undefined) return "";
  if (usd === 0) return "$0";
  if (usd < 0.0001) return `$${usd.toExponential(1)}`;
  if (usd < 1) return `$${usd.toFixed(usd < 0.01 ? 5 : 4)}`;
  return `$${usd.toFixed(2)}`;
}

const TIME = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });

/** A call time, local, to the second. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : TIME.format(d);
}

/** A size in bytes, for "show more" buttons on huge strings. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(1)} GB`;
}
