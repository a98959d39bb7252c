/**
 * "Generate sample data": fills the store with N traces shaped like the assistant's, with a
 * progress bar and a cancel button (what was written before cancelling stays).
 */
import { h, type ComponentChildren } from "preact";
import { useRef, useState } from "preact/hooks";
import { OP_NAMES, displayNameFor } from "./app/assistant";
import { generateSampleData, type SampleProgress } from "./app/sample-data";
import { errorText } from "./errors";
import { formatCount } from "./format";
import { notifyChanged } from "./live";

const SIZES = [100, 1_000, 10_000, 100_000];

export function SampleDataPanel(): ComponentChildren {
  const [size, setSize] = useState(1_000);
  const [progress, setProgress] = useState<SampleProgress | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const controller = useRef<AbortController | null>(null);
  const lastNotice = useRef(0);

  const generate = async (): Promise<void> => {
    const abort = new AbortController();
    controller.current = abort;
    setMessage(null);
    setProgress({ traces: 0, calls: 0, total: size });
    const started = performance.now();
    try {
      const done = await generateSampleData(size, OP_NAMES, displayNameFor, {
        signal: abort.signal,
        seed: Date.now() % 100_000,
        onProgress: (p) => {
          setProgress(p);
          // Let the table and other tabs catch up now and then, not after every batch: their reads
          // share the worker with these writes.
          if (performance.now() - lastNotice.current > 5000) {
            lastNotice.current = performance.now();
            notifyChanged();
          }
        },
      });
      const seconds = (performance.now() - started) / 1000;
      setMessage({ ok: true, text: `Wrote ${formatCount(done.traces)} traces (${formatCount(done.calls)} calls) in ${seconds.toFixed(1)} s.` });
    } catch (error) {
      setMessage({ ok: false, text: abort.signal.aborted ? "Cancelled; the traces written so far are kept." : errorText(error) });
    } finally {
      controller.current = null;
      setProgress(null);
      notifyChanged();
    }
  };

  const busy = progress !== null;
  return h(
    "section",
    { class: "panel", "aria-label": "Sample data" },
    h("h2", null, "Sample data"),
    h("p", { class: "small muted" }, "Realistic assistant traces over the last two weeks, written with call_start_batch."),
    h(
      "div",
      { class: "row" },
      h(
        "select",
        {
          class: "control",
          "aria-label": "Number of traces",
          "data-testid": "sample-size",
          value: String(size),
          disabled: busy,
          onChange: (event: Event) => setSize(Number((event.currentTarget as HTMLSelectElement).value)),
        },
        SIZES.map((n) => h("option", { key: n, value: String(n) }, `${formatCount(n)} traces`)),
      ),
      busy
        ? h("button", { type: "button", class: "button", onClick: () => controller.current?.abort() }, "Cancel")
        : h("button", { type: "button", class: "button primary", "data-testid": "generate", onClick: () => void generate() }, "Generate"),
    ),
    progress
      ? h(
          "div",
          { class: "progress-wrap" },
          h("progress", { max: progress.total, value: progress.traces, "aria-label": "Generating sample data" }),
          h("span", { class: "small muted" }, `${formatCount(progress.traces)} / ${formatCount(progress.total)} traces`),
        )
      : null,
    message ? h("p", { class: message.ok ? "ok-text small" : "error-text small", role: "status", "data-testid": "sample-result" }, message.text) : null,
  );
}
