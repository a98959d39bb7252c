/** weft's worker for the benchmarks: what a user's worker file holds. The database name is the worker's name. */
import { exposeLocalTraceServer } from "../../src/worker/index";

exposeLocalTraceServer({ dbName: self.name });
