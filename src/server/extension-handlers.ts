/**
 * Which module serves which weft-only operation (the table is `src/extensions.ts`). Like `HANDLERS`,
 * each handler takes a validated request; validation, error conversion and the public surface are
 * done once, in `local-trace-server.ts`.
 */
import type { ExtensionName, ExtensionRes, ParsedExtensionReq } from "../extensions";
import type { HandlerContext } from "./handlers";
import type { SetProviderOptions } from "./providers";
import { storageInfo, type Retention } from "./retention";

/** What extension handlers get: the handlers' context plus the server's retention state. */
export type ExtensionContext = HandlerContext & { readonly retention: Retention };

/** A handler: a validated request in, the response out (errors are converted by the server). */
export type ExtensionHandler<E extends ExtensionName> = (ctx: ExtensionContext, req: ParsedExtensionReq<E>) => Promise<ExtensionRes<E>>;

/** Extensions that use the provider registry: they wait for persisted providers to load first. */
export const PROVIDER_EXTENSIONS: ReadonlySet<ExtensionName> = new Set(["setProvider", "removeProvider", "listProviders"]);

/**
 * The handler of every extension (all of them: the table and this map must agree, which the type
 * checks). Handlers throw what the modules they call throw; the server turns it into a `WeftError`.
 */
export const EXTENSION_HANDLERS: { [E in ExtensionName]: ExtensionHandler<E> } = {
  setProvider: (ctx, req) => {
    const options: SetProviderOptions = {};
    if (req.persist !== undefined) options.persist = req.persist;
    if (req.default !== undefined) options.default = req.default;
    return ctx.providers.set(req.provider, options);
  },
  removeProvider: async (ctx, req) => ({ removed: await ctx.providers.remove(req.name) }),
  listProviders: async (ctx) => ({ providers: ctx.providers.list() }),
  purge: (ctx, req) => ctx.retention.purge(ctx, req),
  deleteProject: (ctx, req) => ctx.retention.deleteProject(ctx, req),
  storageInfo: () => storageInfo(),
};
