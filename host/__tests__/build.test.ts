// host/build.mjs rebuilds only what changed (host/build-cache.mjs): a second
// build with no changes compiles nothing and takes well under the 2 s a
// second `npm start` may spend before serving.
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs module without type declarations
import { Stamps, hashInputs, sourceClosure } from "../build-cache.mjs";
import { repoRoot } from "./support.js";

const scratch = mkdtempSync(join(tmpdir(), "wasmcached-build-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function build(): { ms: number; lines: string[] } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ["host/build.mjs"], { cwd: repoRoot, encoding: "utf8" });
  const ms = performance.now() - t0;
  expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  return { ms, lines: r.stdout.trim().split("\n") };
}

describe("incremental build", () => {
  it("a second build with no changes compiles nothing, in well under 2 s", () => {
    build(); // brings everything up to date (compiles only if the tree changed since the last build)
    const second = build();
    const built = second.lines.filter((l) => l.startsWith("build: ") && !/up to date|not found|skipped|not present/.test(l));
    expect(built, second.lines.join("\n")).toEqual([]);
    expect(second.lines.some((l) => l.includes("memcached.wasm (up to date)"))).toBe(true);
    expect(second.lines.some((l) => l.includes("dist/wasmcached.mjs") && l.includes("up to date"))).toBe(true);
    expect(second.ms).toBeLessThan(2000);
  }, 300_000);

  it("takes content, not mtimes: a source touched without a change rebuilds nothing", () => {
    build();
    const file = join(repoRoot, "assembly", "shared", "control.ts"); // in every module's closure
    const { atime, mtime } = statSync(file);
    try {
      const later = new Date(Date.now() + 60_000);
      utimesSync(file, later, later);
      const lines = build().lines;
      expect(lines.filter((l) => l.includes(".wasm") && !l.includes("up to date")), lines.join("\n")).toEqual([]);
    } finally {
      utimesSync(file, atime, mtime);
    }
  }, 300_000);

  it("follows a module's imports into the store and the shared control block", () => {
    const files = (sourceClosure(join(repoRoot, "assembly/memcached/module.ts")) as string[]).map((f) => f.slice(repoRoot.length));
    expect(files).toContain("assembly/memcached/module.ts");
    expect(files).toContain("assembly/store/index.ts");
    expect(files).toContain("assembly/shared/control.ts");
    expect(files.some((f) => f.includes("__tests__"))).toBe(false);
  });

  it("resolves ./x to x.ts or x/index.ts, across multi-line imports", () => {
    const dir = join(scratch, "closure");
    mkdirSync(join(dir, "lib"), { recursive: true });
    writeFileSync(join(dir, "entry.ts"), 'import {\n  a,\n  b,\n} from "./a";\nexport * from "./lib";\nimport "./side";\n');
    writeFileSync(join(dir, "a.ts"), 'export { b } from "./b";\nexport const a = 1;\n');
    writeFileSync(join(dir, "b.ts"), "export const b = 2;\n");
    writeFileSync(join(dir, "side.ts"), "\n");
    writeFileSync(join(dir, "lib", "index.ts"), 'import { a } from "../a";\n');
    writeFileSync(join(dir, "unused.ts"), "\n");
    const names = (sourceClosure(join(dir, "entry.ts")) as string[]).map((f) => f.slice(dir.length + 1));
    expect(names).toEqual(["a.ts", "b.ts", "entry.ts", "lib/index.ts", "side.ts"]);
  });

  it("a step is fresh only for the same inputs and while its outputs exist", () => {
    const dir = join(scratch, "stamps");
    mkdirSync(dir, { recursive: true });
    const src = join(dir, "x.ts");
    const out = join(dir, "x.wasm");
    writeFileSync(src, "one");
    const h1 = hashInputs(dir, [src], { memoryBase: 1 });
    expect(hashInputs(dir, [src], { memoryBase: 2 })).not.toBe(h1);
    const stamps = new Stamps(dir);
    expect(stamps.fresh("wasm:x", h1, [out])).toBe(false);
    writeFileSync(out, "built");
    stamps.record("wasm:x", h1);
    expect(new Stamps(dir).fresh("wasm:x", h1, [out])).toBe(true);
    writeFileSync(src, "two");
    expect(new Stamps(dir).fresh("wasm:x", hashInputs(dir, [src], { memoryBase: 1 }), [out])).toBe(false);
    rmSync(out);
    expect(new Stamps(dir).fresh("wasm:x", h1, [out])).toBe(false);
    stamps.forget("wasm:x");
    writeFileSync(out, "built");
    expect(new Stamps(dir).fresh("wasm:x", h1, [out])).toBe(false);
  });
});
