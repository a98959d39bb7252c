/**
 * The page browser tests run weft code in. It starts weft's worker (`worker.ts`) and puts a client on
 * `globalThis.weft`, so a test can do:
 *
 * ```ts
 * const page = await h.newPage("/?db=my-test-db");
 * const res = await page.evaluate(() => weft.client.calls_query({ project_id: "p" }));
 * ```
 *
 * `?db=` names the IndexedDB database (default `weft-test`); `weft.openClient(name)` starts another
 * worker + client on another database (e.g. to test two tabs' worth of connections in one page).
 */
import { createClient } from "../../../src/client/index";
import type { HarnessPageGlobals } from "../harness";

export interface WeftPageGlobals extends HarnessPageGlobals {
  weft: {
    dbName: string;
    /** Worker errors (e.g. the worker module failed to load), for a test to assert on. */
    errors: string[];
    worker: Worker;
    client: ReturnType<typeof createClient>;
    openClient(dbName: string): { worker: Worker; client: ReturnType<typeof createClient> };
  };
}

const errors: string[] = [];

function openClient(dbName: string): { worker: Worker; client: ReturnType<typeof createClient> } {
  // The database name travels as the worker's name: worker.ts reads it from `self.name`.
  const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module", name: dbName });
  // A worker that fails to load fires `error` here, not an uncaught page error: keep it visible.
  worker.addEventListener("error", (event) => {
    errors.push(event.message || "worker failed to load");
    console.error(`weft worker (${dbName}):`, event.message || "failed to load");
  });
  return { worker, client: createClient({ worker }) };
}

const dbName = new URLSearchParams(location.search).get("db") ?? "weft-test";
const globals = globalThis as unknown as WeftPageGlobals;
globals.weft = { dbName, errors, ...openClient(dbName), openClient };
globals.harnessReady = Promise.resolve();
