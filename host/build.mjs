// `npm run build`: the Wasm modules (asc), then the host bundles (esbuild).
//   node host/build.mjs          both
//   node host/build.mjs --wasm   only build/*.wasm (AssemblyScript, and the C modules in modules/)
//   node host/build.mjs --host   only dist/ (copies build/*.wasm beside the bundle)
//   node host/build.mjs --native only build/libwcdpdk.so (skipped, with a message, without DPDK)
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
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

function buildWasm() {
  mkdirSync(buildDir, { recursive: true });
  const asc = join(root, "node_modules", "assemblyscript", "bin", "asc.js");
  for (const m of WASM_MODULES) {
    const entry = join("assembly", m.name, "module.ts");
    if (!existsSync(join(root, entry))) {
      if (m.required) throw new Error(`${entry} is missing`);
      console.log(`build: ${entry} not present yet, skipped`);
      continue;
    }
    publish(join(buildDir, `${m.name}.wasm`), (out) => {
      const args = [asc, entry, "--config", "asconfig.json", "--target", "release",
        "--memoryBase", String(m.memoryBase), ...(m.args ?? []), "-o", out];
      const r = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });
      if (r.status !== 0) throw new Error(`asc ${entry} failed (exit ${r.status})`);
    });
    console.log(`build: build/${m.name}.wasm`);
  }
}

async function buildHost() {
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
  };
  if (!existsSync(buildDir)) throw new Error("build/ is missing: run `npm run build:wasm` first");
  for (const f of readdirSync(buildDir).filter((f) => f.endsWith(".wasm"))) {
    publish(join(distDir, f), (out) => copyFileSync(join(buildDir, f), out));
  }
  const bundles = [
    { entryPoints: ["host/main.ts"], outfile: "dist/wasmcached.mjs", banner: { js: "#!/usr/bin/env node" } },
    { entryPoints: ["host/socket-worker.ts"], outfile: "dist/socket-worker.mjs" },
    { entryPoints: ["host/net-worker.ts"], outfile: "dist/net-worker.mjs" },
  ];
  for (const options of bundles) {
    const result = await build({ ...common, ...options });
    for (const file of result.outputFiles) {
      const mode = file.path.endsWith("wasmcached.mjs") ? 0o755 : 0o644;
      publish(file.path, (out) => writeFileSync(out, file.contents, { mode }));
    }
  }
  console.log("build: dist/wasmcached.mjs, dist/socket-worker.mjs, dist/net-worker.mjs");
}

const only = process.argv[2];
if (only !== undefined && only !== "--wasm" && only !== "--host" && only !== "--native") {
  console.error(`usage: node host/build.mjs [--wasm | --host | --native]`);
  process.exit(64);
}
try {
  if (only === undefined || only === "--wasm") {
    buildWasm();
    buildModules(root, buildDir);
  }
  if (only === undefined || only === "--host") await buildHost();
  if (only === undefined || only === "--native") buildNative();
} catch (err) {
  console.error(`build: ${err.message}`);
  process.exit(1);
}
