/**
 * The demo's one connection to weft: a module Worker running `worker.ts` and the typed client in
 * front of it. Every view reads through `client`; the assistant traces through the same client.
 */
import { createClient, type WeftClient } from "../../src/index";

/** The Weave project (`entity/project`) everything in the demo lives in. */
export const PROJECT_ID = "demo/assistant";

const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module", name: "weft-demo" });

/** The client every part of the demo uses; `worker.ts` stores into IndexedDB database `weft-demo`, shared by every tab. */
export const client: WeftClient = createClient({ worker });

/** `weave:///entity/project/call/<id>`: how feedback points at a call (weave-semantics.md §3.8). */
export function callRef(callId: string): string {
  return `weave:///${PROJECT_ID}/call/${callId}`;
}
