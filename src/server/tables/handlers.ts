/**
 * The table methods of the interface (weave-semantics.md §5), one import for the handler table.
 */
export { tableCreate, tableCreateFromDigests } from "./create";
export { tableQuery, tableQueryStream } from "./query";
export { tableQueryStats, tableQueryStatsBatch } from "./stats";
export { tableUpdate } from "./update";
