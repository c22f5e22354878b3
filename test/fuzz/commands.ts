// Grammar-based generator of memcached requests for the differential command
// fuzzer (differential.ts runs them): text commands, meta commands and binary
// frames, valid, mutated and hostile (bad lengths, huge and negative numbers,
// embedded NUL and lone CR, over-long keys, truncation at any byte, unknown
// commands, bad flags, noreply).
//
// A batch is a pure function of (seed, lane, index): same seed, same bytes.
// Every key of lane L starts with `z<L><L>:` so that lanes, which run side by
// side, never touch each other's items (a single-byte edit of such a prefix
// is no other lane's prefix). Nothing here touches state shared by all lanes:
// no flush_all, no stats (process values), no cache_memlimit, no watch.
import { Rng } from "./rng.js";

/** The servers run with this -I (bytes): the generator aims values around it. */
export const ITEM_MAX = 1024 * 1024;
/** Keys per lane (small, so that commands hit existing items often). */
const KEYS_PER_LANE = 24;

/** The CAS unique a server last reported for `key` on this lane (each server its own). */
export interface CasRef {
  cas: string;
  /** "text": decimal digits; "bin": 8 bytes big-endian. */
  form: "text" | "bin";
}
export type Part = Buffer | CasRef;

export interface FuzzRequest {
  /** What the generator meant (for reports), e.g. "set", "mg+mut", "bin:get". */
  kind: string;
  parts: Part[];
  /** Binary: opaque -> key, for CAS bookkeeping from responses. */
  opaque?: number;
  key?: string;
}

export interface Batch {
  lane: number;
  index: number;
  proto: "text" | "binary";
  requests: FuzzRequest[];
  /** The reply to the last of `requests`, which the runner waits for before it sends the tail. */
  sentinel: Buffer;
  /** Sent after the replies to `requests` have arrived (if they did): then the input ends. */
  tail?: FuzzRequest;
  /** Send in pieces this long (bytes) with a short pause between them; 0: one write. */
  trickle: number;
}

const B = (s: string): Buffer => Buffer.from(s, "latin1");

/** Numbers memcached's parsers have edges at. */
const HOSTILE_NUMBERS = [
  "-1", "-0", "0", "1", "00", "007", "+5", "5a", "a5", "0x10", "1e3", "", "-", "+", " 7",
  "127", "128", "255", "256", "65535", "65536",
  "2147483646", "2147483647", "2147483648", "2147483649", "-2147483647", "-2147483648", "-2147483649",
  "4294967294", "4294967295", "4294967296", "4294967297", "-4294967295", "-4294967296",
  "9223372036854775806", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
  "-9223372036854775809", "18446744073709551614", "18446744073709551615", "18446744073709551616",
  "36893488147419103232", "99999999999999999999999999999999", "-99999999999999999999999999",
  "1048576", "1048575", "1048577", "1048400", "2592000", "2592001", "2000000000",
] as const;

/** Exptimes that neither expire nor tick across a boundary while a run lasts (except 0/negative/past: at once). */
const EXPTIMES = ["0", "0", "0", "100000", "86400", "-1", "2592001", "2000000000"] as const;

/**
 * An exptime that would expire while the run lasts (1 s to 2 h, as memcached reads it)
 * becomes -1: when it expires depends on when each server's clock ticks.
 */
function soon(exptime: string): string {
  // memcached's safe_strtol keeps the low 32 bits of what strtol read: 4294967297 is 1
  const m = /^\s*([+-]?\d+)$/.exec(exptime);
  if (!m || m[1].replace(/^[+-]/, "").length > 19) return exptime;
  const v = Number(BigInt.asIntN(32, BigInt(m[1])));
  return v >= 1 && v <= 7200 ? "-1" : exptime;
}

/**
 * A delta or initial value that could make a counter of 2^63 or more becomes 2^62 - 1:
 * memcached's safe_strtoull, reading back such a counter (negative as a long long), looks
 * for a '-' with strchr past the value, through whatever the item's chunk held before, so
 * it answers "non-numeric" or not depending on its memory (2^64 and more stay: refused).
 */
function counter(v: string): string {
  const m = /^\s*\+?(\d{1,20})$/.exec(v);
  if (!m) return v;
  const n = BigInt(m[1]);
  return n >= 2n ** 62n && n < 2n ** 64n ? "4611686018427387903" : v;
}

const SAFE_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLOPQRSTUVWXYZ0123456789-_.";
const NASTY_BYTES = [0x00, 0x0d, 0x0a, 0x20, 0x09, 0x7f, 0x80, 0xff, 0x0b, 0x0c] as const;

export class Generator {
  private readonly rng: Rng;
  private readonly prefix: string;

  /** `epoch` moves the lane to fresh keys (after a divergence, so that one divergence does not spread). */
  constructor(seed: number, readonly lane: number, readonly index: number, epoch = 0) {
    this.rng = new Rng(seed, lane, index);
    this.prefix = epoch ? `z${lane}${lane}.${epoch}:` : `z${lane}${lane}:`;
  }

  // --- pieces --------------------------------------------------------------

  private key(): string {
    const r = this.rng;
    const roll = r.int(100);
    if (roll < 90) return `${this.prefix}${r.int(KEYS_PER_LANE)}`;
    if (roll < 93) return this.prefix + "k".repeat(250 - this.prefix.length); // exactly 250
    if (roll < 96) return this.prefix + "k".repeat(251 - this.prefix.length + r.int(3)); // over-long
    if (roll < 99 || r.chance(0.8)) return `${this.prefix}${String.fromCharCode(r.pick([0x01, 0x7f, 0x80, 0xff, 0x1b]))}${r.int(4)}`;
    return `${this.prefix}big`;
  }

  private value(forKey?: string): Buffer {
    const r = this.rng;
    let n: number;
    if ((forKey?.endsWith(":big") && r.chance(0.5)) || r.chance(0.0002)) {
      // Around the item limit: memcached's item header and key count against -I.
      n = r.pick([ITEM_MAX - 100 - r.int(200), ITEM_MAX - 40 - r.int(60), ITEM_MAX - r.int(8), ITEM_MAX + r.int(10), 500_000]);
    } else {
      n = r.weighted([
        [15, 0],
        [40, r.range(1, 16)],
        [30, r.range(17, 600)],
        [12, r.range(601, 9000)],
        [3, r.range(9001, 120_000)],
      ] as const);
    }
    return this.bytes(n, r.chance(0.2));
  }

  /** n bytes: safe letters, or any byte (CR, LF, NUL included) when binary. */
  private bytes(n: number, binary: boolean): Buffer {
    const r = this.rng;
    const b = Buffer.allocUnsafe(n);
    if (n > 4096) {
      // A seeded pattern, cheap to make: the data is compared, not its entropy.
      const seed = r.u32();
      for (let i = 0; i < n; i++) b[i] = binary ? (seed + i * 131 + (i >> 7)) & 0xff : SAFE_ALPHABET.charCodeAt((seed + i * 7 + (i >> 5)) % SAFE_ALPHABET.length);
    } else {
      for (let i = 0; i < n; i++) b[i] = binary ? r.int(256) : SAFE_ALPHABET.charCodeAt(r.int(SAFE_ALPHABET.length));
    }
    // A newline at least every 1024 bytes. Data read as commands (after a bad length) then
    // never makes a line over 2048 bytes: whether memcached (and wasmcached, which does the
    // same) closes on such a line depends on whether its newline was in the read buffer yet,
    // that is on TCP segmentation. longLine() makes lines long enough to close on any reading.
    for (let i = 1023; i < n; i += 1024) b[i] = 0x0a;
    return b;
  }

  /**
   * A data length that does not match the data: a few bytes off either way, garbage, or
   * (rarely, since memcached then swallows that many bytes, the rest of the batch) huge.
   */
  private badLength(n: number): string {
    const r = this.rng;
    const roll = r.int(100);
    if (roll < 40) return String(n + r.range(1, 3)); // short data: what follows is data
    if (roll < 80) return String(Math.max(0, n - r.range(1, 3))); // long data: bad data chunk
    if (roll < 97) return r.pick(["-1", "-0", "", "-", "+5", "5a", "0x10", "1e3", "-2147483648", "-2147483649", "2147483646", "2147483647", "2147483648",
      "4294967295", "4294967296", "18446744073709551616", "99999999999999999999999999999999", "-99999999999999999999999999"]);
    return r.pick(["1048576", "1048575", "1048577", "2000000", "1048400"]);
  }

  private num(valid: () => string): string {
    return this.rng.chance(0.06) ? soon(this.rng.pick(HOSTILE_NUMBERS)) : valid();
  }

  private flags(): string {
    // (no values of 1..7200: a mutation that shifts tokens must not make one a TTL that expires mid-run)
    return this.num(() => this.rng.pick(["0", "0", "7777", String(this.rng.u32()), "4294967295", String(10_000 + this.rng.int(1000))]));
  }

  private exptime(): string {
    return soon(this.num(() => this.rng.pick(EXPTIMES)));
  }

  private noreply(): string {
    const r = this.rng.int(40);
    if (r < 4) return " noreply";
    if (r === 4) return this.rng.pick([" noreplyx", " NOREPLY", " norepl", " noreply noreply"]);
    return "";
  }

  private casRef(key: string): Part {
    return { cas: key, form: "text" };
  }

  /** A literal CAS unique no server hands out (counters start at 1 and stay far below 2^40). */
  private wrongCas(): string {
    return this.rng.pick(["0", "1099511627776", "18446744073709551615", "18446744073709551616", "-1", "abc", String(2 ** 41 + this.rng.int(1000))]);
  }

  // --- text commands -------------------------------------------------------

  private storage(): FuzzRequest {
    const r = this.rng;
    const cmd = r.weighted([[10, "set"], [3, "add"], [3, "replace"], [3, "append"], [3, "prepend"], [4, "cas"]] as const);
    const key = this.key();
    const data = this.value(key);
    let len = String(data.length);
    let tail = data;
    const lenRoll = r.int(100);
    if (lenRoll < 7) len = this.badLength(data.length);
    else if (lenRoll < 8) tail = Buffer.alloc(0); // the length says n, no data follows here
    const parts: Part[] = [B(`${cmd} ${key} ${this.flags()} ${this.exptime()} ${len}`)];
    if (cmd === "cas") {
      parts.push(B(" "));
      parts.push(r.chance(0.7) ? this.casRef(key) : B(this.wrongCas()));
    }
    parts.push(B(`${this.noreply()}\r\n`));
    parts.push(tail);
    if (tail.length || lenRoll !== 7) parts.push(B(r.chance(0.02) ? r.pick(["\n", "\r", "xx", "\r\r\n"]) : "\r\n"));
    return { kind: cmd, parts };
  }

  private retrieval(): FuzzRequest {
    const r = this.rng;
    const cmd = r.weighted([[10, "get"], [5, "gets"], [2, "gat"], [2, "gats"], [1, "GET"]] as const);
    const n = r.weighted([[60, 1], [25, 2], [10, r.range(3, 8)], [4, r.range(9, 40)], [1, 0]] as const);
    const keys: string[] = [];
    // A key over 250 bytes in a get makes memcached drop every reply it has not yet written
    // (which ones depends on its read batching: docs/memcached-text.md, "Deviations"), so
    // retrievals use short keys only (a mutation must not lengthen one past 250 either);
    // meta, storage and the rest get the long ones.
    for (let i = 0; i < n; i++) {
      let k = this.key();
      while (k.length > 200) k = this.key();
      keys.push(k);
    }
    const ttl = cmd.startsWith("gat") ? ` ${this.exptime()}` : "";
    const sep = r.chance(0.05) ? "  " : " ";
    return { kind: cmd, parts: [B(`${cmd}${ttl}${n ? sep : ""}${keys.join(sep)}\r\n`)] };
  }

  private otherText(): FuzzRequest {
    const r = this.rng;
    const key = this.key();
    const which = r.weighted([
      [8, "delete"], [8, "incr"], [5, "decr"], [5, "touch"], [1, "version"], [1, "verbosity"],
      [2, "unknown"], [1, "empty"], [1, "shutdown"], [1, "misc"],
    ] as const);
    switch (which) {
      case "delete": {
        const extra = r.weighted([[20, ""], [2, " 0"], [1, ` ${r.pick(HOSTILE_NUMBERS)}`], [1, " noreply extra"]] as const);
        return { kind: which, parts: [B(`delete ${key}${extra}${this.noreply()}\r\n`)] };
      }
      case "incr":
      case "decr": {
        const delta = counter(this.num(() => r.pick(["1", "0", String(r.int(1000)), String(r.u32()), "4611686018427387903"])));
        return { kind: which, parts: [B(`${which} ${key} ${delta}${this.noreply()}\r\n`)] };
      }
      case "touch":
        return { kind: which, parts: [B(`touch ${key} ${this.exptime()}${this.noreply()}\r\n`)] };
      case "version":
        return { kind: which, parts: [B(r.chance(0.8) ? "version\r\n" : "version x\r\n")] };
      case "verbosity":
        return { kind: which, parts: [B(`verbosity${r.chance(0.8) ? " " + this.num(() => "0") : ""}${this.noreply()}\r\n`)] };
      case "unknown":
        return { kind: which, parts: [B(`${r.pick(["sett", "gett", "bogus", "Set", "mz", "m", "incrr", "deletee", "\x00get", "cas"])} ${key}\r\n`)] };
      case "empty":
        return { kind: which, parts: [B(r.pick(["\r\n", "\n", " \r\n", "\t\r\n", "  get\r\n"]))] };
      case "shutdown":
        return { kind: which, parts: [B(r.pick(["shutdown\r\n", "shutdown graceful\r\n", "shutdown x\r\n"]))] };
      default:
        return { kind: which, parts: [B(r.pick(["misbehave\r\n", "lru\r\n", "slabs\r\n", "mn extra\r\n", "me\r\n", "ms\r\n", "mg\r\n", "ma\r\n", "md\r\n"]))] };
    }
  }

  // --- meta commands -------------------------------------------------------

  private metaKey(): { token: string; b64: boolean; key: string } {
    const key = this.key();
    if (this.rng.chance(0.05)) {
      const bad = this.rng.chance(0.3);
      return { token: bad ? `${Buffer.from(key).toString("base64").slice(0, -1)}!` : Buffer.from(key, "latin1").toString("base64"), b64: true, key };
    }
    return { token: key, b64: false, key };
  }

  private metaFlags(choices: readonly string[], key: string): Part[] {
    const r = this.rng;
    const n = r.weighted([[20, 0], [40, r.range(1, 3)], [30, r.range(4, 8)], [5, r.range(9, 20)]] as const);
    const out: Part[] = [];
    for (let i = 0; i < n; i++) {
      const f = r.pick(choices);
      if (f === "C" && r.chance(0.7)) {
        out.push(B(" C"), { cas: key, form: "text" });
        continue;
      }
      out.push(B(` ${this.metaFlagToken(f)}`));
    }
    if (r.chance(0.03)) out.push(B(` ${r.pick(["Z", "z", "!", "@", "%", "Q", "é", "Ox", "C", "T"])}`));
    return out;
  }

  private metaFlagToken(f: string): string {
    const r = this.rng;
    const numeric = (v: () => string) => `${f}${this.num(v)}`;
    switch (f) {
      case "T": return soon(numeric(() => r.pick(EXPTIMES)).slice(1)).replace(/^/, "T");
      case "N": return soon(numeric(() => r.pick(["100000", "86400", "0", "-1"])).slice(1)).replace(/^/, "N");
      case "R": return numeric(() => r.pick(["30", "500", "5000"]));
      case "E": return numeric(() => String(2 ** 42 + r.int(1_000_000)));
      case "C": return `C${this.wrongCas()}`;
      case "F": return numeric(() => String(r.pick([0, 1, r.u32(), 4294967295])));
      case "J": return `J${counter(this.num(() => r.pick(["0", "1", "13", "4611686018427387903"])))}`;
      case "D": return `D${counter(this.num(() => r.pick(["1", "0", "5", String(r.u32())])))}`;
      case "O": {
        const len = r.weighted([[20, r.range(1, 8)], [2, 31], [2, 32], [2, 33], [1, 64], [1, 0]] as const);
        return `O${"o".repeat(len)}`;
      }
      case "M": return `M${r.pick(["E", "A", "P", "R", "S", "e", "a", "p", "r", "s", "I", "i", "+", "D", "d", "-", "X", ""])}`;
      case "S": return numeric(() => String(r.int(100)));
      default: return f;
    }
  }

  private meta(): FuzzRequest {
    const r = this.rng;
    const cmd = r.weighted([[10, "mg"], [8, "ms"], [3, "md"], [4, "ma"], [1, "mn"], [1, "me"]] as const);
    if (cmd === "mn") return { kind: cmd, parts: [B("mn\r\n")] };
    const { token, b64, key } = this.metaKey();
    const bflag = b64 ? [B(" b")] : [];
    switch (cmd) {
      case "mg":
        return { kind: cmd, parts: [B(`mg ${token}`), ...bflag, ...this.metaFlags(["b", "c", "f", "h", "k", "l", "O", "q", "s", "t", "v", "v", "E", "N", "R", "T", "u"], key), B("\r\n")] };
      case "md":
        return { kind: cmd, parts: [B(`md ${token}`), ...bflag, ...this.metaFlags(["b", "C", "E", "I", "k", "O", "q", "T", "x"], key), B("\r\n")] };
      case "ma":
        return { kind: cmd, parts: [B(`ma ${token}`), ...bflag, ...this.metaFlags(["b", "C", "E", "N", "J", "D", "T", "M", "O", "q", "t", "c", "v", "k"], key), B("\r\n")] };
      case "me":
        return { kind: cmd, parts: [B(`me ${token}${b64 ? " b" : ""}\r\n`)] };
      default: {
        const data = this.value(key);
        let len = String(data.length);
        if (r.chance(0.07)) len = this.badLength(data.length);
        const flags = this.metaFlags(["b", "c", "C", "E", "F", "I", "k", "O", "q", "s", "T", "M", "M"], key);
        return { kind: cmd, parts: [B(`ms ${token} ${len}`), ...bflag, ...flags, B("\r\n"), data, B("\r\n")] };
      }
    }
  }

  // --- mutations of a text request -----------------------------------------

  /**
   * The request's bytes with one hostile edit (CAS references kept as they are). An edit
   * that makes a new number of 1..7200 (a digit turned into a space splits "100000" into
   * "1 0000") is drawn again: as a TTL it would expire while the run lasts; so is one that
   * makes a new number of 2^62 to 2^64 (see counter()).
   */
  private mutate(req: FuzzRequest): FuzzRequest {
    const small = (b: Buffer) => new Set(b.toString("latin1").split(/[ \r\n]/).filter((t) => soon(t) !== t || counter(t) !== t));
    const line = req.parts.find((p) => Buffer.isBuffer(p) && p.length > 0) as Buffer | undefined;
    const before = line ? small(line) : new Set<string>();
    for (let attempt = 0; attempt < 8; attempt++) {
      const m = this.mutateOnce(req);
      const edited = m.parts.find((p) => Buffer.isBuffer(p) && p.length > 0) as Buffer | undefined;
      // A retrieval line must still end with its LF: run into the next request, it could take
      // a key over 250 bytes from it, and memcached then drops the replies it has queued
      // (docs/memcached-text.md, "Deviations").
      const merges = /^(get|gets|gat|gats|GET)$/.test(req.kind) && edited !== undefined && edited[edited.length - 1] !== 0x0a;
      if (!edited || (!merges && [...small(edited)].every((t) => before.has(t)))) return m;
    }
    return req;
  }

  private mutateOnce(req: FuzzRequest): FuzzRequest {
    const r = this.rng;
    // Only the first literal part (the command line) is edited: it carries the grammar.
    const i = req.parts.findIndex((p) => Buffer.isBuffer(p) && p.length > 0);
    if (i < 0) return req;
    const line = req.parts[i] as Buffer;
    const pos = r.int(line.length);
    let edited: Buffer;
    switch (r.int(7)) {
      case 0: // insert a nasty byte (NUL, lone CR, lone LF, tab, DEL, high bit)
        edited = Buffer.concat([line.subarray(0, pos), Buffer.of(r.pick(NASTY_BYTES)), line.subarray(pos)]);
        break;
      case 1: // delete a byte
        edited = Buffer.concat([line.subarray(0, pos), line.subarray(pos + 1)]);
        break;
      case 2: // replace a byte
        edited = Buffer.from(line);
        edited[pos] = r.chance(0.5) ? r.pick(NASTY_BYTES) : r.int(256);
        break;
      case 3: // duplicate a stretch
        edited = Buffer.concat([line.subarray(0, pos), line.subarray(pos, pos + r.range(1, 12)), line.subarray(pos)]);
        break;
      case 4: // a number where there was one, or after a space (none that is a TTL expiring mid-run)
        edited = Buffer.concat([line.subarray(0, pos), B(` ${soon(r.pick(HOSTILE_NUMBERS))}`), line.subarray(pos)]);
        break;
      case 5: // the line end becomes a lone CR or LF
        edited = B(line.toString("latin1").replace(/\r\n$/, r.pick(["\n", "\r", "\r\r\n", "\n\r"])));
        break;
      default: // uppercase or lowercase the command
        edited = B(r.chance(0.5) ? line.toString("latin1").toUpperCase() : line.toString("latin1").replace(/^(\S)/, (c) => c + c));
    }
    const parts = req.parts.slice();
    parts[i] = edited;
    return { kind: `${req.kind}+mut`, parts };
  }

  /** Cuts a request after `keep` bytes of its literal parts (CAS references count 1). */
  private truncate(req: FuzzRequest): FuzzRequest {
    let total = 0;
    for (const p of req.parts) total += Buffer.isBuffer(p) ? p.length : 1;
    let keep = this.rng.int(Math.max(1, total));
    const parts: Part[] = [];
    for (const p of req.parts) {
      if (keep <= 0) break;
      if (Buffer.isBuffer(p)) {
        parts.push(p.subarray(0, keep));
        keep -= p.length;
      } else {
        parts.push(p);
        keep -= 1;
      }
    }
    return { kind: `${req.kind}+cut`, parts };
  }

  textRequest(): FuzzRequest {
    const r = this.rng;
    const which = r.weighted([[30, "storage"], [25, "retrieval"], [18, "other"], [30, "meta"]] as const);
    let req = which === "storage" ? this.storage() : which === "retrieval" ? this.retrieval() : which === "other" ? this.otherText() : this.meta();
    if (r.chance(0.08)) req = this.mutate(req);
    return req;
  }

  // --- binary --------------------------------------------------------------

  /**
   * A binary request. Mid-batch only mutations after which the stream stays framed (memcached
   * answers and reads on); `closing` allows the rest: bad magic, lengths that do not add up,
   * bodies longer or shorter than sent (memcached closes, or waits for a body that never comes).
   */
  private binaryRequest(seq: number, closing = false): FuzzRequest {
    const r = this.rng;
    const op = r.weighted([
      [12, 0x00], [3, 0x09], [4, 0x0c], [3, 0x0d], // get, getq, getk, getkq
      [10, 0x01], [3, 0x11], [3, 0x02], [1, 0x12], [3, 0x03], [1, 0x13], // set, add, replace (+q)
      [5, 0x04], [2, 0x14], // delete
      [4, 0x05], [3, 0x06], [1, 0x15], [1, 0x16], // incr, decr (+q)
      [2, 0x0e], [2, 0x0f], [1, 0x19], [1, 0x1a], // append, prepend (+q)
      [2, 0x0a], [1, 0x0b], [1, 0x1b], [3, 0x1c], [3, 0x1d], [1, 0x1e], [2, 0x23], [1, 0x24], // noop version verbosity touch gat...
      [1, 0x20], [1, 0x21], [1, 0x22], // sasl (quit only as the tail: it closes)
      [2, -1], // an opcode memcached does not know
    ] as const);
    const opcode = op >= 0 ? op : r.pick([0x25, 0x30, 0x3c, 0x40, 0x48, 0x83, 0xfe, 0xff]);
    let key = this.key();
    while (!closing && key.length > 250) key = this.key();
    const u32 = (...v: number[]) => {
      const b = Buffer.alloc(4 * v.length);
      v.forEach((x, i) => b.writeUInt32BE(x >>> 0, 4 * i));
      return b;
    };
    const exp = () => r.pick([0, 0, 100000, 86400, 0xffffffff, 2592001, 2000000000, r.u32()]);
    let extras: Buffer = Buffer.alloc(0);
    let value: Buffer = Buffer.alloc(0);
    let keyBuf: Buffer = B(key);
    switch (opcode) {
      case 0x01: case 0x11: case 0x02: case 0x12: case 0x03: case 0x13:
        extras = u32(r.pick([0, 1, r.u32()]), exp());
        value = this.value(key);
        break;
      case 0x0e: case 0x0f: case 0x19: case 0x1a:
        value = this.value(key);
        break;
      case 0x05: case 0x06: case 0x15: case 0x16: {
        extras = Buffer.alloc(20);
        // (no counter of 2^63 or more: see counter())
        extras.writeBigUInt64BE(r.pick([1n, 0n, 5n, 2n ** 62n - 1n, BigInt(r.u32())]), 0);
        extras.writeBigUInt64BE(r.pick([0n, 10n, 2n ** 62n - 1n, BigInt(r.u32())]), 8);
        extras.writeUInt32BE(exp(), 16);
        break;
      }
      case 0x1c: case 0x1d: case 0x1e: case 0x23: case 0x24:
        extras = u32(exp());
        break;
      case 0x1b:
        extras = u32(r.int(3));
        keyBuf = Buffer.alloc(0);
        break;
      case 0x0a: case 0x0b: case 0x07: case 0x17: case 0x20:
        keyBuf = Buffer.alloc(0);
        break;
      case 0x21: case 0x22:
        keyBuf = B("PLAIN");
        value = B("\0user\0pass");
        break;
      default:
        break;
    }
    // memcached answers an opcode it does not serve (sasl without -S included) with "Unknown
    // command" (verbosity too) and then swallows as many bytes as the body again, past the body: the stream
    // falls out of frame and it closes. Such requests carry a body only as the tail.
    if (!closing && (op < 0 || opcode === 0x1b)) {
      keyBuf = Buffer.alloc(0);
      extras = Buffer.alloc(0);
      value = Buffer.alloc(0);
    }
    let magic = 0x80;
    let keylen = keyBuf.length;
    let extlen = extras.length;
    let datatype = 0;
    let vbucket = 0;
    let bodylen = extras.length + keyBuf.length + value.length;
    let kind = `bin:${opcode.toString(16)}`;
    if (closing || r.chance(0.1)) {
      kind += "+mut";
      // memcached closes after most binary errors (a key over 250 bytes, missing extras, lengths
      // that do not add up): those only as the tail, where no reply can be lost behind them.
      switch (closing ? r.int(9) : r.pick([3, 4])) {
        case 0: extlen = r.pick([0, 1, 4, 8, 20, 255]); break;
        case 1: keylen = r.pick([0, 1, 250, 251, 0xffff, keylen + 1, Math.max(0, keylen - 1)]); break;
        case 2: bodylen = r.pick([0, 1, bodylen + 1, Math.max(0, bodylen - 1), ITEM_MAX + 10, 0x7fffffff, 0xffffffff]); break;
        case 3: datatype = r.int(256); break;
        case 4: vbucket = r.int(0x10000); break;
        case 5: magic = r.pick([0x81, 0x00, 0x7f, 0xff, 0x82]); break;
        case 6: keyBuf = Buffer.alloc(0); keylen = 0; bodylen = extras.length + value.length; break;
        case 7: extras = Buffer.alloc(0); extlen = 0; bodylen = keyBuf.length + value.length; break;
        default: keyBuf = B(this.prefix + "k".repeat(251 + r.int(10))); keylen = keyBuf.length; bodylen = extras.length + keyBuf.length + value.length;
      }
    }
    const h = Buffer.alloc(24);
    h[0] = magic;
    h[1] = opcode;
    h.writeUInt16BE(keylen & 0xffff, 2);
    h[4] = extlen & 0xff;
    h[5] = datatype;
    h.writeUInt16BE(vbucket, 6);
    h.writeUInt32BE(bodylen >>> 0, 8);
    const opaque = (this.index * 4096 + seq) >>> 0;
    h.writeUInt32BE(opaque, 12);
    const parts: Part[] = [h.subarray(0, 16)];
    const casRoll = r.int(10);
    if (casRoll < 2) parts.push({ cas: key, form: "bin" });
    else if (casRoll < 3) {
      const c = Buffer.alloc(8);
      c.writeBigUInt64BE(r.pick([2n ** 41n + BigInt(r.int(1000)), 2n ** 64n - 1n, 1099511627776n]));
      parts.push(c);
    } else parts.push(Buffer.alloc(8));
    parts.push(extras, keyBuf, value);
    return { kind, parts, opaque, key };
  }

  allKeys(): string[] {
    const keys: string[] = [];
    for (let i = 0; i < KEYS_PER_LANE; i++) keys.push(`${this.prefix}${i}`);
    keys.push(this.prefix + "k".repeat(250 - this.prefix.length), `${this.prefix}big`);
    for (const c of [0x01, 0x7f, 0x80, 0xff, 0x1b]) for (let d = 0; d < 4; d++) keys.push(`${this.prefix}${String.fromCharCode(c)}${d}`);
    return keys;
  }

  // --- batches -------------------------------------------------------------

  /** A text request after which memcached closes the connection. */
  private closingText(): FuzzRequest {
    const r = this.rng;
    if (r.chance(0.5)) return { kind: "quit", parts: [B(r.pick(["quit\r\n", "quit now\r\n", "quit\n"]))] };
    // Longer than memcached's 16 KiB read buffer, no newline: it closes however the bytes arrive.
    const head = r.pick(["", "set ", "mg ", "bogus ", "   ", "gat 0 ", "GET / HTTP/1.1"]);
    return { kind: "longline", parts: [B(head), Buffer.alloc(r.range(17_000, 40_000), r.pick([0x78, 0x20, 0x09, 0x0d])), B("\r\n")] };
  }

  batch(size: number): Batch {
    const r = this.rng;
    const proto = r.chance(0.25) ? "binary" : "text";
    const requests: FuzzRequest[] = [];
    for (let i = 0; i < size; i++) requests.push(proto === "binary" ? this.binaryRequest(i) : this.textRequest());
    // Text: a request cut in the middle of the batch, the stream reads on from there.
    if (proto === "text" && r.chance(0.05)) {
      const i = r.int(requests.length);
      requests[i] = this.truncate(requests[i]);
    }
    // Then a request that answers (mn, noop), which the runner waits for before the tail:
    // memcached holds some replies until more input comes (binary errors), and drops replies
    // it has not written when it closes.
    // (A miss with a key and opaque of its own: an mn among the requests cannot pass for it.)
    const sentinel = proto === "binary" ? Buffer.from([0x81, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0])
      : B(`EN k${this.prefix}end Oe${this.index}\r\n`);
    requests.push(proto === "binary" ? { kind: "bin:a", parts: [Buffer.from([0x80, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0])] }
      : { kind: "mg", parts: [B(`mg ${this.prefix}end k Oe${this.index}\r\n`)] });
    // The tail, then the end of input: a request cut at any byte, or one that closes.
    let tail: FuzzRequest | undefined;
    const roll = r.int(100);
    if (roll < 30) tail = this.truncate(proto === "binary" ? this.binaryRequest(size) : this.textRequest());
    else if (roll < 40) tail = proto === "binary" ? this.binaryRequest(size, true) : this.closingText();
    else if (roll < 42 && proto === "binary") tail = { kind: "bin:7", parts: [Buffer.from([0x80, r.pick([0x07, 0x17]), ...new Array<number>(22).fill(0)])] };
    const trickle = r.chance(0.04) ? r.range(1, 64) : 0;
    return { lane: this.lane, index: this.index, proto, requests, sentinel, tail, trickle };
  }
}

/**
 * Every key a lane's batches can store (ordinary, 250 bytes, control bytes, big), read back
 * with mg after each batch so that a divergence that no reply showed (noreply, q, a state
 * changed differently) is caught at the batch that caused it.
 */
export function stateProbe(lane: number, epoch: number): Buffer {
  const g = new Generator(0, lane, 0, epoch);
  return B(g.allKeys().map((k) => `mg ${k} k s f v c t\r\n`).join("") + "mn\r\n");
}

/** The batch `index` of `lane` under `seed`: `size` requests, an mn or noop, maybe a tail. */
export function makeBatch(seed: number, lane: number, index: number, size: number, epoch = 0): Batch {
  return new Generator(seed, lane, index, epoch).batch(size);
}
