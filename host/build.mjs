// `npm run build`: the Wasm modules (asc), then the host bundles (esbuild).
//   node host/build.mjs          both
//   node host/build.mjs --wasm   only build/*.wasm (AssemblyScript, and the C modules in modules/)
//   node host/build.mjs --host   only dist/ (copies build/*.wasm beside the bundle)
//   node host/build.mjs --native only build/libwcdpdk.so (skipped, with a message, without DPDK)
//   --force                      rebuild even what is up to date
// A step whose inputs (sources, settings, compiler versions) hash as they did
// when its outputs were made is skipped (host/build-cache.mjs, build/.stamps.json).
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, version as esbuildVersion } from "esbuild";
import { Stamps, hashInputs, sourceClosure } from "./build-cache.mjs";
import { buildNative } from "../native/build.mjs";
import { buildModules } from "../modules/build.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const buildDir = join(root, "build");
const distDir = join(root, "dist");

/** Files appear whole (write beside, then rename): tests and servers may be reading dist/ meanwhile. */
const temp = (path) => path.replace(/(\.[a-z]+)$/, `.tmp-${process.pid}$1`); // keeps the extension asc looks at
function publish(path, write) {
  write(temp(path));
  renameSync(temp(path), path);
}

/** Each module has its own static window (docs/protocol-modules.md). */
const WASM_MODULES = [
  { name: "sockstack", memoryBase: 16384, required: true },
  // The stack calls the protocol module through its exported table (slots from 1; docs/net-device.md).
  { name: "netstack", memoryBase: 16384, required: false, args: ["--exportTable", "--tableBase", "8"] },
  // The store ABI (docs/store-abi.md) for protocol modules that import `store.*`.
  { name: "store", memoryBase: 196608, required: true },
  { name: "echo", memoryBase: 262144, required: true },
  { name: "memcached", memoryBase: 262144, required: true },
  { name: "loadgen", memoryBase: 262144, required: true },
  // The smallest module over the store ABI (docs/writing-a-module.md).
  { name: "hello", memoryBase: 262144, required: true },
];

function buildWasm(stamps, force) {
  mkdirSync(buildDir, { recursive: true });
  const asc = join(root, "node_modules", "assemblyscript", "bin", "asc.js");
  const compiler = [join(root, "node_modules", "assemblyscript", "package.json"), join(root, "asconfig.json")];
  for (const m of WASM_MODULES) {
    const entry = join("assembly", m.name, "module.ts");
    if (!existsSync(join(root, entry))) {
      if (m.required) throw new Error(`${entry} is missing`);
      console.log(`build: ${entry} not present yet, skipped`);
      continue;
    }
    const out = join(buildDir, `${m.name}.wasm`);
    const step = `wasm:${m.name}`;
    const hash = hashInputs(root, [...sourceClosure(join(root, entry)), ...compiler], { memoryBase: m.memoryBase, args: m.args ?? [] });
    if (!force && stamps.fresh(step, hash, [out])) {
      console.log(`build: build/${m.name}.wasm (up to date)`);
      continue;
    }
    stamps.forget(step);
    publish(out, (tmp) => {
      const args = [asc, entry, "--config", "asconfig.json", "--target", "release",
        "--memoryBase", String(m.memoryBase), ...(m.args ?? []), "-o", tmp];
      const r = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });
      if (r.status !== 0) throw new Error(`asc ${entry} failed (exit ${r.status})`);
    });
    stamps.record(step, hash);
    console.log(`build: build/${m.name}.wasm`);
  }
}

/** Copies src to dst unless dst already has the same bytes. */
function copyIfChanged(src, dst) {
  if (existsSync(dst) && statSync(dst).size === statSync(src).size && readFileSync(dst).equals(readFileSync(src))) return;
  publish(dst, (out) => copyFileSync(src, out));
}

const BUNDLES = [
  { entryPoints: ["host/main.ts"], outfile: "dist/wasmcached.mjs", banner: { js: "#!/usr/bin/env node" } },
  { entryPoints: ["host/socket-worker.ts"], outfile: "dist/socket-worker.mjs" },
  { entryPoints: ["host/net-worker.ts"], outfile: "dist/net-worker.mjs" },
];

async function buildHost(stamps, force) {
  mkdirSync(distDir, { recursive: true });
  const common = {
    bundle: true,
    write: false,
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["koffi"],
    sourcemap: true,
    logLevel: "warning",
    absWorkingDir: root,
    metafile: true,
  };
  if (!existsSync(buildDir)) throw new Error("build/ is missing: run `npm run build:wasm` first");
  for (const f of readdirSync(buildDir).filter((f) => f.endsWith(".wasm"))) copyIfChanged(join(buildDir, f), join(distDir, f));
  // The bundles' inputs are the files esbuild read last time (its metafile), kept beside their hash.
  const settings = { esbuild: esbuildVersion, common, bundles: BUNDLES };
  const outputs = BUNDLES.map((b) => join(root, b.outfile));
  const previous = stamps.entries["host:inputs"] ?? [];
  const lockfile = join(root, "package-lock.json");
  if (!force && previous.length > 0 && stamps.fresh("host", hashInputs(root, [...previous.map((f) => join(root, f)), lockfile], settings), outputs)) {
    console.log("build: dist/wasmcached.mjs, dist/socket-worker.mjs, dist/net-worker.mjs (up to date)");
    return;
  }
  stamps.forget("host");
  const inputs = new Set();
  for (const options of BUNDLES) {
    const result = await build({ ...common, ...options });
    for (const input of Object.keys(result.metafile.inputs)) inputs.add(input);
    for (const file of result.outputFiles) {
      const mode = file.path.endsWith("wasmcached.mjs") ? 0o755 : 0o644;
      publish(file.path, (out) => writeFileSync(out, file.contents, { mode }));
    }
  }
  const list = [...inputs].filter((f) => !f.includes(":")).sort(); // real files only (no esbuild namespaces)
  stamps.entries["host:inputs"] = list;
  stamps.record("host", hashInputs(root, [...list.map((f) => join(root, f)), lockfile], settings));
  console.log("build: dist/wasmcached.mjs, dist/socket-worker.mjs, dist/net-worker.mjs");
}

const flags = process.argv.slice(2);
const force = flags.includes("--force");
const steps = flags.filter((f) => f !== "--force");
const only = steps[0];
if (steps.length > 1 || (only !== undefined && only !== "--wasm" && only !== "--host" && only !== "--native")) {
  console.error(`usage: node host/build.mjs [--wasm | --host | --native] [--force]`);
  process.exit(64);
}
try {
  mkdirSync(buildDir, { recursive: true });
  const stamps = new Stamps(buildDir);
  if (only === undefined || only === "--wasm") {
    buildWasm(stamps, force);
    buildModules(root, buildDir, { stamps, force });
  }
  if (only === undefined || only === "--host") await buildHost(stamps, force);
  if (only === undefined || only === "--native") buildNative({ force });
} catch (err) {
  console.error(`build: ${err.message}`);
  process.exit(1);
}
