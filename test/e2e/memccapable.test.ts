// libmemcached's protocol conformance checker, ascii half, against the server.
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, expect, test } from "vitest";
import { requireTool, startServer, subjectKind, type ServerHandle } from "../support/server.mjs";

let server: ServerHandle;
beforeAll(async () => {
  requireTool("memccapable", "apt-get install libmemcached-tools");
  server = await startServer(subjectKind(), ["-t", "2", "-m", "64"]);
});
afterAll(async () => server?.stop());

test("memccapable -a: all 27 ascii checks pass", () => {
  const r = spawnSync("memccapable", ["-h", "127.0.0.1", "-p", String(server.port), "-a"], {
    encoding: "utf8",
    timeout: 60_000,
  });
  const out = `${r.stdout}\n${r.stderr}`;
  // One "ascii <name>  [pass]" line per check; failures print [FAIL] on
  // stderr. Count the passes: a run that checked nothing also says "All tests
  // passed", so the exit status and that line alone prove nothing.
  const passed = out.split("\n").filter((l) => /^ascii \S.*\[pass\]\s*$/.test(l));
  const failed = out.split("\n").filter((l) => /\[FAIL\]/.test(l));
  expect(failed, out).toEqual([]);
  expect(r.error, out).toBeUndefined();
  expect(r.status, out).toBe(0);
  expect(passed.length, out).toBe(27);
});
