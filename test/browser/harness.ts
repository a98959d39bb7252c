/**
 * The browser-test harness: a Vite dev server for a folder of pages plus a real Chromium driven by
 * Playwright. Every browser test file starts one in `beforeAll` and closes it in `afterAll`:
 *
 * ```ts
 * let h: Harness;
 * beforeAll(async () => { h = await startHarness(); });
 * afterAll(async () => { await h?.close(); });
 * ```
 *
 * Profiles: `newPage()` opens pages in one shared browser context, so they share IndexedDB (and
 * `reload()` keeps it); `newContext()` is a fresh profile with empty storage. By default contexts
 * are Chromium's off-the-record kind, whose IndexedDB lives in memory: fine for behaviour, not for
 * timing. The benchmarks pass `persistentProfile: true` to get on-disk profiles instead.
 *
 * Pages import repository code by relative path (`../../../src/worker/index`): `server.fs.allow`
 * includes the repository root. A root-absolute `/src/...` would resolve against the pages folder.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { createServer, type ViteDevServer } from "vite";

/** The repository root (this file is `test/browser/harness.ts`). */
export const REPO_ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..");

/** The default pages folder: `test/browser/pages`. */
export const TEST_PAGES_ROOT = join(REPO_ROOT, "test/browser/pages");

/** What `scripts/find-chromium.mjs` exports that we use (it is plain JS, so typed here). */
interface FindChromiumModule {
  findChromium(options?: { install?: boolean }): string;
  CHROMIUM_ARGS: readonly string[];
}

export interface HarnessOptions {
  /** Folder served as the Vite root. Default: `test/browser/pages`. */
  root?: string;
  /**
   * On-disk profiles: the default context and every `newContext()` get their own temp user-data dir
   * (and browser process), deleted when the context closes, so IndexedDB hits disk as it does for
   * users. Default false: off-the-record contexts in one browser, IndexedDB in memory.
   */
  persistentProfile?: boolean;
  /** Forward every page console message to stderr (also on with env `WEFT_DEBUG=1`). */
  debug?: boolean;
  /**
   * Serve every page cross-origin isolated (COOP `same-origin` + COEP `require-corp`). Chromium then
   * gives `performance.now()` 5 µs resolution instead of 100 µs, which the benchmarks need: their
   * reads take about a millisecond. Default false.
   */
  crossOriginIsolated?: boolean;
}

export interface Harness {
  /** Base URL of the dev server, ending in `/`, e.g. `http://127.0.0.1:41234/`. */
  url: string;
  browser: Browser;
  /** The shared context that `newPage()` uses by default. */
  context: BrowserContext;
  /**
   * Opens `path` (relative to the pages root, default `/`) and waits until the page is ready: its
   * `load` event, then the `harnessReady` promise if the page script set one. Uncaught page errors
   * are printed to stderr (a test that cares should assert on them through the page).
   */
  newPage(path?: string, context?: BrowserContext): Promise<Page>;
  /**
   * A fresh profile with empty IndexedDB, of the same kind as the default one (on-disk with
   * `persistentProfile`). Close it when done to free it early; `close()` closes the rest.
   */
  newContext(): Promise<BrowserContext>;
  /** Reloads `page` in its own context (IndexedDB kept) and waits for it to be ready again. */
  reload(page: Page): Promise<void>;
  /** Closes contexts, the browser and the dev server. Safe to call twice. */
  close(): Promise<void>;
}

/** The global a page script may set to say when it has finished starting (workers up, etc.). */
export interface HarnessPageGlobals {
  harnessReady?: Promise<unknown>;
}

const LAUNCH_TIMEOUT_MS = 60_000;

/** Deletes a temp profile directory; a failure is reported, never thrown (it is only /tmp litter). */
async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }).catch((error: unknown) => {
    process.stderr.write(`[harness] could not delete ${dir}: ${String(error)}\n`);
  });
}

/** Resolves when `browser` has disconnected (its process is gone), or after 10 s at most. */
function exited(browser: Browser | null): Promise<void> {
  if (!browser?.isConnected()) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 10_000);
    browser.once("disconnected", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function loadFindChromium(): Promise<FindChromiumModule> {
  // A computed specifier: the module is plain JS without type declarations, so we type it above.
  const href = new URL("../../scripts/find-chromium.mjs", import.meta.url).href;
  return (await import(/* @vite-ignore */ href)) as FindChromiumModule;
}

const ISOLATION_HEADERS = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };

async function startViteServer(root: string, isolated: boolean): Promise<{ server: ViteDevServer; url: string }> {
  const server = await createServer({
    configFile: false, // the repo's vite.config.ts is for the demo and the library build
    root,
    logLevel: "warn",
    clearScreen: false,
    // One optimizer cache per pages folder, so tests, benchmarks and the demo never share one.
    cacheDir: join(REPO_ROOT, "node_modules/.vite", `harness-${relative(REPO_ROOT, root).replace(/[\\/.]+/g, "-")}`),
    optimizeDeps: {
      // No discovery: a dependency found mid-test would make Vite re-optimize and reload the page.
      noDiscovery: true,
      include: ["dexie", "comlink", "zod"],
    },
    server: {
      host: "127.0.0.1",
      port: 0,
      strictPort: true,
      // Others edit the tree while tests run: no HMR reloads and no watcher under a running test.
      hmr: false,
      watch: null,
      fs: { strict: true, allow: [REPO_ROOT] },
      ...(isolated ? { headers: ISOLATION_HEADERS } : {}),
    },
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === "string") {
    await server.close();
    throw new Error("Vite dev server did not report a TCP address");
  }
  return { server, url: `http://127.0.0.1:${address.port}/` };
}

/**
 * Starts a dev server for `options.root` and launches Chromium.
 * @throws {Error} when no Chromium is found (the message says how to get one) or it fails to start.
 */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const root = options.root ?? TEST_PAGES_ROOT;
  const debug = options.debug ?? process.env.WEFT_DEBUG === "1";
  const { findChromium, CHROMIUM_ARGS } = await loadFindChromium();
  // `npm test` has already found (or installed) one and put it in CHROMIUM_PATH; a bare
  // `npx vitest` finds one here but never installs.
  const executablePath = findChromium({ install: false });

  const { server, url } = await startViteServer(root, options.crossOriginIsolated ?? false);
  const launchOptions = { executablePath, args: [...CHROMIUM_ARGS], headless: true, timeout: LAUNCH_TIMEOUT_MS };
  // Every context we opened, and the temp profile directory behind each on-disk one.
  const contexts: BrowserContext[] = [];
  const cleanups: Array<Promise<unknown>> = [];
  let browser: Browser | null = null;

  /** A fresh profile: an on-disk one in its own browser process, or an off-the-record context. */
  const openProfile = async (): Promise<BrowserContext> => {
    if (!options.persistentProfile) {
      browser ??= await chromium.launch(launchOptions);
      const fresh = await browser.newContext();
      contexts.push(fresh);
      return fresh;
    }
    const dir = await mkdtemp(join(tmpdir(), "weft-profile-"));
    let fresh: BrowserContext;
    try {
      fresh = await chromium.launchPersistentContext(dir, launchOptions);
    } catch (error) {
      await removeDir(dir);
      throw error;
    }
    // The profile can be large (benchmarks): delete it as soon as its browser has exited. The
    // context's `close` comes first, and Chromium still writes to the profile while it shuts down.
    const owner = fresh.browser();
    fresh.once("close", () => cleanups.push(exited(owner).then(() => removeDir(dir))));
    contexts.push(fresh);
    return fresh;
  };

  let context: BrowserContext;
  try {
    context = await openProfile();
    browser ??= context.browser();
    if (!browser) throw new Error("Playwright returned a persistent context without its browser");
  } catch (error) {
    await server.close();
    await Promise.all(cleanups);
    throw error;
  }
  const mainBrowser = browser;

  const watch = (page: Page): void => {
    page.on("pageerror", (error) => process.stderr.write(`[page error] ${page.url()}: ${error.stack ?? error.message}\n`));
    if (debug) page.on("console", (msg) => process.stderr.write(`[page ${msg.type()}] ${msg.text()}\n`));
  };

  const waitReady = async (page: Page): Promise<void> => {
    await page.evaluate(() => (globalThis as HarnessPageGlobals).harnessReady);
  };

  let closed = false;
  return {
    url,
    browser: mainBrowser,
    context,
    async newPage(path = "/", inContext = context) {
      const page = await inContext.newPage();
      watch(page);
      await page.goto(new URL(path.replace(/^\//, ""), url).href, { waitUntil: "load" });
      await waitReady(page);
      return page;
    },
    newContext: openProfile,
    async reload(page) {
      await page.reload({ waitUntil: "load" });
      await waitReady(page);
    },
    async close() {
      if (closed) return;
      closed = true;
      // Contexts first (newest first), so IndexedDB connections end before browsers and server go.
      for (const ctx of contexts.reverse()) await ctx.close().catch(() => undefined);
      await browser?.close().catch(() => undefined);
      await server.close();
      await Promise.all(cleanups);
    },
  };
}
