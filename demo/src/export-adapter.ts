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

function toProgress(event: WeftExportProgress, verb: string): ExportProgress {
  const skipped = event.skipped > 0 ? `, ${event.skipped} already there` : "";
  return { phase: `${verb} ${event.kind} (${event.done}/${event.total}${skipped})`, done: event.overall.done, total: event.overall.total || null };
}

/**
 * Sends the local project to a Weave server. Exports are resumable: running again (after a cancel
 * or a failure) sends only what is not there yet; `restart` forgets that record and sends everything.
 * @throws WeftError UNAUTHORIZED/FORBIDDEN (the key), UPSTREAM (unreachable: often CORS), ABORTED, …
 */
export async function sendToServer(target: RemoteTarget, options: { signal: AbortSignal; restart: boolean; onProgress: (p: ExportProgress) => void }): Promise<string> {
  const to = createRemoteTraceServer({ baseUrl: target.baseUrl, ...(target.apiKey ? { apiKey: target.apiKey } : {}), signal: options.signal });
  const result = await exportProject({
    from: client,
    to,
    project: PROJECT_ID,
    toProject: target.projectId,
    signal: options.signal,
    restart: options.restart,
    onProgress: (event) => options.onProgress(toProgress(event, "Sending")),
  });
  const parts = EXPORT_KINDS.filter((kind) => result.sent[kind] > 0 || result.skipped[kind] > 0).map(
    (kind) => `${counted(result.sent[kind], kind)} sent${result.skipped[kind] > 0 ? ` (${result.skipped[kind]} already there)` : ""}`,
  );
  return parts.length > 0 ? parts.join(", ") : "nothing to send";
}

/** The whole project as a bundle file (gzip'd JSONL). */
export function downloadBundle(options: { signal: AbortSignal; onProgress: (p: ExportProgress) => void }): Promise<Blob> {
  return exportBundle({ from: client, project: PROJECT_ID, signal: options.signal, onProgress: (event) => options.onProgress(toProgress(event, "Bundling")) });
}

/** Reads a bundle into the demo project (refs are rewritten to it); returns what was read. */
export async function importBundleFile(file: Blob, options: { signal: AbortSignal; onProgress: (p: ExportProgress) => void }): Promise<string> {
  const result = await importBundle(file, { to: client, project: PROJECT_ID, signal: options.signal, onProgress: (event) => options.onProgress(toProgress(event, "Importing")) });
  const counts = EXPORT_KINDS.filter((kind) => result.counts[kind] > 0).map((kind) => counted(result.counts[kind], kind));
  return `from ${result.fromProject}: ${counts.join(", ") || "nothing"}`;
}
