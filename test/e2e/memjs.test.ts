// The npm "memjs" client (binary protocol) against the server.
import { createRequire } from "node:module";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startServer, subjectKind, type ServerHandle } from "../support/server.mjs";

// memjs ships no types: the part of its promise API used here.
interface MemjsClient {
  get(key: string): Promise<{ value: Buffer | null; flags: Buffer | null }>;
  set(key: string, value: string | Buffer, options: { expires?: number }): Promise<boolean>;
  add(key: string, value: string | Buffer, options: { expires?: number }): Promise<boolean>;
  replace(key: string, value: string | Buffer, options: { expires?: number }): Promise<boolean>;
  append(key: string, value: string | Buffer): Promise<boolean>;
  prepend(key: string, value: string | Buffer): Promise<boolean>;
  delete(key: string): Promise<boolean>;
  touch(key: string, expires: number): Promise<boolean>;
  increment(key: string, amount: number, options: { initial?: number; expires?: number }): Promise<{ success: boolean; value: number }>;
  decrement(key: string, amount: number, options: { initial?: number; expires?: number }): Promise<{ success: boolean; value: number }>;
  flush(): Promise<Record<string, boolean | Error>>;
  stats(cb: (err: Error | null, server: string, stats: Record<string, string> | null) => void): void;
  close(): void;
}
const memjs = createRequire(import.meta.url)("memjs") as {
  Client: { create(servers: string, options: Record<string, unknown>): MemjsClient };
};

let server: ServerHandle;
let mc: MemjsClient;

beforeAll(async () => {
  server = await startServer(subjectKind(), ["-t", "2", "-m", "64"]);
  // no retries: a broken server must fail the test, not be retried into silence
  mc = memjs.Client.create(`127.0.0.1:${server.port}`, { retries: 0, timeout: 5, logger: { log: () => {} } });
});
afterAll(async () => {
  mc?.close();
  await server?.stop();
});

const text = (b: Buffer | null) => (b === null ? null : b.toString("latin1"));

test("set / get / delete", async () => {
  expect(await mc.set("memjs:a", "alpha", {})).toBe(true);
  expect(text((await mc.get("memjs:a")).value)).toBe("alpha");
  expect((await mc.get("memjs:missing")).value).toBeNull();
  expect(await mc.delete("memjs:a")).toBe(true);
  expect((await mc.get("memjs:a")).value).toBeNull();
  expect(await mc.delete("memjs:a")).toBe(false);
});

test("add / replace / append / prepend / touch", async () => {
  expect(await mc.add("memjs:b", "one", {})).toBe(true);
  expect(await mc.add("memjs:b", "two", {})).toBe(false);
  expect(await mc.replace("memjs:b", "three", {})).toBe(true);
  expect(await mc.replace("memjs:nobody", "x", {})).toBe(false);
  expect(await mc.append("memjs:b", "!")).toBe(true);
  expect(await mc.prepend("memjs:b", ">")).toBe(true);
  // memjs 1.3.2's prepend sends opcode 0x0e (APPEND), so memcached appends too
  expect(text((await mc.get("memjs:b")).value)).toBe("three!>");
  expect(await mc.touch("memjs:b", 100)).toBe(true);
  expect(await mc.touch("memjs:nobody", 100)).toBe(false);
});

test("increment / decrement, with the initial value on a miss", async () => {
  expect(await mc.set("memjs:n", "10", {})).toBe(true);
  expect(await mc.increment("memjs:n", 5, {})).toEqual({ success: true, value: 15 });
  expect(await mc.decrement("memjs:n", 20, {})).toEqual({ success: true, value: 0 });
  expect(await mc.increment("memjs:fresh", 3, { initial: 42 })).toEqual({ success: true, value: 42 });
  expect(await mc.increment("memjs:fresh", 3, {})).toEqual({ success: true, value: 45 });
  expect(await mc.set("memjs:word", "abc", {})).toBe(true);
  await expect(mc.increment("memjs:word", 1, {})).rejects.toThrow(/[Nn]on-numeric|Incr\/Decr/);
});

test("a 1 MB - 1 KiB value round-trips", async () => {
  const big = Buffer.alloc(1023 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
  expect(await mc.set("memjs:big", big, {})).toBe(true);
  const got = (await mc.get("memjs:big")).value;
  expect(got?.length).toBe(big.length);
  expect(got?.equals(big)).toBe(true);
});

test("stats", async () => {
  const stats = await new Promise<Record<string, string>>((resolve, reject) =>
    mc.stats((err, _server, s) => (err || !s ? reject(err ?? new Error("no stats")) : resolve(s))),
  );
  expect(stats.version).toMatch(/^1\.6\./);
  expect(Number(stats.cmd_get)).toBeGreaterThan(0);
  expect(Number(stats.curr_connections)).toBeGreaterThan(0);
});

test("flush", async () => {
  expect(await mc.set("memjs:f", "x", {})).toBe(true);
  const r = await mc.flush();
  expect(Object.values(r)).toEqual([true]);
  expect((await mc.get("memjs:f")).value).toBeNull();
});
