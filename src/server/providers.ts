/**
 * The LLM providers `completions_create` may call (weave-semantics.md §9). Weave looks the model up in
 * a bundled model → provider map and fetches the API key from the user's W&B secrets; weft has neither,
 * so each server holds a small registry of OpenAI-compatible providers instead: `{name, baseUrl,
 * apiKey?, headers?, models?}`.
 *
 * Keys are secrets. They live in this module only: `list()` and `get()` say `hasKey` and name the
 * headers but never return their values, so nothing that crosses the worker boundary can carry one.
 * A provider is written to IndexedDB (store `meta`, key `provider:<name>`) only when the caller asks
 * with `{persist: true}`; otherwise its key exists in memory and is gone when the server is.
 */
import { fromZodError, WeftError } from "../errors";
import { ProviderConfigSchema, type ProviderConfig, type ProviderConfigInput, type ProviderInfo } from "../schema/extensions";
import type { ServerContext } from "./context";
import type { WeftDb } from "./db";

/** Prefix of the `meta` keys that hold persisted providers. */
export const PROVIDER_META_PREFIX = "provider:";
/** `meta` key naming the persisted default provider. */
export const DEFAULT_PROVIDER_META_KEY = "provider-default";

// The provider's shape is part of the `setProvider` extension's request: one schema, in
// `schema/extensions.ts`, re-exported here for the server's own callers.
export { ProviderConfigSchema } from "../schema/extensions";
export type { ProviderConfig, ProviderConfigInput, ProviderInfo } from "../schema/extensions";

/**
 * The context the LLM handlers need: a server context with its provider registry. (Once
 * `ServerContext` carries `providers` itself this is the same type.)
 */
export type ProviderContext = ServerContext & { readonly providers: ProviderRegistry };

/** Options of `ProviderRegistry.set`. */
export interface SetProviderOptions {
  /** Write the provider, key included, to IndexedDB (default false: memory only). */
  persist?: boolean;
  /** Make it the default provider for bare model names. */
  default?: boolean;
}

interface Entry {
  config: ProviderConfig;
  persisted: boolean;
}

/** A chosen provider and the model name as that provider expects it. */
export interface ProviderRoute {
  provider: Readonly<ProviderConfig>;
  model: string;
}

// Keys stay out of the class's own properties so that no structured clone, JSON.stringify or
// accidental `expose` of a registry instance can carry them anywhere.
const ENTRIES = new WeakMap<ProviderRegistry, Map<string, Entry>>();

function entriesOf(registry: ProviderRegistry): Map<string, Entry> {
  const entries = ENTRIES.get(registry);
  if (!entries) throw new WeftError("INTERNAL", "Internal error: provider registry was not initialised");
  return entries;
}

function parseConfig(provider: unknown): ProviderConfig {
  const parsed = ProviderConfigSchema.safeParse(provider);
  if (!parsed.success) throw fromZodError(parsed.error, "provider");
  return parsed.data;
}

/**
 * The providers of one server, in memory; persisted ones are also in the `meta` store of `db`.
 * Created per server (`ServerContext.providers`); `loadPersistedProviders` fills it at startup.
 */
export class ProviderRegistry {
  readonly #db: WeftDb;
  #defaultName: string | undefined;

  /** @param db the server's database, where `{persist: true}` providers are written. */
  constructor(db: WeftDb) {
    this.#db = db;
    ENTRIES.set(this, new Map());
  }

  /**
   * Adds or replaces a provider. Without `persist`, any copy stored earlier under the same name is
   * deleted, so an old key does not linger on disk.
   * @returns the provider as `list()` shows it.
   * @throws WeftError VALIDATION (bad name, base URL, key or headers); STORAGE / QUOTA_EXCEEDED when persisting.
   */
  async set(provider: ProviderConfigInput, options: SetProviderOptions = {}): Promise<ProviderInfo> {
    const config = parseConfig(provider);
    const persist = options.persist === true;
    const db = this.#db;
    await db.transaction("rw", db.meta, async () => {
      const key = PROVIDER_META_PREFIX + config.name;
      if (persist) await db.meta.put({ key, value: config });
      else await db.meta.delete(key);
      if (options.default === true) {
        if (persist) await db.meta.put({ key: DEFAULT_PROVIDER_META_KEY, value: config.name });
        else await db.meta.delete(DEFAULT_PROVIDER_META_KEY);
      }
    });
    entriesOf(this).set(config.name, { config, persisted: persist });
    if (options.default === true) this.#defaultName = config.name;
    return this.info(config.name) as ProviderInfo;
  }

  /**
   * Forgets a provider, in memory and in IndexedDB.
   * @returns whether it was registered.
   * @throws WeftError STORAGE when IndexedDB fails.
   */
  async remove(name: string): Promise<boolean> {
    const db = this.#db;
    const wasDefault = this.#defaultName === name;
    await db.transaction("rw", db.meta, async () => {
      await db.meta.delete(PROVIDER_META_PREFIX + name);
      if (wasDefault) await db.meta.delete(DEFAULT_PROVIDER_META_KEY);
    });
    if (wasDefault) this.#defaultName = undefined;
    return entriesOf(this).delete(name);
  }

  /** Every provider, in registration order, without secret values. */
  list(): ProviderInfo[] {
    return [...entriesOf(this).keys()].map((name) => this.info(name) as ProviderInfo);
  }

  /** One provider without secret values, or undefined. */
  get(name: string): ProviderInfo | undefined {
    return this.info(name);
  }

  /**
   * The provider bare model names fall back to: the one marked default, else the only provider when
   * exactly one is registered (so a single-provider setup needs no extra step), else none.
   */
  defaultProvider(): string | undefined {
    const entries = entriesOf(this);
    if (this.#defaultName !== undefined && entries.has(this.#defaultName)) return this.#defaultName;
    return entries.size === 1 ? [...entries.keys()][0] : undefined;
  }

  /** Restores a persisted provider (used by `loadPersistedProviders`). */
  restore(config: ProviderConfig, isDefault: boolean): void {
    entriesOf(this).set(config.name, { config, persisted: true });
    if (isDefault) this.#defaultName = config.name;
  }

  private info(name: string): ProviderInfo | undefined {
    const entry = entriesOf(this).get(name);
    if (!entry) return undefined;
    const { config } = entry;
    return {
      name: config.name,
      baseUrl: config.baseUrl,
      hasKey: config.apiKey !== undefined,
      headerNames: Object.keys(config.headers ?? {}),
      models: [...(config.models ?? [])],
      persisted: entry.persisted,
      isDefault: this.defaultProvider() === config.name,
    };
  }
}

function unknownModel(model: string, why: string): WeftError {
  return new WeftError("VALIDATION", `No provider for model "${model}": ${why}`, {
    issues: [{ path: "inputs.model", message: why }],
    model,
  });
}

/**
 * Picks the provider for `model` (weave-semantics.md §9): `custom::<provider>::<model>` (Weave's
 * custom-provider form) and `<provider>/<model>` name a registered provider and are sent as `<model>`;
 * a `<prefix>/…` whose prefix is no provider's name is an ordinary model id (many providers use
 * `org/model` ids). Any other name goes to the first provider whose `models` lists it, else to the
 * default provider, and is sent as given.
 * @returns the provider, key included, and the model name to send. Server-internal: never return it to a caller.
 * @throws WeftError VALIDATION naming the model when no provider matches.
 */
export function providerForModel(registry: ProviderRegistry, model: string): ProviderRoute {
  const entries = entriesOf(registry);
  if (model.startsWith("custom::")) {
    const [, name, ...rest] = model.split("::");
    const remote = rest.join("::");
    if (!name || !remote) throw unknownModel(model, 'expected "custom::<provider>::<model>"');
    const entry = entries.get(name);
    if (!entry) throw unknownModel(model, `no provider named "${name}" is registered`);
    return { provider: entry.config, model: remote };
  }
  const slash = model.indexOf("/");
  if (slash > 0) {
    const entry = entries.get(model.slice(0, slash));
    if (entry && slash < model.length - 1) return { provider: entry.config, model: model.slice(slash + 1) };
  }
  for (const entry of entries.values()) {
    if (entry.config.models?.includes(model)) return { provider: entry.config, model };
  }
  const fallback = registry.defaultProvider();
  const entry = fallback === undefined ? undefined : entries.get(fallback);
  if (!entry) {
    const why =
      entries.size === 0
        ? "no provider is registered; add one with providers.set({name, baseUrl, apiKey})"
        : `no provider lists it in "models" and there is no default provider; use "<provider>/${model}" or set a default`;
    throw unknownModel(model, why);
  }
  return { provider: entry.config, model };
}

/**
 * Fills `ctx.providers` with the providers persisted in the `meta` store (and the persisted default).
 * Rows that no longer validate (written by a future version, or edited by hand) are skipped rather
 * than failing the server's startup.
 * @returns the names restored.
 * @throws WeftError STORAGE when IndexedDB fails.
 */
export async function loadPersistedProviders(ctx: ProviderContext): Promise<string[]> {
  const [rows, defaultRow] = await Promise.all([
    ctx.db.meta.where("key").startsWith(PROVIDER_META_PREFIX).toArray(),
    ctx.db.meta.get(DEFAULT_PROVIDER_META_KEY),
  ]);
  const restored: string[] = [];
  for (const row of rows) {
    const parsed = ProviderConfigSchema.safeParse(row.value);
    if (!parsed.success || PROVIDER_META_PREFIX + parsed.data.name !== row.key) continue;
    ctx.providers.restore(parsed.data, defaultRow?.value === parsed.data.name);
    restored.push(parsed.data.name);
  }
  return restored;
}
