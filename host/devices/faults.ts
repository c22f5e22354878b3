// The fault injector: a device around a device that loses, corrupts,
// duplicates and reorders frames in both directions (smoltcp's
// phy::FaultInjector, plus reordering and duplication). Every decision comes
// from a seeded generator, one stream per direction, so the same seed, the
// same configuration and the same frames in give the same frames out: a
// failure replays.
//
// Frames the injector must hold (reordered ones, duplicates that do not fit
// the burst) are copied into a bounded pool the injector owns; frames it lets
// through are copied once, from the inner device's burst to the caller's
// (receive) or from the caller's to a staging burst given to the inner device
// (transmit). It is a test tool: a copy per frame is cheap beside a syscall.
import { UsageError } from "../errors.js";
import { BURST_MAX, Burst, type Counters, DESC_SIZE, type Device, FRAME_CAP, earliest } from "./device.js";

/** `--faults` configuration. Probabilities are per frame and per direction. */
export interface FaultConfig {
  /** Probability a frame is lost. */
  readonly loss: number;
  /** Probability a frame is held back and released after the next frame (or after `delay` ms). */
  readonly reorder: number;
  /** Probability a frame is sent twice. */
  readonly dup: number;
  /** Probability one byte of a frame is changed (xor with a random non-zero value). */
  readonly corrupt: number;
  /** Seed of the generator (a u32). */
  readonly seed: number;
  /** Longest a reordered frame is held, in ms, when no frame follows it. */
  readonly delay: number;
}

export const NO_FAULTS: FaultConfig = Object.freeze({ loss: 0, reorder: 0, dup: 0, corrupt: 0, seed: 1, delay: 10 });
const PROBABILITIES = ["loss", "reorder", "dup", "corrupt"] as const;
const KEYS = [...PROBABILITIES, "seed", "delay"] as const;
type Key = (typeof KEYS)[number];
const DELAY_MAX_MS = 60_000;
const SEED_MAX = 0xffffffff;

function faultsError(code: string, message: string): UsageError {
  return new UsageError(code, `--faults: ${message} (syntax: loss=0.05,reorder=0.1,dup=0.01,corrupt=0.01,seed=N[,delay=MS])`);
}

/** Parses `loss=0.05,reorder=0.1,dup=0.01,corrupt=0.01,seed=N[,delay=MS]`; keys left out are 0 (seed 1, delay 10). */
export function parseFaults(text: string): FaultConfig {
  if (text.trim() === "") throw faultsError("ERR_FAULTS_EMPTY", "no faults given");
  const seen = new Set<Key>();
  const config: Record<Key, number> = { ...NO_FAULTS };
  for (const part of text.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) throw faultsError("ERR_FAULTS_SYNTAX", `"${part}" is not key=value`);
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (!(KEYS as readonly string[]).includes(key)) {
      throw faultsError("ERR_FAULTS_UNKNOWN_KEY", `unknown key "${key}" (known: ${KEYS.join(", ")})`);
    }
    const k = key as Key;
    if (seen.has(k)) throw faultsError("ERR_FAULTS_DUPLICATE_KEY", `"${k}" is given twice`);
    seen.add(k);
    if (k === "seed" || k === "delay") {
      if (!/^[0-9]+$/.test(value)) throw faultsError("ERR_FAULTS_BAD_NUMBER", `${k}: "${value}" is not a whole number`);
      const n = Number(value);
      const max = k === "seed" ? SEED_MAX : DELAY_MAX_MS;
      if (n > max) throw faultsError("ERR_FAULTS_OUT_OF_RANGE", `${k}: ${value} is out of range (0..${max})`);
      config[k] = n;
    } else {
      if (!/^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$/.test(value)) {
        throw faultsError("ERR_FAULTS_BAD_NUMBER", `${k}: "${value}" is not a number`);
      }
      const p = Number(value);
      if (!(p >= 0 && p <= 1)) throw faultsError("ERR_FAULTS_OUT_OF_RANGE", `${k}: ${value} is not a probability in [0, 1]`);
      config[k] = p;
    }
  }
  return Object.freeze(config);
}

/** The canonical text of a configuration (every key), for banners and replays. */
export function formatFaults(c: FaultConfig): string {
  return KEYS.map((k) => `${k}=${c[k]}`).join(",");
}

/**
 * xoshiro128** seeded through splitmix32: small, fast in JS (32-bit integer
 * operations only) and identical on every run and platform.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const splitmix32 = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = splitmix32();
    this.b = splitmix32();
    this.c = splitmix32();
    this.d = splitmix32() | 1; // never the all-zero state
  }

  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 0x1_0000_0000;
  }

  /** True with probability p; always draws, so the stream does not depend on p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.float() * n);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Where a direction puts the frames it lets through. */
interface Sink {
  /** Copies a frame out; false when the sink has no room now (the frame is kept). */
  put(bytes: Uint8Array, off: number, len: number): boolean;
}

/** Frames held per direction; past it a reordered frame goes through in order, a surplus duplicate is lost. */
export const HOLD_MAX = BURST_MAX;

/** The faults of one direction: its own generator, held frames and counters. */
class Direction {
  private readonly rng: Rng;
  private readonly pool = new Uint8Array(HOLD_MAX * FRAME_CAP);
  private readonly heldLen = new Int32Array(HOLD_MAX);
  private readonly heldDue = new Float64Array(HOLD_MAX);
  private head = 0;
  private count = 0;
  frames = 0;
  passed = 0;
  lost = 0;
  corrupted = 0;
  duplicated = 0;
  reordered = 0;
  overflow = 0;

  constructor(private readonly cfg: FaultConfig, stream: number) {
    this.rng = new Rng((cfg.seed ^ Math.imul(stream, 0x9e3779b1)) >>> 0);
  }

  /** When the first held frame is due (frames leave in the order they were held); +Infinity if none. */
  nextDue(): number {
    return this.count > 0 ? this.heldDue[this.head] : Infinity;
  }

  /** Held frames whose time has come (`all`: every held frame) go out, in the order they were held. */
  release(out: Sink, now: number, all: boolean): void {
    while (this.count > 0) {
      const slot = this.head;
      if (!all && this.heldDue[slot] > now) return;
      if (!out.put(this.pool, slot * FRAME_CAP, this.heldLen[slot])) return;
      this.head = (this.head + 1) % HOLD_MAX;
      this.count--;
      this.passed++;
    }
  }

  private hold(bytes: Uint8Array, off: number, len: number, due: number): boolean {
    if (this.count === HOLD_MAX || len > FRAME_CAP) return false;
    const slot = (this.head + this.count) % HOLD_MAX;
    this.pool.set(bytes.subarray(off, off + len), slot * FRAME_CAP);
    this.heldLen[slot] = len;
    this.heldDue[slot] = due;
    this.count++;
    return true;
  }

  /** Out now; or, the sink being full, held to go out first next time; lost if the pool is full too. */
  private emit(out: Sink, bytes: Uint8Array, off: number, len: number, now: number): void {
    if (out.put(bytes, off, len)) this.passed++;
    else if (!this.hold(bytes, off, len, now)) this.overflow++;
  }

  /** Puts frames [0, n) of `input` through the faults, into `out`. */
  run(input: Burst, n: number, out: Sink, now: number): void {
    const { rng, cfg } = this;
    const bytes = input.bytes;
    for (let i = 0; i < n; i++) {
      const off = input.addr(i);
      const len = input.len(i);
      this.frames++;
      // The draws are made in a fixed order so that a run replays from the seed.
      if (rng.chance(cfg.loss)) {
        this.lost++;
        continue;
      }
      if (rng.chance(cfg.corrupt) && len > 0) {
        bytes[off + rng.below(len)] ^= 1 + rng.below(255);
        this.corrupted++;
      }
      const dup = rng.chance(cfg.dup);
      if (rng.chance(cfg.reorder) && this.hold(bytes, off, len, now + cfg.delay)) {
        this.reordered++;
      } else {
        this.emit(out, bytes, off, len, now);
        this.release(out, now, true); // frames held before this one follow it
      }
      if (dup) {
        this.duplicated++;
        this.emit(out, bytes, off, len, now);
      }
    }
  }
}

/** Copies frames into the caller's rx descriptors [0, max), in order. */
class RxSink implements Sink {
  burst!: Burst;
  max = 0;
  n = 0;
  oversize = 0;

  put(bytes: Uint8Array, off: number, len: number): boolean {
    if (this.n >= this.max) return false;
    const b = this.burst;
    if (len > b.len(this.n)) {
      this.oversize++;
      return true; // lost: no buffer of the caller's could take it
    }
    b.bytes.set(bytes.subarray(off, off + len), b.addr(this.n));
    b.setLen(this.n, len);
    this.n++;
    return true;
  }
}

/** Copies frames into a staging burst and hands each full burst to the inner device. */
class TxSink implements Sink {
  readonly stage: Burst;
  n = 0;
  now = 0;
  oversize = 0;

  constructor(private readonly inner: Device) {
    this.stage = stagingBurst();
  }

  put(bytes: Uint8Array, off: number, len: number): boolean {
    if (len > FRAME_CAP) {
      this.oversize++;
      return true; // lost: longer than any staging buffer
    }
    if (this.n === BURST_MAX) this.flush();
    this.stage.bytes.set(bytes.subarray(off, off + len), this.stage.addr(this.n));
    this.stage.setLen(this.n, len);
    this.n++;
    return true;
  }

  flush(): void {
    if (this.n === 0) return;
    this.inner.transmit(this.stage, this.n, this.now);
    this.n = 0;
    this.stage.offer(STAGE_BUFFERS);
  }
}

/** Where a staging burst's buffers start: after its BURST_MAX descriptors. */
const STAGE_BUFFERS = BURST_MAX * DESC_SIZE;

/** BURST_MAX descriptors followed by their FRAME_CAP buffers, in a host buffer. */
function stagingBurst(): Burst {
  const b = new Burst(new Uint8Array(STAGE_BUFFERS + BURST_MAX * FRAME_CAP), 0);
  b.offer(STAGE_BUFFERS);
  return b;
}

export class FaultInjector implements Device {
  readonly name: string;
  readonly maxFrame: number;
  private readonly rxDir: Direction;
  private readonly txDir: Direction;
  private readonly rxStage = stagingBurst();
  private readonly rxSink = new RxSink();
  private readonly txSink: TxSink;

  constructor(private readonly inner: Device, readonly config: FaultConfig) {
    this.name = `faults(${inner.name})`;
    this.maxFrame = inner.maxFrame;
    this.rxDir = new Direction(config, 1);
    this.txDir = new Direction(config, 2);
    this.txSink = new TxSink(inner);
  }

  get fd(): number {
    return this.inner.fd;
  }

  receive(rx: Burst, max: number, now: number): number {
    const sink = this.rxSink;
    sink.burst = rx;
    sink.max = max;
    sink.n = 0;
    this.rxDir.release(sink, now, false);
    const room = Math.min(max - sink.n, BURST_MAX);
    if (room > 0) {
      this.rxStage.offer(STAGE_BUFFERS);
      const n = this.inner.receive(this.rxStage, room, now);
      this.rxDir.run(this.rxStage, n, sink, now);
    }
    return sink.n;
  }

  transmit(tx: Burst, count: number, now: number): number {
    const sink = this.txSink;
    sink.now = now;
    this.txDir.release(sink, now, false);
    this.txDir.run(tx, count, sink, now);
    sink.flush();
    return count;
  }

  pollAt(now: number): number {
    return earliest(this.inner.pollAt(now), earliest(this.rxDir.nextDue(), this.txDir.nextDue()));
  }

  counters(): Counters {
    const out: Record<string, number> = {};
    for (const [prefix, d] of [["rx", this.rxDir], ["tx", this.txDir]] as const) {
      out[`${prefix}Frames`] = d.frames;
      out[`${prefix}Passed`] = d.passed;
      out[`${prefix}Lost`] = d.lost;
      out[`${prefix}Corrupted`] = d.corrupted;
      out[`${prefix}Duplicated`] = d.duplicated;
      out[`${prefix}Reordered`] = d.reordered;
      out[`${prefix}Overflow`] = d.overflow;
    }
    out.rxOversize = this.rxSink.oversize;
    out.txOversize = this.txSink.oversize;
    return out;
  }

  close(): void {
    this.inner.close();
  }
}
