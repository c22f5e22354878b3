// Protocol modules written in C (modules/*/), built with clang and wasm-ld
// for wasm32: no libc, the shared memory imported, statics in the protocol
// module window. Called by host/build.mjs. Without clang the build says so
// and skips them, except in CI (CI=true), where a missing clang fails it:
// the RESP tests need build/resp.wasm and fail without it.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hashInputs } from "../host/build-cache.mjs";

/** The upper part of the protocol module window, [768 KiB, 1 MiB): the AssemblyScript modules take the lower
 *  part, so one of each can be served together (docs/protocol-modules.md). */
const APP_BASE = 786432;
/** The linker's own stack is used only before app_init moves each instance's stack into its region. */
const LINK_STACK = 1024;

const CFLAGS = ["--target=wasm32", "-O2", "-std=c11", "-Wall", "-Wextra", "-Werror", "-nostdlib", "-ffreestanding", "-matomics", "-mbulk-memory"];
const LDFLAGS = [
  "--no-entry", "--import-memory", "--shared-memory", "--max-memory=4294967296",
  `--global-base=${APP_BASE}`, "-z", `stack-size=${LINK_STACK}`, "--strip-debug",
];

/** The first of `names` that runs, and its --version text (part of what a module is built from). */
function tool(names) {
  for (const n of names) {
    const r = spawnSync(n, ["--version"], { encoding: "utf8" });
    if (r.status === 0) return { name: n, version: r.stdout };
  }
  return undefined;
}

/**
 * Builds modules/NAME/*.c into build/NAME.wasm. With `stamps` (host/build-cache.mjs),
 * a module whose sources, headers, flags and tools are unchanged is not rebuilt.
 */
export function buildModules(root, buildDir, { stamps, force = false } = {}) {
  const clangTool = tool(["clang", "clang-14"]);
  const ldTool = tool(["wasm-ld", "wasm-ld-14"]);
  if (!clangTool || !ldTool) {
    const what = "clang and lld (wasm-ld) are needed for the C protocol modules (modules/): apt-get install clang lld";
    if (process.env.CI === "true") throw new Error(what);
    console.log(`build: ${what}; skipped`);
    return;
  }
  const clang = clangTool.name;
  const ld = ldTool.name;
  const dir = join(root, "modules");
  const headers = readdirSync(join(dir, "include")).map((f) => join(dir, "include", f));
  for (const name of readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory() && d.name !== "include").map((d) => d.name)) {
    const sources = readdirSync(join(dir, name)).filter((f) => f.endsWith(".c")).map((f) => join(dir, name, f));
    if (sources.length === 0) continue;
    const out = join(buildDir, `${name}.wasm`);
    const step = `c:${name}`;
    const own = readdirSync(join(dir, name)).filter((f) => f.endsWith(".h")).map((f) => join(dir, name, f));
    const hash = hashInputs(root, [...sources, ...own, ...headers], { CFLAGS, LDFLAGS, clang: clangTool.version, ld: ldTool.version });
    if (stamps && !force && stamps.fresh(step, hash, [out])) {
      console.log(`build: build/${name}.wasm (C, up to date)`);
      continue;
    }
    stamps?.forget(step);
    const objs = [];
    const objDir = mkdtempSync(join(tmpdir(), `wasmcached-${name}-`));
    for (const src of sources) {
      const obj = join(objDir, `${src.split("/").pop().replace(/\.c$/, "")}.o`);
      const r = spawnSync(clang, [...CFLAGS, "-c", src, "-o", obj], { cwd: root, stdio: "inherit" });
      if (r.status !== 0) throw new Error(`${clang} ${src} failed (exit ${r.status})`);
      objs.push(obj);
    }
    const tmp = join(buildDir, `${name}.tmp-${process.pid}.wasm`);
    const r = spawnSync(ld, [...LDFLAGS, ...objs, "-o", tmp], { cwd: root, stdio: "inherit" });
    if (r.status !== 0 || !existsSync(tmp)) throw new Error(`${ld} ${name}.wasm failed (exit ${r.status})`);
    renameSync(tmp, out);
    rmSync(objDir, { recursive: true, force: true });
    stamps?.record(step, hash);
    console.log(`build: build/${name}.wasm (C)`);
  }
}
