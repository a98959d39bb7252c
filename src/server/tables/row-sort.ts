/**
 * `sort_by` for `table_query` (weave-semantics.md §5.4): each field is a dotted path into the row value
 * (`col_a.prop_b`), checked like Weave before any storage is read (O-10), and ordered by the
 * ClickHouse dynamic-field rule of the shared sort compiler (§2.9.3): rows having the value first in
 * either direction, numeric-looking values numerically, then strings, missing/null last.
 */
import { WeftError } from "../../errors";
import type { SortBy } from "../../schema/common";
import type { FieldCatalog, ResolvedField } from "../query/field-catalog";
import { getJsonPath, splitFieldPath } from "../query/field-path";
import { compileSortKey, type CompiledSortKey } from "../query/sort";

/** Every field of a table row is dynamic JSON: the catalog accepts any (checked) path. */
const ROW_FIELDS: FieldCatalog<unknown> = {
  resolve(field: string): ResolvedField<unknown> {
    const parts = splitFieldPath(field);
    return { type: "json", name: field, get: (value) => getJsonPath(value, parts) };
  },
};

function invalidSort(path: string, message: string): WeftError {
  return new WeftError("VALIDATION", message, { issues: [{ path, message }], field: path });
}

/**
 * Weave's checks on a table sort field (ClickHouse tables repository, O-10), so that a bad path is a
 * 400 that names the field rather than a storage error.
 * @throws WeftError `VALIDATION` for an empty or blank field, a leading or trailing `.`, `..`, or a
 *   blank path component.
 */
export function checkSortField(field: string, path: string): void {
  if (field.trim() === "") throw invalidSort(path, "Sort field cannot be empty");
  if (field.startsWith(".") || field.endsWith(".") || field.includes("..")) {
    throw invalidSort(path, `Invalid sort field '${field}': field names cannot start/end with dots or contain consecutive dots`);
  }
  if (field.split(".").some((part) => part.trim() === "")) {
    throw invalidSort(path, `Invalid sort field '${field}': field path components cannot be empty`);
  }
}

/**
 * Compiles `sort_by` over parsed row values, or returns undefined when there is nothing to sort by
 * (absent or `[]`: natural order, §5.4). No tiebreak key is added: callers feed rows in table order
 * into a stable top-k, so equal rows keep their original order.
 * @throws WeftError `VALIDATION` for a bad field (see `checkSortField`).
 */
export function compileRowSort(sortBy: readonly SortBy[] | null | undefined): CompiledSortKey<unknown> | undefined {
  if (!sortBy || sortBy.length === 0) return undefined;
  sortBy.forEach((sort, i) => checkSortField(sort.field, `sort_by[${i}].field`));
  return compileSortKey(sortBy, ROW_FIELDS);
}
