/**
 * The only place that declares weft's IndexedDB stores, their indexes and migrations.
 *
 * Every index that serves a query starts with `project_id`, so no index range can reach another
 * project's rows. Fields named `*_dump` hold JSON text exactly as written (Weave's `*_dump` columns):
 * strings clone cheaply, so scans over call rows stay fast, and payloads are parsed only for the
 * rows a page returns or a predicate needs.
 */
import { Dexie, type Table } from "dexie";

/**
 * One call as stored: the start part, the end part and the latest update merged into one row
 * (starts, ends and updates may arrive in any order, weave-semantics.md §2.2).
 */
export interface CallRow {
  project_id: string;
  id: string;
  /** 1 once a start has arrived; only started, undeleted calls are visible (§2.2). */
  has_start: 0 | 1;
  has_end: 0 | 1;
  trace_id?: string;
  /** Absent for roots (IndexedDB cannot index null, and roots must stay out of the parent index). */
  parent_id?: string;
  op_name?: string;
  /** display_name from the start part. */
  display_name?: string | null;
  /** display_name from the latest `call_update` (`""` = cleared); wins over the start's (§2.8). */
  display_name_update?: string;
  thread_id?: string | null;
  turn_id?: string | null;
  started_at?: number;
  ended_at?: number;
  exception?: string | null;
  wb_user_id?: string | null;
  wb_run_id?: string | null;
  wb_run_step?: number | null;
  wb_run_step_end?: number | null;
  attributes_dump?: string;
  inputs_dump?: string;
  /** JSON text of the output; absent until the end arrives ("null" for a null output). */
  output_dump?: string;
  summary_dump?: string;
  /** `summary.status_counts.error` from the end part, when positive (drives `descendant_error`). */
  descendant_errors?: number;
  input_refs?: string[];
  output_refs?: string[];
  deleted_at?: number;
  // Index keys, present only while the call is visible (started, not deleted): a missing key part
  // keeps the row out of that index, so every index holds exactly the visible calls.
  /** started_at, for the time-ordered indexes. */
  live_ts?: number;
  /** started_at of a visible root call. */
  root_ts?: number;
  /** The ClickHouse status expression (§2.5): error, descendant_error, running, success. */
  status?: string;
  /** `project_id + "\n" + ref` for each input ref (multi-entry index, project-scoped). */
  in_refs?: string[];
  out_refs?: string[];
}

/**
 * An object or op version (weave-semantics.md §4). `project_id` is the external `entity/project`;
 * `val_dump` is Python `json.dumps(val, sort_keys=True)` of the processed value with refs in internal
 * form (what the digest is computed over, §1.2).
 */
export interface ObjectRow {
  project_id: string;
  object_id: string;
  digest: string;
  kind: "object" | "op";
  base_object_class: string | null;
  leaf_object_class: string | null;
  created_at: number;
  deleted_at?: number;
  version_index: number;
  /** 1 for the live version `latest` names (§4.4 step 5, §4.7); 0 otherwise, and always 0 once deleted. */
  is_latest: 0 | 1;
  val_dump: string;
  /** Internal refs found in the value. */
  refs: string[];
  wb_user_id?: string | null;
  // Index keys, present only while they apply, so each index holds exactly the rows a query wants.
  /** created_at while the version is live (not deleted): `objs_query`'s default scan. */
  live_ts?: number;
  /** created_at while the version is live and latest: `latest_only` scans. */
  latest_ts?: number;
}

/** A table (store `table_defs`; Dexie reserves the name `tables`): its row digests in order live in `table_entries`. */
export interface TableRow {
  project_id: string;
  digest: string;
  row_count: number;
  created_at: number;
}

/**
 * A run of consecutive positions of a table: positions `chunk * TABLE_ENTRY_CHUNK` onwards hold
 * `row_digests` in order (every chunk is full but the last). One record per position would make a
 * 100k-row table 100k IndexedDB records to write, copy on `table_update` and read back; chunks keep
 * that to ~100 while a page still reads only the chunk(s) it spans (weave-semantics.md §5).
 */
export interface TableEntryRow {
  project_id: string;
  table_digest: string;
  chunk: number;
  row_digests: string[];
}

/** A table row value, stored once per (project, row digest). */
export interface RowValueRow {
  project_id: string;
  digest: string;
  val_dump: string;
}

/** A file's identity and size; its bytes live in `file_chunks`. */
export interface FileRow {
  project_id: string;
  digest: string;
  name: string;
  size_bytes: number;
  n_chunks: number;
  created_at: number;
}

export interface FileChunkRow {
  project_id: string;
  digest: string;
  chunk_index: number;
  bytes: Uint8Array;
}

/**
 * A feedback row (weave-semantics.md §3.1). `payload_dump` is the processed payload as JSON text.
 * `weave_ref` and the other refs are kept as the caller sent them (normally external `weave:///…`).
 * HEAD's queue/scorer/span columns are stored only when the caller set them to something other than
 * Weave's column default (`[]`, `{}`, `""`, `"UNSET"`), so ordinary rows stay small; reads fill the
 * defaults back in.
 */
export interface FeedbackRow {
  project_id: string;
  id: string;
  weave_ref: string;
  wb_user_id: string;
  creator: string | null;
  created_at: number;
  feedback_type: string;
  payload_dump: string;
  annotation_ref: string | null;
  runnable_ref: string | null;
  call_ref: string | null;
  trigger_ref: string | null;
  queue_id?: string;
  scorer_tags?: string[];
  scorer_tag_reasons?: Record<string, string>;
  scorer_tag_confidences?: Record<string, number>;
  scorer_ratings?: Record<string, number>;
  scorer_rating_reasons?: Record<string, string>;
  scorer_rating_confidences?: Record<string, number>;
  span_agent_name?: string;
  span_agent_version?: string;
  span_status_code?: string;
  span_conversation_id?: string;
  span_trace_id?: string;
  scorer_trace_id?: string;
}

/**
 * A project-level LLM price (weave-semantics.md §8.1): `pricing_level` is always `'project'` and
 * `pricing_level_id` the row's `project_id`, so neither is stored. Default prices ship as data
 * (`server/costs/default-prices.json`), not rows. The cache-token prices are HEAD's (absent = 0).
 */
export interface CostRow {
  project_id: string;
  id: string;
  llm_id: string;
  prompt_token_cost: number;
  completion_token_cost: number;
  cache_read_input_token_cost?: number;
  cache_creation_input_token_cost?: number;
  prompt_token_cost_unit: string;
  completion_token_cost_unit: string;
  effective_date: number;
  provider_id: string;
  created_by: string;
  created_at: number;
}

/** Small key/value facts about the store (local user id, format version). */
export interface MetaRow {
  key: string;
  value: unknown;
}

/** Current schema version. Bump it with a new `version(n)` block and an upgrade function. */
export const SCHEMA_VERSION = 1;

/** The Dexie database behind a `LocalTraceServer`. */
export class WeftDb extends Dexie {
  calls!: Table<CallRow, [string, string]>;
  objects!: Table<ObjectRow, [string, string, string]>;
  table_defs!: Table<TableRow, [string, string]>;
  table_entries!: Table<TableEntryRow, [string, string, number]>;
  row_values!: Table<RowValueRow, [string, string]>;
  files!: Table<FileRow, [string, string]>;
  file_chunks!: Table<FileChunkRow, [string, string, number]>;
  feedback!: Table<FeedbackRow, [string, string]>;
  costs!: Table<CostRow, [string, string]>;
  meta!: Table<MetaRow, string>;
  /** Set when a newer weft upgraded (or deleted) the database from another connection. */
  upgradedElsewhere = false;

  constructor(name: string, options: { indexedDB?: IDBFactory; IDBKeyRange?: typeof IDBKeyRange } = {}) {
    super(name, {
      ...(options.indexedDB ? { indexedDB: options.indexedDB } : {}),
      ...(options.IDBKeyRange ? { IDBKeyRange: options.IDBKeyRange } : {}),
      // Rows are never mutated after being read; skip Dexie's defensive deep clone on reads.
      cache: "immutable",
    });
    // A newer weft (another tab) upgrading the database: close for good instead of letting Dexie
    // reopen it under this page's older code, which would write old-format rows into a newer
    // schema (and re-create indexes the newer version removed). Requests then fail with a clear
    // STORAGE error telling the user to reload (local-trace-server.ts).
    this.on("versionchange", () => {
      this.upgradedElsewhere = true;
      this.close({ disableAutoOpen: true });
      return false;
    });
    this.on("ready", () => {
      // Dexie opens a database installed at a higher version anyway (its `verno` stays ours), so
      // compare the installed version (Dexie's versions are ×10 in IndexedDB).
      const installed = Math.floor(this.backendDB().version / 10);
      if (installed > SCHEMA_VERSION) {
        this.upgradedElsewhere = true;
        this.close({ disableAutoOpen: true });
        throw new Error(`database schema ${installed} is newer than this weft's ${SCHEMA_VERSION}`);
      }
    });
    this.version(SCHEMA_VERSION).stores({
      calls: [
        "[project_id+id]",
        "[project_id+live_ts+id]",
        "[project_id+root_ts+id]",
        "[project_id+trace_id+live_ts+id]",
        "[project_id+parent_id+live_ts+id]",
        "[project_id+op_name+live_ts+id]",
        "[project_id+op_name+status+live_ts+id]",
        "[project_id+status+live_ts+id]",
        "*in_refs",
        "*out_refs",
      ].join(", "),
      objects: [
        "[project_id+object_id+digest]",
        "[project_id+object_id+version_index]",
        // created_at ASC, version_index ASC is objs_query's default order (§4.6).
        "[project_id+live_ts+version_index]",
        "[project_id+latest_ts+version_index]",
      ].join(", "),
      table_defs: "[project_id+digest]",
      table_entries: "[project_id+table_digest+chunk]",
      row_values: "[project_id+digest]",
      files: "[project_id+digest]",
      file_chunks: "[project_id+digest+chunk_index]",
      feedback: ["[project_id+id]", "[project_id+weave_ref]", "[project_id+created_at]"].join(", "),
      costs: ["[project_id+id]", "[project_id+llm_id]"].join(", "),
      meta: "key",
    });
  }
}
