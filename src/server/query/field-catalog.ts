/**
 * The contract between the query engine and each domain (calls, feedback, costs, table rows).
 * A domain describes its fields once, as a `FieldCatalog`; the engine (`compileQuery`, `compileSort`)
 * resolves every field name through it at compile time and then only calls `get(row)`.
 * The field types drive ClickHouse semantics (weave-semantics.md §2.9.2, §2.9.3): plain typed columns
 * compare and sort natively; `json` paths are strings (`''` when missing) and sort by the 3-key rule;
 * list fields compare with "any element" semantics.
 */

/**
 * How a field's values compare and sort:
 * - `string`, `number`, `datetime`, `bool`: a plain typed column (NULLs sort last in both directions).
 * - `json`: a dynamic JSON path (`inputs.a.b`); evaluates to the ClickHouse string form of the value.
 * - `json_list`: several JSON values (e.g. one per feedback row of a type); a comparison is true when
 *   any element satisfies it, `$eq null` is true when there are none; sorting uses the first element.
 * - `string_list`: an array column (`input_refs`); `$eq`/`$contains` mean membership.
 */
export type FieldType = "string" | "number" | "datetime" | "bool" | "json" | "json_list" | "string_list";

/** One resolved field: its type, canonical name and a getter. */
export interface ResolvedField<Row> {
  /** how values compare (see `FieldType`) */
  type: FieldType;
  /** canonical name (for error messages, dedupe) */
  name: string;
  /**
   * string: string | null; number: number | null; datetime: epoch ms | null; bool: boolean | null;
   * json: the raw JSON value at the path, or undefined when the path is missing;
   * json_list: array of raw JSON values (e.g. one per feedback row of a type), [] when none;
   * string_list: string[] (e.g. input_refs)
   */
  get(row: Row): unknown;
  /**
   * A `string` field whose text takes a literal's cast the way a JSON path does (`= 7` compares
   * `toInt64OrNull(text)`), while a missing value stays NULL: Weave's `Map(String, String)` keys such
   * as `scorer_tag_reasons.<tag>` (§3.4). Absent means a plain column that compares natively.
   */
  castsLikeJson?: boolean;
}

/** A domain's fields, by the names `$getField` and `sort_by.field` use. */
export interface FieldCatalog<Row> {
  /**
   * Resolves a field name (a column or a dotted path).
   * @throws WeftError `INVALID_FIELD` naming the field, for unknown fields (Weave `InvalidFieldError`, 422)
   */
  resolve(field: string): ResolvedField<Row>;
}
