// Property tests of the store (fast-check): random sequences of every ABI
// operation (set, add, replace, append, prepend, cas, delete, incr, decr,
// touch, flush, get, the clock moving on), each through one of two
// instances on one memory (two cores), checked step by step against a
// plain model of memcached 1.6's rules. While live data is far below -m
// nothing may be evicted, so every get must equal the model exactly; under
// memory pressure an item may be gone (evicted) but a present one must
// still be exactly the model's, and the bytes stay within -m. Seeded:
// a failure prints the seed and the shrunk sequence to replay it.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MB, MODE, R, RES, setup } from "./support/store-abi.js";

/** Caller memory for one key and one value (below the store's static window). */
const KEY_AT = 8192;
const VALUE_AT = 8192 + 512;
const VALUE_MAX = 65536;
const U64 = (1n << 64n) - 1n;
const STAT_BYTES = 2;
const STAT_EVICTIONS = 3;

type Op =
  | { kind: "put"; mode: number; key: number; value: string; flags: number; ttl: number; staleCas: boolean }
  | { kind: "get" | "delete"; key: number }
  | { kind: "delta"; key: number; incr: boolean; by: bigint }
  | { kind: "touch"; key: number; ttl: number }
  | { kind: "flush" }
  | { kind: "wait"; seconds: number };
type Step = { core: 0 | 1; op: Op };

interface Item { value: string; flags: number; exptime: number; cas: bigint }

/** Values: digits (numbers for incr/decr), letters, or both; sizes from empty to VALUE_MAX. */
function valueArb(large: boolean) {
  const digits = fc.bigInt({ min: 0n, max: U64 }).map((n) => n.toString());
  const word = fc.stringMatching(/^[a-z]{1,12}$/);
  const big = fc.integer({ min: 1, max: large ? VALUE_MAX : 3000 }).map((n) => "v".repeat(n));
  return large ? fc.oneof(digits, word, { weight: 4, arbitrary: big }, fc.constant("")) : fc.oneof(digits, word, big, fc.constant(""));
}

function stepArb(keys: number, large: boolean): fc.Arbitrary<Step> {
  const key = fc.integer({ min: 0, max: keys - 1 });
  // under pressure mostly no expiry and no flush, so that live data outgrows -m
  const ttl = large ? fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, fc.integer({ min: 1, max: 6 })) : fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 6 }));
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 6, arbitrary: fc.record({
      kind: fc.constant("put" as const), mode: fc.integer({ min: MODE.SET, max: MODE.CAS }), key, value: valueArb(large),
      flags: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffffffff })), ttl, staleCas: fc.boolean(),
    }) },
    { weight: 5, arbitrary: fc.record({ kind: fc.constant("get" as const), key }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("delete" as const), key }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("delta" as const), key, incr: fc.boolean(), by: fc.bigInt({ min: 0n, max: U64 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("touch" as const), key, ttl }) },
    { weight: large ? 0 : 1, arbitrary: fc.constant({ kind: "flush" as const }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("wait" as const), seconds: fc.integer({ min: 1, max: 3 }) }) },
  );
  return fc.record({ core: fc.constantFrom(0 as const, 1 as const), op });
}

/** memcached's safe_strtoull on a value: leading digits, then the end or a space; under 2^64. */
function numberOf(v: string): bigint | undefined {
  const m = /^(\d+)(?:\s|$)/.exec(v);
  if (!m) return undefined;
  const n = BigInt(m[1]);
  return n > U64 ? undefined : n;
}

/** Runs steps on a fresh store of `mb` MiB; `evictable`: a missing item is allowed (pressure). */
function runSteps(steps: Step[], mb: number, evictable: boolean): bigint {
  // -I 128k under pressure: 128 KiB segments, so even a small store has dozens
  const s = setup(2, mb * MB, evictable ? 128 << 10 : MB);
  const cores = [s.a, s.b];
  const bytes = () => new Uint8Array(s.memory.buffer);
  const enc = new TextEncoder();
  const keyText = (k: number) => `key:${k}`;
  const writeKey = (k: number) => { const b = enc.encode(keyText(k)); bytes().set(b, KEY_AT); return b.length; };
  const model = new Map<number, Item>();
  let now = 100;
  const live = (k: number): Item | undefined => {
    const it = model.get(k);
    if (it && it.exptime !== 0 && it.exptime <= now) { model.delete(k); return undefined; }
    return it;
  };
  /** The model's item k agrees with the store (or, when evictable, the store lost it: model follows). */
  const check = (core: number, k: number, where: string) => {
    const want = live(k);
    const kl = writeKey(k);
    const found = cores[core].get(KEY_AT, kl, now, RES) === 1;
    if (!found && want && evictable) { model.delete(k); return; }
    expect(found, `${where}: key ${k} present`).toBe(want !== undefined);
    if (!want) return;
    const got = s.res(RES);
    expect({ value: got.value, flags: got.flags, exptime: got.exptime, cas: got.cas }, `${where}: key ${k}`).toEqual(want);
  };
  for (const [i, { core, op }] of steps.entries()) {
    const x = cores[core];
    const where = `step ${i} (${JSON.stringify(op, (_, v) => (typeof v === "bigint" ? v.toString() : v))})`;
    switch (op.kind) {
      case "wait": now += op.seconds; break;
      case "flush":
        // a second apart on both sides, so no item shares the flush's second (its rule is per second)
        now += 1; x.flush(0n, now); now += 1; model.clear(); break;
      case "get": check(core, op.key, where); break;
      case "delete": {
        const had = live(op.key);
        const gone = x.remove(KEY_AT, writeKey(op.key), now) === 1;
        if (!(evictable && had && !gone)) expect(gone, where).toBe(had !== undefined);
        model.delete(op.key);
        break;
      }
      case "touch": {
        const had = live(op.key);
        const exp = x.exptime(BigInt(op.ttl), now);
        const ok = x.touch(KEY_AT, writeKey(op.key), exp, now) === 1;
        if (evictable && had && !ok) { model.delete(op.key); break; }
        expect(ok, where).toBe(had !== undefined);
        if (had) had.exptime = exp;
        break;
      }
      case "delta": {
        const had = live(op.key);
        const r = x.delta(KEY_AT, writeKey(op.key), op.incr ? 1 : 0, op.by, 0n, now, RES);
        if (evictable && had && r === R.NOT_FOUND) { model.delete(op.key); break; }
        if (!had) { expect(r, where).toBe(R.NOT_FOUND); break; }
        const n = numberOf(had.value);
        if (n === undefined) { expect(r, where).toBe(R.NON_NUMERIC); break; }
        expect(r, where).toBe(R.DELTA_OK);
        const next = op.incr ? (n + op.by) & U64 : n > op.by ? n - op.by : 0n;
        const digits = next.toString();
        // memcached rewrites in place, padded with spaces, when the number fits the old length
        had.value = digits.length <= had.value.length ? digits.padEnd(had.value.length, " ") : digits;
        had.cas = s.res(RES).cas;
        expect(s.res(RES).number, where).toBe(next);
        break;
      }
      case "put": {
        const had = live(op.key);
        const v = enc.encode(op.value);
        bytes().set(v, VALUE_AT);
        const exp = x.exptime(BigInt(op.ttl), now);
        const cas = op.mode === MODE.CAS ? (had && !op.staleCas ? had.cas : (had?.cas ?? 0n) + 1000n) : 0n;
        const r = x.put(KEY_AT, writeKey(op.key), VALUE_AT, v.length, op.flags, exp, op.mode, cas, now, RES);
        if (evictable && had && (r === R.NOT_STORED || r === R.NOT_FOUND) && op.mode !== MODE.ADD) {
          // evicted before this step (the store saw no item), or an append past -I that left the
          // item as it was: either way the store now holds nothing or exactly the model's item
          check(core, op.key, where);
          break;
        }
        let want: number;
        let next: Item | undefined;
        switch (op.mode) {
          case MODE.SET: want = R.STORED; next = { value: op.value, flags: op.flags, exptime: exp, cas: 0n }; break;
          case MODE.ADD: want = had ? R.NOT_STORED : R.STORED; next = had ? undefined : { value: op.value, flags: op.flags, exptime: exp, cas: 0n }; break;
          case MODE.REPLACE: want = had ? R.STORED : R.NOT_STORED; next = had && { value: op.value, flags: op.flags, exptime: exp, cas: 0n }; break;
          case MODE.APPEND: case MODE.PREPEND:
            want = had ? R.STORED : R.NOT_STORED;
            next = had && { ...had, value: op.mode === MODE.APPEND ? had.value + op.value : op.value + had.value };
            break;
          default: // CAS
            want = !had ? R.NOT_FOUND : op.staleCas ? R.EXISTS : R.STORED;
            next = had && !op.staleCas ? { value: op.value, flags: op.flags, exptime: exp, cas: 0n } : undefined;
        }
        if (evictable && op.mode === MODE.ADD && r === R.STORED && had) { next = { value: op.value, flags: op.flags, exptime: exp, cas: 0n }; want = R.STORED; }
        expect(r, where).toBe(want);
        if (r === R.STORED && next) { next.cas = s.res(RES).cas; model.set(op.key, next); }
        break;
      }
    }
    if (evictable) expect(s.a.stat(STAT_BYTES), `${where}: bytes within -m`).toBeLessThanOrEqual(BigInt(mb * MB));
  }
  for (const k of [...model.keys()]) check(0, k, "at the end");
  if (!evictable) expect(s.a.stat(STAT_EVICTIONS), "evictions while live data is far below -m").toBe(0n);
  return s.a.stat(STAT_EVICTIONS);
}

describe("store properties (fast-check, two instances on one memory)", () => {
  it("agrees with the model step by step while nothing needs evicting (8 MiB, 24 keys)", () => {
    fc.assert(fc.property(fc.array(stepArb(24, false), { minLength: 50, maxLength: 400, size: "max" }), (steps) => { runSteps(steps, 8, false); }),
      { numRuns: 150, seed: 20261207 });
  });

  it("under memory pressure: a present item is exactly the model's, bytes stay within -m (3 MiB, -I 128k, 1000 keys, values to 64 KB)", () => {
    let evictions = 0n;
    fc.assert(fc.property(fc.array(stepArb(1000, true), { minLength: 2000, maxLength: 2500, size: "max" }), (steps) => {
      evictions += runSteps(steps, 3, true);
    }), { numRuns: 40, seed: 7 });
    expect(evictions, "the runs were under pressure").toBeGreaterThan(0n);
  });
});
