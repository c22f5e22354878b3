// The npm "memcached" client (text protocol) against the server.
import Memcached from "memcached";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startServer, subjectKind, type ServerHandle } from "../support/server.mjs";

let server: ServerHandle;
let mc: Memcached;

// Promisified call: the client's methods take a trailing (err, data) callback.
function call<T>(method: (...a: any[]) => void, ...args: unknown[]): Promise<T> {
  return new Promise((resolve, reject) =>
    method.call(mc, ...args, (err: Error | undefined, data: T) => (err ? reject(err) : resolve(data))),
  );
}

beforeAll(async () => {
  server = await startServer(subjectKind(), ["-t", "2", "-m", "64"]);
  // retries/failures 0-ish: a broken server must fail the test, not be retried into silence.
  mc = new Memcached(`127.0.0.1:${server.port}`, { retries: 1, failures: 1, timeout: 5000, poolSize: 4 });
});
afterAll(async () => {
  mc?.end();
  await server?.stop();
});

test("set/get/getMulti/del", async () => {
  expect(await call(mc.set, "npm:a", "alpha", 0)).toBe(true);
  expect(await call(mc.set, "npm:b", "beta", 100)).toBe(true);
  expect(await call(mc.get, "npm:a")).toBe("alpha");
  expect(await call(mc.get, "npm:missing")).toBeUndefined();
  expect(await call(mc.getMulti, ["npm:a", "npm:b", "npm:missing"])).toEqual({ "npm:a": "alpha", "npm:b": "beta" });
  expect(await call(mc.del, "npm:a")).toBe(true);
  expect(await call(mc.get, "npm:a")).toBeUndefined();
  expect(await call(mc.del, "npm:a")).toBe(false);
});

test("JSON and numeric values keep their flags", async () => {
  expect(await call(mc.set, "npm:json", { x: [1, 2, "three"] }, 0)).toBe(true);
  expect(await call(mc.get, "npm:json")).toEqual({ x: [1, 2, "three"] });
  expect(await call(mc.set, "npm:num", 42, 0)).toBe(true);
  expect(await call(mc.get, "npm:num")).toBe(42);
});

test("incr/decr", async () => {
  expect(await call(mc.set, "npm:n", "10", 0)).toBe(true);
  expect(await call(mc.incr, "npm:n", 5)).toBe(15);
  expect(await call(mc.decr, "npm:n", 20)).toBe(0);
  expect(await call(mc.incr, "npm:nope", 1)).toBe(false);
  expect(await call(mc.decr, "npm:nope", 1)).toBe(false);
});

test("touch", async () => {
  expect(await call(mc.set, "npm:t", "tt", 0)).toBe(true);
  expect(await call(mc.touch, "npm:t", 100)).toBe(true);
  expect(await call(mc.get, "npm:t")).toBe("tt");
  expect(await call(mc.touch, "npm:nope", 100)).toBe(false);
});

test("gets/cas", async () => {
  expect(await call(mc.set, "npm:c", "one", 0)).toBe(true);
  const g = await call<Record<string, unknown>>(mc.gets, "npm:c");
  expect(g["npm:c"]).toBe("one");
  expect(String(g.cas)).toMatch(/^\d+$/);
  expect(await call(mc.cas, "npm:c", "two", String(g.cas), 0)).toBe(true);
  expect(await call(mc.get, "npm:c")).toBe("two");
  // The old CAS value is stale now: EXISTS.
  expect(await call(mc.cas, "npm:c", "three", String(g.cas), 0)).toBe(false);
  expect(await call(mc.get, "npm:c")).toBe("two");
});

test("large value (500 KiB)", async () => {
  let big = "";
  for (let i = 0; big.length < 500 * 1024; i++) big += `${i.toString(36)}-`;
  big = big.slice(0, 500 * 1024);
  expect(await call(mc.set, "npm:big", big, 0)).toBe(true);
  const got = await call<string>(mc.get, "npm:big");
  expect(got.length).toBe(big.length);
  expect(got === big).toBe(true);
});
