#!/usr/bin/env node
/**
 * `npm run bench [-- --quick] [-- --name <name>] [-- --only <id part>]`: the benchmarks in real Chromium. Finds (or, as
 * root on Debian, installs) Chromium like `npm test`, then loads the TypeScript driver bench/run.ts
 * through Vite's module runner and runs it. Results: bench/results/<name>.json, bench/results/README.md
 * and the table between the bench markers in README.md. `--only` runs the workloads whose id contains
 * the text (or one of its comma-separated parts) and writes only bench/results/<name>.json (default `dev`), for working on one workload.
 */
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { createServer } from "vite";
import { findChromium } from "./find-chromium.mjs";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const valued = ["--name", "--only"];
const valueOf = (flag) => {
  const at = args.indexOf(flag);
  return at >= 0 ? (args[at + 1] ?? "") : undefined;
};
const name = valueOf("--name");
const only = valueOf("--only");
const unknown = args.filter((a, i) => a !== "--quick" && !valued.includes(a) && !valued.includes(args[i - 1] ?? ""));
if (unknown.length > 0 || name === "" || only === "") {
  console.error(`usage: npm run bench [-- --quick] [-- --name <results name>] [-- --only <workload id part>]   (got: ${args.join(" ")})`);
  process.exit(2);
}

let chromiumPath;
try {
  chromiumPath = findChromium({ install: true });
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
process.env.CHROMIUM_PATH = chromiumPath;

// A server only to run bench/run.ts (TypeScript) in Node; the pages get their own server from the harness.
const runner = await createServer({
  configFile: false,
  root: repoRoot,
  logLevel: "error",
  appType: "custom",
  cacheDir: join(repoRoot, "node_modules/.vite/bench-runner"),
  optimizeDeps: { noDiscovery: true, include: [] },
  server: { middlewareMode: true, hmr: false, watch: null },
});
let exitCode = 0;
try {
  const { runBench } = await runner.ssrLoadModule("/bench/run.ts");
  await runBench({ quick, name, only, chromiumPath });
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  exitCode = 1;
} finally {
  await runner.close();
}
process.exit(exitCode);
