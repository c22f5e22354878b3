// libmemcached's protocol conformance checker: the binary half, then both
// halves (no filter), against the server.
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, expect, test } from "vitest";
import { requireTool, startServer, subjectKind, type ServerHandle } from "../support/server.mjs";

let server: ServerHandle;
beforeAll(async () => {
  requireTool("memccapable", "apt-get install libmemcached-tools");
  server = await startServer(subjectKind(), ["-t", "2", "-m", "64"]);
});
afterAll(async () => server?.stop());

/** Runs memccapable; returns the passed checks by protocol. A run that checked
 *  nothing also says "All tests passed", so only the [pass] lines count. */
function memccapable(args: string[]): { ascii: number; binary: number } {
  const r = spawnSync("memccapable", ["-h", "127.0.0.1", "-p", String(server.port), ...args], {
    encoding: "utf8",
    timeout: 60_000,
  });
  const out = `${r.stdout}\n${r.stderr}`;
  const lines = out.split("\n");
  const failed = lines.filter((l) => /\[FAIL\]/.test(l));
  expect(failed, out).toEqual([]);
  expect(r.error, out).toBeUndefined();
  expect(r.status, out).toBe(0);
  const passed = (proto: string) => lines.filter((l) => new RegExp(`^${proto} \\S.*\\[pass\\]\\s*$`).test(l)).length;
  return { ascii: passed("ascii"), binary: passed("binary") };
}

test("memccapable -b: all 27 binary checks pass", () => {
  expect(memccapable(["-b"])).toEqual({ ascii: 0, binary: 27 });
});

test("memccapable without a filter: all 54 checks pass", () => {
  expect(memccapable([])).toEqual({ ascii: 27, binary: 27 });
});
