// The binary protocol: every opcode, quiet semantics, CAS rules, protocol
// errors, split input, pipelining, back-pressure and streaming, through the
// fake transport. Replies are read back as packets (binary-support below).
import { advance, feedBytes, lastClosed, outPtr, reopen, setup, take, tx_len, tx_window } from "./harness";

// ---- requests and responses --------------------------------------------------

const GET: u8 = 0x00, SET: u8 = 0x01, ADD: u8 = 0x02, REPLACE: u8 = 0x03, DELETE: u8 = 0x04;
const INCR: u8 = 0x05, DECR: u8 = 0x06, QUIT: u8 = 0x07, FLUSH: u8 = 0x08, GETQ: u8 = 0x09;
const NOOP: u8 = 0x0a, VERSION: u8 = 0x0b, GETK: u8 = 0x0c, GETKQ: u8 = 0x0d, APPEND: u8 = 0x0e;
const PREPEND: u8 = 0x0f, STAT: u8 = 0x10, SETQ: u8 = 0x11, ADDQ: u8 = 0x12, REPLACEQ: u8 = 0x13;
const DELETEQ: u8 = 0x14, INCRQ: u8 = 0x15, DECRQ: u8 = 0x16, QUITQ: u8 = 0x17, FLUSHQ: u8 = 0x18;
const APPENDQ: u8 = 0x19, PREPENDQ: u8 = 0x1a, TOUCH: u8 = 0x1c, GAT: u8 = 0x1d, GATQ: u8 = 0x1e;
const SASL_LIST: u8 = 0x20, SASL_AUTH: u8 = 0x21, GATK: u8 = 0x23, GATKQ: u8 = 0x24;

const OK: u32 = 0, ENOENT: u32 = 1, EEXISTS: u32 = 2, E2BIG: u32 = 3, EINVAL: u32 = 4;
const NOT_STORED: u32 = 5, BADVAL: u32 = 6, UNKNOWN: u32 = 0x81;

/** Bytes being built (requests) or read (responses). */
class Bytes {
  b: u8[] = [];
  u8(v: u32): Bytes { this.b.push(<u8>v); return this; }
  be16(v: u32): Bytes { return this.u8(v >> 8).u8(v); }
  be32(v: u32): Bytes { return this.be16(v >> 16).be16(v & 0xffff); }
  be64(v: u64): Bytes { return this.be32(<u32>(v >> 32)).be32(<u32>v); }
  str(s: string): Bytes { for (let i = 0; i < s.length; i++) this.u8(s.charCodeAt(i)); return this; }
  cat(o: Bytes): Bytes { for (let i = 0; i < o.b.length; i++) this.b.push(o.b[i]); return this; }
}

function req(op: u8, key: string = "", extras: Bytes = new Bytes(), value: string = "", cas: u64 = 0, opaque: u32 = 0x11223344): Bytes {
  const r = new Bytes().u8(0x80).u8(op).be16(key.length).u8(extras.b.length).u8(0).be16(0);
  r.be32(extras.b.length + key.length + value.length).be32(opaque).be64(cas);
  return r.cat(extras).str(key).str(value);
}

const storeExt = (flags: u32, exp: u32): Bytes => new Bytes().be32(flags).be32(exp);
const incrExt = (delta: u64, initial: u64, exp: u32): Bytes => new Bytes().be64(delta).be64(initial).be32(exp);
const expExt = (exp: u32): Bytes => new Bytes().be32(exp);

function send(conn: u32, r: Bytes): void {
  const n = r.b.length;
  const p = heap.alloc(n + 1);
  for (let i = 0; i < n; i++) store<u8>(p + i, r.b[i]);
  feedBytes(conn, p, n);
  heap.free(p);
}

/** Sends r in pieces of `step` bytes. */
function sendSteps(conn: u32, r: Bytes, step: i32): void {
  const n = r.b.length;
  for (let i = 0; i < n; i += step) {
    const piece = new Bytes();
    for (let k = i; k < min(n, i + step); k++) piece.u8(r.b[k]);
    send(conn, piece);
  }
}

class Packet {
  magic: u32 = 0; opcode: u32 = 0; keylen: u32 = 0; extlen: u32 = 0; status: u32 = 0;
  bodylen: u32 = 0; opaque: u32 = 0; cas: u64 = 0;
  extras: Bytes = new Bytes(); key: string = ""; value: string = "";
}

@inline function at8(p: usize, i: u32): u32 { return <u32>load<u8>(p + i); }
function at16(p: usize, i: u32): u32 { return (at8(p, i) << 8) | at8(p, i + 1); }
function at32(p: usize, i: u32): u32 { return (at16(p, i) << 16) | at16(p, i + 2); }

/** The output so far on conn, as packets; clears it. */
function packets(conn: u32): Packet[] {
  const p = outPtr(conn);
  const n = tx_len(conn);
  const out: Packet[] = [];
  let i: u32 = 0;
  while (i + 24 <= n) {
    const k = new Packet();
    k.magic = at8(p, i); k.opcode = at8(p, i + 1); k.keylen = at16(p, i + 2); k.extlen = at8(p, i + 4);
    k.status = at16(p, i + 6); k.bodylen = at32(p, i + 8); k.opaque = at32(p, i + 12);
    k.cas = (<u64>at32(p, i + 16) << 32) | <u64>at32(p, i + 20);
    let j = i + 24;
    for (let e: u32 = 0; e < k.extlen; e++) k.extras.u8(at8(p, j + e));
    j += k.extlen;
    k.key = String.UTF8.decodeUnsafe(p + j, k.keylen);
    j += k.keylen;
    k.value = String.UTF8.decodeUnsafe(p + j, k.bodylen - k.extlen - k.keylen);
    i += 24 + k.bodylen;
    out.push(k);
  }
  expect(i).toBe(n); // whole packets only
  take(conn);
  return out;
}

/** The output as hex with every CAS field zeroed (CAS values differ from run to run). */
function maskedHex(conn: u32): string {
  const p = outPtr(conn);
  const n = tx_len(conn);
  let i: u32 = 0;
  while (i + 24 <= n) { store<u64>(p + i + 16, 0); i += 24 + at32(p, i + 8); }
  let s = "";
  for (let k: u32 = 0; k < n; k++) s += (at8(p, k) + 0x100).toString(16).substring(1);
  take(conn);
  return s;
}

/** One request on conn 0; its single response. */
function one(r: Bytes): Packet {
  send(0, r);
  const ps = packets(0);
  expect(ps.length).toBe(1);
  return ps[0];
}

function fresh(): void {
  reopen(0);
  expect(one(req(FLUSH)).status).toBe(OK);
  advance(2);
  reopen(0);
}

// ---- specs ---------------------------------------------------------------------

describe("binary: detection and framing", () => {
  setup();
  it("a first byte 0x80 makes the connection binary", () => {
    const p = one(req(NOOP, "", new Bytes(), "", 0, 0xdeadbeef));
    expect(p.magic).toBe(0x81);
    expect(p.opcode).toBe(NOOP);
    expect(p.status).toBe(OK);
    expect(p.opaque).toBe(0xdeadbeef);
    expect(p.bodylen).toBe(0);
  });
  it("a text connection stays text", () => {
    reopen(1);
    const v = new Bytes().str("version\r\n");
    send(1, v);
    send(1, req(NOOP).cat(new Bytes().str("\r\n")));
    expect(take(1).startsWith("VERSION 1.6.18\r\nERROR\r\n")).toBe(true);
  });
  it("version", () => {
    const p = one(req(VERSION));
    expect(p.value).toBe("1.6.18");
    expect(p.cas).toBe(0);
  });
});

describe("binary: storage and retrieval", () => {
  setup();
  it("set / get / getk echo flags, opaque and CAS", () => {
    fresh();
    const s = one(req(SET, "k", storeExt(0xdeadbeef, 0), "hello", 0, 7));
    expect(s.status).toBe(OK);
    expect(s.opaque).toBe(7);
    expect(s.cas).not.toBe(0);
    const g = one(req(GET, "k"));
    expect(g.status).toBe(OK);
    expect(g.extlen).toBe(4);
    expect(at32(changetype<usize>(g.extras.b.dataStart), 0)).toBe(0xdeadbeef);
    expect(g.key).toBe("");
    expect(g.value).toBe("hello");
    expect(g.cas).toBe(s.cas);
    const k = one(req(GETK, "k"));
    expect(k.key).toBe("k");
    expect(k.value).toBe("hello");
  });
  it("misses: get says Not found, getk returns the key", () => {
    fresh();
    const g = one(req(GET, "nope"));
    expect(g.status).toBe(ENOENT);
    expect(g.value).toBe("Not found");
    const k = one(req(GETK, "nope"));
    expect(k.status).toBe(ENOENT);
    expect(k.key).toBe("nope");
    expect(k.value).toBe("");
  });
  it("quiet gets: hits sent, misses not", () => {
    fresh();
    one(req(SET, "a", storeExt(1, 0), "A"));
    send(0, req(GETQ, "a").cat(req(GETQ, "b")).cat(req(GETKQ, "a")).cat(req(GETKQ, "b")).cat(req(NOOP)));
    const ps = packets(0);
    expect(ps.length).toBe(3);
    expect(ps[0].opcode).toBe(GETQ);
    expect(ps[0].value).toBe("A");
    expect(ps[1].opcode).toBe(GETKQ);
    expect(ps[1].key).toBe("a");
    expect(ps[2].opcode).toBe(NOOP);
  });
  it("add / replace and their quiet forms", () => {
    fresh();
    expect(one(req(ADD, "a", storeExt(0, 0), "1")).status).toBe(OK);
    const e = one(req(ADD, "a", storeExt(0, 0), "2"));
    expect(e.status).toBe(EEXISTS);
    expect(e.value).toBe("Data exists for key.");
    expect(one(req(REPLACE, "b", storeExt(0, 0), "2")).status).toBe(ENOENT);
    expect(one(req(REPLACE, "a", storeExt(0, 0), "3")).status).toBe(OK);
    send(0, req(ADDQ, "c", storeExt(0, 0), "c").cat(req(ADDQ, "c", storeExt(0, 0), "c"))
      .cat(req(REPLACEQ, "c", storeExt(0, 0), "C")).cat(req(REPLACEQ, "z", storeExt(0, 0), "z"))
      .cat(req(SETQ, "d", storeExt(0, 0), "d")).cat(req(NOOP)));
    const ps = packets(0);
    expect(ps.length).toBe(3); // the two errors, then noop
    expect(ps[0].opcode).toBe(ADDQ);
    expect(ps[0].status).toBe(EEXISTS);
    expect(ps[1].opcode).toBe(REPLACEQ);
    expect(ps[1].status).toBe(ENOENT);
    expect(ps[2].opcode).toBe(NOOP);
    expect(one(req(GET, "c")).value).toBe("C");
    expect(one(req(GET, "d")).value).toBe("d");
  });
  it("CAS: match stores, mismatch is EEXISTS, missing is ENOENT", () => {
    fresh();
    const s = one(req(SET, "c", storeExt(0, 0), "v1"));
    const s2 = one(req(SET, "c", storeExt(0, 0), "v2", s.cas));
    expect(s2.status).toBe(OK);
    expect(s2.cas).not.toBe(s.cas);
    expect(one(req(SET, "c", storeExt(0, 0), "v3", s.cas)).status).toBe(EEXISTS);
    expect(one(req(SET, "none", storeExt(0, 0), "v", 99)).status).toBe(ENOENT);
    expect(one(req(ADD, "c", storeExt(0, 0), "v4", s2.cas)).status).toBe(OK); // a CAS makes add a cas
    expect(one(req(GET, "c")).value).toBe("v4");
  });
  it("append / prepend (+q), CAS on append, missing key", () => {
    fresh();
    one(req(SET, "a", storeExt(5, 0), "mid"));
    expect(one(req(APPEND, "a", new Bytes(), ">")).status).toBe(OK);
    expect(one(req(PREPEND, "a", new Bytes(), "<")).status).toBe(OK);
    send(0, req(APPENDQ, "a", new Bytes(), "]").cat(req(PREPENDQ, "a", new Bytes(), "[")).cat(req(NOOP)));
    expect(packets(0).length).toBe(1);
    const g = one(req(GET, "a"));
    expect(g.value).toBe("[<mid>]");
    expect(at32(changetype<usize>(g.extras.b.dataStart), 0)).toBe(5);
    expect(one(req(APPEND, "a", new Bytes(), "x", g.cas + 1000)).status).toBe(EEXISTS);
    // the right CAS appends; the reply carries the new item's CAS, which a get then shows
    const a = one(req(APPEND, "a", new Bytes(), "!", g.cas));
    expect(a.status).toBe(OK);
    expect(a.cas).not.toBe(g.cas);
    const g2 = one(req(GET, "a"));
    expect(g2.value).toBe("[<mid>]!");
    expect(g2.cas).toBe(a.cas);
    const n = one(req(APPEND, "none", new Bytes(), "x"));
    expect(n.status).toBe(NOT_STORED);
    expect(n.value).toBe("Not stored.");
  });
  it("an empty value", () => {
    fresh();
    expect(one(req(SET, "e", storeExt(0, 0), "")).status).toBe(OK);
    const g = one(req(GET, "e"));
    expect(g.status).toBe(OK);
    expect(g.bodylen).toBe(4);
  });
  it("a value over the item size: E2BIG, value skipped, the old value dropped", () => {
    fresh();
    one(req(SET, "x", storeExt(0, 0), "old"));
    const big = req(SET, "x", storeExt(0, 0), "z".repeat(1048576)).cat(req(GET, "x"));
    sendSteps(0, big, 65536);
    const ps = packets(0);
    expect(ps.length).toBe(2);
    expect(ps[0].status).toBe(E2BIG);
    expect(ps[0].value).toBe("Too large.");
    expect(ps[1].status).toBe(ENOENT);
  });
});

describe("binary: delete, incr/decr, touch, gat, flush", () => {
  setup();
  it("delete (+q) and delete with a CAS", () => {
    fresh();
    const s = one(req(SET, "d", storeExt(0, 0), "x"));
    expect(one(req(DELETE, "d", new Bytes(), "", s.cas + 1)).status).toBe(EEXISTS);
    expect(one(req(DELETE, "d", new Bytes(), "", s.cas)).status).toBe(OK);
    expect(one(req(DELETE, "d")).status).toBe(ENOENT);
    one(req(SET, "d", storeExt(0, 0), "x"));
    send(0, req(DELETEQ, "d").cat(req(DELETEQ, "d")).cat(req(NOOP)));
    const ps = packets(0);
    expect(ps.length).toBe(2);
    expect(ps[0].status).toBe(ENOENT);
  });
  it("incr / decr: value as 8 bytes, wrap, floor, non-numeric", () => {
    fresh();
    one(req(SET, "n", storeExt(0, 0), "10"));
    const i = one(req(INCR, "n", incrExt(5, 0, 0)));
    expect(i.status).toBe(OK);
    expect(i.bodylen).toBe(8);
    expect(i.cas).not.toBe(0);
    expect(at32(changetype<usize>(String.UTF8.encode(i.value)), 4)).toBe(15);
    // with the item's CAS: applied, and the reply's CAS is the new item's; a stale one: EEXISTS
    const i2 = one(req(INCR, "n", incrExt(1, 0, 0), "", i.cas));
    expect(i2.status).toBe(OK);
    expect(one(req(GET, "n")).cas).toBe(i2.cas);
    expect(one(req(INCR, "n", incrExt(1, 0, 0), "", i.cas)).status).toBe(EEXISTS);
    one(req(DECR, "n", incrExt(1, 0, 0)));
    const d = one(req(DECR, "n", incrExt(20, 0, 0)));
    expect(d.value).toBe("\0\0\0\0\0\0\0\0");
    expect(one(req(GET, "n")).value).toBe("0 ");
    one(req(SET, "m", storeExt(0, 0), "18446744073709551615"));
    expect(one(req(INCR, "m", incrExt(2, 0, 0))).value).toBe("\0\0\0\0\0\0\0\x01");
    one(req(SET, "w", storeExt(0, 0), "abc"));
    const b = one(req(INCR, "w", incrExt(1, 0, 0)));
    expect(b.status).toBe(BADVAL);
    expect(b.value).toBe("Non-numeric server-side value for incr or decr");
    send(0, req(INCRQ, "n", incrExt(1, 0, 0)).cat(req(DECRQ, "n", incrExt(1, 0, 0))).cat(req(NOOP)));
    expect(packets(0).length).toBe(1);
  });
  it("incr miss: exptime 0xffffffff is ENOENT, otherwise the initial value is stored", () => {
    fresh();
    expect(one(req(INCR, "c", incrExt(1, 42, 0xffffffff))).status).toBe(ENOENT);
    send(0, req(INCRQ, "c", incrExt(1, 42, 0xffffffff)).cat(req(NOOP)));
    expect(packets(0).length).toBe(2); // the miss is an error: sent although quiet
    const c = one(req(INCR, "c", incrExt(1, 42, 0)));
    expect(c.status).toBe(OK);
    expect(c.value).toBe("\0\0\0\0\0\0\0\x2a");
    const g = one(req(GET, "c"));
    expect(g.value).toBe("42");
    expect(at32(changetype<usize>(g.extras.b.dataStart), 0)).toBe(0);
    expect(one(req(INCR, "c", incrExt(1, 42, 0))).value).toBe("\0\0\0\0\0\0\0\x2b");
  });
  it("touch / gat / gatk and quiet forms", () => {
    fresh();
    one(req(SET, "t", storeExt(3, 0), "tv"));
    const t = one(req(TOUCH, "t", expExt(10)));
    expect(t.status).toBe(OK);
    expect(t.extlen).toBe(4);
    expect(t.bodylen).toBe(4);
    expect(one(req(TOUCH, "zz", expExt(10))).status).toBe(ENOENT);
    expect(one(req(GAT, "t", expExt(10))).value).toBe("tv");
    const gk = one(req(GATK, "t", expExt(10)));
    expect(gk.key).toBe("t");
    expect(gk.value).toBe("tv");
    expect(one(req(GATK, "zz", expExt(10))).key).toBe("zz");
    send(0, req(GATQ, "t", expExt(10)).cat(req(GATQ, "zz", expExt(10))).cat(req(GATKQ, "t", expExt(10)))
      .cat(req(GATKQ, "zz", expExt(10))).cat(req(NOOP)));
    expect(packets(0).length).toBe(3);
    advance(11);
    expect(one(req(GET, "t")).status).toBe(ENOENT);
  });
  it("flush (+q), with a delay", () => {
    fresh();
    one(req(SET, "f", storeExt(0, 0), "x"));
    send(0, req(FLUSHQ).cat(req(NOOP)));
    expect(packets(0).length).toBe(1);
    expect(one(req(GET, "f")).status).toBe(ENOENT);
    advance(2);
    one(req(SET, "f", storeExt(0, 0), "x"));
    expect(one(req(FLUSH, "", expExt(5))).status).toBe(OK);
    expect(one(req(GET, "f")).status).toBe(OK);
    advance(6);
    expect(one(req(GET, "f")).status).toBe(ENOENT);
  });
});

describe("binary: stat, quit, unknown and SASL", () => {
  setup();
  it("stat: every stat, then an empty one", () => {
    fresh();
    send(0, req(STAT, "", new Bytes(), "", 0, 0x55));
    const ps = packets(0);
    expect(ps.length).toBeGreaterThan(80);
    expect(ps[0].key).toBe("pid");
    expect(ps[0].value).toBe("4242");
    const last = ps[ps.length - 1];
    expect(last.keylen).toBe(0);
    expect(last.bodylen).toBe(0);
    for (let i = 0; i < ps.length; i++) { expect(ps[i].opcode).toBe(STAT); expect(ps[i].opaque).toBe(0x55); }
  });
  it("stat through a 1100-byte output window gives the same packets", () => {
    fresh();
    send(0, req(STAT, "settings"));
    const whole = maskedHex(0);
    tx_window(1100);
    send(0, req(STAT, "settings"));
    tx_window(0x7fffffff);
    expect(maskedHex(0)).toBe(whole);
  });
  it("stat settings / reset / items / slabs / unknown", () => {
    fresh();
    send(0, req(STAT, "settings"));
    const st = packets(0);
    expect(st[0].key).toBe("maxbytes");
    expect(st[st.length - 1].keylen).toBe(0);
    send(0, req(STAT, "reset"));
    expect(packets(0).length).toBe(1);
    one(req(SET, "i", storeExt(0, 0), "x"));
    send(0, req(STAT, "items"));
    const items = packets(0);
    expect(items[0].key).toBe("items:1:number");
    expect(I32.parseInt(items[0].value) > 0).toBe(true); // flushed items count until reclaimed, as in memcached
    send(0, req(STAT, "slabs"));
    const slabs = packets(0);
    expect(slabs[0].key).toBe("1:chunk_size");
    expect(slabs[slabs.length - 2].key).toBe("total_malloced");
    expect(one(req(STAT, "conns")).status).toBe(ENOENT);
  });
  it("quit answers and closes; quitq closes silently", () => {
    send(0, req(QUIT).cat(req(NOOP)));
    const q = packets(0);
    expect(lastClosed).toBe(true);
    expect(q.length).toBe(1);
    expect(q[0].opcode).toBe(QUIT);
    reopen(0);
    send(0, req(QUITQ).cat(req(NOOP)));
    expect(packets(0).length).toBe(0);
    expect(lastClosed).toBe(true);
  });
  it("unknown opcodes and SASL: UNKNOWN_COMMAND, body skipped", () => {
    reopen(0);
    send(0, req(0x50, "ab").cat(new Bytes().str("xy")).cat(req(SASL_LIST)).cat(req(SASL_AUTH, "PLAIN", new Bytes(), "\0u\0p")).cat(req(NOOP)));
    const ps = packets(0);
    expect(ps.length).toBe(4);
    expect(ps[0].status).toBe(UNKNOWN);
    expect(ps[0].value).toBe("Unknown command");
    expect(ps[1].status).toBe(UNKNOWN);
    expect(ps[2].status).toBe(UNKNOWN);
    expect(ps[3].opcode).toBe(NOOP);
  });
});

/** r (then a noop) on a fresh connection: one reply with `status`, then the close. */
function closes(r: Bytes, status: u32): void {
  reopen(0);
  send(0, r.cat(req(NOOP)));
  const ps = packets(0);
  expect(lastClosed).toBe(true);
  expect(ps.length).toBe(1);
  expect(ps[0].status).toBe(status);
}

describe("binary: protocol errors close", () => {
  setup();
  it("a key over 250 bytes", () => { closes(req(GET, "k".repeat(251)), EINVAL); });
  it("extras of the wrong length", () => {
    closes(req(SET, "a", new Bytes(), "b"), EINVAL);
    closes(req(GET, "a", expExt(0)), EINVAL);
    closes(req(INCR, "a", expExt(0)), EINVAL);
    closes(req(TOUCH, "a"), EINVAL);
    closes(req(STAT, "", expExt(0)), EINVAL);
  });
  it("bodies where none belongs", () => {
    closes(req(NOOP, "", new Bytes(), "x"), EINVAL);
    closes(req(VERSION, "k"), EINVAL);
    closes(req(DELETE, "a", new Bytes(), "x"), EINVAL);
    closes(req(FLUSH, "a"), EINVAL);
    closes(req(QUIT, "", new Bytes(), "x"), EINVAL);
  });
  it("a key longer than the body: UNKNOWN_COMMAND", () => {
    const r = req(GET, "abc");
    r.b[11] = 2; // bodylen 2 < keylen 3
    closes(r, UNKNOWN);
  });
  it("bad magic mid-stream: what came before is answered, then close without a reply", () => {
    reopen(0);
    const bad = req(NOOP);
    bad.b[0] = 0x81;
    send(0, req(NOOP).cat(bad).cat(req(NOOP)));
    expect(packets(0).length).toBe(1);
    expect(lastClosed).toBe(true);
  });
});

// A pipelined script through every stateful path of the binary session.
function script(): Bytes {
  return req(SET, "a", storeExt(1, 0), "hello").cat(req(GETK, "a")).cat(req(GETQ, "none"))
    .cat(req(ADD, "a", storeExt(0, 0), "x")).cat(req(SETQ, "n", storeExt(0, 0), "41"))
    .cat(req(INCR, "n", incrExt(1, 0, 0))).cat(req(APPEND, "a", new Bytes(), "!!"))
    .cat(req(SET, "big", storeExt(2, 0), "v".repeat(1200))).cat(req(GET, "big")).cat(req(GETKQ, "a"))
    .cat(req(0x50, "u")).cat(new Bytes().str("u")).cat(req(TOUCH, "a", expExt(100)))
    .cat(req(STAT, "reset")).cat(req(DELETE, "a")).cat(req(DELETEQ, "a")).cat(req(VERSION)).cat(req(NOOP));
}

function runScript(step: i32, cut: i32, window: u32): string {
  fresh();
  tx_window(window);
  const s = script();
  if (cut >= 0) {
    const a = new Bytes();
    const b = new Bytes();
    for (let i = 0; i < s.b.length; i++) (i < cut ? a : b).u8(s.b[i]);
    send(0, a);
    send(0, b);
  } else {
    sendSteps(0, s, step);
  }
  tx_window(0x7fffffff);
  return maskedHex(0);
}

let whole = "";

describe("binary: split input, pipelining, back-pressure", () => {
  setup();
  it("answers the pipelined script", () => {
    fresh();
    send(0, script());
    const ps = packets(0);
    expect(ps.length).toBe(15);
    expect(ps[1].key).toBe("a");
    expect(ps[2].status).toBe(EEXISTS);
    expect(ps[6].value.length).toBe(1200);
    expect(ps[7].value).toBe("hello!!");
    expect(ps[8].status).toBe(UNKNOWN);
    expect(ps[10].keylen).toBe(0); // stat reset: the terminator only
    expect(ps[12].status).toBe(ENOENT);
    expect(ps[13].value).toBe("1.6.18");
    whole = runScript(1 << 20, -1, 0x7fffffff);
  });
  it("gives the same bytes fed byte by byte and in 7-byte pieces", () => {
    expect(runScript(1, -1, 0x7fffffff)).toBe(whole);
    expect(runScript(7, -1, 0x7fffffff)).toBe(whole);
  });
  it("gives the same bytes cut in two at every offset", () => {
    const n = script().b.length;
    for (let cut = 1; cut < n; cut++) {
      const got = runScript(0, cut, 0x7fffffff);
      if (got != whole) log("cut at " + cut.toString());
      expect(got).toBe(whole);
    }
  });
  it("gives the same bytes through a 512-byte output window", () => {
    expect(runScript(1 << 20, -1, 512)).toBe(whole);
    expect(runScript(5, -1, 520)).toBe(whole);
  });
  it("receives and streams a 1,000,000-byte value", () => {
    fresh();
    const v = "0123456789".repeat(100000);
    sendSteps(0, req(SET, "L", storeExt(9, 0), v), 65536);
    expect(packets(0)[0].status).toBe(OK);
    tx_window(4096);
    send(0, req(GETK, "L").cat(req(GET, "L")).cat(req(NOOP)));
    tx_window(0x7fffffff);
    const ps = packets(0);
    expect(ps.length).toBe(3);
    expect(ps[0].key).toBe("L");
    expect(ps[0].value == v).toBe(true);
    expect(ps[1].value == v).toBe(true);
    expect(ps[2].opcode).toBe(NOOP);
  });
  it("drops a half-received value when the connection closes", () => {
    fresh();
    const r = req(SET, "h", storeExt(0, 0), "abcdef");
    const part = new Bytes();
    for (let i = 0; i < r.b.length - 3; i++) part.u8(r.b[i]);
    send(0, part);
    reopen(0);
    expect(one(req(GET, "h")).status).toBe(ENOENT);
  });
});

describe("text stats items / slabs / conns", () => {
  setup();
  it("lists the store as one class and the open connections", () => {
    reopen(1);
    send(1, new Bytes().str("set s 0 0 1\r\nx\r\nstats items\r\n"));
    const items = take(1);
    expect(items.startsWith("STORED\r\nSTAT items:1:number ")).toBe(true);
    expect(items.endsWith("STAT items:1:hits_to_temp 0\r\nEND\r\n")).toBe(true);
    send(1, new Bytes().str("stats slabs\r\n"));
    const slabs = take(1);
    expect(slabs.startsWith("STAT 1:chunk_size ")).toBe(true);
    expect(slabs.includes("STAT active_slabs 1\r\n")).toBe(true);
    send(1, new Bytes().str("stats conns\r\n"));
    const conns = take(1);
    expect(conns.includes("STAT 0:addr core0:slot0\r\nSTAT 0:state conn_parse_cmd\r\n")).toBe(true);
    expect(conns.includes("STAT 1:addr core0:slot1\r\nSTAT 1:state conn_mwrite\r\nSTAT 1:secs_since_last_cmd 0\r\n")).toBe(true);
    expect(conns.endsWith("END\r\n")).toBe(true);
  });
});
