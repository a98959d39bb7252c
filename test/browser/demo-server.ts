/**
 * The demo as `npm run demo` serves it (the repository's `vite.config.ts`, so the same
 * Content-Security-Policy header), plus a Chromium to look at it. Differences from the command, all
 * for tests: 127.0.0.1 with a free port, no HMR or file watcher (others edit the tree while tests
 * run), and no mid-test dependency discovery (a newly found dependency makes Vite reload the page
 * under a running test).
 */
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { createServer, type ViteDevServer } from "vite";
import { REPO_ROOT } from "./harness";

/** Every bare import the demo page and its worker reach, pre-bundled up front. */
const DEPS = [
  "preact",
  "preact/hooks",
  "@tanstack/virtual-core",
  "uplot",
  "dexie",
  "comlink",
  "zod",
  "uuid",
  "emoji-regex",
  "@cfworker/json-schema",
  "@noble/hashes/sha2.js",
  "@noble/hashes/utils.js",
];

export interface Demo {
  /** Base URL ending in `/`, e.g. `http://127.0.0.1:41234/`. */
  url: string;
  server: ViteDevServer;
  browser: Browser;
  /** A fresh profile (empty IndexedDB); pages in one context share the demo's database. */
  newContext(): Promise<BrowserContext>;
  /** Opens the demo (`search` is a query string such as `?status=error`) and waits until it shows data. */
  open(context: BrowserContext, search?: string): Promise<Page>;
  close(): Promise<void>;
}

interface FindChromiumModule {
  findChromium(options?: { install?: boolean }): string;
  CHROMIUM_ARGS: readonly string[];
}

async function startViteDemo(): Promise<{ server: ViteDevServer; url: string }> {
  const server = await createServer({
    configFile: join(REPO_ROOT, "vite.config.ts"),
    // Under vitest the config's own demo switch is off (it sees VITEST), so name the demo root here.
    root: join(REPO_ROOT, "demo"),
    mode: "development",
    logLevel: "warn",
    clearScreen: false,
    cacheDir: join(REPO_ROOT, "node_modules/.vite", "demo-test"),
    optimizeDeps: { noDiscovery: true, include: DEPS },
    server: { host: "127.0.0.1", port: 0, strictPort: true, hmr: false, watch: null },
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === "string") {
    await server.close();
    throw new Error("The demo's Vite server did not report a TCP address");
  }
  return { server, url: `http://127.0.0.1:${address.port}/` };
}

/**
 * Starts the demo server and a headless Chromium (found as the browser harness finds it).
 * @throws Error when no Chromium is found or Vite cannot start
 */
export async function startDemo(): Promise<Demo> {
  const href = new URL("../../scripts/find-chromium.mjs", import.meta.url).href;
  const { findChromium, CHROMIUM_ARGS } = (await import(/* @vite-ignore */ href)) as FindChromiumModule;
  const executablePath = findChromium({ install: false });
  const { server, url } = await startViteDemo();
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS], headless: true, timeout: 60_000 });
  } catch (error) {
    await server.close();
    throw error;
  }
  return {
    url,
    server,
    browser,
    newContext: () => browser.newContext({ viewport: { width: 1440, height: 900 } }),
    async open(context, search = "") {
      const page = await context.newPage();
      page.on("pageerror", (error) => process.stderr.write(`[demo page error] ${error.stack ?? error.message}\n`));
      await page.goto(`${url}${search}`, { waitUntil: "load" });
      await page.evaluate(() => (globalThis as { weftDemo?: { ready: Promise<void> } }).weftDemo?.ready);
      return page;
    },
    async close() {
      await browser.close().catch(() => undefined);
      await server.close();
    },
  };
}
