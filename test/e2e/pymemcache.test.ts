// Debian's python3-pymemcache client against the server.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startServer, subjectKind, type ServerHandle } from "../support/server.mjs";

// Debian's interpreter, not whatever python3 is first on PATH (a pyenv or
// venv python cannot see Debian's dist-packages).
const python = "/usr/bin/python3";
const script = fileURLToPath(new URL("./pymemcache_client.py", import.meta.url));

let server: ServerHandle;
beforeAll(async () => {
  if (!existsSync(python)) throw new Error(`${python} not found (apt-get install python3-pymemcache)`);
  const probe = spawnSync(python, ["-c", "import pymemcache"], { encoding: "utf8" });
  if (probe.status !== 0) throw new Error(`pymemcache missing for ${python}: ${probe.stderr}`);
  server = await startServer(subjectKind(), ["-t", "2", "-m", "64"]);
});
afterAll(async () => server?.stop());

test("pymemcache: set/get/get_many/add/replace/append/prepend/cas/gets/incr/decr/delete/touch/flush_all/stats/version", () => {
  const r = spawnSync(python, [script, String(server.port)], { encoding: "utf8", timeout: 60_000 });
  const out = `${r.stdout}\n${r.stderr}`;
  expect(r.error, out).toBeUndefined();
  expect(r.status, out).toBe(0);
  expect(r.stdout, out).toMatch(/^pymemcache: \d+ checks passed$/m);
});
