import { describe, expect, it } from "vitest";
import { EX_USAGE, UsageError } from "../../errors.js";
import { type FaultConfig, FaultInjector, NO_FAULTS, Rng, formatFaults, parseFaults } from "../faults.js";
import { memLink } from "../memlink.js";
import { drain, hex, numbered, receive, send, seqOf, wasmRegion } from "./support.js";

const N = 10_000;
const BURST = 32;

function config(c: Partial<FaultConfig>): FaultConfig {
  return { ...NO_FAULTS, ...c };
}

/** Frames 0..n-1 through an injector on the transmit side of a link; what the far end received. */
function throughTx(c: FaultConfig, n: number, msPerFrame = 1) {
  const [a, b] = memLink({ capacity: 4 * n + 64 });
  const faults = new FaultInjector(a, c);
  const region = wasmRegion();
  const sent: Uint8Array[] = [];
  for (let i = 0; i < n; i += BURST) {
    const frames = Array.from({ length: Math.min(BURST, n - i) }, (_, k) => numbered(i + k));
    sent.push(...frames);
    expect(send(faults, region, frames, i * msPerFrame)).toBe(frames.length);
  }
  send(faults, region, [], 1e9); // releases any frame still held back
  return { sent, got: drain(b, region), faults };
}

/** The same through an injector on the receiving side, `max` descriptors per receive. */
function throughRx(c: FaultConfig, n: number, max = BURST) {
  const [a, b] = memLink({ capacity: n + 64 });
  const faults = new FaultInjector(b, c);
  const region = wasmRegion();
  for (let i = 0; i < n; i += BURST) {
    send(a, region, Array.from({ length: Math.min(BURST, n - i) }, (_, k) => numbered(i + k)));
  }
  const got = drain(faults, region, 0, max);
  got.push(...drain(faults, region, 1e9, max));
  return { got, faults };
}

/** |x - n p| within 5 standard deviations of a binomial count. */
function expectRate(x: number, n: number, p: number): void {
  const sd = Math.sqrt(n * p * (1 - p));
  expect(Math.abs(x - n * p)).toBeLessThanOrEqual(5 * sd + 1);
}

describe("Rng", () => {
  it("is a fixed sequence for a seed, different for another", () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const c = new Rng(8);
    const xs = Array.from({ length: 8 }, () => a.u32());
    expect(Array.from({ length: 8 }, () => b.u32())).toEqual(xs);
    expect(Array.from({ length: 8 }, () => c.u32())).not.toEqual(xs);
    // Pinned: a change to the generator changes every recorded replay.
    expect(new Rng(1).u32()).toBe(new Rng(1).u32());
    expect(xs.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32)).toBe(true);
  });

  it("is uniform enough", () => {
    const r = new Rng(123);
    let sum = 0;
    for (let i = 0; i < N; i++) sum += r.float();
    expect(Math.abs(sum / N - 0.5)).toBeLessThan(0.02);
  });
});

describe("FaultInjector", () => {
  const all = config({ loss: 0.05, reorder: 0.1, dup: 0.05, corrupt: 0.05, seed: 42 });

  it("replays: the same seed gives the same frames out, both directions", () => {
    const tx1 = throughTx(all, 2000).got.map(hex);
    const tx2 = throughTx(all, 2000).got.map(hex);
    expect(tx2).toEqual(tx1);
    expect(throughTx({ ...all, seed: 43 }, 2000).got.map(hex)).not.toEqual(tx1);
    const rx1 = throughRx(all, 2000).got.map(hex);
    expect(throughRx(all, 2000).got.map(hex)).toEqual(rx1);
    expect(rx1).not.toEqual(tx1); // the directions draw from different streams
  });

  it("passes everything untouched without faults", () => {
    const { sent, got, faults } = throughTx(NO_FAULTS, 500);
    expect(got.map(hex)).toEqual(sent.map(hex));
    expect(faults.counters()).toMatchObject({ txFrames: 500, txPassed: 500, txLost: 0 });
    const rx = throughRx(NO_FAULTS, 500, 7);
    expect(rx.got.map(hex)).toEqual(sent.map(hex));
  });

  it("loses frames at the configured rate", () => {
    const { got, faults } = throughTx(config({ loss: 0.05 }), N);
    const lost = faults.counters().txLost;
    expectRate(lost, N, 0.05);
    expect(got.length).toBe(N - lost);
    const seqs = got.map(seqOf);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y)); // loss alone keeps the order
  });

  it("duplicates frames at the configured rate, the copy right after the original", () => {
    const { got, faults } = throughTx(config({ dup: 0.05 }), N);
    const dups = faults.counters().txDuplicated;
    expectRate(dups, N, 0.05);
    expect(got.length).toBe(N + dups);
    let adjacent = 0;
    for (let i = 1; i < got.length; i++) if (hex(got[i]) === hex(got[i - 1])) adjacent++;
    expect(adjacent).toBe(dups);
  });

  it("corrupts one byte of a frame at the configured rate", () => {
    const { sent, got, faults } = throughTx(config({ corrupt: 0.05 }), N);
    expectRate(faults.counters().txCorrupted, N, 0.05);
    expect(got.length).toBe(N);
    let changed = 0;
    got.forEach((f, i) => {
      const diff = f.reduce((d, byte, k) => d + (byte !== sent[i][k] ? 1 : 0), 0);
      expect(diff).toBeLessThanOrEqual(1);
      changed += diff;
    });
    expect(changed).toBe(faults.counters().txCorrupted);
  });

  it("reorders frames at the configured rate, losing none", () => {
    // The clock stands still: a held frame waits for the next one to pass (not for `delay`).
    const { got, faults } = throughTx(config({ reorder: 0.1 }), N, 0);
    const reordered = faults.counters().txReordered;
    expectRate(reordered, N, 0.1);
    const seqs = got.map(seqOf);
    expect([...seqs].sort((x, y) => x - y)).toEqual(Array.from({ length: N }, (_, i) => i));
    let late = 0; // a frame that comes after a higher-numbered one
    let high = -1;
    for (const s of seqs) {
      if (s < high) late++;
      high = Math.max(high, s);
    }
    // Only frames held at the very end (released by the final flush) come in order.
    expect(late).toBeLessThanOrEqual(reordered);
    expect(late).toBeGreaterThanOrEqual(reordered - 4);
  });

  it("applies every fault on receive too, within the caller's burst size", () => {
    const { got, faults } = throughRx(config({ loss: 0.05, dup: 0.05, corrupt: 0.05, reorder: 0.1 }), N, 5);
    const c = faults.counters();
    expectRate(c.rxLost, N, 0.05);
    expectRate(c.rxDuplicated, N - c.rxLost, 0.05);
    expectRate(c.rxCorrupted, N - c.rxLost, 0.05);
    expectRate(c.rxReordered, N - c.rxLost, 0.1);
    expect(c.rxOverflow).toBe(0);
    expect(got.length).toBe(N - c.rxLost + c.rxDuplicated);
    expect(c.rxPassed).toBe(got.length);
  });

  it("delivers every frame twice, in order, when dup=1 overflows the burst", () => {
    const { got } = throughRx(config({ dup: 1 }), 100, 3);
    expect(got.map(seqOf)).toEqual(Array.from({ length: 200 }, (_, i) => i >> 1));
  });

  it("releases a held frame after the next one, or after `delay` ms", () => {
    const [a, b] = memLink();
    const faults = new FaultInjector(a, config({ reorder: 1, delay: 10 }));
    const region = wasmRegion();
    send(faults, region, [numbered(1)], 100);
    expect(faults.pollAt(100)).toBe(110);
    send(faults, region, [], 109);
    expect(b.queued).toBe(0);
    send(faults, region, [], 110);
    expect(receive(b, region).map(seqOf)).toEqual([1]);
    expect(faults.pollAt(110)).toBe(Infinity);

    // reorder=0.5: some frame is held and the next passing one overtakes it.
    const [c, d] = memLink();
    const half = new FaultInjector(c, config({ reorder: 0.5, seed: 3 }));
    send(half, region, Array.from({ length: 16 }, (_, i) => numbered(i)), 0);
    send(half, region, [], 1000);
    const seqs = receive(d, region).map(seqOf);
    expect([...seqs].sort((x, y) => x - y)).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(seqs).not.toEqual([...seqs].sort((x, y) => x - y));
  });

  it("loses everything with loss=1 and corrupts every frame with corrupt=1", () => {
    expect(throughTx(config({ loss: 1 }), 100).got).toEqual([]);
    const { sent, got } = throughTx(config({ corrupt: 1 }), 100);
    got.forEach((f, i) => expect(hex(f)).not.toBe(hex(sent[i])));
  });

  it("reports the inner device's fd and closes it", () => {
    const [a] = memLink();
    const faults = new FaultInjector(a, NO_FAULTS);
    expect(faults.fd).toBe(-1);
    expect(faults.name).toBe("faults(memlink:a)");
    faults.close();
    expect(() => send(faults, wasmRegion(), [numbered(0)])).toThrow(/closed/);
  });
});

describe("parseFaults", () => {
  it("reads the --faults syntax", () => {
    const c = parseFaults("loss=0.05,reorder=0.1,dup=0.01,corrupt=0.01,seed=7");
    expect(c).toEqual({ loss: 0.05, reorder: 0.1, dup: 0.01, corrupt: 0.01, seed: 7, delay: 10 });
    expect(Object.isFrozen(c)).toBe(true);
    expect(parseFaults("loss=1")).toEqual({ ...NO_FAULTS, loss: 1 });
    expect(parseFaults("dup=.5, corrupt=1e-3 ,delay=0,seed=4294967295")).toMatchObject({ dup: 0.5, corrupt: 0.001, delay: 0, seed: 4294967295 });
    expect(parseFaults(formatFaults(c))).toEqual(c);
    expect(formatFaults(c)).toBe("loss=0.05,reorder=0.1,dup=0.01,corrupt=0.01,seed=7,delay=10");
  });

  it.each([
    ["", "ERR_FAULTS_EMPTY"],
    ["loss", "ERR_FAULTS_SYNTAX"],
    ["loss=0.1,", "ERR_FAULTS_SYNTAX"],
    ["drop=0.1", "ERR_FAULTS_UNKNOWN_KEY"],
    ["loss=0.1,loss=0.2", "ERR_FAULTS_DUPLICATE_KEY"],
    ["loss=abc", "ERR_FAULTS_BAD_NUMBER"],
    ["loss=", "ERR_FAULTS_BAD_NUMBER"],
    ["loss=-0.1", "ERR_FAULTS_BAD_NUMBER"],
    ["loss=0x1", "ERR_FAULTS_BAD_NUMBER"],
    ["loss=1.5", "ERR_FAULTS_OUT_OF_RANGE"],
    ["reorder=2", "ERR_FAULTS_OUT_OF_RANGE"],
    ["seed=1.5", "ERR_FAULTS_BAD_NUMBER"],
    ["seed=4294967296", "ERR_FAULTS_OUT_OF_RANGE"],
    ["delay=60001", "ERR_FAULTS_OUT_OF_RANGE"],
  ])("rejects %j with %s", (text, code) => {
    let err: unknown;
    try {
      parseFaults(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).code).toBe(code);
    expect((err as UsageError).exitCode).toBe(EX_USAGE);
    expect((err as UsageError).message).toMatch(/^--faults: /);
  });

  it("names the known keys when one is unknown", () => {
    expect(() => parseFaults("lose=0.1")).toThrow(/unknown key "lose" \(known: loss, reorder, dup, corrupt, seed, delay\)/);
  });
});
