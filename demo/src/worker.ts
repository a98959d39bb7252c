/**
 * The demo's trace store: weft's `LocalTraceServer` on IndexedDB database `weft-demo`, in this
 * Worker. This is the whole worker file an app needs.
 */
import { exposeLocalTraceServer } from "../../src/worker/index";

exposeLocalTraceServer({ dbName: "weft-demo" });
