/**
 * What weft's side of every workload starts from: a client (`createClient`) on a worker of its own
 * (bench/pages/weft-worker.ts) over a fresh database, as an app opens one, and a way to give the
 * event loop a turn the way an app producing work over time does.
 */
import { createClient, type WeftClient } from "../../src/client/index";
import { nextTask } from "../../src/export/next-task";

export interface OpenClient {
  client: WeftClient;
  dbName: string;
}

let seq = 0;

/** A client on a new worker over a new database, once the worker has answered. */
export async function openClient(label: string): Promise<OpenClient> {
  const dbName = `weft-bench-${label}-${Date.now()}-${seq++}`;
  const worker = new Worker(new URL("./weft-worker.ts", import.meta.url), { type: "module", name: dbName });
  const client = createClient({ worker });
  await client.ready();
  return { client, dbName };
}

/** One turn of the event loop, as an app producing work over time gives it (weft's own helper). */
export const yieldToEventLoop = nextTask;
