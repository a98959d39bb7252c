/**
 * weft's own operations, beyond Weave's interface, as a table beside `METHODS` (`interface.ts`): for
 * each, its request and response schema. The server's validation, the worker's dispatch and the
 * client's typed methods are all derived from this table, as they are from `METHODS`.
 *
 * A separate table, not more rows in `METHODS`: `METHODS` is Weave's contract and drives the HTTP
 * routes that the official SDK (and a remote Weave server) speak; weft-only operations such as
 * `deleteProject` must never become reachable there by accident. Over the worker boundary they
 * travel through their own entry, `WorkerApi.extension(name, req)` (`transport/protocol.ts`).
 */
import type { z } from "zod";
import * as ext from "./schema/extensions";

/** One row of the extension table. Every extension is unary (none streams). */
export interface ExtensionSpec {
  readonly req: z.ZodType;
  readonly res: z.ZodType;
}

function op<Req extends z.ZodType, Res extends z.ZodType>(req: Req, res: Res) {
  return { req, res };
}

/**
 * The extension table: every weft-only operation. Each one rejects a bad request with `VALIDATION`
 * (issues name the field), a failing IndexedDB with `STORAGE`/`QUOTA_EXCEEDED`, and, through the
 * client, a dead worker with `WORKER_UNAVAILABLE`; other codes are listed per row.
 */
export const EXTENSIONS = {
  /** `{provider: {name, baseUrl, apiKey?, headers?, models?}, persist?, default?}` → the provider, without secrets. */
  setProvider: op(ext.SetProviderReqSchema, ext.SetProviderResSchema),
  /** `{name}` → `{removed}`: whether it was registered. */
  removeProvider: op(ext.RemoveProviderReqSchema, ext.RemoveProviderResSchema),
  /** → `{providers}`, never with keys or header values. */
  listProviders: op(ext.ListProvidersReqSchema, ext.ListProvidersResSchema),
  /** `{project, olderThan, keepLatest?}` → counts of what went (`server/retention/purge.ts`). */
  purge: op(ext.PurgeReqSchema, ext.PurgeResSchema),
  /** `{project}` → counts of what went (`server/retention/delete-project.ts`). */
  deleteProject: op(ext.DeleteProjectReqSchema, ext.DeleteProjectResSchema),
  /** → `{usage, quota, persisted}`, nulls where the worker's realm has no StorageManager. Never rejects for storage. */
  storageInfo: op(ext.StorageInfoReqSchema, ext.StorageInfoResSchema),
} as const satisfies Record<string, ExtensionSpec>;

export type Extensions = typeof EXTENSIONS;
/** Every extension name. */
export type ExtensionName = keyof Extensions;
/** What a caller passes (before validation: `olderThan` may be a `Date`). */
export type ExtensionReq<E extends ExtensionName> = z.input<Extensions[E]["req"]>;
/** A request after validation. */
export type ParsedExtensionReq<E extends ExtensionName> = z.output<Extensions[E]["req"]>;
/** A response. */
export type ExtensionRes<E extends ExtensionName> = z.output<Extensions[E]["res"]>;

/**
 * The extensions as methods: one request object in, a promise out. Extensions whose request has no
 * required field (`listProviders`, `storageInfo`) may be called without an argument.
 * @throws WeftError as listed on `EXTENSIONS`
 */
export type WeftExtensions = {
  [E in ExtensionName]: undefined extends ExtensionReq<E>
    ? (req?: ExtensionReq<E>) => Promise<ExtensionRes<E>>
    : (req: ExtensionReq<E>) => Promise<ExtensionRes<E>>;
};

/** The names in table order. */
export const EXTENSION_NAMES = Object.keys(EXTENSIONS) as ExtensionName[];

/**
 * True when `name` is an extension (an own key of the table, so `"toString"` is not).
 * @throws never
 */
export function isExtensionName(name: string): name is ExtensionName {
  return Object.hasOwn(EXTENSIONS, name);
}
