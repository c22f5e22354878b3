// The store ABI (docs/store-abi.md) driven as a foreign module would: plain
// Wasm calls on build/store.wasm, keys and values in memory the caller owns,
// results read from the caller's record. Two instances on one memory stand
// for two cores (or two protocol modules) sharing the cache.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MB, MODE, R, RES, RES2, SCRATCH, STAT, STORE_WASM, setup } from "./support/store-abi.js";

describe("store ABI (store.wasm)", () => {
  it("has only env.memory as import and its statics inside its window", () => {
    const mod = new WebAssembly.Module(readFileSync(STORE_WASM));
    expect(WebAssembly.Module.imports(mod)).toEqual([{ module: "env", name: "memory", kind: "memory" }]);
    const { a } = setup();
    expect(a.static_end()).toBeGreaterThanOrEqual(192 * 1024);
    expect(a.static_end()).toBeLessThanOrEqual(256 * 1024);
  });

  it("put through one instance, get through the other: value bytes in place, flags, CAS, exptime", () => {
    const { a, b, put, res } = setup();
    const now = a.clock(1_000_100 * 1000);
    expect(now).toBe(100);
    const [k, kl] = put("greeting");
    const [v, vl] = put("hello");
    expect(a.put(k, kl, v, vl, 42, 0, MODE.SET, 0n, now, RES)).toBe(R.STORED);
    const stored = res(RES).cas;
    expect(b.get(k, kl, now, RES2)).toBe(1);
    const got = res(RES2);
    expect(got).toMatchObject({ value: "hello", flags: 42, exptime: 0, cas: stored });
    expect(b.valid(RES2)).toBe(1);
    expect(b.pin(RES2)).toBe(1);
    b.unpin(RES2);
    const [miss, ml] = put("absent");
    expect(b.get(miss, ml, now, RES2)).toBe(0);
    expect(res(RES2).item).toBe(0);
    expect(b.valid(RES2)).toBe(0); // a record without an item is never valid
  });

  it("modes: add, replace, append, prepend, cas", () => {
    const { a, b, put, res } = setup();
    const now = 10;
    const [k, kl] = put("k");
    const [x, xl] = put("x");
    const [y, yl] = put("yy");
    expect(a.put(k, kl, x, xl, 0, 0, MODE.REPLACE, 0n, now, 0)).toBe(R.NOT_STORED);
    expect(a.put(k, kl, x, xl, 0, 0, MODE.ADD, 0n, now, RES)).toBe(R.STORED);
    expect(b.put(k, kl, y, yl, 0, 0, MODE.ADD, 0n, now, 0)).toBe(R.NOT_STORED);
    expect(b.put(k, kl, y, yl, 7, 0, MODE.APPEND, 0n, now, 0)).toBe(R.STORED);
    expect(b.put(k, kl, y, yl, 7, 0, MODE.PREPEND, 0n, now, 0)).toBe(R.STORED);
    expect(a.get(k, kl, now, RES)).toBe(1);
    expect(res(RES)).toMatchObject({ value: "yyxyy", flags: 0 }); // append keeps the old flags
    const cas = res(RES).cas;
    expect(a.put(k, kl, x, xl, 0, 0, MODE.CAS, cas + 1n, now, 0)).toBe(R.EXISTS);
    expect(a.put(k, kl, x, xl, 0, 0, MODE.CAS, cas, now, RES2)).toBe(R.STORED);
    expect(res(RES2).cas).toBeGreaterThan(cas);
    const [m, ml] = put("missing");
    expect(a.put(m, ml, x, xl, 0, 0, MODE.CAS, 1n, now, 0)).toBe(R.NOT_FOUND);
  });

  it("refuses what can never fit, with TOO_LARGE", () => {
    const { a, put } = setup();
    const [k, kl] = put("big");
    expect(a.size_ok(kl, 0, MB)).toBe(0);
    expect(a.put(k, kl, SCRATCH, MB, 0, 0, MODE.SET, 0n, 1, 0)).toBe(R.TOO_LARGE);
    expect(a.put(k, 0, SCRATCH, 1, 0, 0, MODE.SET, 0n, 1, 0)).toBe(R.TOO_LARGE);
    const [long, ll] = put("k".repeat(251));
    expect(a.put(long, ll, SCRATCH, 1, 0, 0, MODE.SET, 0n, 1, 0)).toBe(R.TOO_LARGE);
  });

  it("reserve, fill in parts, commit; abort leaves nothing", () => {
    const { a, b, put, res, memory } = setup();
    const [k, kl] = put("parts");
    const it = a.reserve(k, kl, 3, 0, 6, 1);
    expect(it).not.toBe(0);
    const v = a.item_value(it);
    new Uint8Array(memory.buffer).set(new TextEncoder().encode("abc"), v);
    expect(b.get(k, kl, 1, RES)).toBe(0); // unpublished
    new Uint8Array(memory.buffer).set(new TextEncoder().encode("def"), v + 3);
    expect(a.commit(it, MODE.SET, 0n, 1)).toBe(R.STORED);
    expect(b.get(k, kl, 1, RES)).toBe(1);
    expect(res(RES)).toMatchObject({ value: "abcdef", flags: 3 });
    const [k2, kl2] = put("dropped");
    a.abort(a.reserve(k2, kl2, 0, 0, 4, 1));
    expect(b.get(k2, kl2, 1, RES)).toBe(0);
    expect(a.item_value(12345)).toBe(0); // not an item: refused, no trap
  });

  it("delete, touch and expiry, flush", () => {
    const { a, b, put, res } = setup();
    const [k, kl] = put("ttl");
    const [v, vl] = put("v");
    expect(a.put(k, kl, v, vl, 0, a.exptime(5n, 100), MODE.SET, 0n, 100, 0)).toBe(R.STORED);
    expect(b.get(k, kl, 104, RES)).toBe(1);
    expect(res(RES).exptime).toBe(105);
    expect(b.get(k, kl, 105, RES)).toBe(0); // expired at exptime <= now
    expect(a.put(k, kl, v, vl, 0, 0, MODE.SET, 0n, 100, 0)).toBe(R.STORED);
    expect(b.touch(k, kl, 200, 100)).toBe(1);
    expect(a.get(k, kl, 150, RES)).toBe(1);
    expect(res(RES).exptime).toBe(200);
    expect(a.remove(k, kl, 150)).toBe(1);
    expect(a.remove(k, kl, 150)).toBe(0);
    expect(b.touch(k, kl, 0, 150)).toBe(0);
    expect(a.put(k, kl, v, vl, 0, 0, MODE.SET, 0n, 150, 0)).toBe(R.STORED);
    b.flush(0n, 160);
    expect(a.get(k, kl, 160, RES)).toBe(0);
    for (let i = 0; i < 10; i++) a.tick(160); // bounded steps: no trap, no hang
  });

  it("incr/decr with memcached's rules; stats summed over instances", () => {
    const { a, b, put, res } = setup();
    const [k, kl] = put("n");
    const [v, vl] = put("15");
    expect(a.delta(k, kl, 1, 1n, 0n, 1, RES)).toBe(R.NOT_FOUND);
    expect(a.put(k, kl, v, vl, 0, 0, MODE.SET, 0n, 1, 0)).toBe(R.STORED);
    expect(b.delta(k, kl, 0, 15n, 0n, 1, RES)).toBe(R.DELTA_OK);
    expect(res(RES).number).toBe(0n);
    expect(a.get(k, kl, 1, RES2)).toBe(1);
    expect(res(RES2).value).toBe("0 ");
    expect(b.delta(k, kl, 1, 2n ** 64n - 1n, 0n, 1, RES)).toBe(R.DELTA_OK);
    const [w, wl] = put("word");
    expect(a.put(w, wl, w, wl, 0, 0, MODE.SET, 0n, 1, 0)).toBe(R.STORED);
    expect(a.delta(w, wl, 1, 1n, 0n, 1, RES)).toBe(R.NON_NUMERIC);
    expect(a.stat(STAT.CURR_ITEMS)).toBe(2n);
    expect(b.stat(STAT.CURR_ITEMS)).toBe(2n);
    expect(a.stat(STAT.TOTAL_ITEMS)).toBeGreaterThanOrEqual(3n);
    expect(a.stat(STAT.LIMIT_MAXBYTES)).toBe(BigInt(8 * MB));
    expect(a.stat(99)).toBe(-1n);
  });
});
