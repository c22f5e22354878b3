#!/usr/bin/env node
// `npm run fuzz`: bundles test/fuzz/cli.ts (TypeScript) with esbuild into a
// temporary file and runs it with the same arguments.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const dir = mkdtempSync(join(tmpdir(), "wasmcached-fuzz-"));
const out = join(dir, "fuzz.mjs");
try {
  await build({
    entryPoints: [fileURLToPath(new URL("./cli.ts", import.meta.url))],
    outfile: out,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
    // server.mjs finds the repository from its own URL: keep it where it is.
    plugins: [{
      name: "external-support",
      setup(b) {
        b.onResolve({ filter: /support\/server\.mjs$/ }, () => ({
          path: fileURLToPath(new URL("../support/server.mjs", import.meta.url)),
          external: true,
        }));
      },
    }],
  });
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  await import(pathToFileURL(out).href);
} catch (err) {
  rmSync(dir, { recursive: true, force: true });
  throw err;
}
