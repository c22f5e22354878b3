// Builds build/libwcdpdk.so (the C shim over DPDK, native/wcdpdk.c) when
// `pkg-config libdpdk` finds DPDK; otherwise says so in one line and succeeds,
// since the socket and TAP backends need no native code.
//
//   node native/build.mjs            build if out of date
//   node native/build.mjs --force    rebuild
//   import { buildNative } from "./native/build.mjs"   (host/build.mjs)
//
// CC picks the compiler (default cc); CFLAGS are appended.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
export const NATIVE_LIB = join(root, "build", "libwcdpdk.so");
const SOURCES = ["wcdpdk.c", "wcdpdk.h", "build.mjs"].map((f) => join(here, f));
export const NOT_FOUND_MESSAGE = "DPDK not found: native shim not built (the socket and TAP backends still work)";

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return { ok: !r.error && r.status === 0, out: (r.stdout ?? "").trim(), err: r.error ? r.error.message : (r.stderr ?? "").trim() };
}

/** `pkg-config <args> libdpdk` split into words, or undefined when DPDK (or pkg-config) is missing. */
function pkgConfig(args) {
  const r = run("pkg-config", [...args, "libdpdk"]);
  return r.ok ? r.out.split(/\s+/).filter(Boolean) : undefined;
}

function upToDate() {
  if (!existsSync(NATIVE_LIB)) return false;
  const built = statSync(NATIVE_LIB).mtimeMs;
  return SOURCES.every((f) => statSync(f).mtimeMs <= built);
}

/**
 * Builds the shim. Returns { built: true, path, version } or, without DPDK,
 * { built: false, reason }. Throws when DPDK is present and the compile fails.
 */
export function buildNative({ force = false, log = console.log } = {}) {
  const version = run("pkg-config", ["--modversion", "libdpdk"]);
  if (!version.ok) {
    log(`build: ${NOT_FOUND_MESSAGE}`);
    return { built: false, reason: NOT_FOUND_MESSAGE };
  }
  if (!force && upToDate()) {
    log(`build: ${relative(root, NATIVE_LIB)} (DPDK ${version.out}, up to date)`);
    return { built: true, path: NATIVE_LIB, version: version.out };
  }
  const cflags = pkgConfig(["--cflags"]);
  const libs = pkgConfig(["--libs"]);
  if (!cflags || !libs) throw new Error("pkg-config knows libdpdk but gave no --cflags/--libs");
  mkdirSync(dirname(NATIVE_LIB), { recursive: true });
  // Written beside and renamed: a running server may have the old one mapped.
  const tmp = `${NATIVE_LIB}.tmp-${process.pid}`;
  const cc = process.env.CC || "cc";
  const args = [
    "-O2", "-g", "-Wall", "-Wextra", "-Werror", "-fPIC", "-shared", "-fvisibility=hidden",
    // rte_pktmbuf_pool_create_extbuf and rte_thread_register are experimental in 22.11.
    "-DALLOW_EXPERIMENTAL_API",
    ...cflags,
    ...(process.env.CFLAGS ? process.env.CFLAGS.split(/\s+/).filter(Boolean) : []),
    "-o", tmp, join(here, "wcdpdk.c"),
    ...libs,
  ];
  const r = run(cc, args);
  if (!r.ok) {
    rmSync(tmp, { force: true });
    throw new Error(`native shim: ${cc} failed:\n${r.err}`);
  }
  renameSync(tmp, NATIVE_LIB);
  log(`build: ${relative(root, NATIVE_LIB)} (DPDK ${version.out})`);
  return { built: true, path: NATIVE_LIB, version: version.out };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    buildNative({ force: process.argv.includes("--force") });
  } catch (err) {
    console.error(`build: ${err.message}`);
    process.exit(1);
  }
}
