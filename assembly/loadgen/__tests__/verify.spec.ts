// Reply verification: hits, misses and STORED split at every offset,
// pipelined replies in one read, mismatches (counted, the first recorded,
// the connection failed), bytes nobody asked for, and reply latencies.
import { Cfg } from "../config";
import { Mm, NO_OP, St, State } from "../stats";
import { app_data } from "../module";
import {
  closed, commands, defaults, hit, keyOf, keyText, regionBase, reply, replyAt, set, start, state, stat32, stat64, take, tick,
  valueText,
} from "./harness";

/** A fresh single-connection run whose one request is in flight; returns the request line. */
function one(setPermille: u32, valueSize: u32): string {
  defaults();
  set(Cfg.SET_PERMILLE, setPermille);
  set(Cfg.VALUE_SIZE, valueSize);
  set(Cfg.REQUESTS, 1);
  start();
  return commands(take(0))[0];
}

/** Deliver s one byte per app_data call. */
function bytewise(conn: u32, s: string): void {
  const b = String.UTF8.encode(s);
  for (let i = 0; i < b.byteLength; i++) app_data(conn, changetype<usize>(b) + i, 1);
}

function mmText(off: usize, n: i32): string {
  return String.UTF8.decodeUnsafe(regionBase() + St.MM + off, n);
}

function clean(): void {
  expect(stat64(St.MISMATCHES)).toBe(0);
  expect(stat64(St.FAILED)).toBe(0);
}

describe("replies split anywhere", () => {
  it("verifies a hit split at every offset", () => {
    const line = one(0, 40);
    const r = hit(keyOf(line), 8, 40);
    for (let cut = 1; cut < r.length; cut++) {
      expect(commands(take(0))).toHaveLength(0);
      one(0, 40);
      replyAt(0, r, cut);
      clean();
      expect(stat64(St.HITS)).toBe(1);
      expect(stat64(St.VERIFIED)).toBe(1);
    }
  });
  it("verifies a hit one byte at a time", () => {
    const line = one(0, 100);
    bytewise(0, hit(keyOf(line), 8, 100));
    clean();
    expect(stat64(St.HITS)).toBe(1);
  });
  it("verifies a miss split at every offset", () => {
    for (let cut = 1; cut < 5; cut++) {
      one(0, 10);
      replyAt(0, "END\r\n", cut);
      clean();
      expect(stat64(St.MISSES)).toBe(1);
      expect(stat64(St.HITS)).toBe(0);
    }
  });
  it("verifies STORED split at every offset", () => {
    for (let cut = 1; cut < 8; cut++) {
      one(1000, 10);
      replyAt(0, "STORED\r\n", cut);
      clean();
      expect(stat64(St.STORED)).toBe(1);
    }
  });
  it("verifies pipelined replies in one read and split across their boundaries", () => {
    for (let cut = 0; cut < 120; cut += 7) {
      defaults();
      set(Cfg.DEPTH, 8);
      set(Cfg.REQUESTS, 8);
      set(Cfg.SET_PERMILLE, 400);
      set(Cfg.VALUE_SIZE, 9);
      start();
      const lines = commands(take(0));
      expect(lines).toHaveLength(8);
      let all = "";
      let hits = 0;
      for (let i = 0; i < lines.length; i++) {
        if (lines[i].startsWith("set ")) all += "STORED\r\n";
        else if (i % 2 == 0) { all += hit(keyOf(lines[i]), 8, 9); hits++; } else all += "END\r\n";
      }
      if (cut == 0) reply(0, all); else replyAt(0, all, min(cut, all.length - 1));
      clean();
      expect(stat64(St.VERIFIED)).toBe(8);
      expect(stat64(St.HITS)).toBe(<u64>hits);
      expect(state()).toBe(State.DRAINING); // every reply in: the connections are being closed
      expect(closed(0)).toBe(1);
    }
  });
});

describe("mismatches", () => {
  it("records the first one: connection, offset, op, key, 32 bytes of each side; fails the connection", () => {
    const line = one(0, 100);
    const k = keyOf(line);
    const r = hit(k, 8, 100);
    const hdr = "VALUE " + keyText(k, 8) + " 0 100\r\n";
    const at = hdr.length + 50;
    const bad = r.substring(0, at) + "#" + r.substring(at + 1);
    replyAt(0, bad, 30);
    expect(stat64(St.MISMATCHES)).toBe(1);
    expect(stat64(St.FAILED)).toBe(1);
    expect(stat64(St.VERIFIED)).toBe(0);
    expect(closed(0)).toBe(1);
    expect(stat32(St.MM + Mm.CONN)).toBe(0);
    expect(stat32(St.MM + Mm.OFFSET)).toBe(<u32>at);
    expect(stat32(St.MM + Mm.OP)).toBe(0);
    expect(stat32(St.MM + Mm.KEY)).toBe(k);
    expect(mmText(Mm.EXPECTED, 32)).toBe(r.substring(at, at + 32));
    expect(mmText(Mm.RECEIVED, 32)).toBe(bad.substring(at, at + 32));
  });
  it("finds a difference at every offset of a hit that arrives whole (the one-pass path)", () => {
    for (let at = 0; at < 6 + 8 + 5 + 2 + 10 + 7; at++) {
      const line = one(0, 10);
      const r = hit(keyOf(line), 8, 10);
      const bad = r.substring(0, at) + "#" + r.substring(at + 1);
      reply(0, bad);
      expect(stat64(St.MISMATCHES)).toBe(1);
      expect(stat32(St.MM + Mm.OFFSET)).toBe(<u32>at);
      expect(stat64(St.VERIFIED)).toBe(0);
    }
  });
  it("keeps expected bytes up to the reply's end and received bytes up to what came", () => {
    one(1000, 10);
    reply(0, "STOR3D\r\n");
    expect(stat32(St.MM + Mm.OFFSET)).toBe(4);
    expect(stat32(St.MM + Mm.OP)).toBe(1);
    expect(mmText(Mm.EXPECTED, 5)).toBe("ED\r\n\0");
    expect(mmText(Mm.RECEIVED, 5)).toBe("3D\r\n\0");
  });
  it("catches a wrong header (value length)", () => {
    const line = one(0, 10);
    const k = keyOf(line);
    reply(0, "VALUE " + keyText(k, 8) + " 0 11\r\n");
    expect(stat64(St.MISMATCHES)).toBe(1);
    expect(stat32(St.MM + Mm.OFFSET)).toBe(6 + 8 + 4);
  });
  it("catches an error reply to a set", () => {
    one(1000, 10);
    reply(0, "SERVER_ERROR out of memory\r\n");
    expect(stat64(St.MISMATCHES)).toBe(1);
    expect(stat32(St.MM + Mm.OFFSET)).toBe(1);
  });
  it("ignores what arrives on the connection after the mismatch", () => {
    one(0, 10);
    reply(0, "XYZ");
    reply(0, "more garbage\r\n");
    expect(stat64(St.MISMATCHES)).toBe(1);
    expect(stat64(St.FAILED)).toBe(1);
    expect(stat64(St.BYTES_RX)).toBe(17);
  });
  it("treats bytes with no request in flight as a mismatch (op NO_OP)", () => {
    defaults();
    set(Cfg.REQUESTS, 2);
    start();
    reply(0, "END\r\n");
    reply(0, "END\r\nEND\r\n");
    expect(stat64(St.MISSES)).toBe(2);
    expect(stat64(St.MISMATCHES)).toBe(1);
    expect(stat32(St.MM + Mm.OP)).toBe(NO_OP);
    expect(stat32(St.MM + Mm.OFFSET)).toBe(0);
    expect(mmText(Mm.RECEIVED, 6)).toBe("END\r\n\0");
  });
  it("records only the first of several", () => {
    defaults();
    set(Cfg.CONNS, 2);
    start();
    reply(1, "nope\r\n");
    reply(0, "also nope\r\n");
    expect(stat64(St.MISMATCHES)).toBe(2);
    expect(stat64(St.FAILED)).toBe(2);
    expect(stat32(St.MM + Mm.CONN)).toBe(1);
    expect(closed(0)).toBe(1);
    expect(closed(1)).toBe(1);
  });
});

describe("timing", () => {
  it("puts each reply's latency in its power-of-two microsecond bucket", () => {
    defaults();
    set(Cfg.REQUESTS, 3);
    start();
    reply(0, "END\r\n"); // 0 µs
    tick(3.5);
    reply(0, "END\r\n"); // 3500 µs: [2048, 4096)
    tick(0.0015);
    reply(0, "END\r\n"); // 1.5 µs: bucket 0
    expect(stat64(St.HIST)).toBe(2);
    expect(stat64(St.HIST + 11 * 8)).toBe(1);
    let total: u64 = 0;
    for (let i = 0; i < 32; i++) total += stat64(St.HIST + i * 8);
    expect(total).toBe(3);
    expect(load<f64>(regionBase() + St.LAST_MS) - load<f64>(regionBase() + St.START_MS)).toBeCloseTo(3.5015);
    expect(stat64(St.BYTES_RX)).toBe(15);
  });
  it("keeps the value's bytes identical to the table's", () => {
    // the value of key k starts at alphabet position k % 62, and wraps
    expect(valueText(61, 3)).toBe("9AB");
    expect(valueText(0, 63)).toBe("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789A");
  });
});
