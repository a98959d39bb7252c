/**
 * weft's worker for browser tests: the few lines a user's own worker file would hold. The page passes
 * the database name as the worker's name (`new Worker(url, { type: "module", name })`).
 */
import { exposeLocalTraceServer } from "../../../src/worker/index";

exposeLocalTraceServer(self.name ? { dbName: self.name } : {});
