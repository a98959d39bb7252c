/**
 * Page script for the harness smoke test: starts `raw-idb-worker.ts` (a plain module worker, no weft
 * code) and puts its Comlink proxy on `globalThis.rawIdb`.
 */
import { wrap, type Remote } from "comlink";
import type { HarnessPageGlobals } from "../harness";
import type { RawIdbApi } from "./raw-idb-worker";

export interface RawIdbPageGlobals extends HarnessPageGlobals {
  rawIdb: Remote<RawIdbApi>;
}

const worker = new Worker(new URL("./raw-idb-worker.ts", import.meta.url), { type: "module" });
const rawIdb = wrap<RawIdbApi>(worker);
const globals = globalThis as unknown as RawIdbPageGlobals;
globals.rawIdb = rawIdb;
// Ready once the worker has started and answered.
globals.harnessReady = rawIdb.scope();
