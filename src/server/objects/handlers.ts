/**
 * The object and op methods of the interface (weave-semantics.md §4), one import for the handler
 * table: `obj_create`, `obj_read`, `objs_query`, `obj_delete`, `op_create`, `op_read`, `ops_query`.
 */
export { objCreate } from "./create";
export { objRead } from "./read";
export { objsQuery } from "./query";
export { objDelete } from "./delete";
export { opCreate, opRead, opsQuery } from "./ops";
