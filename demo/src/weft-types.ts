/**
 * The request and response types the demo uses, from weft's public API (`MethodReq` is what a
 * caller passes, `MethodRes` what comes back).
 */
import type { MethodReq, MethodRes } from "../../src/index";

export type CallsQueryReq = MethodReq<"calls_query">;
export type CallsFilter = NonNullable<CallsQueryReq["filter"]>;
export type Query = NonNullable<CallsQueryReq["query"]>;
/** One Weave query operation (what `$expr` holds). */
export type Operation = Query["$expr"];
/** A call as `calls_query` returns it. */
export type Call = MethodRes<"calls_query">["calls"][number];
export type BatchItem = MethodReq<"call_start_batch">["batch"][number];
/** An object version as `obj_read`/`objs_query` return it. */
export type ObjVersion = MethodRes<"obj_read">["obj"];
export type TableRow = MethodRes<"table_query">["rows"][number];
