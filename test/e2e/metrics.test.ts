// --metrics-port: memcached's `stats` figures as Prometheus metrics, served by
// the main thread; the figures must be the ones `stats` reports.
import { afterAll, beforeAll, expect, test } from "vitest";
import { RawClient } from "../support/raw-client.js";
import { freePort, startServer, type ServerHandle } from "../support/server.mjs";

let server: ServerHandle;
let metricsPort: number;
beforeAll(async () => {
  metricsPort = await freePort();
  server = await startServer("wasmcached", ["-t", "2", "--metrics-port", String(metricsPort)]);
});
afterAll(async () => {
  await server?.stop();
});

async function scrape(): Promise<Map<string, string>> {
  const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  expect(res.status).toBe(200);
  const m = new Map<string, string>();
  for (const line of (await res.text()).split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

test("/metrics carries the stats figures, summed over threads", async () => {
  const c = await RawClient.connect(server.port);
  try {
    expect(await c.request("set mt:a 0 0 2\r\nhi\r\n")).toBe("STORED\r\n");
    expect(await c.request("get mt:a mt:b\r\n", "END\r\n")).toBe("VALUE mt:a 0 2\r\nhi\r\nEND\r\n");
    const stats = new Map(
      (await c.request("stats\r\n", "END\r\n")).split("\r\n").filter((l) => l.startsWith("STAT ")).map((l) => {
        const [, name, value] = l.split(" ");
        return [name, value] as [string, string];
      }),
    );
    const m = await scrape();
    for (const name of ["cmd_get", "cmd_set", "get_hits", "get_misses", "curr_items", "total_items", "limit_maxbytes", "threads", "curr_connections"]) {
      expect(m.get(`memcached_${name}`), name).toBe(stats.get(name));
    }
    expect(m.get("memcached_get_hits")).toBe("1");
    expect(m.get("memcached_get_misses")).toBe("1");
    expect(m.get('memcached_version_info{version="1.6.18"}')).toBe("1");
    expect((await fetch(`http://127.0.0.1:${metricsPort}/nope`)).status).toBe(404);
  } finally {
    c.close();
  }
});
