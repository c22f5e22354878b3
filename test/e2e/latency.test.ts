// A new connection is served at once: memcached answers the first request on
// a fresh connection in well under a millisecond on loopback. Clients with
// short connect/read timeouts (pymemcache, pools that reconnect) depend on it.
import { afterAll, beforeAll, expect, test } from "vitest";
import { RawClient } from "../support/raw-client.js";
import { startServer, subjectKind, type ServerHandle } from "../support/server.mjs";

let server: ServerHandle;
beforeAll(async () => {
  server = await startServer(subjectKind(), ["-t", "2", "-m", "64"]);
});
afterAll(async () => server?.stop());

// Bounds: a server that made a new connection wait (for a timer, an idle
// back-off, a batch) shows it on most connections; one late sample on a
// loaded 2-CPU machine is the scheduler's, so the 19th of 20 is held to 100 ms
// and the last to 1 s.
test("a fresh server answers the first request on fresh connections at once (median < 20 ms, 19 of 20 < 100 ms, all < 1 s)", async () => {
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const c = await RawClient.connect(server.port);
    try {
      const t0 = performance.now();
      const reply = await c.request("version\r\n", "\r\n", 5000);
      times.push(performance.now() - t0);
      expect(reply).toMatch(/^VERSION 1\.6\.\d+\r\n$/);
    } finally {
      c.close();
    }
  }
  const sorted = [...times].sort((a, b) => a - b);
  const report = `first-reply times (ms): ${times.map((t) => t.toFixed(1)).join(" ")}`;
  expect(sorted[sorted.length >> 1], report).toBeLessThan(20);
  expect(sorted[sorted.length - 2], report).toBeLessThan(100);
  expect(sorted[sorted.length - 1], report).toBeLessThan(1000);
});
