/**
 * Deterministic synthetic dataset rows and object versions for the table and refs workloads, the same
 * for the raw baselines and for weft: rows of an evaluation dataset (~300 bytes of JSON, a few
 * fields, a numeric `score` to sort by) and small config objects (~500 bytes, nested) to read by ref.
 */
import { BENCH_PROJECT, hex, prng, text } from "./synthetic";

/** The field the sorted table page orders by. */
export const SORT_FIELD = "score";
/** Rows per table page. */
export const TABLE_PAGE = 50;

/** Offset of the table page at 90% depth (a multiple of the page size). */
export function tableDeepOffset(rows: number): number {
  return Math.floor((0.9 * rows) / TABLE_PAGE) * TABLE_PAGE;
}

const CATEGORIES = ["retrieval", "math", "coding", "chit-chat", "summary", "translation", "safety", "reasoning"];

/** Row `index` of the dataset: 6 fields, ~300 bytes as Python `json.dumps`. */
export function syntheticRow(index: number): Record<string, unknown> {
  const rand = prng(1_000_003 + index);
  return {
    id: index,
    question: text(rand, 120),
    expected: text(rand, 110),
    category: CATEGORIES[Math.floor(rand() * CATEGORIES.length)] ?? "misc",
    // Six decimals: distinct for most rows, with some ties, which the sort must keep in table order.
    score: Math.round(rand() * 1e6) / 1e6,
    tokens: 40 + Math.floor(rand() * 400),
  };
}

/** The first `count` rows. */
export function syntheticRows(count: number): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, i) => syntheticRow(i));
}

/** Object versions the refs workload reads: 250 objects × 4 versions. */
export const REF_OBJECTS = 1000;
const VERSIONS_PER_OBJECT = 4;

/** Version `index` of the config objects: its object id and value (~500 bytes). */
export function syntheticObject(index: number): { object_id: string; val: Record<string, unknown> } {
  const rand = prng(2_000_003 + index);
  return {
    object_id: `bench-config-${Math.floor(index / VERSIONS_PER_OBJECT)}`,
    val: {
      name: `config ${index}`,
      revision: index % VERSIONS_PER_OBJECT,
      model: { name: "gpt-4o-mini", provider: "openai", params: { temperature: Math.round(rand() * 100) / 100, max_tokens: 256, seed: index } },
      prompts: [text(rand, 90), text(rand, 90), text(rand, 90)],
      tags: ["bench", `group-${index % 7}`],
      fingerprint: hex(rand, 32),
    },
  };
}

/**
 * The extra path (edge, value pairs) the refs workload adds to the ref of version `index`: two in
 * five refs go into the value, the rest name the whole object.
 */
export function refExtra(index: number): string[] {
  if (index % 5 === 1) return ["key", "model", "key", "params", "key", "temperature"];
  if (index % 5 === 3) return ["key", "prompts", "index", "1"];
  return [];
}

/** The external ref of an object version, with its extra path. */
export function objectRef(objectId: string, digest: string, extra: readonly string[]): string {
  const head = `weave:///${BENCH_PROJECT}/object/${objectId}:${digest}`;
  return extra.length === 0 ? head : `${head}/${extra.join("/")}`;
}
