#!/usr/bin/env node
/**
 * Finds a Chromium for Playwright to drive. Playwright's own browser download does not work here
 * (`npx playwright install` needs network access we do not have), so we use a system Chromium.
 *
 * Search order: `$CHROMIUM_PATH`, `/usr/bin/chromium` (Debian's package), then Playwright's cache
 * (`~/.cache/ms-playwright/chromium-*\/chrome-linux*\/chrome`, newest first).
 *
 * With `install: true`, on a Debian-like machine where we run as root, a missing Chromium is installed
 * with `apt-get update && apt-get install -y chromium` (announced on stdout first, since it takes a
 * few minutes). Anywhere else a missing Chromium is an error whose message says how to get one.
 *
 * CLI: `node scripts/find-chromium.mjs [--install]` prints the path, or exits 1 with the message.
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants, readdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Flags every launch uses: no sandbox (we often run as root in containers), no GPU, no phoning home. */
export const CHROMIUM_ARGS = Object.freeze([
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
]);

const DEBIAN_PATH = "/usr/bin/chromium";

const HOW_TO_GET_ONE = [
  "No Chromium found. weft's browser tests and benchmarks drive a real Chromium through Playwright,",
  "and Playwright's own download (`npx playwright install`) is not used. Either:",
  "  - install Debian's/Ubuntu's package:  sudo apt-get install -y chromium",
  "    (then it is found at /usr/bin/chromium), or",
  "  - point CHROMIUM_PATH at a Chromium or Chrome binary:  CHROMIUM_PATH=/path/to/chrome npm test",
].join("\n");

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Newest-first candidates from Playwright's browser cache, if there is one. */
function playwrightCacheCandidates() {
  const cache = process.env.PLAYWRIGHT_BROWSERS_PATH || join(homedir(), ".cache", "ms-playwright");
  let dirs;
  try {
    dirs = readdirSync(cache).filter((d) => /^chromium-\d+$/.test(d));
  } catch {
    return [];
  }
  dirs.sort((a, b) => Number(b.split("-")[1]) - Number(a.split("-")[1]));
  const found = [];
  for (const dir of dirs) {
    let subdirs = [];
    try {
      subdirs = readdirSync(join(cache, dir)).filter((d) => d.startsWith("chrome-linux"));
    } catch {
      continue;
    }
    for (const sub of subdirs) found.push(join(cache, dir, sub, "chrome"));
  }
  return found;
}

/**
 * Where a Chromium is, without installing anything.
 * @returns {{ path: string, source: string } | null}
 */
export function locateChromium() {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    // An explicit setting that points nowhere is a mistake to report, not to paper over.
    if (!isExecutable(fromEnv)) {
      throw new Error(`CHROMIUM_PATH=${fromEnv} is not an executable file.\n\n${HOW_TO_GET_ONE}`);
    }
    return { path: fromEnv, source: "CHROMIUM_PATH" };
  }
  if (isExecutable(DEBIAN_PATH)) return { path: DEBIAN_PATH, source: "system package" };
  for (const candidate of playwrightCacheCandidates()) {
    if (isExecutable(candidate)) return { path: candidate, source: "Playwright cache" };
  }
  return null;
}

function canAptInstall() {
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const hasApt = spawnSync("sh", ["-c", "command -v apt-get"], { stdio: "ignore" }).status === 0;
  return process.platform === "linux" && isRoot && hasApt;
}

function run(cmd, args, env) {
  const result = spawnSync(cmd, args, { stdio: "inherit", env: { ...process.env, ...env } });
  if (result.status !== 0) {
    throw new Error(`\`${cmd} ${args.join(" ")}\` failed (exit ${result.status ?? result.signal}).\n\n${HOW_TO_GET_ONE}`);
  }
}

/**
 * Finds (and optionally installs) a Chromium.
 * @param {{ install?: boolean, log?: (line: string) => void }} [options]
 *   `install`: apt-get install Debian's `chromium` when none is found and we may (root + apt-get).
 *   `log`: where to announce an install; defaults to stdout.
 * @returns {string} the executable's path
 * @throws {Error} when none is found (and none could be installed); the message says how to get one.
 */
export function findChromium({ install = false, log = (line) => process.stdout.write(`${line}\n`) } = {}) {
  const found = locateChromium();
  if (found) return found.path;
  if (!install || !canAptInstall()) throw new Error(HOW_TO_GET_ONE);

  log("No Chromium found: installing Debian's `chromium` package (apt-get update && apt-get install -y chromium).");
  log("This happens once per machine and takes a few minutes.");
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  run("apt-get", ["update"], env);
  run("apt-get", ["install", "-y", "chromium"], env);
  const after = locateChromium();
  if (!after) throw new Error(`apt-get installed chromium but ${DEBIAN_PATH} is still missing.\n\n${HOW_TO_GET_ONE}`);
  log(`Installed Chromium at ${after.path}.`);
  return after.path;
}

/** `Chromium 156.0.8078.108 …` → the version string, or null if the binary does not say. */
export function chromiumVersion(path) {
  const result = spawnSync(path, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const match = /(\d+\.\d+\.\d+\.\d+)/.exec(result.stdout ?? "");
  return match ? match[1] : null;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    process.stdout.write(`${findChromium({ install: process.argv.includes("--install"), log: (l) => process.stderr.write(`${l}\n`) })}\n`);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
