// The eviction criteria, checked against Debian's memcached with
// bench:eviction's own traces and client (bench/eviction/), small enough to
// take seconds: overwriting a few hot keys far past -m keeps every cold item
// on both servers, and wasmcached keeps >= 1.2x memcached's 100-byte items
// per MB of -m.
import { afterEach, expect, test } from "vitest";
import { startServer, type ServerHandle } from "../support/server.mjs";
import { connectClient } from "../../bench/eviction/client.mjs";
import { TRACES } from "../../bench/eviction/traces.mjs";

type Result = Record<string, number>;
let servers: ServerHandle[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
});

async function replay(kind: "memcached" | "wasmcached", trace: string, mb: number): Promise<Result> {
  const server = await startServer(kind, ["-t", "1", "-m", String(mb)]);
  servers.push(server);
  const c = await connectClient(server.port);
  try {
    const deadline = Date.now() + 30_000;
    const r = await TRACES[trace].run(c, { mb, seed: 42, requests: 0, expired: () => Date.now() > deadline, progress() {} });
    expect(c.errors.count, c.errors.first ?? "").toBe(0);
    expect(Date.now() <= deadline, "the trace hit its time bound").toBe(true);
    return r;
  } finally {
    c.close();
  }
}

test("overwrite churn at -m 16: both servers keep every cold item", async () => {
  for (const kind of ["memcached", "wasmcached"] as const) {
    const r = await replay(kind, "overwrite", 16);
    expect(r.cold_items).toBeGreaterThan(3000);
    expect(r.cold_kept, kind).toBe(r.cold_items);
  }
});

test("100-byte values at -m 40: wasmcached keeps >= 1.2x memcached's items per MB", async () => {
  const mc = await replay("memcached", "efficiency-100", 40);
  const wc = await replay("wasmcached", "efficiency-100", 40);
  expect(mc.items_per_mb).toBeGreaterThan(4000);
  expect(wc.items_per_mb / mc.items_per_mb).toBeGreaterThanOrEqual(1.2);
});
