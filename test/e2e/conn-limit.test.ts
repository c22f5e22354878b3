// Past -c, wasmcached refuses a connection the way memcached does: it writes
// "ERROR Too many open connections" and closes, and counts it in
// rejected_connections. memcached's own -c also reserves descriptors for
// itself, so the exact limit differs: this test is wasmcached's alone.
import { afterAll, beforeAll, expect, test } from "vitest";
import { RawClient } from "../support/raw-client.js";
import { startServer, type ServerHandle } from "../support/server.mjs";

let server: ServerHandle;
beforeAll(async () => {
  server = await startServer("wasmcached", ["-t", "1", "-c", "2"]);
});
afterAll(async () => {
  await server?.stop();
});

test("-c 2: the third connection hears memcached's refusal and is closed; stats counts it", async () => {
  const a = await RawClient.connect(server.port);
  let b: RawClient | undefined;
  try {
    expect(await a.request("version\r\n")).toMatch(/^VERSION 1\.6\.\d+\r\n$/);
    // the start-up probe's connection may not be closed on the server side yet: wait until
    // a is the only one, so that b takes the second slot (bounded: 5 s)
    for (let i = 0; i < 100 && !/\r\nSTAT curr_connections 1\r\n/.test(await a.request("stats\r\n", "END\r\n")); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    b = await RawClient.connect(server.port);
    expect(await b.request("version\r\n")).toMatch(/^VERSION 1\.6\.\d+\r\n$/);
    const c = await RawClient.connect(server.port);
    // the refusal, then end of stream: read until the server closes
    const refusal = await c.readUntil(() => c.closed, 2000, 5000);
    expect(refusal.toString("latin1")).toBe("ERROR Too many open connections\r\n");
    expect(c.closed).toBe(true);
    c.close();
    const stats = await a.request("stats\r\n", "END\r\n");
    expect(stats).toMatch(/\r\nSTAT rejected_connections 1\r\n/);
    expect(stats).toMatch(/\r\nSTAT curr_connections 2\r\n/);
  } finally {
    a.close();
    b?.close();
  }
});
