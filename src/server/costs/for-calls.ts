/**
 * Costs attached to calls at read time (`include_costs`, weave-semantics.md §8.5), as HEAD's in-memory
 * server computes them: per llm in `summary.usage`, the best price (`pickPrice`), token counts
 * normalised, totals multiplied out. Nothing is stored on the call.
 */
import { formatDateTime } from "../../schema/common";
import type { ServerContext } from "../context";
import type { CostRow } from "../db";
import { readIndexRanges, type IndexRangeRead } from "../native-reads";
import { defaultPrices, pickPrice, projectPrice, type PriceRow } from "./prices";

/** The call facts the computation needs. */
export interface CallForCosts {
  id: string;
  /** epoch ms */
  started_at: number;
  /** `summary.usage` as stored: `{llm_id: {prompt_tokens, completion_tokens, …}}`; anything else has no costs. */
  usage: unknown;
}

/** Token counts of one llm, normalised (§8.5 step 1). */
interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  requests: number;
  total_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}

function isDict(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Python `int(value)` where it works, else 0 (Weave's `_safe_int_for_costs`): floats truncate, `"12"` parses. */
function toInt(value: unknown): number {
  if (typeof value === "number") return Number.isFinite(value) ? Math.trunc(value) : 0;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string" && /^\s*[+-]?\d+(?:_\d+)*\s*$/.test(value)) return Number(value.replace(/_/g, ""));
  return 0;
}

/** `summary.usage` per llm: prompt = prompt_tokens + input_tokens, completion = completion_tokens + output_tokens. */
function usageByLlm(usage: unknown): Map<string, Usage> {
  const out = new Map<string, Usage>();
  if (!isDict(usage)) return out;
  for (const [llmId, u] of Object.entries(usage)) {
    if (!isDict(u)) continue;
    out.set(llmId, {
      prompt_tokens: toInt(u.prompt_tokens) + toInt(u.input_tokens),
      completion_tokens: toInt(u.completion_tokens) + toInt(u.output_tokens),
      requests: toInt(u.requests),
      // As reported, never recomputed (ClickHouse does the same).
      total_tokens: toInt(u.total_tokens),
      cache_read_input_tokens: toInt(u.cache_read_input_tokens),
      cache_creation_input_tokens: toInt(u.cache_creation_input_tokens),
    });
  }
  return out;
}

/** One `summary.weave.costs[llm_id]` entry (§8.5 step 4, HEAD's fields and key order). */
function costEntry(u: Usage, price: PriceRow): Record<string, unknown> {
  return {
    prompt_tokens: u.prompt_tokens,
    completion_tokens: u.completion_tokens,
    cache_read_input_tokens: u.cache_read_input_tokens,
    cache_creation_input_tokens: u.cache_creation_input_tokens,
    requests: u.requests,
    total_tokens: u.total_tokens,
    // HEAD bills cached input at the cache rates, so it is taken out of the prompt total (I-07's
    // "legacy" case, where that goes negative, is Weave's behaviour too).
    prompt_tokens_total_cost: (u.prompt_tokens - u.cache_read_input_tokens - u.cache_creation_input_tokens) * price.prompt_token_cost,
    completion_tokens_total_cost: u.completion_tokens * price.completion_token_cost,
    cache_read_input_tokens_total_cost: u.cache_read_input_tokens * price.cache_read_input_token_cost,
    cache_creation_input_tokens_total_cost: u.cache_creation_input_tokens * price.cache_creation_input_token_cost,
    prompt_token_cost: price.prompt_token_cost,
    completion_token_cost: price.completion_token_cost,
    cache_read_input_token_cost: price.cache_read_input_token_cost,
    cache_creation_input_token_cost: price.cache_creation_input_token_cost,
    prompt_token_cost_unit: price.prompt_token_cost_unit,
    completion_token_cost_unit: price.completion_token_cost_unit,
    effective_date: formatDateTime(price.effective_date),
    provider_id: price.provider_id,
    pricing_level: price.pricing_level,
    pricing_level_id: price.pricing_level_id,
    created_at: formatDateTime(price.created_at),
    created_by: price.created_by,
  };
}

/** What `costsForCalls` reads, and what it makes of the rows: a caller may read them with others. */
export interface CostsPlan {
  /** The project's price rows of each llm the calls name (empty when none names one). */
  reads: IndexRangeRead[];
  /** The costs from `rows`, the results of `reads` in order. */
  finish(rows: CostRow[][]): Promise<Map<string, Record<string, unknown>>>;
}

/**
 * Plans `costsForCalls`: one range per llm named in the calls' `summary.usage` (a page names one or
 * a few; `anyOf` would walk a cursor, one round trip to the storage backend per step).
 */
export function planCosts(projectId: string, calls: CallForCosts[]): CostsPlan {
  const usages = calls.map((call) => usageByLlm(call.usage));
  const llmIds = new Set(usages.flatMap((u) => [...u.keys()]));
  if (llmIds.size === 0) return { reads: [], finish: async () => new Map() };
  // Loaded once per worker; started now so it overlaps the reads.
  const defaultsLoaded = defaultPrices();
  return {
    reads: [...llmIds].map((llm) => ({ store: "costs", index: "[project_id+llm_id]", lower: [projectId, llm], upper: [projectId, llm] })),
    async finish(perLlm) {
      const defaults = await defaultsLoaded;
      const out = new Map<string, Record<string, unknown>>();
      const rows = perLlm.flat();
      const candidates = new Map<string, PriceRow[]>();
      // Primary-key order within an llm is uuidv7 order, i.e. creation order: the tie-break of pickPrice.
      rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      for (const row of rows) {
        const list = candidates.get(row.llm_id);
        if (list) list.push(projectPrice(row));
        else candidates.set(row.llm_id, [projectPrice(row)]);
      }
      calls.forEach((call, i) => {
        const costs: Record<string, unknown> = {};
        for (const [llmId, usage] of usages[i] ?? []) {
          const price = pickPrice([...(candidates.get(llmId) ?? []), ...(defaults.get(llmId) ?? [])], call.started_at);
          if (price) costs[llmId] = costEntry(usage, price);
        }
        if (Object.keys(costs).length > 0) out.set(call.id, costs);
      });
      return out;
    },
  };
}

/**
 * `summary.weave.costs` for each call that has a price for at least one llm of its `summary.usage`:
 * `{[llm_id]: entry}` (§8.5). Calls without usage, or whose llms have no price, are absent from the
 * map (Weave then leaves `summary.weave.costs` unset, I-02). Candidates are the project's rows for
 * those llms (one indexed read per llm for the whole page, in one transaction) and the bundled defaults.
 * @throws WeftError STORAGE when IndexedDB fails.
 */
export async function costsForCalls(ctx: ServerContext, projectId: string, calls: CallForCosts[]): Promise<Map<string, Record<string, unknown>>> {
  const plan = planCosts(projectId, calls);
  return plan.finish(await readIndexRanges<CostRow>(ctx.db, plan.reads));
}
