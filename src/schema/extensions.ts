/**
 * Schemas of weft's own operations, beyond Weave's interface (`src/extensions.ts`): LLM provider
 * configuration for `completions_create`, retention (`purge`, `deleteProject`) and storage facts.
 * Weave has no such methods, so the names are weft's (camelCase); the counts they report use the
 * snake_case of Weave's responses.
 */
import { z } from "zod";
import { DateTimeSchema, ProjectIdSchema } from "./common";

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "http:" || url.protocol === "https:") && url.search === "" && url.hash === "";
  } catch {
    return false;
  }
}

/**
 * One OpenAI-compatible provider. `name` may not contain `/` or `:` so that `<provider>/<model>` and
 * `custom::<provider>::<model>` split unambiguously; `baseUrl` is what an OpenAI client takes
 * (`https://api.openai.com/v1`), without query or fragment; a trailing `/` is dropped.
 */
export const ProviderConfigSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "must be letters, digits, '.', '_' or '-' (no '/' or ':')"),
  baseUrl: z
    .string()
    .refine(isHttpUrl, "must be an http(s) URL without query or fragment, e.g. https://api.openai.com/v1")
    .transform((url) => url.replace(/\/+$/, "")),
  apiKey: z.string().min(1, "must not be empty (omit it for a provider without a key)").optional(),
  /** Sent with every request to this provider (e.g. `api-key` for Azure); may hold secrets too. */
  headers: z.record(z.string(), z.string()).optional(),
  /** Bare model names routed to this provider (routing only: other models may still be asked for by prefix). */
  models: z.array(z.string().min(1)).optional(),
});
/** A provider as given to `setProvider` (before the trailing-slash trim). */
export type ProviderConfigInput = z.input<typeof ProviderConfigSchema>;
/** A provider as stored, key included: only `server/providers.ts` and its callers see it. */
export type ProviderConfig = z.output<typeof ProviderConfigSchema>;

/** What is told about a provider: everything but secret values (no key, no header values). */
export const ProviderInfoSchema = z.object({
  name: z.string(),
  baseUrl: z.string(),
  hasKey: z.boolean(),
  /** Names of the extra headers (values are withheld: they may be credentials). */
  headerNames: z.array(z.string()),
  models: z.array(z.string()),
  /** True when the provider is stored in IndexedDB and comes back after a restart. */
  persisted: z.boolean(),
  /** True when bare model names nobody lists go to this provider. */
  isDefault: z.boolean(),
});
export type ProviderInfo = z.infer<typeof ProviderInfoSchema>;

/** A request without fields: `{}` or nothing at all. */
const NoFieldsSchema = z.strictObject({}).optional();

/**
 * `setProvider`: adds or replaces a provider. `persist: true` writes it, key included, to this
 * database (default: memory only); `default: true` makes it the provider for bare model names.
 */
export const SetProviderReqSchema = z.strictObject({
  provider: ProviderConfigSchema,
  persist: z.boolean().optional(),
  default: z.boolean().optional(),
});
export type SetProviderReq = z.infer<typeof SetProviderReqSchema>;
/** `setProvider` response: the provider as `listProviders` shows it. */
export const SetProviderResSchema = ProviderInfoSchema;

/** `removeProvider`: forgets a provider (and its persisted copy). */
export const RemoveProviderReqSchema = z.strictObject({ name: z.string().min(1, "must name a provider") });
export type RemoveProviderReq = z.infer<typeof RemoveProviderReqSchema>;
/** `removeProvider` response: whether the provider was registered. */
export const RemoveProviderResSchema = z.object({ removed: z.boolean() });
export type RemoveProviderRes = z.infer<typeof RemoveProviderResSchema>;

/** `listProviders`: no fields. */
export const ListProvidersReqSchema = NoFieldsSchema;
/** `listProviders` response: every provider in registration order, without secret values. */
export const ListProvidersResSchema = z.object({ providers: z.array(ProviderInfoSchema) });
export type ListProvidersRes = z.infer<typeof ListProvidersResSchema>;

const Count = z.number().int().nonnegative();

/**
 * `purge`: hard-deletes every trace of `project` whose root call started before `olderThan`, the
 * feedback on those calls, then the objects, tables, rows and files only they referenced.
 * `keepLatest: true` also keeps the latest version of every object and op (and what it references)
 * even when only purged traces used it.
 */
export const PurgeReqSchema = z.strictObject({
  project: ProjectIdSchema,
  olderThan: DateTimeSchema,
  keepLatest: z.boolean().optional(),
});
export type PurgeReq = z.output<typeof PurgeReqSchema>;
/** `purge` response: what was hard-deleted, by kind (object and op versions both count as objects). */
export const PurgeResSchema = z.object({
  traces_deleted: Count,
  calls_deleted: Count,
  feedback_deleted: Count,
  objects_deleted: Count,
  tables_deleted: Count,
  rows_deleted: Count,
  files_deleted: Count,
});
export type PurgeRes = z.infer<typeof PurgeResSchema>;

/** `deleteProject`: removes every row of `project` from every store. */
export const DeleteProjectReqSchema = z.strictObject({ project: ProjectIdSchema });
export type DeleteProjectReq = z.infer<typeof DeleteProjectReqSchema>;
/** `deleteProject` response: how many rows of each kind went. */
export const DeleteProjectResSchema = z.object({
  calls_deleted: Count,
  feedback_deleted: Count,
  objects_deleted: Count,
  tables_deleted: Count,
  rows_deleted: Count,
  files_deleted: Count,
  costs_deleted: Count,
});
export type DeleteProjectRes = z.infer<typeof DeleteProjectResSchema>;

/** `storageInfo`: no fields. */
export const StorageInfoReqSchema = NoFieldsSchema;
/**
 * Bytes used and available to this origin (`navigator.storage.estimate()`) and whether its storage
 * is persistent (`navigator.storage.persisted()`); each is null where the realm lacks the API.
 */
export const StorageInfoResSchema = z.object({
  usage: z.number().nullable(),
  quota: z.number().nullable(),
  persisted: z.boolean().nullable(),
});
export type StorageInfoRes = z.infer<typeof StorageInfoResSchema>;
