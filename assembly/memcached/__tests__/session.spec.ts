// Incremental parsing, pipelining, back-pressure, streaming, stats, time.
import { app_open } from "../module";
import { numValue, parseI32, parseU32, parseU64, writeU64 } from "../numbers";
import { advance, ask, feed, feedSteps, lastClosed, pendingInput, reopen, setup, take, tx_window } from "./harness";

// A pipelined session touching every stateful path; no gets (CAS values differ per run).
const SCRIPT =
  "set a 1 0 5\r\nhello\r\n" +
  "get a\r\n" +
  "add a 0 0 1\r\nx\r\n" +
  "set n 0 0 2 noreply\r\n41\r\n" +
  "incr n 1\r\ndecr n 50\r\n" +
  "append a 0 0 3\r\n!!!\r\nprepend a 0 0 1 noreply\r\n>\r\n" +
  "get a n zz a\r\n" +
  "set big 2 0 1000\r\n" + "v".repeat(1000) + "\r\n" +
  "get big a\r\n" +
  "touch a 100\r\ngat 200 a big\r\n" +
  "set bad 0 0 1\r\nxyz\r\n" +
  "delete a\r\ndelete a noreply\r\ndelete a\r\n" +
  "get\r\nfoo\r\n\r\nversion\r\nverbosity 1\r\n" +
  "get a\x00b\r\n" +
  "flush_all noreply\r\nget n\r\n";

function fresh(): void {
  ask("flush_all\r\n");
  advance(2);
  reopen(0);
}

function runScript(step: i32, cut: i32, window: u32): string {
  fresh();
  tx_window(window);
  if (cut >= 0) {
    feed(0, SCRIPT.substring(0, cut));
    feed(0, SCRIPT.substring(cut));
  } else {
    feedSteps(0, SCRIPT, step);
  }
  tx_window(0x7fffffff);
  return take(0);
}

let whole = "";

describe("pipelining and split input", () => {
  setup();
  whole = runScript(SCRIPT.length, -1, 0x7fffffff);
  it("answers the whole script as memcached 1.6.18 does", () => {
    const v = "v".repeat(1000);
    expect(whole).toBe(
      "STORED\r\nVALUE a 1 5\r\nhello\r\nEND\r\nNOT_STORED\r\n42\r\n0\r\nSTORED\r\nVALUE a 1 9\r\n>hello!!!\r\n" +
      "VALUE n 0 2\r\n0 \r\nVALUE a 1 9\r\n>hello!!!\r\nEND\r\nSTORED\r\nVALUE big 2 1000\r\n" + v + "\r\n" +
      "VALUE a 1 9\r\n>hello!!!\r\nEND\r\nTOUCHED\r\nVALUE a 1 9\r\n>hello!!!\r\nVALUE big 2 1000\r\n" + v + "\r\n" +
      "END\r\nCLIENT_ERROR bad data chunk\r\nERROR\r\nDELETED\r\nNOT_FOUND\r\nERROR\r\nERROR\r\nERROR\r\n" +
      "VERSION 1.6.18\r\nOK\r\nEND\r\nEND\r\n");
  });
  it("gives the same output byte by byte", () => {
    expect(runScript(1, -1, 0x7fffffff)).toBe(whole);
  });
  it("gives the same output in 7- and 61-byte pieces", () => {
    expect(runScript(7, -1, 0x7fffffff)).toBe(whole);
    expect(runScript(61, -1, 0x7fffffff)).toBe(whole);
  });
  it("gives the same output cut in two at every offset", () => {
    for (let cut = 1; cut < SCRIPT.length; cut++) {
      const got = runScript(0, cut, 0x7fffffff);
      if (got != whole) log("cut at " + cut.toString());
      expect(got).toBe(whole);
    }
  });
  it("gives the same output through a 512-byte output window (back-pressure)", () => {
    expect(runScript(SCRIPT.length, -1, 512)).toBe(whole);
    expect(runScript(3, -1, 520)).toBe(whole);
  });
});

describe("large values", () => {
  setup();
  it("receives and streams a 1,000,000-byte value", () => {
    fresh();
    const v = "0123456789".repeat(100000);
    feedSteps(0, "set L 9 0 1000000\r\n" + v + "\r\n", 65536);
    expect(take(0)).toBe("STORED\r\n");
    tx_window(4096);
    feed(0, "get L\r\nget L\r\n");
    tx_window(0x7fffffff);
    const one = "VALUE L 9 1000000\r\n" + v + "\r\n";
    expect(take(0)).toBe(one + "END\r\n" + one + "END\r\n");
  });
  it("refuses a value over the item size and stays in step", () => {
    fresh();
    feedSteps(0, "set x 0 0 1\r\nx\r\nset x 0 0 1048576\r\n" + "z".repeat(1048576) + "\r\nget x\r\n", 4000);
    expect(take(0)).toBe("STORED\r\nSERVER_ERROR object too large for cache\r\nEND\r\n");
  });
  it("streams a get line of 20,000 bytes with 2,000 keys", () => {
    fresh();
    feed(0, "set k7 0 0 1\r\n7\r\nset k1999 0 0 1\r\n9\r\n");
    expect(take(0)).toBe("STORED\r\nSTORED\r\n");
    let line = "get";
    for (let i = 0; i < 2000; i++) line += " k" + i.toString();
    line += "       \r\n";
    feedSteps(0, line, 1000);
    expect(take(0)).toBe("VALUE k7 0 1\r\n7\r\nVALUE k1999 0 1\r\n9\r\nEND\r\n");
    expect(pendingInput(0)).toBe(0);
  });
  it("drops a half-received value when the connection closes", () => {
    fresh();
    feed(0, "set h 0 0 100\r\nabc");
    reopen(0);
    feed(0, "get h\r\nset h 0 0 1\r\nq\r\nget h\r\n");
    expect(take(0)).toBe("END\r\nSTORED\r\nVALUE h 0 1\r\nq\r\nEND\r\n");
  });
});

describe("closing", () => {
  setup();
  it("quit closes and ignores what follows", () => {
    feed(0, "version\r\nquit\r\nversion\r\n");
    expect(take(0)).toBe("VERSION 1.6.18\r\n");
    expect(lastClosed).toBe(true);
  });
  it("a partial line over 2048 bytes that is not a get closes", () => {
    feed(0, "set " + "k".repeat(2100));
    expect(take(0)).toBe("");
    expect(lastClosed).toBe(true);
  });
  it("refuses slots beyond max_conns", () => {
    expect(app_open(4)).toBe(1);
    expect(ask("stats\r\n").includes("STAT rejected_connections 1\r\n")).toBe(true);
  });
});

function stat(all: string, name: string): string {
  const k = "STAT " + name + " ";
  const i = all.indexOf(k);
  if (i < 0) return "?";
  return all.substring(i + k.length, all.indexOf("\r\n", i));
}

describe("stats", () => {
  setup();
  it("lists memcached's names in memcached's order", () => {
    const s = ask("stats\r\n");
    expect(s.startsWith("STAT pid 4242\r\nSTAT uptime 100\r\nSTAT time 1700000100\r\nSTAT version 1.6.18\r\n")
      || s.startsWith("STAT pid 4242\r\n")).toBe(true);
    expect(s.endsWith("STAT lru_bumps_dropped 0\r\nEND\r\n")).toBe(true);
    const names = ["pid", "uptime", "time", "version", "libevent", "pointer_size", "rusage_user", "rusage_system",
      "max_connections", "curr_connections", "total_connections", "rejected_connections", "connection_structures",
      "cmd_get", "cmd_set", "cmd_flush", "cmd_touch", "cmd_meta", "get_hits", "get_misses", "get_expired",
      "get_flushed", "delete_misses", "delete_hits", "incr_misses", "incr_hits", "decr_misses", "decr_hits",
      "cas_misses", "cas_hits", "cas_badval", "touch_hits", "touch_misses", "store_too_large", "store_no_memory",
      "auth_cmds", "auth_errors", "bytes_read", "bytes_written", "limit_maxbytes", "accepting_conns", "threads",
      "conn_yields", "hash_power_level", "hash_bytes", "hash_is_expanding", "bytes", "curr_items", "total_items",
      "expired_unfetched", "evicted_unfetched", "evicted_active", "evictions", "reclaimed"];
    let at = 0;
    for (let i = 0; i < names.length; i++) {
      const j = s.indexOf("STAT " + names[i] + " ", at);
      if (j < 0) log("missing or out of order: " + names[i]);
      expect(j >= 0).toBe(true);
      at = j;
    }
  });
  it("counts commands as memcached does", () => {
    ask("stats reset\r\n");
    feed(0, "set a 0 0 1\r\nx\r\nget a b\r\ngat 10 a b\r\ntouch a 1\r\ntouch b 1\r\nincr b 1\r\n" +
      "delete b\r\ncas a 0 0 1 1\r\ny\r\ncas b 0 0 1 1\r\ny\r\nset c 0 0 1\r\nxyz\r\nflush_all\r\nget a\r\n");
    take(0);
    const s = ask("stats\r\n");
    expect(stat(s, "cmd_get")).toBe("3");
    expect(stat(s, "get_hits")).toBe("1");
    expect(stat(s, "get_misses")).toBe("2");
    expect(stat(s, "get_flushed")).toBe("1");
    expect(stat(s, "cmd_touch")).toBe("4");
    expect(stat(s, "touch_hits")).toBe("2");
    expect(stat(s, "touch_misses")).toBe("2");
    expect(stat(s, "cmd_set")).toBe("4");
    expect(stat(s, "cas_badval")).toBe("1");
    expect(stat(s, "cas_misses")).toBe("1");
    expect(stat(s, "incr_misses")).toBe("1");
    expect(stat(s, "delete_misses")).toBe("1");
    expect(stat(s, "cmd_flush")).toBe("1");
    expect(stat(s, "curr_connections")).toBe("4");
  });
  it("counts expiry with the host's clock", () => {
    ask("stats reset\r\n");
    feed(0, "set e 0 10 1\r\nx\r\nget e\r\n");
    expect(take(0)).toBe("STORED\r\nVALUE e 0 1\r\nx\r\nEND\r\n");
    advance(11);
    feed(0, "get e\r\n");
    expect(take(0)).toBe("END\r\n");
    expect(stat(ask("stats\r\n"), "get_expired")).toBe("1");
  });
  it("answers stats settings", () => {
    const s = ask("stats settings\r\n");
    expect(s.startsWith("STAT maxbytes 16777216\r\nSTAT maxconns 4\r\nSTAT tcpport 11211\r\n")).toBe(true);
    expect(s.endsWith("\r\nEND\r\n")).toBe(true);
  });
});

describe("gets and cas", () => {
  setup();
  it("gets prints a CAS that cas accepts once", () => {
    feed(0, "set c 0 0 1\r\nx\r\ngets c\r\n");
    const out = take(0);
    const head = "STORED\r\nVALUE c 0 1 ";
    expect(out.startsWith(head)).toBe(true);
    const cas = out.substring(head.length, out.indexOf("\r\n", head.length));
    feed(0, "cas c 0 0 1 " + cas + "\r\ny\r\ncas c 0 0 1 " + cas + "\r\nz\r\ngats 0 c\r\n");
    const again = take(0);
    expect(again.startsWith("STORED\r\nEXISTS\r\nVALUE c 0 1 ")).toBe(true);
    expect(again.endsWith("\r\ny\r\nEND\r\n")).toBe(true);
  });
});

/** Parses s with parser kind "u64" / "u32" / "i32": the value, or "no". */
function parsed(kind: string, s: string): string {
  const b = String.UTF8.encode(s);
  const p = changetype<usize>(b);
  const n = <u32>b.byteLength;
  if (kind == "u64") return parseU64(p, n) ? numValue.toString() : "no";
  if (kind == "u32") return parseU32(p, n) ? numValue.toString() : "no";
  return parseI32(p, n) ? (<i64>numValue).toString() : "no";
}

// kind, input, result (memcached 1.6's safe_strtoull / safe_strtoul / safe_strtol on LP64)
const NUMBERS: StaticArray<string> = [
  "u64", "0", "0",
  "u64", "18446744073709551615", "18446744073709551615",
  "u64", "18446744073709551616", "no",
  "u64", "-1", "no",
  "u64", "-0", "0",
  "u64", "+7", "7",
  "u64", "\t7\r", "7",
  "u64", "7x", "no",
  "u64", "", "no",
  "u64", "-", "no",
  "u32", "4294967296", "0",
  "u32", "4294967297", "1",
  "i32", "4294967297", "1",
  "i32", "2147483648", "-2147483648",
  "i32", "-5", "-5",
  "i32", "9223372036854775808", "no",
];

describe("numbers (memcached's safe_strto*)", () => {
  it("parse and truncate as memcached 1.6 does", () => {
    for (let i = 0; i < NUMBERS.length; i += 3) {
      expect(parsed(NUMBERS[i], NUMBERS[i + 1])).toBe(NUMBERS[i + 2]);
    }
  });
  it("writes decimals", () => {
    const p = heap.alloc(32);
    expect(writeU64(p, 0)).toBe(1);
    expect(writeU64(p, 18446744073709551615)).toBe(20);
    expect(String.UTF8.decodeUnsafe(p, 20)).toBe("18446744073709551615");
    heap.free(p);
  });
});
