/**
 * One config, three uses:
 * - `npm run build`: the library, two ESM entries (`dist/index.js`, `dist/worker.js`), runtime
 *   dependencies left as imports for the user's bundler.
 * - `npm run demo`: the dev server for `demo/`, under a Content-Security-Policy without inline script.
 * - vitest: two projects, `unit` (Node + fake-indexeddb) and `browser` (Node driving real Chromium
 *   through `test/browser/harness.ts`, which runs its own Vite server with `configFile: false`).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const repoRoot = fileURLToPath(new URL(".", import.meta.url));
const fromRoot = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

const pkg = JSON.parse(readFileSync(fromRoot("package.json"), "utf8")) as { dependencies?: Record<string, string> };
// Every runtime dependency (dexie, comlink, zod, …) and its subpaths stays external: bundling
// Dexie twice would give an app two IndexedDB wrappers that disagree about open connections.
const external = Object.keys(pkg.dependencies ?? {}).map((name) => new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}(/.*)?$`));

/**
 * No inline script, anywhere. Vite's dev client is an external module (`/@vite/client`) and its HMR
 * socket is same-origin, so the demo works in dev under this policy; Vite injects CSS as <style>
 * elements, hence 'unsafe-inline' for styles only. connect-src allows a Weave server on localhost
 * (export). ws: sources are listed because some browsers do not match ws: against 'self'.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self' http://127.0.0.1:* http://localhost:* ws://127.0.0.1:* ws://localhost:*",
  "object-src 'none'",
  "base-uri 'self'",
].join("; ");

export default defineConfig(({ command }) => {
  const isTest = process.env.VITEST !== undefined;
  const isDemo = command === "serve" && !isTest;
  return {
    root: isDemo ? fromRoot("demo") : repoRoot,
    // The demo imports the package from ../src; allow the whole repository, nothing outside it.
    server: { headers: { "Content-Security-Policy": CONTENT_SECURITY_POLICY }, fs: { allow: [repoRoot] } },
    preview: { headers: { "Content-Security-Policy": CONTENT_SECURITY_POLICY } },
    build: {
      outDir: fromRoot("dist"),
      emptyOutDir: true,
      target: "es2022",
      sourcemap: true,
      minify: false,
      lib: {
        entry: { index: fromRoot("src/index.ts"), worker: fromRoot("src/worker/index.ts") },
        formats: ["es"],
        fileName: (_format, entryName) => `${entryName}.js`,
      },
      rolldownOptions: { external },
    },
    test: {
      projects: [
        {
          test: {
            name: "unit",
            root: repoRoot,
            environment: "node",
            include: ["test/unit/**/*.test.ts"],
          },
        },
        {
          test: {
            name: "browser",
            root: repoRoot,
            environment: "node",
            include: ["test/browser/**/*.test.ts"],
            // Starting Vite + Chromium on 2 busy cores can take a while; never a timing assertion.
            testTimeout: 60_000,
            hookTimeout: 120_000,
            // One Chromium at a time: the machines that run this have 2 cores.
            fileParallelism: false,
          },
        },
      ],
    },
  };
});
