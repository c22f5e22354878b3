// `stats` is not in the differential test (its values differ between
// servers by nature); here its format, its names and a few counters.
import { afterAll, beforeAll, expect, test } from "vitest";
import { RawClient } from "../support/raw-client.js";
import { startServer, subjectKind, type ServerHandle } from "../support/server.mjs";

let server: ServerHandle;
let c: RawClient;
beforeAll(async () => {
  server = await startServer(subjectKind(), ["-t", "2", "-m", "64"]);
  c = await RawClient.connect(server.port);
});
afterAll(async () => {
  c?.close();
  await server?.stop();
});

async function stats(): Promise<Map<string, string>> {
  const reply = await c.request("stats\r\n", "END\r\n");
  const lines = reply.split("\r\n");
  expect(lines.pop()).toBe("");
  expect(lines.pop()).toBe("END");
  const m = new Map<string, string>();
  for (const line of lines) {
    const parts = line.split(" ");
    expect(parts.length, line).toBe(3);
    expect(parts[0], line).toBe("STAT");
    expect(parts[1], line).toMatch(/^[a-z_0-9:]+$/);
    expect(m.has(parts[1]), `duplicate ${parts[1]}`).toBe(false);
    m.set(parts[1], parts[2]);
  }
  return m;
}

// Names memcached 1.6 reports that clients and dashboards read.
const NAMES = [
  "pid", "uptime", "time", "version", "pointer_size", "curr_connections", "total_connections",
  "cmd_get", "cmd_set", "cmd_flush", "cmd_touch", "get_hits", "get_misses", "get_expired",
  "delete_misses", "delete_hits", "incr_misses", "incr_hits", "decr_misses", "decr_hits",
  "cas_misses", "cas_hits", "cas_badval", "touch_hits", "touch_misses",
  "bytes_read", "bytes_written", "limit_maxbytes", "threads", "curr_items", "total_items",
  "bytes", "evictions", "expired_unfetched", "evicted_unfetched",
];

test("stats: STAT name value lines, END, memcached's common names", async () => {
  const m = await stats();
  for (const name of NAMES) expect(m.has(name), `stats lacks ${name}`).toBe(true);
  expect(m.get("pid")).toMatch(/^\d+$/);
  expect(m.get("version")).toMatch(/^1\.6\.\d+/);
  expect(m.get("limit_maxbytes")).toBe(String(64 * 1024 * 1024));
  expect(m.get("threads")).toBe("2");
  const now = Math.floor(Date.now() / 1000);
  expect(Math.abs(Number(m.get("time")) - now)).toBeLessThanOrEqual(2);
});

test("stats: counters follow the commands", async () => {
  const before = await stats();
  const n = (m: Map<string, string>, k: string) => Number(m.get(k));
  expect(await c.request("set st:a 0 0 1\r\na\r\n")).toBe("STORED\r\n");
  expect(await c.request("get st:a\r\n", "END\r\n")).toBe("VALUE st:a 0 1\r\na\r\nEND\r\n");
  expect(await c.request("get st:missing\r\n", "END\r\n")).toBe("END\r\n");
  expect(await c.request("delete st:missing\r\n")).toBe("NOT_FOUND\r\n");
  expect(await c.request("incr st:missing 1\r\n")).toBe("NOT_FOUND\r\n");
  const after = await stats();
  expect(n(after, "cmd_set") - n(before, "cmd_set")).toBe(1);
  expect(n(after, "cmd_get") - n(before, "cmd_get")).toBe(2);
  expect(n(after, "get_hits") - n(before, "get_hits")).toBe(1);
  expect(n(after, "get_misses") - n(before, "get_misses")).toBe(1);
  expect(n(after, "delete_misses") - n(before, "delete_misses")).toBe(1);
  expect(n(after, "incr_misses") - n(before, "incr_misses")).toBe(1);
  expect(n(after, "curr_items") - n(before, "curr_items")).toBe(1);
  expect(n(after, "total_items") - n(before, "total_items")).toBe(1);
  expect(n(after, "curr_connections")).toBeGreaterThanOrEqual(1);
  expect(n(after, "bytes_read")).toBeGreaterThan(n(before, "bytes_read"));
});
