// Zipf ranks by rejection-inversion (zipf.ts): within range, deterministic,
// and with the frequencies P(rank k) = k^-s / sum_j j^-s; and a run with
// Cfg.ZIPF_MILLI asks for popular keys far more often than uniform would.
import { Conn } from "../conn";
import { Cfg } from "../config";
import { zipfRank, zipfSetup } from "../zipf";
import { commands, defaults, keyOf, set, start, take } from "./harness";

function freshConn(seed: u64): Conn {
  let c = changetype<Conn>(heap.alloc(offsetof<Conn>()));
  memory.fill(changetype<usize>(c), 0, offsetof<Conn>());
  c.rng = seed;
  return c;
}

/** The exact probability of rank k (1-based) among n with exponent s. */
function exact(k: u32, n: u32, s: f64): f64 {
  let sum: f64 = 0;
  for (let j: u32 = 1; j <= n; j++) sum += Math.pow(<f64>j, -s);
  return Math.pow(<f64>k, -s) / sum;
}

describe("loadgen: Zipf ranks", () => {
  it("draws ranks in [0, n) with the Zipf frequencies (s = 0.99 and 1.2, 200 000 draws)", () => {
    const DRAWS = 200000;
    const N: u32 = 1000;
    for (let t = 0; t < 2; t++) {
      const s: f64 = t == 0 ? 0.99 : 1.2;
      zipfSetup(N, s);
      const c = freshConn(42);
      const counts = new StaticArray<u32>(N);
      let outside = 0;
      for (let i = 0; i < DRAWS; i++) {
        const r = zipfRank(c);
        if (r >= N) outside++;
        else counts[r]++;
      }
      expect(outside).toBe(0);
      for (let k: u32 = 1; k <= 4; k++) {
        const want = exact(k, N, s) * DRAWS;
        const got = <f64>counts[k - 1];
        expect(Math.abs(got - want) / want).toBeLessThan(0.05); // a few standard deviations at these counts
      }
      let top: f64 = 0, want: f64 = 0;
      for (let k: u32 = 1; k <= 100; k++) { top += <f64>counts[k - 1]; want += exact(k, N, s) * DRAWS; }
      expect(Math.abs(top - want) / want).toBeLessThan(0.02);
    }
  });
  it("is deterministic for a seed, and handles one key and s = 1 exactly", () => {
    zipfSetup(1, 0.99);
    const one = freshConn(7);
    let nonzero = 0;
    for (let i = 0; i < 100; i++) if (zipfRank(one) != 0) nonzero++;
    expect(nonzero).toBe(0);
    zipfSetup(1000000, 1.0);
    const a = freshConn(5), b = freshConn(5);
    let differ = 0, outside = 0;
    for (let i = 0; i < 1000; i++) {
      const r = zipfRank(a);
      if (r != zipfRank(b)) differ++;
      if (r >= 1000000) outside++;
    }
    expect(differ).toBe(0);
    expect(outside).toBe(0);
  });
  it("makes a run's gets favour the popular keys", () => {
    defaults();
    set(Cfg.KEYS, 1000);
    set(Cfg.ZIPF_MILLI, 990);
    set(Cfg.CONNS, 8);
    set(Cfg.DEPTH, 64);
    set(Cfg.REQUESTS, 512); // 64 per connection: all in flight at once
    start();
    let sent = 0, popular = 0;
    for (let c: u32 = 0; c < 8; c++) {
      const lines = commands(take(c));
      for (let i = 0; i < lines.length; i++) {
        sent++;
        if (keyOf(lines[i]) < 10) popular++;
      }
    }
    expect(sent).toBe(512);
    // uniform: the top 10 of 1000 keys would get 1%; Zipf(0.99) gives them about 39%
    expect(<f64>popular / <f64>sent).toBeGreaterThan(0.25);
  });
});
