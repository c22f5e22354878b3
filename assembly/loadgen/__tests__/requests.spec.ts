// The requests on the wire: exact bytes of gets and sets (values as slices
// of the repeated alphabet), FILL's key split, connecting one connection at
// a time, the pipelining depth, each connection's share of the quota, and
// the PRNG's determinism.
import { Cfg, Flag } from "../config";
import { app_open } from "../module";
import { St, State } from "../stats";
import {
  commands, connect_ip, connect_port, connects, defaults, hit, init, keyOf, keyText, reply, SERVER_IP, set, start, state,
  stat64, take, tick, valueText,
} from "./harness";

/** The keys of n requests from a fresh run with this seed (depth 1, every reply a miss). */
function keySequence(seed: u32, n: i32): string {
  defaults();
  set(Cfg.SEED, seed);
  set(Cfg.REQUESTS, <u32>n);
  start();
  let keys = "";
  for (let i = 0; i < n; i++) {
    const out = take(0);
    keys += keyOf(out).toString() + ",";
    reply(0, "END\r\n");
  }
  return keys;
}

describe("connecting", () => {
  it("opens the connections to the server one per tick, the first alone until it resolves", () => {
    defaults();
    set(Cfg.CONNS, 3);
    expect(init()).toBe(0);
    tick(0);
    expect(state()).toBe(State.CONNECTING);
    expect(connects()).toBe(1);
    expect(connect_ip()).toBe(SERVER_IP);
    expect(connect_port()).toBe(11211);
    tick(1);
    expect(connects()).toBe(1); // the first is still connecting
    expect(app_open(0)).toBe(0);
    expect(take(0)).toBe(""); // nothing is sent before every connection resolved
    tick(1);
    expect(connects()).toBe(2);
    expect(app_open(1)).toBe(0);
    tick(1);
    expect(connects()).toBe(3);
    tick(1);
    expect(connects()).toBe(3);
    expect(state()).toBe(State.CONNECTING);
    expect(app_open(2)).toBe(0);
    expect(state()).toBe(State.RUNNING);
    expect(stat64(St.SENT)).toBe(3);
    for (let c: u32 = 0; c < 3; c++) expect(take(c).startsWith("get k")).toBe(true);
  });
  it("refuses connections it did not open", () => {
    defaults();
    start();
    expect(app_open(5)).not.toBe(0);
    expect(app_open(0)).not.toBe(0); // already open
    expect(app_open(100)).not.toBe(0);
  });
});

describe("request bytes", () => {
  it("writes `get <key>\\r\\n` with the key zero-padded to the key size", () => {
    defaults();
    set(Cfg.KEY_SIZE, 12);
    start();
    const out = take(0);
    const k = keyOf(out);
    expect(k).toBeLessThan(10);
    expect(out).toBe("get " + keyText(k, 12) + "\r\n");
    expect(keyText(k, 12).length).toBe(12);
  });
  it("writes `set <key> 0 0 <vs>\\r\\n<value>\\r\\n` with the key's value", () => {
    defaults();
    set(Cfg.SET_PERMILLE, 1000);
    set(Cfg.VALUE_SIZE, 150);
    set(Cfg.KEYS, 1000);
    start();
    const out = take(0);
    const k = keyOf(out);
    expect(out).toBe("set " + keyText(k, 8) + " 0 0 150\r\n" + valueText(k, 150) + "\r\n");
  });
  it("writes empty values", () => {
    defaults();
    set(Cfg.SET_PERMILLE, 1000);
    set(Cfg.VALUE_SIZE, 0);
    start();
    const out = take(0);
    expect(out).toBe("set " + keyText(keyOf(out), 8) + " 0 0 0\r\n\r\n");
  });
  it("uses the longest keys", () => {
    defaults();
    set(Cfg.KEY_SIZE, 250);
    set(Cfg.SET_PERMILLE, 1000);
    start();
    const out = take(0);
    expect(out).toBe("set " + keyText(keyOf(out), 250) + " 0 0 10\r\n" + valueText(keyOf(out), 10) + "\r\n");
  });
});

describe("FILL", () => {
  it("sets every key once, split over the connections, then starts the measured phase", () => {
    defaults();
    set(Cfg.FLAGS, Flag.FILL);
    set(Cfg.CONNS, 2);
    set(Cfg.KEYS, 9);
    set(Cfg.DEPTH, 8);
    set(Cfg.VALUE_SIZE, 70);
    set(Cfg.REQUESTS, 100);
    start();
    expect(state()).toBe(State.FILLING);
    let expect0 = "", expect1 = "";
    for (let k: u32 = 0; k < 4; k++) expect0 += "set " + keyText(k, 8) + " 0 0 70\r\n" + valueText(k, 70) + "\r\n";
    for (let k: u32 = 4; k < 9; k++) expect1 += "set " + keyText(k, 8) + " 0 0 70\r\n" + valueText(k, 70) + "\r\n";
    expect(take(0)).toBe(expect0);
    expect(take(1)).toBe(expect1);
    reply(0, "STORED\r\n".repeat(4));
    expect(state()).toBe(State.FILLING); // connection 1 has not finished
    expect(take(0)).toBe("");
    reply(1, "STORED\r\n".repeat(4));
    expect(state()).toBe(State.FILLING);
    reply(1, "STORED\r\n");
    expect(state()).toBe(State.RUNNING);
    expect(stat64(St.FILL_VERIFIED)).toBe(9);
    expect(stat64(St.SENT)).toBe(16); // depth 8 on each connection
    expect(stat64(St.STORED)).toBe(0);
    expect(commands(take(0)).length).toBe(8);
    expect(commands(take(1)).length).toBe(8);
  });
});

describe("pipelining", () => {
  it("keeps `depth` requests in flight and no more", () => {
    defaults();
    set(Cfg.DEPTH, 4);
    set(Cfg.REQUESTS, 10);
    set(Cfg.VALUE_SIZE, 5);
    start();
    let lines = commands(take(0));
    expect(lines.length).toBe(4);
    reply(0, hit(keyOf(lines[0]), 8, 5));
    let more = commands(take(0));
    expect(more.length).toBe(1);
    reply(0, hit(keyOf(lines[1]), 8, 5) + "END\r\n"); // lines[2] misses
    more = more.concat(commands(take(0)));
    expect(more.length).toBe(3);
    expect(stat64(St.SENT)).toBe(7); // 4 at first, one per reply
    expect(stat64(St.VERIFIED)).toBe(3);
    expect(stat64(St.HITS)).toBe(2);
    expect(stat64(St.MISSES)).toBe(1);
  });
  it("gives each connection its share of the request count", () => {
    defaults();
    set(Cfg.CONNS, 3);
    set(Cfg.DEPTH, 64);
    set(Cfg.REQUESTS, 10);
    start();
    expect(commands(take(0)).length).toBe(3);
    expect(commands(take(1)).length).toBe(3);
    expect(commands(take(2)).length).toBe(4);
    expect(stat64(St.SENT)).toBe(10);
  });
  it("mixes sets and gets by the set permille", () => {
    defaults();
    set(Cfg.DEPTH, 64);
    set(Cfg.REQUESTS, 1000);
    set(Cfg.SET_PERMILLE, 250);
    set(Cfg.VALUE_SIZE, 3);
    set(Cfg.KEYS, 100);
    start();
    let sets = 0, gets = 0;
    for (let round = 0; round < 100 && gets + sets < 1000; round++) {
      const lines = commands(take(0));
      let answer = "";
      for (let i = 0; i < lines.length; i++) {
        if (lines[i].startsWith("set ")) { sets++; answer += "STORED\r\n"; } else { gets++; answer += "END\r\n"; }
      }
      reply(0, answer);
    }
    expect(sets + gets).toBe(1000);
    expect(sets).toBeGreaterThan(180);
    expect(sets).toBeLessThan(320);
    expect(stat64(St.STORED)).toBe(<u64>sets);
    expect(stat64(St.MISSES)).toBe(<u64>gets);
  });
});

describe("the PRNG", () => {
  it("gives the same keys for the same seed and others for another", () => {
    const a = keySequence(7, 20);
    expect(keySequence(7, 20)).toBe(a);
    expect(keySequence(8, 20)).not.toBe(a);
  });
});
