// Bundles a TypeScript entry of the host (esbuild, koffi left external) into
// build/, so a plain `node` process can run it. The DPDK tests and
// bench/dpdk.mjs need this: EAL initialises once per process, so each DPDK
// scenario runs in a process of its own, and Node 20 cannot run .ts files.
import { renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Bundles `entry` (relative to the repository root) to build/<name>.mjs; returns its path. */
export async function bundleTs(entry, name) {
  const { build } = await import("esbuild");
  const out = join(root, "build", `${name}.mjs`);
  const tmp = join(root, "build", `${name}.tmp-${process.pid}.mjs`);
  await build({
    entryPoints: [join(root, entry)],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["koffi"],
    outfile: tmp,
    logLevel: "warning",
    absWorkingDir: root,
  });
  renameSync(tmp, out);
  return out;
}
