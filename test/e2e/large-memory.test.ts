// -m 3000: a store whose layout lies past 2 GiB of the 32-bit memory (the
// addresses Wasm hands out are then negative as i32) serves and evicts:
// 3.2 GB of 1 MiB values through kernel sockets, every set STORED, the
// memory limit held, the last values read back intact, evictions counted.
import { afterAll, beforeAll, expect, it } from "vitest";
import { RawClient } from "../support/raw-client.js";
import { startServer, type ServerHandle } from "../support/server.mjs";

const MB = 1 << 20;
const VALUES = 3200;
let server: ServerHandle;

beforeAll(async () => {
  server = await startServer("wasmcached", ["-m", "3000", "-t", "1", "-I", "2m"], { timeoutMs: 60_000 });
}, 90_000);
afterAll(async () => {
  await server?.stop();
});

const valueOf = (i: number) => Buffer.alloc(MB, `value ${i} `);

it("-m 3000: 3.2 GB of 1 MiB sets all stored, bytes within -m, the newest read back, evictions counted", async () => {
  const c = await RawClient.connect(server.port);
  try {
    // batches of 16 pipelined sets, each batch's replies read before the next
    for (let i = 0; i < VALUES; i += 16) {
      const n = Math.min(16, VALUES - i);
      const parts: Buffer[] = [];
      for (let k = i; k < i + n; k++) parts.push(Buffer.from(`set big:${k} 0 0 ${MB}\r\n`), valueOf(k), Buffer.from("\r\n"));
      const replies = await c.request(Buffer.concat(parts), "STORED\r\n", 30_000);
      let got = replies;
      while (got.split("\r\n").length - 1 < n) got += (await c.readUntilSuffix("\r\n", 30_000)).toString("latin1");
      expect(got, `batch at ${i}`).toBe("STORED\r\n".repeat(n));
    }
    const stats = await c.request("stats\r\n", "END\r\n");
    const stat = (k: string) => Number(new RegExp(`STAT ${k} (\\d+)`).exec(stats)![1]);
    expect(stat("limit_maxbytes")).toBe(3000 * MB);
    expect(stat("bytes")).toBeLessThanOrEqual(3000 * MB);
    expect(stat("evictions")).toBeGreaterThan(0);
    for (const k of [VALUES - 1, VALUES - 100]) {
      const reply = Buffer.from(await c.request(`get big:${k}\r\n`, "END\r\n", 30_000), "latin1");
      const head = `VALUE big:${k} 0 ${MB}\r\n`;
      expect(reply.subarray(0, head.length).toString()).toBe(head);
      expect(reply.subarray(head.length, head.length + MB).equals(valueOf(k))).toBe(true);
    }
  } finally {
    c.close();
  }
}, 300_000);
