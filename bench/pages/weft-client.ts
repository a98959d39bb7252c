/**
 * What weft's side of every workload starts from: a client (`createClient`) on a worker of its own
 * (bench/pages/weft-worker.ts) over a fresh database, as an app opens one, and a way to give the
 * event loop a turn the way an app producing work over time does.
 */
import { createClient, type WeftClient } from "../../src/client/index";

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

/** One turn of the event loop: `scheduler.yield()` where there is one, else a message round trip. */
export function yieldToEventLoop(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (scheduler?.yield) return scheduler.yield();
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}
