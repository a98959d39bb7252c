/**
 * Export and import: send the local project to a Weave server (URL + API key, a progress bar,
 * cancel, resume), download it as a bundle file, or import a bundle by dropping it on the dialog.
 * Everything goes through `export-adapter.ts`.
 */
import { h, type ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { downloadBundle, importBundleFile, sendToServer, type ExportProgress } from "./export-adapter";
import { errorText } from "./errors";
import { formatBytes, formatCount } from "./format";
import { notifyChanged } from "./live";
import { Modal } from "./modal";
import { PROJECT_ID } from "./store";

type JobKind = "send" | "bundle" | "import";
type Job = { kind: JobKind; progress: ExportProgress; controller: AbortController };

function ProgressBar({ progress }: { progress: ExportProgress }): ComponentChildren {
  const ratio = progress.total ? Math.min(1, progress.done / progress.total) : undefined;
  return h(
    "div",
    { class: "progress-wrap", "data-testid": "export-progress" },
    h("progress", { max: 1, value: ratio, "aria-label": progress.phase }),
    h("span", { class: "small muted" }, `${progress.phase} · ${formatCount(progress.done)}${progress.total ? ` of ${formatCount(progress.total)}` : ""} items`),
  );
}

export function ExportDialog({ onClose }: { onClose: () => void }): ComponentChildren {
  const [url, setUrl] = useState("http://127.0.0.1:6345");
  const [key, setKey] = useState("");
  const [target, setTarget] = useState(PROJECT_ID);
  const [job, setJob] = useState<Job | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string; kind: JobKind } | null>(null);
  const [canResume, setCanResume] = useState(false);
  const [dragging, setDragging] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const current = useRef<Job | null>(null);

  // Closing the dialog cancels what is running (an export can be resumed later).
  useEffect(() => () => current.current?.controller.abort(), []);

  const run = async (kind: JobKind, work: (signal: AbortSignal, onProgress: (p: ExportProgress) => void) => Promise<string>): Promise<void> => {
    const controller = new AbortController();
    const start: Job = { kind, controller, progress: { phase: "Starting", done: 0, total: null } };
    current.current = start;
    setJob(start);
    setMessage(null);
    try {
      const done = await work(controller.signal, (progress) => setJob({ ...start, progress }));
      setMessage({ ok: true, text: done, kind });
      if (kind === "send") setCanResume(false);
    } catch (error) {
      const cancelled = controller.signal.aborted;
      setMessage({ ok: false, text: cancelled ? "Cancelled. What was sent is remembered: Resume sends the rest." : errorText(error), kind });
      if (kind === "send") setCanResume(true);
    } finally {
      current.current = null;
      setJob(null);
    }
  };

  const send = (restart: boolean): void =>
    void run("send", async (signal, onProgress) => {
      const summary = await sendToServer({ baseUrl: url.trim(), apiKey: key, projectId: target.trim() }, { signal, restart, onProgress });
      return `Exported to ${url.trim()} as ${target.trim()}: ${summary}.`;
    });

  const bundle = (): void =>
    void run("bundle", async (signal, onProgress) => {
      const blob = await downloadBundle({ signal, onProgress });
      const href = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = href; // a blob: URL made here, never a URL taken from data
      a.download = `${PROJECT_ID.replace("/", "-")}.weft.jsonl.gz`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(href), 60_000);
      return `Bundle ready: ${formatBytes(blob.size)}.`;
    });

  const importFile = (file: File): void =>
    void run("import", async (signal, onProgress) => {
      const summary = await importBundleFile(file, { signal, onProgress });
      notifyChanged();
      return `Imported ${file.name} ${summary}.`;
    });

  const busy = job !== null;
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
      job?.kind === "send" ? h(ProgressBar, { progress: job.progress }) : null,
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
      job?.kind === "bundle" || job?.kind === "import" ? h(ProgressBar, { progress: job.progress }) : null,
      result("bundle"),
      result("import"),
    ),
  );
}
