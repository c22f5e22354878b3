#!/usr/bin/env node
// `npm test`: the as-pect specs (AssemblyScript) and vitest (host unit tests,
// e2e and differential tests). Prints both outputs, then one line exactly
// `N passed, N failed` with the totals. Exits non-zero if anything failed or
// if no test ran at all.
//
// Skipped and todo tests count as FAILED: a test that does not run proves
// nothing, so skipped and todo tests (vitest or as-pect) are not allowed.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = (name) => join(root, "node_modules", ".bin", name);
const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");

function run(cmd, args, extraEnv = {}) {
  const r = spawnSync(cmd, args, {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...extraEnv },
    maxBuffer: 256 * 1024 * 1024,
  });
  process.stdout.write(r.stdout ?? "");
  process.stderr.write(r.stderr ?? "");
  if (r.error) console.error(`${cmd}: ${r.error.message}`);
  return r;
}

/** as-pect: "[Tests]: X / Y" in the summary; "Todo: N" on each file line. */
function runAspect() {
  console.log("=== as-pect (AssemblyScript specs) ===");
  const r = run(bin("asp"), ["--config", "as-pect.config.js"]);
  const out = stripAnsi(`${r.stdout ?? ""}\n${r.stderr ?? ""}`);
  const m = /\[Tests\]:\s*(\d+)\s*\/\s*(\d+)/.exec(out);
  const todos = [...out.matchAll(/Todo:\s*(\d+)/g)].reduce((n, t) => n + Number(t[1]), 0);
  if (!m) {
    console.error("as-pect: no summary found (compile error or crash): counted as 1 failure");
    return { passed: 0, failed: 1 };
  }
  const passed = Number(m[1]);
  let failed = Number(m[2]) - passed + todos;
  if (todos) console.error(`as-pect: ${todos} todo/skipped test(s) counted as failures`);
  if (r.status !== 0 && failed === 0) {
    console.error(`as-pect exited with status ${r.status}: counted as 1 failure`);
    failed = 1;
  }
  return { passed, failed };
}

/** vitest: read its JSON report; skipped/todo tests and failed files count as failures. */
function runVitest() {
  console.log("=== vitest (host, e2e, differential) ===");
  const dir = mkdtempSync(join(tmpdir(), "wasmcached-vitest-"));
  const report = join(dir, "report.json");
  try {
    const r = run(bin("vitest"), ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`]);
    let json;
    try {
      json = JSON.parse(readFileSync(report, "utf8"));
    } catch (err) {
      console.error(`vitest: no JSON report (${err.message}): counted as 1 failure`);
      return { passed: 0, failed: 1 };
    }
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const file of json.testResults ?? []) {
      const tests = file.assertionResults ?? [];
      for (const t of tests) {
        if (t.status === "passed") passed++;
        else if (t.status === "failed") failed++;
        else skipped++; // skipped, pending, todo, disabled
      }
      // A file that failed outside any test (import error, beforeAll throw)
      // reports its tests as skipped, or no tests at all: count the file
      // itself when nothing else in it counts as a failure.
      if (file.status === "failed" && tests.every((t) => t.status === "passed")) {
        console.error(`vitest: ${file.name} failed outside its tests: counted as 1 failure`);
        failed++;
      }
    }
    if (skipped) console.error(`vitest: ${skipped} skipped/todo test(s) counted as failures`);
    failed += skipped;
    if (r.status !== 0 && failed === 0) {
      console.error(`vitest exited with status ${r.status}: counted as 1 failure`);
      failed = 1;
    }
    return { passed, failed };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = [runAspect(), runVitest()];
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
if (passed + failed === 0) console.error("no tests ran");
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
