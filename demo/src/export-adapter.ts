/**
 * The one place the demo meets weft's export functions: `exportProject` (to a Weave server, through
 * `createRemoteTraceServer`), `exportBundle` and `importBundle` (a portable file). The dialog only
 * sees these three small functions and one progress shape.
 */
import { EXPORT_KINDS, createRemoteTraceServer, exportBundle, exportProject, importBundle, type ExportProgress as WeftExportProgress } from "../../src/index";
import { PROJECT_ID, client } from "./store";

/** Progress as the dialog draws it. */
export interface ExportProgress {
  phase: string;
  done: number;
  total: number | null;
  /** Calls handled so far (sent, or found already there) and planned; null before the calls start. */
  calls: { done: number; total: number } | null;
}

export interface RemoteTarget {
  baseUrl: string;
  apiKey: string;
  /** The remote `entity/project` to write into. */
  projectId: string;
}

/** "1 table", "3 tables", "2 feedback". */
function counted(n: number, kind: string): string {
  return `${n} ${n === 1 ? kind.replace(/s$/, "") : kind}`;
}

/**
 * weft's progress events → the dialog's. An event carries the counts of its own kind only, so the
 * calls' counts are remembered here and ride along with the events of the kinds sent after them.
 */
function progressListener(verb: string, onProgress: (p: ExportProgress) => void): (event: WeftExportProgress) => void {
  let calls: ExportProgress["calls"] = null;
  return (event) => {
    if (event.kind === "calls") calls = { done: event.done, total: event.total };
    const skipped = event.skipped > 0 ? `, ${event.skipped} already there` : "";
    onProgress({ phase: `${verb} ${event.kind} (${event.done}/${event.total}${skipped})`, done: event.overall.done, total: event.overall.total || null, calls });
  };
}

/** What a finished export, bundle or import did, for the dialog's final progress line. */
export interface JobOutcome {
  text: string;
  /** Calls exported (sent now or already there), bundled or imported. */
  calls: number;
}

/**
 * Sends the local project to a Weave server. Exports are resumable: running again (after a cancel
 * or a failure) sends only what is not there yet; `restart` forgets that record and sends everything.
 * @throws WeftError UNAUTHORIZED/FORBIDDEN (the key), UPSTREAM (unreachable: often CORS), ABORTED, …
 */
export async function sendToServer(target: RemoteTarget, options: { signal: AbortSignal; restart: boolean; onProgress: (p: ExportProgress) => void }): Promise<JobOutcome> {
  const to = createRemoteTraceServer({ baseUrl: target.baseUrl, ...(target.apiKey ? { apiKey: target.apiKey } : {}), signal: options.signal });
  const result = await exportProject({
    from: client,
    to,
    project: PROJECT_ID,
    toProject: target.projectId,
    signal: options.signal,
    restart: options.restart,
    onProgress: progressListener("Sending", options.onProgress),
  });
  const parts = EXPORT_KINDS.filter((kind) => result.sent[kind] > 0 || result.skipped[kind] > 0).map(
    (kind) => `${counted(result.sent[kind], kind)} sent${result.skipped[kind] > 0 ? ` (${result.skipped[kind]} already there)` : ""}`,
  );
  return { text: parts.length > 0 ? parts.join(", ") : "nothing to send", calls: result.sent.calls + result.skipped.calls };
}

/** The whole project as a bundle file (gzip'd JSONL). */
export function downloadBundle(options: { signal: AbortSignal; onProgress: (p: ExportProgress) => void }): Promise<Blob> {
  return exportBundle({ from: client, project: PROJECT_ID, signal: options.signal, onProgress: progressListener("Bundling", options.onProgress) });
}

/** Reads a bundle into the demo project (refs are rewritten to it); returns what was read. */
export async function importBundleFile(file: Blob, options: { signal: AbortSignal; onProgress: (p: ExportProgress) => void }): Promise<JobOutcome> {
  const result = await importBundle(file, { to: client, project: PROJECT_ID, signal: options.signal, onProgress: progressListener("Importing", options.onProgress) });
  const counts = EXPORT_KINDS.filter((kind) => result.counts[kind] > 0).map((kind) => counted(result.counts[kind], kind));
  return { text: `from ${result.fromProject}: ${counts.join(", ") || "nothing"}`, calls: result.counts.calls };
}
