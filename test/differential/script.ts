// The differential script: data, not code. Each step is sent to Debian's
// memcached and to the server under test; the replies must be byte-identical
// (after the one mask described in runner.ts: CAS unique values).
//
// Strings are bytes (latin1). `{{cas:KEY}}` in `send` is replaced, per server,
// by the CAS unique that server last returned for KEY (from gets/gats), so
// `cas` commands work although the two servers number items differently.

export interface Step {
  /** Bytes to send (latin1). */
  send: string;
  /** Offsets at which `send` is cut into separate writes (sent ~20 ms apart). */
  split?: number[];
  /** Wait this long before sending (for expiry and delayed flush). */
  delayMs?: number;
  /** Open a fresh connection before this step. */
  reconnect?: boolean;
  /** Must arrive in one write: the step races a one-second clock, so the
   * re-split variant of the test leaves it whole. */
  atOnce?: boolean;
  /**
   * What memcached itself must answer (after masking). Not a test of the
   * subject (the differential is), but of this script: it proves a step does
   * what its author meant, e.g. that a set really stored.
   */
  expect?: string;
}

const CRLF = "\r\n";
/** One write holding these lines, each ended by CRLF. */
const c = (...lines: string[]): Step => ({ send: lines.map((l) => l + CRLF).join("") });
/** Same, with the reply memcached must give. */
const ce = (expect: string, ...lines: string[]): Step => ({ ...c(...lines), expect });
/** A storage command with its data block. */
const store = (cmd: string, key: string, flags: number | string, exp: number | string, data: string, extra = "") =>
  `${cmd} ${key} ${flags} ${exp} ${data.length}${extra}${CRLF}${data}`;
/** A step that must arrive in one write (see Step.atOnce). */
const atOnce = (step: Step): Step => ({ ...step, atOnce: true });
/** A step cut at the given offsets. */
const split = (step: Step, ...at: number[]): Step => ({ ...step, split: at });

const K250 = "k".repeat(249) + "Z"; // the longest legal key
const K251 = "k".repeat(250) + "Y"; // one byte too long
const V300K = Array.from({ length: 300_000 }, (_, i) => String.fromCharCode(33 + ((i * 7) % 90))).join(""); // < -I
const V600K = "L".repeat(600_000); // > -I (the servers run with -I 524288)
const BIN = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join(""); // every byte value
const MANY_KEYS = Array.from({ length: 40 }, (_, i) => `mk${i}`);
const LONG_GET_KEYS = Array.from({ length: 300 }, (_, i) => `lg${i.toString().padStart(6, "0")}`); // > 2048-byte line

// Left out on purpose: numbers past 32 bits in the flags, exptime and length
// fields. memcached 1.6.18 parses them as longs and truncates to 32 bits
// ("set k 4294967296 0 1" stores flags 0; a length of 4294967296 becomes 0):
// a parsing bug, not a behaviour to copy.
export const steps: Step[] = [
  // --- greeting, housekeeping ---------------------------------------------
  ce("OK\r\n", "flush_all"),
  c("version"),
  ce("OK\r\n", "verbosity 1"),
  c("verbosity 0"),
  c("verbosity"),
  c("verbosity 1 noreply"),
  c("verbosity abc"),
  c("verbosity 1 2 3"),

  // --- set / get basics -----------------------------------------------------
  ce("END\r\n", "get nokey"),
  ce("STORED\r\n", store("set", "a", 0, 0, "hello")),
  ce("VALUE a 0 5\r\nhello\r\nEND\r\n", "get a"),
  c("gets a"),
  c(store("set", "f1", 123, 0, "flags")),
  c("get f1"),
  c(store("set", "fmax", 4294967295, 0, "x")),
  c("get fmax"),
  c(store("set", "fneg", "-1", 0, "x")),
  c(store("set", "fabc", "abc", 0, "x")),
  c(store("set", "empty", 0, 0, "")),
  c("get empty"),
  c(store("set", "bin", 7, 0, BIN)),
  c("get bin"),
  c(store("set", "crlf", 0, 0, "\r\n\r\n")),
  c("get crlf"),
  c(store("set", "sp", 0, 0, "a b c")),
  c("get sp"),
  c("get a a a"),
  c("get a nokey f1 empty"),
  c("gets a nokey f1"),
  c("get"),
  c("gets"),
  c("get " + MANY_KEYS.join(" ")),
  c(...MANY_KEYS.slice(0, 5).map((k, i) => store("set", k, i, 0, `v${i}`))),
  c("get " + MANY_KEYS.join(" ")),

  // --- keys of 250 and 251 bytes ---------------------------------------------
  ce("STORED\r\n", store("set", K250, 1, 0, "long")),
  c(`get ${K250}`),
  c(`gets ${K250}`),
  c(store("set", K251, 1, 0, "toolong")),
  c(`get ${K251}`),
  c(`get a ${K251} f1`),
  c(`delete ${K251}`),
  c(`incr ${K251} 1`),
  c(`touch ${K251} 10`),
  c(`delete ${K250}`),
  c(`get ${K250}`),

  // --- malformed storage commands ------------------------------------------
  c("set a 0 0"),
  c("set a 0 0 1 2 3 4 5"),
  c("set a"),
  c("set"),
  c(store("set", "a", 0, "abc", "x")),
  c("set a 0 0 abc", "x"),
  c("set a 0 0 -1"),
  c("set a 0 0 -1", "x"),
  c("set a 0 0 2147483647"),
  c("get a"),
  c(store("set", "a", 0, 0, "hello", " xyz")),
  c(store("set", "a", 0, 0, "hello", " noreply extra")),
  c("get a"),

  // --- bad data chunk -------------------------------------------------------
  c("set bd 0 0 3", "abcd"),
  c("get bd"),
  c("set bd 0 0 3", "ab"),
  c("get bd"),
  { send: "set bd 0 0 3\r\nabcXY" },
  c("get bd"),
  { send: "set bd 0 0 3\r\nabc\n" },
  c("get bd"),
  c("set bd 0 0 3 noreply", "abcd"),
  c("get bd"),

  // --- data longer than its first write: the rest comes in the next step ---
  { send: "set cont 0 0 10\r\nabc\r\n" },
  { send: "defgh\r\n" },
  c("get cont"),

  // --- commands split across writes ----------------------------------------
  split(c("get a"), 2),
  split(c("get a"), 5),
  split(c("get a"), 6),
  split(c(store("set", "sp1", 3, 0, "splitdata")), 4, 13),
  split(c(store("set", "sp2", 0, 0, "splitdata")), 13, 17, 22),
  split(c(store("set", "sp3", 0, 0, "splitdata")), 23),
  c("get sp1 sp2 sp3"),
  split(c("get sp1", "get sp2", "get sp3"), 1, 9, 10, 18),
  split(c("incr", "version"), 2),

  // --- pipelining: several commands in one write ---------------------------
  c(store("set", "p1", 0, 0, "1"), "get p1", "incr p1 5", "delete p1", "get p1"),
  c("version", "get a", "nosuchcommand", "get a", "delete nokey"),
  c(store("set", "p2", 0, 0, "x"), store("add", "p2", 0, 0, "y"), store("replace", "p2", 0, 0, "z"), "get p2"),
  c(store("set", "p3", 0, 0, "a", " noreply"), store("append", "p3", 0, 0, "b", " noreply"), "get p3"),
  c("get a", "set a 0 0 1", "x", "get a"),
  c(store("set", "pbad", 0, 0, "x"), "set pbad 0 0 1", "toolong", "get pbad"),

  // --- unknown commands, empty lines, spacing ---------------------------------
  c("foo"),
  c("foo bar baz"),
  c("GET a"),
  c("Set a 0 0 1", "x"),
  c(""),
  c("   "),
  { send: "\n" },
  { send: "get a\n" },
  { send: "version\n" },
  c("  get a"),
  c("get a   "),
  c("get   a   f1"),
  c("set  sp4  0  0  2", "ok"),
  c("get sp4"),
  c("get " + "x ".repeat(30) + "a"),
  c("shutdown"),
  c("version x"),
  c(store("set", "tab\tkey", 0, 0, "t")),
  c("get tab\tkey"),
  c(store("set", "hi\x7f\xff", 0, 0, "h")),
  c("get hi\x7f\xff"),
  { send: "set lf 0 0 2\nlf\r\nget lf\n" },
  c("get a\r"),
  c("\x00\x01\x02"),

  // --- noreply ---------------------------------------------------------------
  c(store("set", "nr", 0, 0, "1", " noreply")),
  c("get nr"),
  c(store("add", "nr", 0, 0, "2", " noreply")),
  c(store("replace", "nr", 0, 0, "3", " noreply")),
  c("get nr"),
  c("incr nr 10 noreply"),
  c("decr nr 1 noreply"),
  c("get nr"),
  c("touch nr 100 noreply"),
  c("delete nr noreply"),
  c("get nr"),
  c("delete nr noreply"),
  c("incr nr 1 noreply"),
  c(store("set", "nrs", 0, 0, "abc")),
  c("incr nrs 1 noreply"),
  c("incr nrs abc noreply"),
  c("touch nrs abc noreply"),
  c(store("append", "nrmissing", 0, 0, "x", " noreply")),
  c(store("cas", "nrs", 0, 0, "x", " 1 noreply")),
  c("get nrs"),
  c("flush_all noreply"),
  c("get a"),

  // --- add / replace ------------------------------------------------------------
  ce("STORED\r\n", store("add", "ad", 5, 0, "first")),
  ce("NOT_STORED\r\n", store("add", "ad", 6, 0, "second")),
  c("get ad"),
  c(store("replace", "rp", 0, 0, "x")),
  c(store("replace", "ad", 9, 0, "third")),
  c("get ad rp"),

  // --- append / prepend ---------------------------------------------------------
  c(store("append", "apx", 0, 0, "x")),
  c(store("prepend", "apx", 0, 0, "x")),
  c(store("set", "ap", 11, 0, "mid")),
  c(store("append", "ap", 99, 0, "-end")),
  c(store("prepend", "ap", 98, 0, "start-")),
  c("get ap"),
  c(store("append", "ap", 0, 0, "")),
  c("get ap"),
  c("append ap 0 0 2", "abc"),
  c("get ap"),
  c("append ap 0 0"),

  // --- incr / decr ------------------------------------------------------------
  c("incr nokey 1"),
  c("decr nokey 1"),
  ce("STORED\r\n", store("set", "n", 5, 0, "10")),
  ce("15\r\n", "incr n 5"),
  c("get n"),
  c("decr n 3"),
  c("decr n 100"),
  c("get n"),
  c("incr n 0"),
  c(store("set", "n", 0, 0, "100")),
  c("decr n 91"),
  c("get n"),
  c("incr n 1"),
  c("get n"),
  c(store("set", "n", 0, 0, "15")),
  c("decr n 15"),
  c("get n"),
  c(store("set", "n", 0, 0, "99")),
  c("incr n 1"),
  c("get n"),
  c(store("set", "n", 0, 0, "18446744073709551615")),
  c("incr n 1"),
  c("get n"),
  c(store("set", "n", 0, 0, "18446744073709551614")),
  c("incr n 3"),
  c("get n"),
  c(store("set", "n", 0, 0, "5")),
  c("incr n 18446744073709551615"),
  c("incr n 18446744073709551616"),
  c("incr n -1"),
  c("decr n -1"),
  c("incr n abc"),
  c("incr n 5abc"),
  c("incr n +5"),
  c("incr n"),
  c("incr n 1 2"),
  c(store("set", "nn", 0, 0, "abc")),
  c("incr nn 1"),
  c("decr nn 1"),
  c(store("set", "nn", 0, 0, "12abc")),
  c("incr nn 1"),
  c(store("set", "nn", 0, 0, "-5")),
  c("incr nn 1"),
  c(store("set", "nn", 0, 0, "123456789012345678901")),
  c("incr nn 1"),
  c(store("set", "nn", 0, 0, "")),
  c("incr nn 1"),
  c(store("set", "nn", 0, 0, " 12")),
  c("incr nn 1"),
  c(store("set", "nn", 0, 0, "007")),
  c("incr nn 1"),
  c("get nn"),
  c(store("set", "nn", 0, 0, "0")),
  c("decr nn 1"),
  c("get nn"),

  // --- cas --------------------------------------------------------------------
  ce("STORED\r\n", store("set", "cs", 1, 0, "one")),
  c("gets cs"),
  ce("STORED\r\n", store("cas", "cs", 2, 0, "two", " {{cas:cs}}")),
  c(store("cas", "cs", 3, 0, "three", " {{cas:cs}}")),
  c("gets cs"),
  c(store("cas", "csmissing", 0, 0, "x", " 1")),
  c(store("cas", "cs", 0, 0, "x", " 0")),
  c(store("cas", "cs", 0, 0, "x", " abc")),
  c(store("cas", "cs", 0, 0, "x", " -1")),
  c("cas cs 0 0 1", "x"),
  c(store("cas", "cs", 4, 0, "four", " {{cas:cs}} noreply")),
  c("gets cs"),
  c("touch cs 1000"),
  c(store("cas", "cs", 5, 0, "five", " {{cas:cs}}")),
  c("gets cs"),
  c(store("append", "cs", 0, 0, "+")),
  c(store("cas", "cs", 6, 0, "six", " {{cas:cs}}")),
  c("gets cs"),
  c("incr cs 1"),
  c(store("set", "cn", 0, 0, "1")),
  c("gets cn"),
  c("incr cn 1"),
  c(store("cas", "cn", 0, 0, "9", " {{cas:cn}}")),
  c("get cn"),
  c("gets cs cn nokey"),

  // --- delete -----------------------------------------------------------------
  c(store("set", "d", 0, 0, "x")),
  ce("DELETED\r\n", "delete d"),
  ce("NOT_FOUND\r\n", "delete d"),
  c(store("set", "d", 0, 0, "x")),
  c("delete d 0"),
  c(store("set", "d", 0, 0, "x")),
  c("delete d 5"),
  c("delete d noreply extra"),
  c("delete"),
  c("get d"),

  // --- touch / gat / gats / expiry --------------------------------------------
  c(store("set", "t", 3, 0, "tt")),
  ce("TOUCHED\r\n", "touch t 100"),
  c("touch nokey 100"),
  c("touch t abc"),
  c("touch t"),
  c("get t"),
  c("gat 100 t"),
  c("gat 100 t nokey a"),
  c("gats 100 t a"),
  c(store("cas", "t", 0, 0, "new", " {{cas:t}}")),
  c("get t"),
  c("gat abc t"),
  c("gat 100"),
  c("gat"),
  c(`gat 100 ${K251}`),
  c("gat -1 t"),
  c("get t"),
  c(store("set", "t2", 0, 0, "x")),
  c("touch t2 -1"),
  c("get t2"),
  c(store("set", "ex", 0, -1, "x")),
  c("get ex"),
  c(store("set", "ex", 0, 2592000, "thirtydays")),
  c("get ex"),
  c(store("set", "ex", 0, 2592001, "absolute1970")),
  c("get ex"),

  // --- too large for -I; a failed set removes the old value -----------------
  c(store("set", "big", 0, 0, V300K)),
  c("get big"),
  c(store("set", "big", 0, 0, V600K)),
  c("get big"),
  c(store("set", "big2", 0, 0, V300K)),
  c(store("append", "big2", 0, 0, V300K.slice(0, 250_000))),
  c("get big2"),
  c("get big2 big2 big2 big2 big2 big2 big2 big2"),
  c(store("set", "big", 0, 0, V600K, " noreply")),
  c(store("add", "big3", 0, 0, V600K)),
  c("get big3"),

  // --- a multi-get whose line is longer than 2048 bytes ------------------------
  c(...LONG_GET_KEYS.slice(0, 3).map((k) => store("set", k, 0, 0, k))),
  c("get " + LONG_GET_KEYS.join(" ")),

  // --- a long pipeline in one write ---------------------------------------------
  c(...Array.from({ length: 100 }, (_, i) => store("set", `pl${i}`, i, 0, `value-${i}`)), ...Array.from({ length: 100 }, (_, i) => `get pl${i}`)),
  c("gets " + Array.from({ length: 100 }, (_, i) => `pl${i}`).join(" ")),

  // --- flush_all ---------------------------------------------------------------
  c(store("set", "fl", 0, 0, "x")),
  ce("OK\r\n", "flush_all"),
  c("get fl a"),
  c("incr fl 1"),
  c(store("add", "fl", 0, 0, "w")),
  c("get fl"),
  c("flush_all 0 noreply"),
  c(store("set", "fl", 0, 0, "y")),
  c("get fl"),
  c("flush_all 0"),
  c("get fl"),
  c("flush_all abc"),
  c("flush_all 0 0"),
  c(store("set", "fl", 0, 0, "z")),
  c("get fl"),

  // --- waiting (1): TTLs of 1 s, extended or shortened by touch/gat ----------
  // Pipelined in one write each, so no clock tick falls between set and the rest.
  atOnce(c(store("set", "tt1", 0, 1, "a"), "touch tt1 100")),
  atOnce(c(store("set", "tt2", 0, 100, "b"), "gat 1 tt2")),
  atOnce(c(store("set", "tt3", 0, 1, "c"), "gats 100 tt3")),
  atOnce(c(store("set", "tt4", 0, 1, "d"))),
  atOnce(c(store("set", "tt5", 0, 1, "e"), "gets tt5")),
  { ...c("get tt1 tt2 tt3 tt4 tt5"), delayMs: 2500 },
  c(store("cas", "tt5", 0, 0, "x", " {{cas:tt5}}")),
  c("delete tt4"),
  c("incr tt4 1"),
  c("touch tt5 10"),
  c(store("append", "tt5", 0, 0, "z")),
  c(store("add", "tt4", 0, 0, "new")),
  c("get tt4"),

  // --- waiting (2): a 1 s TTL and a delayed flush_all ------------------------
  // A delayed flush_all also flushes what is set before its time comes, so
  // this phase is separate from the one above.
  atOnce(c(store("set", "ttl", 0, 1, "short"), "get ttl")),
  atOnce(c(store("set", "keep", 0, 0, "k"), "flush_all 2", "get keep")),
  // (Nothing between here and the wait: whether an item set now is flushed
  // depends on where the one-second clock stands, on either server.)
  { ...c("get ttl keep"), delayMs: 2500 },
  c(store("set", "after", 0, 0, "a"), "get after"),

  // --- hostile numbers: huge, negative, overflowing (memcached's answer, the connection kept) -
  c("set hn 0 0 -1", "mn"),
  c("set hn 0 0 2147483647", "mn"),
  c("set hn 0 0 2147483646", "mn"),
  c("set hn 0 0 4294967298", "hi", "mn"),
  c("set hn 0 0 99999999999999999999", "mn"),
  c("set hn 4294967296 0 1", "h", "set hn -1 0 1", "h", "mn"),
  c("set hn 0 -1 1", "h", "get hn"),
  c("set hn 0 99999999999999999999 1", "h", "set hn 0 2147483648 1", "h", "get hn"),
  c("set hn 0 0 1 norepl", "h", "set hn 0 0 1 x y", "h", "mn"),
  c("cas hn 0 0 1 -1", "h", "cas hn 0 0 1 99999999999999999999", "h", "cas hn 0 0 1 18446744073709551615", "h", "mn"),
  c("cas hn 0 0 -5 1", "mn"),
  c("cas hn 0 0 2147483647 1", "mn"),
  c("append hn 0 0 -1", "prepend hn 99999999999999999999 0 1", "h", "mn"),
  c("set hc 0 0 1", "5", "incr hc -1", "incr hc 18446744073709551615", "incr hc 18446744073709551616",
    "decr hc 99999999999999999999", "incr hc 1x", "incr hc", "incr hc 1 noreply", "get hc"),
  c("touch hc -1", "touch hc 99999999999999999999", "touch hc x", "touch hc 2147483648", "get hc"),
  c("set hg 0 0 1", "g", "gat -1 hg", "gat 99999999999999999999 hg", "gat x hg", "gats 4294967296 hg", "get hg"),
  c("verbosity -1", "verbosity 99999999999999999999", "verbosity x", "verbosity", "verbosity 1 noreply", "verbosity 1 2 3", "mn"),
  c("cache_memlimit -1", "cache_memlimit 99999999999999999999", "cache_memlimit x", "cache_memlimit 0", "cache_memlimit 1", "cache_memlimit 64", "mn"),
  c("cache_memlimit 4294967296", "cache_memlimit 8796093022208", "cache_memlimit 64 noreply", "cache_memlimit", "mn"),
  c("flush_all -1", "flush_all 99999999999999999999", "flush_all x", "flush_all 0 noreply", "flush_all 1 2", "flush_all noreply", "mn"),
  // --- quit with more commands behind it in the same write -------------------
  c("get after", "quit", "get after"),

  // --- a 3000-byte line with no newline that is not a get: connection closed --
  { send: "set " + "z".repeat(3000) },
  { ...c("get after"), reconnect: true },

  // --- quit -------------------------------------------------------------------
  c("quit"),
];

/**
 * The same steps, each cut into 2–4 writes at seeded pseudo-random offsets
 * (steps that already have split points or must arrive at once are kept):
 * a reply must not depend on how the bytes were segmented.
 */
export function resplit(input: Step[], seed: number): Step[] {
  let state = seed >>> 0;
  const next = () => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return input.map((step) => {
    if (step.split || step.atOnce || step.send.length < 2) return step;
    const cuts = new Set<number>();
    const want = 1 + Math.floor(next() * 3);
    for (let i = 0; i < want; i++) cuts.add(1 + Math.floor(next() * (step.send.length - 1)));
    return { ...step, split: [...cuts].sort((a, b) => a - b) };
  });
}
