/**
 * Export and import: send the local project to a Weave server (URL + API key, a progress bar,
 * cancel, resume), download it as a bundle file, or import a bundle by dropping it on the dialog.
 * Everything goes through `export-adapter.ts`.
 */
import { h, type ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { downloadBundle, importBundleFile, sendToServer, type ExportProgress, type JobOutcome } from "./export-adapter";
import { errorText } from "./errors";
import { formatBytes, formatCount } from "./format";
import { notifyChanged } from "./live";
import { Modal } from "./modal";
import { PROJECT_ID } from "./store";

type JobKind = "send" | "bundle" | "import";
type Job = { kind: JobKind; progress: ExportProgress; controller: AbortController };
/**
 * How the last job of a kind ended, with its last progress. The bar stays on screen with it: an
 * export of a few calls finishes before anyone sees it move, and a cancelled one says how far it got.
 */
type Ended = { kind: JobKind; progress: ExportProgress; outcome: "done" | "cancelled" | "failed"; calls: number };

const VERB: Record<JobKind, string> = { send: "exported", bundle: "bundled", import: "imported" };

/** Whole percent of the items handled; 100 once a job is done, null while the total is unknown. */
function percent(progress: ExportProgress, done: boolean): number | null {
  if (done) return 100;
  return progress.total ? Math.min(100, Math.floor((progress.done / progress.total) * 100)) : null;
}

function ProgressBar({ kind, progress, ended }: { kind: JobKind; progress: ExportProgress; ended?: Ended }): ComponentChildren {
  const pct = percent(progress, ended?.outcome === "done");
  const calls = (n: number, of?: number): string => `${formatCount(n)}${of !== undefined ? ` of ${formatCount(of)}` : ""} call${(of ?? n) === 1 ? "" : "s"} ${VERB[kind]}`;
  let text: string;
  if (!ended) {
    text = `${pct === null ? "" : `${pct}% · `}${progress.phase} · ${formatCount(progress.done)}${progress.total ? ` of ${formatCount(progress.total)}` : ""} items`;
  } else if (ended.outcome === "done") text = `100% · ${calls(ended.calls)}`;
  else {
    const where = pct === null ? "" : ` at ${pct}%`;
    text = `${ended.outcome === "cancelled" ? "Cancelled" : "Stopped"}${where} · ${calls(progress.calls?.done ?? 0, progress.calls?.total)}`;
  }
  return h(
    "div",
    { class: "progress-wrap", "data-testid": "export-progress", "data-state": ended?.outcome ?? "running" },
    // No value while the total is unknown: the bar is indeterminate then.
    h("progress", { max: 100, value: pct ?? undefined, "aria-label": `${kind === "send" ? "Export" : kind === "bundle" ? "Bundle" : "Import"} progress` }),
    h("span", { class: "small muted", "data-testid": "export-progress-text" }, text),
  );
}

export function ExportDialog({ onClose }: { onClose: () => void }): ComponentChildren {
  const [url, setUrl] = useState("http://127.0.0.1:6345");
  const [key, setKey] = useState("");
  const [target, setTarget] = useState(PROJECT_ID);
  const [job, setJob] = useState<Job | null>(null);
  const [ended, setEnded] = useState<Ended | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string; kind: JobKind } | null>(null);
  const [canResume, setCanResume] = useState(false);
  const [dragging, setDragging] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const current = useRef<Job | null>(null);

  // Closing the dialog cancels what is running (an export can be resumed later).
  useEffect(() => () => current.current?.controller.abort(), []);

  const run = async (kind: JobKind, work: (signal: AbortSignal, onProgress: (p: ExportProgress) => void) => Promise<JobOutcome>): Promise<void> => {
    const controller = new AbortController();
    const start: Job = { kind, controller, progress: { phase: "Starting", done: 0, total: null, calls: null } };
    let last = start.progress;
    current.current = start;
    setJob(start);
    setEnded(null);
    setMessage(null);
    try {
      const done = await work(controller.signal, (progress) => {
        last = progress;
        setJob({ ...start, progress });
      });
      setMessage({ ok: true, text: done.text, kind });
      setEnded({ kind, progress: last, outcome: "done", calls: done.calls });
      if (kind === "send") setCanResume(false);
    } catch (error) {
      const cancelled = controller.signal.aborted;
      setMessage({ ok: false, text: cancelled ? "Cancelled. What was sent is remembered: Resume sends the rest." : errorText(error), kind });
      setEnded({ kind, progress: last, outcome: cancelled ? "cancelled" : "failed", calls: last.calls?.done ?? 0 });
      if (kind === "send") setCanResume(true);
    } finally {
      current.current = null;
      setJob(null);
    }
  };

  const send = (restart: boolean): void =>
    void run("send", async (signal, onProgress) => {
      const outcome = await sendToServer({ baseUrl: url.trim(), apiKey: key, projectId: target.trim() }, { signal, restart, onProgress });
      return { ...outcome, text: `Exported to ${url.trim()} as ${target.trim()}: ${outcome.text}.` };
    });

  const bundle = (): void =>
    void run("bundle", async (signal, onProgress) => {
      let calls = 0;
      const blob = await downloadBundle({
        signal,
        onProgress: (p) => {
          calls = p.calls?.done ?? calls;
          onProgress(p);
        },
      });
      const href = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = href; // a blob: URL made here, never a URL taken from data
      a.download = `${PROJECT_ID.replace("/", "-")}.weft.jsonl.gz`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(href), 60_000);
      return { text: `Bundle ready: ${formatBytes(blob.size)}.`, calls };
    });

  const importFile = (file: File): void =>
    void run("import", async (signal, onProgress) => {
      const outcome = await importBundleFile(file, { signal, onProgress });
      notifyChanged();
      return { ...outcome, text: `Imported ${file.name} ${outcome.text}.` };
    });

  const busy = job !== null;
  /** The running job's bar, or the last finished one's, of this kind. */
  const bar = (kind: JobKind): ComponentChildren =>
    job?.kind === kind ? h(ProgressBar, { kind, progress: job.progress }) : ended?.kind === kind ? h(ProgressBar, { kind, progress: ended.progress, ended }) : null;
  const result = (kind: JobKind): ComponentChildren =>
    message?.kind === kind ? h("p", { class: message.ok ? "ok-text" : "error-text", role: "status", "data-testid": `${kind}-result` }, message.text) : null;
  return h(
    Modal,
    { title: "Export and import", onClose, testId: "export-dialog" },
    h(
      "section",
      { class: "form-section" },
      h("h3", null, "Send to a Weave server"),
      h(
        "label",
        { class: "field" },
        "Server URL",
        h("input", { class: "control", type: "url", value: url, disabled: busy, onInput: (e: Event) => setUrl((e.currentTarget as HTMLInputElement).value) }),
      ),
      h(
        "label",
        { class: "field" },
        "API key",
        h("input", { class: "control", type: "password", autocomplete: "off", value: key, disabled: busy, onInput: (e: Event) => setKey((e.currentTarget as HTMLInputElement).value) }),
      ),
      h(
        "label",
        { class: "field" },
        "Remote project (entity/project)",
        h("input", { class: "control", value: target, disabled: busy, onInput: (e: Event) => setTarget((e.currentTarget as HTMLInputElement).value) }),
      ),
      h(
        "div",
        { class: "row" },
        h("button", { type: "button", class: "button primary", disabled: busy, onClick: () => send(false) }, "Start export"),
        h("button", { type: "button", class: "button", disabled: busy || !canResume, title: "Send what the last run did not", onClick: () => send(false) }, "Resume"),
        h("button", { type: "button", class: "button", disabled: job?.kind !== "send", onClick: () => job?.controller.abort() }, "Cancel"),
        h("button", { type: "button", class: "link-button small", disabled: busy, title: "Forget what earlier runs sent to this server and send everything", onClick: () => send(true) }, "Send everything again"),
      ),
      bar("send"),
      result("send"),
      h(
        "p",
        { class: "small muted" },
        "The server must allow this page's origin (CORS) and the Authorization header. The demo's Content-Security-Policy lets the page reach 127.0.0.1 and localhost only: use a local proxy in front of a remote server.",
      ),
    ),
    h(
      "section",
      { class: "form-section" },
      h("h3", null, "Bundle file"),
      h(
        "div",
        { class: "row" },
        h("button", { type: "button", class: "button", disabled: busy, "data-testid": "download-bundle", onClick: bundle }, "Download bundle"),
        job?.kind === "bundle" || job?.kind === "import" ? h("button", { type: "button", class: "button", onClick: () => job.controller.abort() }, "Cancel") : null,
      ),
      h(
        "div",
        {
          class: `drop-zone${dragging ? " dragging" : ""}`,
          "data-testid": "drop-zone",
          onDragOver: (event: DragEvent) => {
            event.preventDefault();
            setDragging(true);
          },
          onDragLeave: () => setDragging(false),
          onDrop: (event: DragEvent) => {
            event.preventDefault();
            setDragging(false);
            const file = event.dataTransfer?.files[0];
            if (file && !busy) importFile(file);
          },
        },
        "Drop a bundle here to import it into this project, or ",
        h("button", { type: "button", class: "link-button", disabled: busy, onClick: () => fileInput.current?.click() }, "choose a file"),
        ".",
        h("input", {
          ref: fileInput,
          type: "file",
          hidden: true,
          "data-testid": "bundle-file",
          onChange: (event: Event) => {
            const input = event.currentTarget as HTMLInputElement;
            const file = input.files?.[0];
            if (file) importFile(file);
            input.value = "";
          },
        }),
      ),
      bar("bundle"),
      bar("import"),
      result("bundle"),
      result("import"),
    ),
  );
}
