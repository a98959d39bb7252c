/**
 * `sort_by` with ClickHouse ordering (weave-semantics.md §2.9.3). Keys are derived once per row
 * (`compileSortKey`) and compared as flat arrays, so sorting 100k rows does not re-read JSON paths
 * or re-parse numbers inside the comparator.
 *
 * - Plain typed columns order natively; NULLs go last in *both* directions (ClickHouse default).
 * - Dynamic JSON fields (and feedback lists, by their first element) use Weave's three keys:
 *   (1) exists (path present and not JSON null) first, whatever the direction; (2) `toFloat64OrNull`
 *   of the string form in the requested direction, NULLs last, so numeric-looking values come first,
 *   in numeric order; (3) the string form in the requested direction (UTF-8 byte order). O-02:
 *   desc → 100, 2, "b", "a", null, missing; asc → 2, 100, "a", "b", null, missing.
 */
import type { SortBy } from "../../schema/common";
import type { FieldCatalog, FieldType } from "./field-catalog";
import { compareStrings, jsonToChString, toFloatOrNull } from "./values";

/** One row's sort key: slot values in key order (see `compileSortKey`). */
export type SortKey = unknown[];

/** What `compileSortKey` returns: a key extractor and the comparator for those keys. */
export interface CompiledSortKey<Row> {
  /** Derives the row's key; call once per row. */
  key: (row: Row) => SortKey;
  /** Orders two keys: negative when `a` sorts first. Total (ties only for identical keys). */
  compare: (a: SortKey, b: SortKey) => number;
  /** Canonical names of the fields sorted by, tiebreak included, in order. */
  fields: string[];
}

/** Options: `tiebreak` is appended unless that field is already a key (Weave appends `id`, §2.9.3). */
export interface SortOptions {
  tiebreak?: SortBy;
}

type KeyCompare = (a: SortKey, b: SortKey) => number;
type ValueCompare = (x: unknown, y: unknown, dir: number) => number;

/** Numbers: NaN after numbers, NULL after everything (ClickHouse `NULLS LAST`, NaN before NULL). */
function compareNumbers(x: unknown, y: unknown, dir: number): number {
  if (x === y) return 0;
  if (x === null) return 1;
  if (y === null) return -1;
  const a = x as number;
  const b = y as number;
  if (a !== a) return b !== b ? 0 : 1;
  if (b !== b) return -1;
  return a < b ? -dir : a > b ? dir : 0;
}

function compareNullableStrings(x: unknown, y: unknown, dir: number): number {
  return x === y ? 0 : x === null ? 1 : y === null ? -1 : dir * compareStrings(x as string, y as string);
}

function compareBools(x: unknown, y: unknown, dir: number): number {
  return x === y ? 0 : x === null ? 1 : y === null ? -1 : x ? dir : -dir;
}

function compareLists(x: unknown, y: unknown, dir: number): number {
  const a = x as string[];
  const b = y as string[];
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareStrings(a[i] as string, b[i] as string);
    if (c !== 0) return dir * c;
  }
  return a.length === b.length ? 0 : dir * (a.length - b.length);
}

const PLAIN: Record<Exclude<FieldType, "json" | "json_list">, ValueCompare> = {
  string: compareNullableStrings,
  number: compareNumbers,
  datetime: compareNumbers,
  bool: compareBools,
  string_list: compareLists,
};

const EMPTY_LIST: readonly string[] = Object.freeze([]);

/** `toFloat64OrNull` of a JSON value's string form, without building and re-parsing it for numbers. */
function jsonFloat(raw: unknown, text: string): number | null {
  if (typeof raw === "number") return raw;
  return typeof raw === "string" && text !== "" ? toFloatOrNull(text) : null;
}

/**
 * Compiles `sortBy` into a per-row key extractor plus a key comparator. A plain field takes one key
 * slot; a JSON field three (exists, float, string).
 * @throws WeftError `INVALID_FIELD` for fields the catalog does not know
 */
export function compileSortKey<Row>(sortBy: readonly SortBy[], catalog: FieldCatalog<Row>, opts: SortOptions = {}): CompiledSortKey<Row> {
  const comparators: KeyCompare[] = [];
  const writers: Array<(row: Row, out: SortKey) => void> = [];
  const fields: string[] = [];
  let slots = 0;
  const add = (sort: SortBy): void => {
    const field = catalog.resolve(sort.field);
    fields.push(field.name);
    const dir = sort.direction === "desc" ? -1 : 1;
    const get = field.get.bind(field);
    const at = slots;
    if (field.type === "json" || field.type === "json_list") {
      slots += 3;
      const first = field.type === "json_list";
      writers.push((row, out) => {
        const raw = first ? (get(row) as unknown[] | undefined)?.[0] : get(row);
        const text = jsonToChString(raw);
        out[at] = raw !== undefined && raw !== null;
        out[at + 1] = jsonFloat(raw, text);
        out[at + 2] = text;
      });
      comparators.push((a, b) => {
        const ea = a[at];
        if (ea !== b[at]) return ea ? -1 : 1;
        const c = compareNumbers(a[at + 1], b[at + 1], dir);
        if (c !== 0) return c;
        const sa = a[at + 2] as string;
        const sb = b[at + 2] as string;
        return sa === sb ? 0 : dir * compareStrings(sa, sb);
      });
    } else {
      slots += 1;
      const missing = field.type === "string_list" ? EMPTY_LIST : null;
      writers.push((row, out) => {
        const v = get(row);
        out[at] = v === undefined ? missing : v;
      });
      const cmp = PLAIN[field.type];
      comparators.push((a, b) => cmp(a[at], b[at], dir));
    }
  };
  for (const sort of sortBy) add(sort);
  const tiebreak = opts.tiebreak;
  if (tiebreak && !fields.includes(catalog.resolve(tiebreak.field).name)) add(tiebreak);
  const n = slots;
  return {
    fields,
    key: (row) => {
      const out: SortKey = new Array(n);
      for (const write of writers) write(row, out);
      return out;
    },
    compare: chain(comparators),
  };
}

/** One comparator from several, most significant first (unrolled for the usual one or two keys). */
function chain(list: KeyCompare[]): KeyCompare {
  const [c0, c1] = list;
  if (list.length === 0 || !c0) return () => 0;
  if (list.length === 1) return c0;
  if (list.length === 2 && c1) return (a, b) => c0(a, b) || c1(a, b);
  return (a, b) => {
    for (const c of list) {
      const r = c(a, b);
      if (r !== 0) return r;
    }
    return 0;
  };
}

/**
 * A row comparator for `sortBy`. Keys of object rows are memoised (in a WeakMap owned by this
 * comparator), so `rows.sort(cmp)` or `topK(rows, k, cmp)` still derives each key once; for the
 * fastest path use `compileSortKey` with `sortRows`, which skips the WeakMap lookups.
 * @throws WeftError `INVALID_FIELD` for fields the catalog does not know
 */
export function compileSort<Row>(sortBy: readonly SortBy[], catalog: FieldCatalog<Row>, opts: SortOptions = {}): (a: Row, b: Row) => number {
  const { key, compare } = compileSortKey(sortBy, catalog, opts);
  const cache = new WeakMap<object, SortKey>();
  const keyOf = (row: Row): SortKey => {
    if (typeof row !== "object" || row === null) return key(row);
    let k = cache.get(row);
    if (k === undefined) cache.set(row, (k = key(row)));
    return k;
  };
  return (a, b) => compare(keyOf(a), keyOf(b));
}

/** Sorts rows (stably, into a new array) by a compiled key, deriving each row's key once. */
export function sortRows<Row>(rows: Iterable<Row>, sortKey: CompiledSortKey<Row>): Row[] {
  const decorated: Array<{ row: Row; key: SortKey }> = [];
  for (const row of rows) decorated.push({ row, key: sortKey.key(row) });
  const { compare } = sortKey;
  decorated.sort((a, b) => compare(a.key, b.key));
  return decorated.map((d) => d.row);
}
