/**
 * `Dataset`: named rows, published as Weave publishes them: the rows as a table (`table_create`),
 * then an object whose value is Weave's Dataset shape with a table ref in `rows` (see `publish.ts`).
 * Passing a Dataset to an op records its ref in the call's inputs, publishing it first if needed.
 */
import { WeftError } from "../errors";
import { isDict } from "./serialize";

/** What `new Dataset(…)` takes. */
export interface DatasetOptions<Row extends Record<string, unknown>> {
  /** The object name (sanitized to `[\w._-]` as Weave does when published). */
  name: string;
  description?: string;
  rows: readonly Row[];
}

/**
 * Rows with a name. Rows are copied on construction; the Dataset is immutable afterwards.
 * @throws WeftError VALIDATION from the constructor (see there)
 */
export class Dataset<Row extends Record<string, unknown> = Record<string, unknown>> {
  readonly name: string;
  readonly description: string | undefined;
  readonly rows: readonly Row[];

  /**
   * @throws WeftError VALIDATION when `name` is empty or a row is not a dict (Weave tables hold dict
   *   rows only: "All rows must be dictionaries")
   */
  constructor(options: DatasetOptions<Row>) {
    if (typeof options.name !== "string" || options.name.trim() === "") {
      throw new WeftError("VALIDATION", "Dataset name must be a non-empty string.", { issues: [{ path: "name", message: "must be a non-empty string" }] });
    }
    const bad = options.rows.findIndex((row) => !isDict(row));
    if (bad >= 0) {
      throw new WeftError("VALIDATION", `Dataset rows must be dictionaries: rows[${bad}] is not.`, {
        issues: [{ path: `rows[${bad}]`, message: "All rows must be dictionaries" }],
      });
    }
    this.name = options.name;
    this.description = options.description;
    this.rows = Object.freeze([...options.rows]);
    Object.freeze(this);
  }

  /** Number of rows. */
  get length(): number {
    return this.rows.length;
  }

  /**
   * Row `index`.
   * @throws WeftError NOT_FOUND when `index` is out of range
   */
  getRow(index: number): Row {
    const row = this.rows[index];
    if (row === undefined) throw new WeftError("NOT_FOUND", `Dataset ${this.name} has no row ${index} (it has ${this.rows.length}).`);
    return row;
  }

  [Symbol.iterator](): Iterator<Row> {
    return this.rows[Symbol.iterator]();
  }
}
