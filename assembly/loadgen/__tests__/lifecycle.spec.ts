// The run's end and its failures: the request count and the duration end
// the measured phase, in-flight replies are awaited, connections are closed
// and the state becomes done — also when the server times out, refuses,
// resets, closes, or never answers the close; large values stream under
// back-pressure; the FILL barrier between cores.
import { Cfg, Flag } from "../config";
import { St, State } from "../stats";
import { app_open } from "../module";
import {
  closeConn, closed, commands, connect_fail, connects, defaults, hit, init, keyOf, keyText, outAt, regionBase, reply, set,
  setCtl, skip, start, state, stat32, stat64, take, tick, tx_drain, tx_len, tx_window, valueText, writable,
} from "./harness";
import { Ctl } from "../../shared/control";

function answerAll(conn: u32): i32 {
  const lines = commands(take(conn));
  let s = "";
  for (let i = 0; i < lines.length; i++) s += lines[i].startsWith("set ") ? "STORED\r\n" : "END\r\n";
  if (s.length > 0) reply(conn, s);
  return lines.length;
}

describe("the end", () => {
  it("stops at the request count, drains, closes, and is done once the connections closed", () => {
    defaults();
    set(Cfg.CONNS, 2);
    set(Cfg.DEPTH, 2);
    set(Cfg.REQUESTS, 6);
    start();
    expect(state()).toBe(State.RUNNING);
    expect(stat32(St.OPEN)).toBe(2);
    answerAll(0);
    answerAll(1);
    answerAll(0);
    expect(state()).toBe(State.DRAINING); // everything sent, connection 1 still owes a reply
    expect(closed(0)).toBe(0);
    answerAll(1);
    expect(closed(0)).toBe(1);
    expect(closed(1)).toBe(1);
    expect(state()).toBe(State.DRAINING);
    closeConn(0);
    expect(state()).toBe(State.DRAINING);
    closeConn(1);
    expect(state()).toBe(State.DONE);
    expect(stat64(St.SENT)).toBe(6);
    expect(stat64(St.VERIFIED)).toBe(6);
    expect(stat64(St.FAILED)).toBe(0);
    expect(stat32(St.OPEN)).toBe(0);
    expect(stat32(St.ESTABLISHED)).toBe(2);
  });
  it("is done after one timeout when the close is never answered", () => {
    defaults();
    set(Cfg.REQUESTS, 1);
    start();
    answerAll(0);
    expect(closed(0)).toBe(1);
    tick(4999);
    expect(state()).toBe(State.DRAINING);
    tick(1);
    expect(state()).toBe(State.DONE);
    expect(stat64(St.FAILED)).toBe(0);
  });
  it("stops issuing when the duration has passed and waits for the replies in flight", () => {
    defaults();
    set(Cfg.REQUESTS, 0);
    set(Cfg.DURATION_MS, 10);
    set(Cfg.DEPTH, 3);
    start();
    const t0 = load<f64>(regionBase() + St.START_MS);
    expect(t0).toBeGreaterThan(0);
    let n = 0;
    for (let i = 0; i < 5; i++) { tick(1); n += answerAll(0); }
    expect(n).toBe(5 * 3);
    expect(state()).toBe(State.RUNNING);
    tick(5);
    const inFlight = commands(take(0));
    expect(inFlight).toHaveLength(3);
    expect(state()).toBe(State.DRAINING); // 10 ms passed: no new requests
    let s = "";
    for (let i = 0; i < 3; i++) s += "END\r\n";
    reply(0, s);
    expect(take(0)).toBe("");
    expect(closed(0)).toBe(1);
    closeConn(0);
    expect(state()).toBe(State.DONE);
    expect(stat64(St.SENT)).toBe(stat64(St.VERIFIED));
    expect(stat64(St.SENT)).toBe(18);
  });
});

describe("failures", () => {
  it("fails a connection whose replies stop coming (reply timeout), and is done", () => {
    defaults();
    set(Cfg.TIMEOUT_MS, 300);
    set(Cfg.REQUESTS, 5);
    start();
    reply(0, "END\r\n");
    tick(299);
    expect(stat64(St.FAILED)).toBe(0);
    reply(0, "EN"); // progress restarts the clock
    tick(299);
    expect(stat64(St.FAILED)).toBe(0);
    tick(1);
    expect(stat64(St.FAILED)).toBe(1);
    expect(closed(0)).toBe(1);
    expect(state()).toBe(State.DRAINING);
    closeConn(0);
    expect(state()).toBe(State.DONE);
    expect(stat32(St.OPEN)).toBe(0);
  });
  it("counts a connect that net_connect refuses, and goes on with the others", () => {
    defaults();
    set(Cfg.CONNS, 2);
    expect(init()).toBe(0);
    connect_fail(1);
    tick(0);
    expect(stat64(St.FAILED)).toBe(1);
    tick(1);
    expect(connects()).toBe(2);
    expect(app_open(0)).toBe(0); // the fake's slots start over after a failure
    expect(state()).toBe(State.RUNNING);
    expect(answerAll(0)).toBe(1);
  });
  it("is done at once when no connection can be made", () => {
    defaults();
    expect(init()).toBe(0);
    connect_fail(1);
    tick(0);
    expect(stat64(St.FAILED)).toBe(1);
    expect(state()).toBe(State.DONE);
  });
  it("counts a connection closed before it opened (refused), and is done", () => {
    defaults();
    expect(init()).toBe(0);
    tick(0);
    closeConn(0);
    expect(stat64(St.FAILED)).toBe(1);
    expect(state()).toBe(State.DONE);
    expect(stat32(St.OPEN)).toBe(0);
  });
  it("gives up on a connection that never opens (connect timeout)", () => {
    defaults();
    set(Cfg.CONNS, 2);
    expect(init()).toBe(0);
    tick(0);
    tick(4999);
    expect(connects()).toBe(1);
    tick(1);
    expect(closed(0)).toBe(1);
    expect(stat64(St.FAILED)).toBe(1);
    closeConn(0); // the stack confirms
    expect(stat64(St.FAILED)).toBe(1);
    tick(1);
    expect(connects()).toBe(2);
    expect(app_open(1)).toBe(0);
    expect(state()).toBe(State.RUNNING);
  });
  it("counts the peer closing or resetting mid-run, and is done", () => {
    defaults();
    set(Cfg.CONNS, 2);
    start();
    closeConn(1);
    expect(stat64(St.FAILED)).toBe(1);
    expect(stat32(St.OPEN)).toBe(1);
    expect(state()).toBe(State.RUNNING);
    closeConn(0);
    expect(stat64(St.FAILED)).toBe(2);
    expect(state()).toBe(State.DONE);
  });
  it("reaches done whatever arrives (a seeded storm of garbage, closes and silence)", () => {
    let x: u32 = 12345;
    for (let run = 0; run < 40; run++) {
      defaults();
      set(Cfg.CONNS, 3);
      set(Cfg.DEPTH, 4);
      set(Cfg.REQUESTS, 0);
      set(Cfg.DURATION_MS, 50);
      set(Cfg.TIMEOUT_MS, 100);
      set(Cfg.FLAGS, run & 1 ? Flag.FILL : 0);
      start();
      for (let step = 0; step < 400 && state() != State.DONE; step++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        const c = x % 3;
        const what = (x >> 8) % 10;
        if (what < 5) answerAll(c);
        else if (what == 5) reply(c, "VALUE k0 0 1\r\nZ\r\nEND\r\n");
        else if (what == 6) reply(c, "END\r\n");
        else if (what == 7 && closed(c)) closeConn(c);
        else tick(<f64>((x >> 16) % 40));
      }
      for (let step = 0; step < 10 && state() != State.DONE; step++) tick(100);
      expect(state()).toBe(State.DONE);
    }
  });
});

describe("large values", () => {
  it("streams a 200 KB set through a 4 KiB window, continuing on app_writable", () => {
    const vs: u32 = 200000;
    defaults();
    set(Cfg.SET_PERMILLE, 1000);
    set(Cfg.VALUE_SIZE, vs);
    set(Cfg.KEYS, 1000);
    set(Cfg.REQUESTS, 1);
    expect(init()).toBe(0);
    tx_window(4096);
    tick(0);
    expect(app_open(0)).toBe(0);
    expect(tx_len(0)).toBe(4096);
    for (let i = 0; i < 100 && tx_len(0) < vs; i++) { tx_drain(0); writable(0); }
    const k = keyOf(String.UTF8.decodeUnsafe(outAt(0, 0), 40));
    const hdr = "set " + keyText(k, 8) + " 0 0 200000\r\n";
    const total = hdr.length + <i32>vs + 2;
    expect(tx_len(0)).toBe(<u32>total);
    const want = String.UTF8.encode(hdr + valueText(k, vs) + "\r\n");
    expect(memory.compare(outAt(0, 0), changetype<usize>(want), total)).toBe(0);
    expect(stat64(St.SENT)).toBe(1);
    skip(0);
    reply(0, "STORED\r\n");
    expect(stat64(St.STORED)).toBe(1);
    expect(stat64(St.MISMATCHES)).toBe(0);
  });
  it("verifies a 200 KB hit in one read and in uneven pieces", () => {
    const vs: u32 = 200000;
    for (let mode = 0; mode < 2; mode++) {
      defaults();
      set(Cfg.VALUE_SIZE, vs);
      set(Cfg.REQUESTS, 1);
      start();
      const k = keyOf(take(0));
      const r = hit(k, 8, vs);
      if (mode == 0) reply(0, r);
      else for (let at = 0; at < r.length; at += 4093) reply(0, r.substring(at, min(at + 4093, r.length)));
      expect(stat64(St.HITS)).toBe(1);
      expect(stat64(St.MISMATCHES)).toBe(0);
      expect(stat64(St.BYTES_RX)).toBe(<u64>r.length);
    }
  });
  it("finds a wrong byte deep in a large value", () => {
    const vs: u32 = 200000;
    defaults();
    set(Cfg.VALUE_SIZE, vs);
    set(Cfg.REQUESTS, 1);
    start();
    const k = keyOf(take(0));
    const r = hit(k, 8, vs);
    const at = 150001;
    reply(0, r.substring(0, at) + "!" + r.substring(at + 1));
    expect(stat64(St.MISMATCHES)).toBe(1);
    expect(stat32(St.MM + 4)).toBe(<u32>at);
  });
});

describe("the FILL barrier", () => {
  it("waits for the other cores' shares before measuring, at most one timeout", () => {
    for (let other = 0; other < 2; other++) {
      defaults();
      setCtl(Ctl.N_CORES, 2);
      set(Cfg.FLAGS, Flag.FILL);
      set(Cfg.KEYS, 10);
      set(Cfg.DEPTH, 8);
      start();
      expect(state()).toBe(State.FILLING);
      expect(commands(take(0))).toHaveLength(5); // core 0's half of the keys
      reply(0, "STORED\r\n".repeat(5));
      expect(state()).toBe(State.FILLING);
      tick(100);
      expect(state()).toBe(State.FILLING);
      if (other == 0) {
        set(Cfg.FILL_BARRIER, 2); // core 1 arrived
        tick(1);
        expect(state()).toBe(State.RUNNING);
      } else {
        tick(4900);
        expect(state()).toBe(State.RUNNING);
      }
      expect(stat64(St.FILL_VERIFIED)).toBe(5);
      setCtl(Ctl.N_CORES, 1);
    }
  });
});
