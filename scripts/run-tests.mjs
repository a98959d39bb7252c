#!/usr/bin/env node
/**
 * `npm test`: unit tests (vitest, Node + fake-indexeddb) then browser tests (vitest driving real
 * Chromium through Playwright), then one closing line `N passed, N failed[, N skipped]` summing both.
 * Exits non-zero if anything failed, if a run broke before reporting, or if no test ran at all.
 *
 *   node scripts/run-tests.mjs [--unit-only | --browser-only] [vitest args…]
 *
 * Other arguments go to both vitest runs (e.g. a file filter, `-t <name>`). Chromium comes from
 * scripts/find-chromium.mjs (installed with apt-get when we are root on Debian and it is missing) and
 * is passed to the browser tests as CHROMIUM_PATH.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { findChromium } from "./find-chromium.mjs";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const vitestBin = join(repoRoot, "node_modules", "vitest", "vitest.mjs");

const argv = process.argv.slice(2);
const unitOnly = argv.includes("--unit-only");
const browserOnly = argv.includes("--browser-only");
const passThrough = argv.filter((a) => a !== "--unit-only" && a !== "--browser-only");

if (unitOnly && browserOnly) {
  console.error("--unit-only and --browser-only exclude each other.");
  process.exit(2);
}
if (!existsSync(vitestBin)) {
  console.error(`vitest is not installed (${vitestBin} missing): run \`npm install\` first.`);
  process.exit(2);
}

/**
 * Counts from vitest's JSON report. A file that failed without a failing test (an import or syntax
 * error, a failing hook) counts as one failure, so it cannot hide behind zero failed tests.
 */
function countReport(report) {
  let failed = report.numFailedTests ?? 0;
  for (const file of report.testResults ?? []) {
    const failedInFile = (file.assertionResults ?? []).filter((a) => a.status === "failed").length;
    if (file.status === "failed" && failedInFile === 0) failed += 1;
  }
  return {
    passed: report.numPassedTests ?? 0,
    failed,
    skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
  };
}

/** Runs one vitest project; resolves to its counts. */
function runProject(project, env) {
  const dir = mkdtempSync(join(tmpdir(), "weft-vitest-"));
  const jsonFile = join(dir, `${project}.json`);
  const args = [
    vitestBin,
    "run",
    "--project",
    project,
    "--passWithNoTests", // zero tests is judged once, over both projects, below
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${jsonFile}`,
    ...passThrough,
  ];
  console.log(`\n── ${project} tests ──────────────────────────────────────────────`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: "inherit", env: { ...process.env, ...env } });
    child.on("exit", (code, signal) => {
      let counts = { passed: 0, failed: 0, skipped: 0 };
      let note = null;
      try {
        counts = countReport(JSON.parse(readFileSync(jsonFile, "utf8")));
      } catch {
        note = "vitest wrote no report";
      }
      rmSync(dir, { recursive: true, force: true });
      // A non-zero exit with nothing counted as failed (unhandled error, crash, config error) is a failure.
      if ((code !== 0 || signal) && counts.failed === 0) {
        counts.failed = 1;
        note = `${note ? `${note}; ` : ""}vitest exited with ${signal ?? `code ${code}`}`;
      }
      resolve({ project, ...counts, note });
    });
  });
}

const results = [];
if (!browserOnly) results.push(await runProject("unit", {}));
if (!unitOnly) {
  let chromiumPath;
  try {
    chromiumPath = findChromium({ install: true });
  } catch (error) {
    console.error(`\n${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  console.log(`\nUsing Chromium at ${chromiumPath}`);
  results.push(await runProject("browser", { CHROMIUM_PATH: chromiumPath }));
}

const total = results.reduce((acc, r) => ({ passed: acc.passed + r.passed, failed: acc.failed + r.failed, skipped: acc.skipped + r.skipped }), {
  passed: 0,
  failed: 0,
  skipped: 0,
});

console.log("");
for (const r of results) {
  console.log(`${r.project}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped${r.note ? ` (${r.note})` : ""}`);
}
if (total.passed + total.failed === 0) console.log("No tests ran: that counts as a failure.");
console.log(`${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ""}`);
process.exit(total.failed > 0 || total.passed + total.failed === 0 ? 1 : 0);
