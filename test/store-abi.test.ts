// The store ABI (docs/store-abi.md) driven as a foreign module would: plain
// Wasm calls on build/store.wasm, keys and values in memory the caller owns,
// results read from the caller's record. Two instances on one memory stand
// for two cores (or two protocol modules) sharing the cache.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CONTROL_BASE, Ctl } from "../host/layout.js";

const ROOT = join(import.meta.dirname, "..");
const MODE = { SET: 0, ADD: 1, REPLACE: 2, APPEND: 3, PREPEND: 4, CAS: 5 } as const;
const R = { STORED: 0, NOT_STORED: 1, EXISTS: 2, NOT_FOUND: 3, NO_MEMORY: 4, NON_NUMERIC: 5, DELTA_OK: 6, TOO_LARGE: 7 } as const;
const STAT = { CURR_ITEMS: 0, TOTAL_ITEMS: 1, LIMIT_MAXBYTES: 8 } as const;

interface StoreAbi {
  store_region_size(itemBytes: number, itemSizeMax: number): number;
  store_format(control: number): number;
  store_attach(control: number, core: number): number;
  clock(nowMs: number): number;
  exptime(wire: bigint, now: number): number;
  get(key: number, klen: number, now: number, res: number): number;
  valid(res: number): number;
  pin(res: number): number;
  unpin(res: number): void;
  size_ok(klen: number, flags: number, vlen: number): number;
  put(key: number, klen: number, value: number, vlen: number, flags: number, exp: number, mode: number, cas: bigint, now: number, res: number): number;
  reserve(key: number, klen: number, flags: number, exp: number, vlen: number, now: number): number;
  item_value(it: number): number;
  commit(it: number, mode: number, cas: bigint, now: number): number;
  abort(it: number): void;
  remove(key: number, klen: number, now: number): number;
  delta(key: number, klen: number, incr: number, by: bigint, cas: bigint, now: number, res: number): number;
  touch(key: number, klen: number, exp: number, now: number): number;
  flush(delay: bigint, now: number): void;
  tick(now: number): void;
  stat(id: number): bigint;
  static_end(): number;
}

const MB = 1 << 20;
/** Caller memory for keys, values and result records, below the control block's page. */
const SCRATCH = 8192;
const RES = 4096;
const RES2 = 4096 + 64;

function setup(cores = 2) {
  const mod = new WebAssembly.Module(readFileSync(join(ROOT, "build", "store.wasm")));
  const memory = new WebAssembly.Memory({ initial: 32, maximum: 65536, shared: true });
  const make = () => new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as StoreAbi;
  const a = make();
  const itemBytes = 8 * MB;
  const size = a.store_region_size(itemBytes, MB) >>> 0;
  const storeBase = CONTROL_BASE + 4096;
  memory.grow(Math.ceil((storeBase + size) / 65536) - 32 + 1);
  const dv = new DataView(memory.buffer);
  const u32 = (off: number, v: number) => dv.setUint32(CONTROL_BASE + off, v, true);
  u32(Ctl.N_CORES, cores);
  u32(Ctl.ITEM_SIZE_MAX, MB);
  u32(Ctl.STORE_BASE, storeBase);
  u32(Ctl.STORE_SIZE, size);
  u32(Ctl.ITEM_BYTES, itemBytes);
  u32(Ctl.PROCESS_STARTED, 1_000_000);
  expect(a.store_format(CONTROL_BASE)).toBe(0);
  expect(a.store_attach(CONTROL_BASE, 0)).toBe(0);
  const b = make();
  expect(b.store_attach(CONTROL_BASE, 1)).toBe(0);
  const bytes = () => new Uint8Array(memory.buffer);
  let at = SCRATCH;
  const put = (s: string | Uint8Array): [number, number] => {
    const enc = typeof s === "string" ? new TextEncoder().encode(s) : s;
    const p = at;
    bytes().set(enc, p);
    at += enc.length + 8;
    return [p, enc.length];
  };
  const text = (p: number, n: number) => new TextDecoder().decode(bytes().slice(p, p + n));
  const res = (r: number) => ({
    item: dv.getUint32(r, true),
    value: text(dv.getUint32(r + 4, true), dv.getUint32(r + 8, true)),
    flags: dv.getUint32(r + 12, true),
    cas: dv.getBigUint64(r + 16, true),
    exptime: dv.getUint32(r + 24, true),
    number: dv.getBigUint64(r + 32, true),
  });
  return { a, b, put, res, text, dv, memory };
}

describe("store ABI (store.wasm)", () => {
  it("has only env.memory as import and its statics inside its window", () => {
    const mod = new WebAssembly.Module(readFileSync(join(ROOT, "build", "store.wasm")));
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
