/**
 * LLM prices as the cost computation sees them (weave-semantics.md §8.1): the project's own rows plus
 * the bundled default table, each as a `PriceRow` with its pricing level. The default table
 * (`default-prices.json`, list prices as of the date it states) is a separate module imported on first
 * use, so apps that never ask for costs never load it.
 */
import type { CostRow } from "../db";

/** One price, project-level or default, with the columns a cost entry reports (§8.5 step 4). */
export interface PriceRow {
  llm_id: string;
  provider_id: string;
  /** epoch ms */
  effective_date: number;
  prompt_token_cost: number;
  completion_token_cost: number;
  cache_read_input_token_cost: number;
  cache_creation_input_token_cost: number;
  prompt_token_cost_unit: string;
  completion_token_cost_unit: string;
  pricing_level: "project" | "default";
  /** The project id for project rows, `'default'` for defaults. */
  pricing_level_id: string;
  created_by: string;
  /** epoch ms */
  created_at: number;
}

/** One entry of `default-prices.json`; dates are `YYYY-MM-DD` (midnight UTC). */
interface DefaultPriceEntry {
  llm_id: string;
  provider_id: string;
  effective_date: string;
  prompt_token_cost: number;
  completion_token_cost: number;
  cache_read_input_token_cost?: number;
  cache_creation_input_token_cost?: number;
}

/** Weave's `DEFAULT_PRICING_LEVEL_ID` and the creator of seeded rows (§8.1). */
const DEFAULT_LEVEL_ID = "default";
const SYSTEM_CREATOR = "system";

function dayToMs(day: string): number {
  const ms = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(ms)) throw new Error(`default-prices.json: bad date ${day}`);
  return ms;
}

let defaults: Promise<Map<string, PriceRow[]>> | undefined;

/**
 * The bundled default prices by `llm_id`, loaded once (the JSON is imported on the first call).
 * @throws Error when the bundled table is malformed (a build defect, surfaced as INTERNAL).
 */
export function defaultPrices(): Promise<Map<string, PriceRow[]>> {
  // No import attribute: Vite serves JSON as a JS module (an attribute makes browsers refuse it);
  // bundlers, vitest and the library build all turn the JSON into a module.
  defaults ??= import("./default-prices.json").then((mod) => {
    const doc = (mod as { default: { as_of: string; prices: DefaultPriceEntry[] } }).default;
    const createdAt = dayToMs(doc.as_of);
    const byLlm = new Map<string, PriceRow[]>();
    for (const entry of doc.prices) {
      const row: PriceRow = {
        llm_id: entry.llm_id,
        provider_id: entry.provider_id,
        effective_date: dayToMs(entry.effective_date),
        prompt_token_cost: entry.prompt_token_cost,
        completion_token_cost: entry.completion_token_cost,
        cache_read_input_token_cost: entry.cache_read_input_token_cost ?? 0,
        cache_creation_input_token_cost: entry.cache_creation_input_token_cost ?? 0,
        prompt_token_cost_unit: "USD",
        completion_token_cost_unit: "USD",
        pricing_level: "default",
        pricing_level_id: DEFAULT_LEVEL_ID,
        created_by: SYSTEM_CREATOR,
        created_at: createdAt,
      };
      const list = byLlm.get(row.llm_id);
      if (list) list.push(row);
      else byLlm.set(row.llm_id, [row]);
    }
    return byLlm;
  });
  return defaults;
}

/** A stored project row as a `PriceRow` (`pricing_level 'project'`, `pricing_level_id` = the project). Does not throw. */
export function projectPrice(row: CostRow): PriceRow {
  return {
    llm_id: row.llm_id,
    provider_id: row.provider_id,
    effective_date: row.effective_date,
    prompt_token_cost: row.prompt_token_cost,
    completion_token_cost: row.completion_token_cost,
    cache_read_input_token_cost: row.cache_read_input_token_cost ?? 0,
    cache_creation_input_token_cost: row.cache_creation_input_token_cost ?? 0,
    prompt_token_cost_unit: row.prompt_token_cost_unit,
    completion_token_cost_unit: row.completion_token_cost_unit,
    pricing_level: "project",
    pricing_level_id: row.project_id,
    created_by: row.created_by,
    created_at: row.created_at,
  };
}

/**
 * The price a call started at `startedAt` pays (§8.5 step 2, the ClickHouse `ranked_prices` order):
 * prices in force (effective_date ≤ started_at) before future ones, a future price only when nothing
 * else exists; then project before default; then the latest effective_date. Ties keep the first
 * candidate, project rows in creation order. Does not throw; undefined when there are no candidates.
 */
export function pickPrice(candidates: readonly PriceRow[], startedAt: number): PriceRow | undefined {
  let best: PriceRow | undefined;
  let bestKey: [number, number, number] | undefined;
  for (const row of candidates) {
    const key: [number, number, number] = [row.effective_date > startedAt ? 1 : 0, row.pricing_level === "project" ? 0 : 1, -row.effective_date];
    if (!bestKey || key[0] < bestKey[0] || (key[0] === bestKey[0] && (key[1] < bestKey[1] || (key[1] === bestKey[1] && key[2] < bestKey[2])))) {
      best = row;
      bestKey = key;
    }
  }
  return best;
}
