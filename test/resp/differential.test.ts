// The RESP module against Debian's redis-server (7.0): the same requests to
// both, replies compared byte for byte. One mask: TTL replies may differ by
// one second (our store keeps whole seconds, Redis milliseconds, so a
// second boundary can fall between a SET and its TTL on one side only).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServerHandle } from "../support/server.mjs";
import { encode, type Proc, RespConn, startRedis, startResp } from "./support.js";

let redis: Proc;
let ours: ServerHandle;

beforeAll(async () => {
  [redis, ours] = await Promise.all([startRedis(), startResp()]);
});
afterAll(async () => {
  await Promise.all([redis?.stop(), ours?.stop()]);
});

interface Step { readonly bytes: Buffer; readonly replies: number; readonly ttl?: boolean; readonly label: string }
const cmd = (...args: string[]): Step => ({ bytes: encode(args), replies: 1, label: args.join(" ") });
const raw = (text: string, replies = 1): Step => ({ bytes: Buffer.from(text, "latin1"), replies, label: JSON.stringify(text) });
const ttl = (key: string): Step => ({ ...cmd("TTL", key), ttl: true });

/** Hand-picked edges: every command's error paths, options, inline quoting. */
const EDGES: Step[] = [
  cmd("PING"), cmd("ping", "hello"), cmd("PING", "a", "b"), cmd("ECHO", "x y"), cmd("ECHO"), cmd("echo", ""),
  cmd("GET", "nope"), cmd("GET"), cmd("GET", "a", "b"), cmd("SET", "a"), cmd("SET", "a", "1"), cmd("GET", "a"),
  cmd("SET", "a", "2", "NX"), cmd("SET", "a", "3", "XX"), cmd("GET", "a"), cmd("SET", "b", "1", "XX"), cmd("GET", "b"),
  cmd("SET", "a", "v", "NX", "XX"), cmd("SET", "a", "v", "XX", "NX"), cmd("SET", "a", "v", "EX"), cmd("SET", "a", "v", "EX", "abc"),
  cmd("SET", "a", "v", "EX", "0"), cmd("SET", "a", "v", "EX", "-5"), cmd("SET", "a", "v", "PX", "0"), cmd("SET", "a", "v", "EX", "10", "PX", "10000"),
  cmd("SET", "a", "v", "EX", "100", "KEEPTTL"), cmd("SET", "a", "v", "KEEPTTL", "EX", "100"), cmd("SET", "a", "v", "foo"),
  cmd("SET", "a", "v", "EX", "9223372036854775807"), cmd("SET", "a", "v", "ex", "100"), ttl("a"), cmd("SET", "a", "w", "KEEPTTL"), ttl("a"),
  cmd("SET", "a", "x"), ttl("a"), cmd("SET", "a", "y", "GET"), cmd("SET", "new", "z", "GET"), cmd("SET", "new", "q", "NX", "GET"),
  cmd("SET", "p", "v", "PX", "50000"), ttl("p"), cmd("SET", "p", "v", "EXAT", "1"), cmd("GET", "p"), cmd("SET", "p", "v", "PXAT", "1000"), cmd("EXISTS", "p"),
  cmd("SET", "p", "v", "EX", "10", "EX", "20"), ttl("p"),
  cmd("DEL"), cmd("DEL", "a", "a", "nope", "new"), cmd("EXISTS"), cmd("SET", "e", "1"), cmd("EXISTS", "e", "e", "f"),
  cmd("MGET"), cmd("MSET"), cmd("MSET", "a"), cmd("MSET", "a", "1", "b"), cmd("MSET", "a", "1", "b", "2", "c", "3"), cmd("MGET", "a", "b", "zz", "c", "a"),
  cmd("INCR"), cmd("INCR", "n"), cmd("INCR", "n"), cmd("INCRBY", "n", "10"), cmd("INCRBY", "n", "x"), cmd("INCRBY", "n", "-20"), cmd("DECR", "n"),
  cmd("DECRBY", "n", "5"), cmd("DECRBY", "n", "-9223372036854775808"), cmd("INCRBY", "n", "9223372036854775807"), cmd("SET", "n", "9223372036854775806"),
  cmd("INCR", "n"), cmd("INCR", "n"), cmd("SET", "m", "-9223372036854775808"), cmd("DECR", "m"), cmd("GET", "m"),
  cmd("SET", "s", " 1"), cmd("INCR", "s"), cmd("SET", "s", "01"), cmd("INCR", "s"), cmd("SET", "s", "-0"), cmd("INCR", "s"), cmd("SET", "s", "+1"),
  cmd("INCR", "s"), cmd("SET", "s", "12345678901234567890"), cmd("INCR", "s"), cmd("SET", "s", ""), cmd("INCR", "s"), cmd("SET", "s", "0"), cmd("DECR", "s"),
  cmd("INCRBY", "s", ""), cmd("INCRBY", "s", "1", "2"), cmd("DECRBY", "s"),
  cmd("APPEND", "ap", "hello"), cmd("APPEND", "ap", " world"), cmd("GET", "ap"), cmd("APPEND", "ap"), cmd("APPEND", "ap", ""),
  cmd("EXPIRE", "ap"), cmd("EXPIRE", "ap", "x"), cmd("EXPIRE", "nope", "10"), cmd("EXPIRE", "ap", "100"), ttl("ap"), cmd("EXPIRE", "ap", "200", "NX"),
  cmd("EXPIRE", "ap", "200", "XX"), ttl("ap"), cmd("EXPIRE", "ap", "100", "GT"), cmd("EXPIRE", "ap", "300", "GT"), ttl("ap"), cmd("EXPIRE", "ap", "400", "LT"),
  cmd("EXPIRE", "ap", "50", "LT"), ttl("ap"), cmd("EXPIRE", "ap", "10", "NX", "XX"), cmd("EXPIRE", "ap", "10", "GT", "LT"), cmd("EXPIRE", "ap", "10", "foo"),
  cmd("EXPIRE", "ap", "10", "gt", "lt"), cmd("EXPIRE", "ap", "9223372036854775807"), cmd("EXPIRE", "ap", "-9223372036854775808"),
  cmd("PERSIST", "ap"), ttl("ap"), cmd("PERSIST", "ap"), cmd("PERSIST", "nope"), cmd("PERSIST"), cmd("TTL"), ttl("nope"),
  cmd("SET", "gone", "1"), cmd("EXPIRE", "gone", "-1"), cmd("EXISTS", "gone"), cmd("SET", "gone", "1"), cmd("EXPIRE", "gone", "0"), cmd("GET", "gone"),
  cmd("EXPIRE", "gone", "10", "XX"), cmd("SET", "gone", "1"), cmd("EXPIRE", "gone", "10", "XX"), cmd("EXPIRE", "gone", "10", "GT"), cmd("EXPIRE", "gone", "10", "LT"),
  cmd("FLUSHALL", "foo"), cmd("FLUSHALL", "a", "b"), cmd("FLUSHALL", "SYNC"), cmd("GET", "gone"), cmd("FLUSHALL", "async"), cmd("FLUSHALL"),
  cmd("NOSUCH"), cmd("nosuch", "a", "b c", "d\r\ne"), cmd("nosuch", "x".repeat(200)), cmd("nosuch", "y".repeat(100), "z".repeat(100), "w"),
  cmd("x".repeat(300)), cmd("COMMAND", "FOO"), cmd("COMMAND", "COUNT", "x"), cmd("quitx"),
  raw("PING\r\n"), raw("ping\n"), raw("SET inl \"a b\"\r\nGET inl\r\n", 2), raw("ECHO 'it\\'s'\r\n"), raw("ECHO \"\\x41\\x4a\\n\"\r\n"),
  raw("  GET   inl  \r\n"), raw("\r\nPING\r\n"), raw("*0\r\nPING\r\n"), raw("*-1\r\nPING\r\n"), raw("*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\n", 2),
  raw("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", 2), raw("ECHO\r\n"), raw("ECHO a b\r\n"),
];

/** Seeded steps over a few keys and values, so keys collide and values are sometimes numbers. */
function randomSteps(n: number, seed: number): Step[] {
  let s = seed >>> 0;
  const rnd = () => { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const keys = ["k0", "k1", "k2", "k3", "k4", "num", "str"];
  const values = ["0", "1", "-1", "42", "x", "hello world", "9223372036854775807", "-9223372036854775808", "007", "", "3.5", "1e3", "v".repeat(300)];
  const deltas = ["1", "-1", "100", "-100", "0", "abc", "9223372036854775807", "-9223372036854775808"];
  const makers: (() => Step)[] = [
    () => cmd("GET", pick(keys)),
    () => cmd("SET", pick(keys), pick(values)),
    () => cmd("SET", pick(keys), pick(values), pick(["NX", "XX", "GET", "KEEPTTL"])),
    () => cmd("SET", pick(keys), pick(values), pick(["EX", "PX"]), pick(["100", "200000", "0", "-3", "x"])),
    () => cmd("DEL", pick(keys), pick(keys)),
    () => cmd("EXISTS", pick(keys), pick(keys), pick(keys)),
    () => cmd("MGET", pick(keys), pick(keys), pick(keys), pick(keys)),
    () => cmd("MSET", pick(keys), pick(values), pick(keys), pick(values)),
    () => cmd("INCR", pick(keys)),
    () => cmd("DECR", pick(keys)),
    () => cmd("INCRBY", pick(keys), pick(deltas)),
    () => cmd("DECRBY", pick(keys), pick(deltas)),
    () => cmd("APPEND", pick(keys), pick(values)),
    () => cmd("EXPIRE", pick(keys), pick(["100", "500", "-1", "0", "x"]), ...(rnd() < 0.3 ? [pick(["NX", "XX", "GT", "LT"])] : [])),
    () => ttl(pick(keys)),
    () => cmd("PERSIST", pick(keys)),
    () => cmd("ECHO", pick(values)),
    () => cmd(pick(["PING", "ping"])),
    () => cmd(pick(["GETX", "setx", "NOPE"]), pick(keys)), // unknown: Redis has no such commands either
  ];
  return Array.from({ length: n }, () => pick(makers)());
}

function sameReply(step: Step, a: Buffer, b: Buffer): boolean {
  if (a.equals(b)) return true;
  if (!step.ttl) return false;
  const m = /^:(-?\d+)\r\n$/;
  const x = m.exec(a.toString("latin1"));
  const y = m.exec(b.toString("latin1"));
  return x !== null && y !== null && Number(x[1]) >= 0 && Math.abs(Number(x[1]) - Number(y[1])) <= 1;
}

describe("RESP differential against redis-server", () => {
  it("gives byte-identical replies over 400 steps (edges, then seeded)", async () => {
    const steps = [...EDGES, ...randomSteps(250, 13)];
    expect(steps.length).toBeGreaterThanOrEqual(200);
    const [r, w] = await Promise.all([RespConn.open(redis.port), RespConn.open(ours.port)]);
    await Promise.all([r.request(encode(["FLUSHALL"])), w.request(encode(["FLUSHALL"]))]);
    const diffs: string[] = [];
    for (const [i, step] of steps.entries()) {
      const [want, got] = await Promise.all([r.request(step.bytes, step.replies), w.request(step.bytes, step.replies)]);
      if (!sameReply(step, want, got)) diffs.push(`#${i} ${step.label.slice(0, 120)}\n  redis: ${JSON.stringify(want.toString("latin1"))}\n  ours:  ${JSON.stringify(got.toString("latin1"))}`);
    }
    r.close();
    w.close();
    expect(diffs.join("\n")).toBe("");
  });

  it("answers protocol errors as Redis does, then closes", async () => {
    const bad = [
      "*abc\r\n", "*1\r\n+PING\r\n", "*1\r\n$-5\r\n", "*1\r\n$abc\r\n", "*2147483648\r\n", "*1\r\n$600000000\r\n",
      "SET \"a b\r\n", "ECHO 'x\r\n", "ECHO \"a\"b\r\n", "*1\r\n:1\r\n", "PING\r\n*x\r\n",
    ];
    const diffs: string[] = [];
    for (const text of bad) {
      const [r, w] = await Promise.all([RespConn.open(redis.port), RespConn.open(ours.port)]);
      const bytes = Buffer.from(text, "latin1");
      const n = text.startsWith("PING") ? 2 : 1;
      const [want, got] = await Promise.all([r.request(bytes, n), w.request(bytes, n)]);
      const [rc, wc] = await Promise.all([r.closedSoon(), w.closedSoon()]);
      if (!want.equals(got) || rc !== wc) diffs.push(`${JSON.stringify(text)}: redis ${JSON.stringify(want.toString())} closed=${rc}; ours ${JSON.stringify(got.toString())} closed=${wc}`);
      r.close();
      w.close();
    }
    expect(diffs.join("\n")).toBe("");
  });

  it("never traps on garbage: the server answers PING after each of 200 seeded junk inputs", async () => {
    let s = 99;
    const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) / 16777216;
    const alphabet = ["*", "$", "\r\n", "\r", "\n", "-1", "0", "3", "99999999999", "a", " ", "\"", "'", "\\x4", "\x00", "GET", "SET"];
    for (let i = 0; i < 200; i++) {
      const junk = Array.from({ length: 1 + Math.floor(rnd() * 12) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join("");
      const c = await RespConn.open(ours.port);
      await c.request(Buffer.from(junk, "latin1"), 1, 0);
      c.close();
    }
    for (let k = 0; k < 4; k++) { // connections land on either worker: both still serve
      const c = await RespConn.open(ours.port);
      expect((await c.request(encode(["PING"]))).toString()).toBe("+PONG\r\n");
      c.close();
    }
  });
});
