// Up-to-date checks for host/build.mjs: a build step is skipped when a hash
// of everything it reads (sources, settings, tool versions) equals the one
// recorded in build/.stamps.json when its outputs were last made, and those
// outputs are still there. Content hashes, not mtimes: a checkout, a
// `git stash` or a copy that touches files without changing them costs nothing.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/** One hash over `extra` (settings, versions: any JSON) and the path and content of each file. */
export function hashInputs(root, files, extra = null) {
  const h = createHash("sha256");
  h.update(JSON.stringify(extra));
  for (const f of [...new Set(files)].sort()) {
    h.update(`\0${relative(root, f)}\0`);
    h.update(existsSync(f) ? readFileSync(f) : "(missing)");
  }
  return h.digest("hex");
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^"';]*?from\s*["']([^"']+)["']|(?:^|[\s;])import\s*["']([^"']+)["']/g;

/** An AssemblyScript import path, resolved as asc does for relative paths: x.ts, then x/index.ts. */
function resolveImport(fromFile, spec) {
  if (!spec.startsWith(".")) return undefined; // the standard library: covered by the compiler's version
  const base = resolve(dirname(fromFile), spec);
  for (const candidate of [base.endsWith(".ts") ? base : `${base}.ts`, join(base, "index.ts")]) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** The entry and every source file it imports, transitively. */
export function sourceClosure(entry) {
  const seen = new Set();
  const todo = [resolve(entry)];
  while (todo.length > 0) {
    const file = todo.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(IMPORT)) {
      const dep = resolveImport(file, m[1] ?? m[2]);
      if (dep !== undefined && !seen.has(dep)) todo.push(dep);
    }
  }
  return [...seen].sort();
}

/** build/.stamps.json: step name -> input hash of its present outputs. */
export class Stamps {
  constructor(buildDir) {
    this.path = join(buildDir, ".stamps.json");
    try {
      this.entries = JSON.parse(readFileSync(this.path, "utf8"));
    } catch {
      this.entries = {};
    }
  }

  /** True when `name` was last built from `hash` and every output still exists. */
  fresh(name, hash, outputs) {
    return this.entries[name] === hash && outputs.every((o) => existsSync(o));
  }

  /** Records `name` as built from `hash` (written at once: a later failure keeps what succeeded). */
  record(name, hash) {
    this.entries[name] = hash;
    this.save();
  }

  /** Forgets `name` (before rebuilding it: a half-made output is never taken for fresh). */
  forget(name) {
    if (!(name in this.entries)) return;
    delete this.entries[name];
    this.save();
  }

  save() {
    const tmp = `${this.path}.tmp-${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify(this.entries, null, 1)}\n`);
    renameSync(tmp, this.path);
  }
}
