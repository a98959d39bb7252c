/**
 * The fields a `feedback_query` query or sort may name (weave-semantics.md §3.4), and how each is read
 * from a stored row. Columns compare natively (`created_at` as a datetime, so ISO literals work,
 * FB-04); `payload.<path>` is a dynamic JSON field with ClickHouse string semantics (FB-17);
 * `scorer_tags` is an array (`$contains` = membership) and the scorer maps are read per key, a missing
 * key being NULL so it never equals `0` or `""` (FB-11). Unknown names are Weave's
 * `ValueError("Unknown field: …")`, HTTP 400 (FB-16).
 */
import { WeftError } from "../../errors";
import type { FeedbackRow } from "../db";
import type { FieldCatalog, FieldType, ResolvedField } from "../query/field-catalog";
import { getJsonPath, splitFieldPath } from "../query/field-path";
import { columnValue, type FeedbackColumn } from "./rows";

/** A stored row plus its lazily parsed payload: what predicates, sorts and projections read. */
export class FeedbackView {
  private parsed: unknown;
  private done = false;
  constructor(readonly row: FeedbackRow) {}

  /** The parsed payload, parsed at most once per row. */
  payload(): unknown {
    if (!this.done) {
      this.parsed = JSON.parse(this.row.payload_dump) as unknown;
      this.done = true;
    }
    return this.parsed;
  }
}

const STRING_COLUMNS: FeedbackColumn[] = [
  "id",
  "project_id",
  "weave_ref",
  "wb_user_id",
  "creator",
  "feedback_type",
  "annotation_ref",
  "runnable_ref",
  "call_ref",
  "trigger_ref",
  "queue_id",
  "span_agent_name",
  "span_agent_version",
  "span_status_code",
  "span_conversation_id",
  "span_trace_id",
  "scorer_trace_id",
];
const MAP_COLUMNS: Partial<Record<FeedbackColumn, FieldType>> = {
  scorer_tag_reasons: "string",
  scorer_rating_reasons: "string",
  scorer_tag_confidences: "number",
  scorer_ratings: "number",
  scorer_rating_confidences: "number",
};

function column(type: FieldType, name: FeedbackColumn): ResolvedField<FeedbackView> {
  return { type, name, get: (v) => columnValue(v.row, name) };
}

const PLAIN_FIELDS: Record<string, ResolvedField<FeedbackView>> = {
  ...Object.fromEntries(STRING_COLUMNS.map((c) => [c, column("string", c)])),
  created_at: { type: "datetime", name: "created_at", get: (v) => v.row.created_at },
  scorer_tags: column("string_list", "scorer_tags"),
  payload: { type: "json", name: "payload", get: (v) => v.payload() },
};

/** `payload_dump` is the storage name of `payload`; Weave normalises `_dump` names (§3.4). Does not throw. */
export function normalizeFeedbackField(field: string): string {
  if (field === "payload_dump") return "payload";
  return field.startsWith("payload_dump.") ? `payload.${field.slice("payload_dump.".length)}` : field;
}

/**
 * The error for a field name the feedback and price tables do not have: VALIDATION "Unknown field: …"
 * (Weave's ORM raises ValueError, HTTP 400, not InvalidFieldError), for the caller to throw. `path` is
 * the request field that named it (`query`, `fields`). Does not throw.
 */
export function unknownFieldError(field: string, path: string): WeftError {
  return new WeftError("VALIDATION", `Unknown field: ${field}`, { field, issues: [{ path, message: `Unknown field: ${field}` }] });
}

/**
 * `<map column>.<key>` (`scorer_ratings._rating_`, `scorer_tag_reasons.high-quality`) as ClickHouse
 * reads it: `if(mapContains(col, key), col[key], NULL)`, since a bare `col[key]` would give 0 or `''`
 * for a missing key and match `== 0` (FB-11). The key is everything after the first dot, unsplit, as
 * Weave takes it. String-valued maps take a literal's cast like a JSON path (Weave casts them with
 * `toFloat64OrNull` & co.); Float64 ones compare as numbers. Undefined for any other name.
 * Does not throw.
 */
export function mapKeyField(field: string): ResolvedField<FeedbackView> | undefined {
  const dot = field.indexOf(".");
  const column = field.slice(0, dot) as FeedbackColumn;
  const type = dot > 0 ? MAP_COLUMNS[column] : undefined;
  if (!type) return undefined;
  const key = field.slice(dot + 1);
  return {
    type,
    name: field,
    castsLikeJson: type === "string",
    get: (v) => {
      const map = columnValue(v.row, column) as Record<string, unknown>;
      return Object.hasOwn(map, key) ? map[key] : null;
    },
  };
}

/** The catalog of feedback fields for `compileQuery`/`compileSortKey`. */
export const FEEDBACK_FIELDS: FieldCatalog<FeedbackView> = {
  /**
   * @throws WeftError VALIDATION "Unknown field: <name>" (Weave raises ValueError here, not InvalidFieldError)
   */
  resolve(name: string): ResolvedField<FeedbackView> {
    const field = normalizeFeedbackField(name);
    const known = PLAIN_FIELDS[field];
    if (known) return known;
    if (field.startsWith("payload.")) {
      const parts = splitFieldPath(field.slice("payload.".length));
      return { type: "json", name: field, get: (v) => getJsonPath(v.payload(), parts) };
    }
    const mapKey = mapKeyField(field);
    if (mapKey) return mapKey;
    throw unknownFieldError(name, "query");
  },
};
