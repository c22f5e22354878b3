// The binary differential script: data, not code. Each step's requests are
// sent to Debian's memcached and to the server under test in one write (or
// cut at `split` offsets); the responses must be byte-identical except CAS
// fields (binary.test.ts masks them, narrowly). The binary protocol's
// framing is in the bytes, so a step is a list of whole requests.

export interface BinRequest {
  opcode: number;
  key?: string;
  extras?: Buffer;
  value?: string | Buffer;
  /** A literal CAS, or the CAS of the first response of an earlier step (per server). */
  cas?: bigint | { fromStep: number };
  opaque?: number;
  /** Malformed requests: override what the header says. */
  magic?: number;
  keylen?: number;
  extlen?: number;
  bodylen?: number;
  /** Bytes appended after the request as it is framed (for swallow checks). */
  trailer?: Buffer;
}

export interface BinStep {
  what: string;
  requests: BinRequest[];
  /** Open a fresh connection before this step. */
  reconnect?: boolean;
  /** Offsets at which the step's bytes are cut into separate writes. */
  split?: number[];
  /** The status of memcached's first response (checks the script, not the subject). */
  status?: number;
}

export const Op = {
  GET: 0x00, SET: 0x01, ADD: 0x02, REPLACE: 0x03, DELETE: 0x04, INCREMENT: 0x05, DECREMENT: 0x06,
  QUIT: 0x07, FLUSH: 0x08, GETQ: 0x09, NOOP: 0x0a, VERSION: 0x0b, GETK: 0x0c, GETKQ: 0x0d,
  APPEND: 0x0e, PREPEND: 0x0f, STAT: 0x10, SETQ: 0x11, ADDQ: 0x12, REPLACEQ: 0x13, DELETEQ: 0x14,
  INCREMENTQ: 0x15, DECREMENTQ: 0x16, QUITQ: 0x17, FLUSHQ: 0x18, APPENDQ: 0x19, PREPENDQ: 0x1a,
  VERBOSITY: 0x1b, TOUCH: 0x1c, GAT: 0x1d, GATQ: 0x1e, SASL_LIST_MECHS: 0x20, SASL_AUTH: 0x21,
  SASL_STEP: 0x22, GATK: 0x23, GATKQ: 0x24,
} as const;

export const Status = {
  SUCCESS: 0, KEY_ENOENT: 1, KEY_EEXISTS: 2, E2BIG: 3, EINVAL: 4, NOT_STORED: 5, DELTA_BADVAL: 6,
  UNKNOWN_COMMAND: 0x81, ENOMEM: 0x82,
} as const;

const u32 = (...v: number[]) => {
  const b = Buffer.alloc(4 * v.length);
  v.forEach((x, i) => b.writeUInt32BE(x >>> 0, 4 * i));
  return b;
};
/** set/add/replace extras: flags, expiration. */
const storeExt = (flags = 0, exp = 0) => u32(flags, exp);
/** incr/decr extras: delta, initial, expiration. */
const incrExt = (delta: bigint, initial: bigint, exp: number) => {
  const b = Buffer.alloc(20);
  b.writeBigUInt64BE(delta, 0);
  b.writeBigUInt64BE(initial, 8);
  b.writeUInt32BE(exp >>> 0, 16);
  return b;
};
const NO_CREATE = 0xffffffff;

const noop: BinRequest = { opcode: Op.NOOP };
const one = (what: string, r: BinRequest, status?: number): BinStep => ({ what, requests: [r], status });
/** A quiet request followed by a noop, so silence is visible. */
const quiet = (what: string, r: BinRequest, status?: number): BinStep => ({ what, requests: [r, noop], status });
const set = (op: number, key: string, value: string, flags = 0, exp = 0): BinRequest =>
  ({ opcode: op, key, extras: storeExt(flags, exp), value });

// step indexes referred to by CAS steps are checked by binary.test.ts (the step's `what` names them)
export const binarySteps: BinStep[] = [
  one("flush", { opcode: Op.FLUSH }, Status.SUCCESS),
  one("noop", noop, Status.SUCCESS),
  one("version", { opcode: Op.VERSION }),
  one("get miss", { opcode: Op.GET, key: "k1" }, Status.KEY_ENOENT),
  one("getk miss", { opcode: Op.GETK, key: "k1" }, Status.KEY_ENOENT),
  quiet("getq miss", { opcode: Op.GETQ, key: "k1" }),
  quiet("getkq miss", { opcode: Op.GETKQ, key: "k1" }),
  one("set k1", set(Op.SET, "k1", "hello", 0xdeadbeef), Status.SUCCESS),
  one("get k1 (CAS source)", { opcode: Op.GET, key: "k1", opaque: 0x01020304 }, Status.SUCCESS),
  one("getk k1", { opcode: Op.GETK, key: "k1" }),
  quiet("getq hit", { opcode: Op.GETQ, key: "k1", opaque: 7 }),
  quiet("getkq hit", { opcode: Op.GETKQ, key: "k1" }),
  one("add existing", set(Op.ADD, "k1", "x"), Status.KEY_EEXISTS),
  quiet("addq existing: the error is sent", set(Op.ADDQ, "k1", "x"), Status.KEY_EEXISTS),
  one("add new", set(Op.ADD, "k2", "v2", 5), Status.SUCCESS),
  quiet("addq new", set(Op.ADDQ, "k3", "v3")),
  one("replace missing", set(Op.REPLACE, "k4", "v4"), Status.KEY_ENOENT),
  quiet("replaceq missing", set(Op.REPLACEQ, "k4", "v4"), Status.KEY_ENOENT),
  one("replace existing", set(Op.REPLACE, "k2", "new", 9), Status.SUCCESS),
  quiet("replaceq existing", set(Op.REPLACEQ, "k2", "newer")),
  quiet("setq", set(Op.SETQ, "k5", "five")),
  one("set with the CAS from step 8", { ...set(Op.SET, "k1", "hello"), cas: { fromStep: 8 } }, Status.SUCCESS),
  one("set with that CAS again: stale", { ...set(Op.SET, "k1", "stale"), cas: { fromStep: 8 } }, Status.KEY_EEXISTS),
  one("set missing with a CAS", { ...set(Op.SET, "nokey", "x"), cas: 12345n }, Status.KEY_ENOENT),
  quiet("setq with a stale CAS: the error is sent", { ...set(Op.SETQ, "k1", "x"), cas: { fromStep: 8 } }, Status.KEY_EEXISTS),
  one("append", { opcode: Op.APPEND, key: "k1", value: "!!" }, Status.SUCCESS),
  one("prepend", { opcode: Op.PREPEND, key: "k1", value: ">>" }, Status.SUCCESS),
  one("get after append/prepend", { opcode: Op.GET, key: "k1" }, Status.SUCCESS),
  quiet("appendq", { opcode: Op.APPENDQ, key: "k1", value: "a" }),
  quiet("prependq", { opcode: Op.PREPENDQ, key: "k1", value: "p" }),
  one("append missing", { opcode: Op.APPEND, key: "none", value: "x" }, Status.NOT_STORED),
  quiet("prependq missing", { opcode: Op.PREPENDQ, key: "none", value: "x" }, Status.NOT_STORED),
  one("get k1", { opcode: Op.GETK, key: "k1" }),
  one("append with a wrong CAS", { opcode: Op.APPEND, key: "k1", value: "z", cas: 1n }, Status.KEY_EEXISTS),
  one("delete", { opcode: Op.DELETE, key: "k5" }, Status.SUCCESS),
  one("delete again", { opcode: Op.DELETE, key: "k5" }, Status.KEY_ENOENT),
  quiet("deleteq hit", { opcode: Op.DELETEQ, key: "k2" }),
  quiet("deleteq miss", { opcode: Op.DELETEQ, key: "k2" }, Status.KEY_ENOENT),
  one("delete with a wrong CAS", { opcode: Op.DELETE, key: "k1", cas: 1n }, Status.KEY_EEXISTS),
  one("get k3 (CAS source)", { opcode: Op.GET, key: "k3" }, Status.SUCCESS),
  one("delete with the right CAS", { opcode: Op.DELETE, key: "k3", cas: { fromStep: 39 } }, Status.SUCCESS),
  one("set n", set(Op.SET, "n", "10"), Status.SUCCESS),
  one("incr", { opcode: Op.INCREMENT, key: "n", extras: incrExt(5n, 0n, 0) }, Status.SUCCESS),
  one("decr below zero", { opcode: Op.DECREMENT, key: "n", extras: incrExt(20n, 0n, 0) }, Status.SUCCESS),
  quiet("incrq", { opcode: Op.INCREMENTQ, key: "n", extras: incrExt(100n, 0n, 0) }),
  quiet("decrq", { opcode: Op.DECREMENTQ, key: "n", extras: incrExt(1n, 0n, 0) }),
  one("get n (space padded)", { opcode: Op.GET, key: "n" }),
  one("incr miss, no create", { opcode: Op.INCREMENT, key: "c1", extras: incrExt(1n, 77n, NO_CREATE) }, Status.KEY_ENOENT),
  quiet("incrq miss, no create", { opcode: Op.INCREMENTQ, key: "c1", extras: incrExt(1n, 77n, NO_CREATE) }, Status.KEY_ENOENT),
  one("incr miss creates the initial value", { opcode: Op.INCREMENT, key: "c1", extras: incrExt(1n, 77n, 0) }, Status.SUCCESS),
  one("get the created value", { opcode: Op.GET, key: "c1" }),
  one("decr miss creates", { opcode: Op.DECREMENT, key: "c2", extras: incrExt(3n, 5n, 100) }, Status.SUCCESS),
  one("incr non-numeric", { opcode: Op.INCREMENT, key: "k1", extras: incrExt(1n, 0n, 0) }, Status.DELTA_BADVAL),
  one("set max u64", set(Op.SET, "w", "18446744073709551615")),
  one("incr wraps", { opcode: Op.INCREMENT, key: "w", extras: incrExt(2n, 0n, 0) }, Status.SUCCESS),
  one("get wrapped", { opcode: Op.GET, key: "w" }),
  one("incr with a wrong CAS", { opcode: Op.INCREMENT, key: "w", extras: incrExt(1n, 0n, 0), cas: 1n }, Status.KEY_EEXISTS),
  one("touch", { opcode: Op.TOUCH, key: "k1", extras: u32(100) }, Status.SUCCESS),
  one("touch miss", { opcode: Op.TOUCH, key: "zz", extras: u32(100) }, Status.KEY_ENOENT),
  one("gat", { opcode: Op.GAT, key: "k1", extras: u32(200) }, Status.SUCCESS),
  one("gatk", { opcode: Op.GATK, key: "k1", extras: u32(0) }, Status.SUCCESS),
  one("gat miss", { opcode: Op.GAT, key: "zz", extras: u32(0) }, Status.KEY_ENOENT),
  one("gatk miss", { opcode: Op.GATK, key: "zz", extras: u32(0) }, Status.KEY_ENOENT),
  quiet("gatq hit", { opcode: Op.GATQ, key: "k1", extras: u32(0) }),
  quiet("gatq miss", { opcode: Op.GATQ, key: "zz", extras: u32(0) }),
  quiet("gatkq hit", { opcode: Op.GATKQ, key: "k1", extras: u32(0) }),
  quiet("gatkq miss", { opcode: Op.GATKQ, key: "zz", extras: u32(0) }),
  one("stat unknown", { opcode: Op.STAT, key: "bogus" }, Status.KEY_ENOENT),
  one("stat reset", { opcode: Op.STAT, key: "reset" }, Status.SUCCESS),
  one("stat detail off", { opcode: Op.STAT, key: "detail off" }, Status.SUCCESS),
  one("stat detail dump", { opcode: Op.STAT, key: "detail dump" }, Status.SUCCESS),
  one("stat detail bogus", { opcode: Op.STAT, key: "detail xyz" }, Status.KEY_ENOENT),
  one("stat conns is text-only", { opcode: Op.STAT, key: "conns" }, Status.KEY_ENOENT),
  { what: "verbosity is unknown to 1.6: swallows bodylen more bytes", requests: [
    { opcode: Op.VERBOSITY, extras: u32(1), trailer: u32(0) }, noop], status: Status.UNKNOWN_COMMAND },
  one("unknown opcode, empty", { opcode: 0x50 }, Status.UNKNOWN_COMMAND),
  { what: "unknown opcode with a key: swallows bodylen more bytes", requests: [
    { opcode: 0x50, key: "ab", trailer: Buffer.from("xy") }, noop], status: Status.UNKNOWN_COMMAND },
  one("sasl list mechs", { opcode: Op.SASL_LIST_MECHS }, Status.UNKNOWN_COMMAND),
  { what: "sasl auth: the value is skipped", requests: [
    { opcode: Op.SASL_AUTH, key: "PLAIN", value: "\0user\0pass" }, noop], status: Status.UNKNOWN_COMMAND },
  { what: "sasl step", requests: [{ opcode: Op.SASL_STEP, key: "PLAIN", value: "x" }, noop] },
  { what: "pipelined quiet gets", requests: [
    set(Op.SETQ, "p1", "one"), set(Op.SETQ, "p2", "two"),
    { opcode: Op.GETKQ, key: "p1" }, { opcode: Op.GETKQ, key: "nope" }, { opcode: Op.GETKQ, key: "p2" },
    { opcode: Op.GETQ, key: "p1", opaque: 0xffffffff }, noop] },
  { what: "split requests", requests: [set(Op.SET, "sp", "split value", 3), { opcode: Op.GETK, key: "sp" }],
    split: [1, 23, 24, 30, 40, 45] },
  one("large value", set(Op.SET, "big", "v".repeat(300_000), 1), Status.SUCCESS),
  one("get large value", { opcode: Op.GETK, key: "big" }, Status.SUCCESS),
  { what: "too large: E2BIG and the value is skipped", requests: [
    set(Op.SET, "huge", "h".repeat(2 << 20)), { opcode: Op.GET, key: "huge" }], status: Status.E2BIG },
  one("empty value", set(Op.SET, "empty", ""), Status.SUCCESS),
  one("get empty value", { opcode: Op.GET, key: "empty" }, Status.SUCCESS),
  one("flushq with a delay", { opcode: Op.FLUSHQ, extras: u32(0) }),
  quiet("flushq", { opcode: Op.FLUSHQ }),
  one("get after flush", { opcode: Op.GET, key: "k1" }, Status.KEY_ENOENT),
  // delta with a CAS: memcached finds an empty or chunked value non-numeric before it compares the CAS
  one("set an empty value to count", set(Op.SET, "ev", ""), Status.SUCCESS),
  one("incr of an empty value with a wrong CAS", { opcode: Op.INCREMENT, key: "ev", extras: incrExt(1n, 0n, 0), cas: 99n }, Status.DELTA_BADVAL),
  one("decr of an empty value with a wrong CAS", { opcode: Op.DECREMENT, key: "ev", extras: incrExt(1n, 0n, 0), cas: 99n }, Status.DELTA_BADVAL),
  one("set a chunked-size value", set(Op.SET, "cv", "x".repeat(524_228)), Status.SUCCESS),
  one("incr of a chunked value with a wrong CAS", { opcode: Op.INCREMENT, key: "cv", extras: incrExt(1n, 0n, 0), cas: 99n }, Status.DELTA_BADVAL),
  one("set a value just below chunked", set(Op.SET, "cw", "x".repeat(524_227)), Status.SUCCESS),
  one("incr of it with a wrong CAS", { opcode: Op.INCREMENT, key: "cw", extras: incrExt(1n, 0n, 0), cas: 99n }, Status.KEY_EEXISTS),
  // a bodylen that leaves 2^31 or more for the value: memcached's int length is negative, so it
  // answers and swallows nothing; the following requests are read as requests
  { what: "set with bodylen 0xffffffff", requests: [{ ...set(Op.SET, "hb", ""), bodylen: 0xffffffff }, { opcode: Op.GET, key: "hb" }, noop], status: Status.E2BIG },
  { what: "add with bodylen 2^31 + extras + key", requests: [{ ...set(Op.ADD, "hb", ""), bodylen: 0x8000000a }, noop], status: Status.E2BIG },
  { what: "append with bodylen 0xffffffff", requests: [{ opcode: Op.APPEND, key: "hb", bodylen: 0xffffffff }, noop], status: Status.E2BIG },
  { what: "unknown opcode with bodylen 2^31", requests: [{ opcode: 0x50, bodylen: 0x80000000 }, noop], status: Status.UNKNOWN_COMMAND },
  { what: "sasl auth with bodylen 0xffffffff", requests: [{ opcode: Op.SASL_AUTH, key: "k", bodylen: 0xffffffff }, noop], status: Status.UNKNOWN_COMMAND },
  // protocol errors: EINVAL (or UNKNOWN_COMMAND) and the connection closes
  { what: "key of 251 bytes", reconnect: true, requests: [{ opcode: Op.GET, key: "k".repeat(251) }, noop], status: Status.EINVAL },
  { what: "set without extras", reconnect: true, requests: [{ opcode: Op.SET, key: "a", value: "b" }, noop], status: Status.EINVAL },
  { what: "get with extras", reconnect: true, requests: [{ opcode: Op.GET, key: "a", extras: u32(0) }, noop], status: Status.EINVAL },
  { what: "noop with a body", reconnect: true, requests: [{ opcode: Op.NOOP, value: "x" }, noop], status: Status.EINVAL },
  { what: "version with a key", reconnect: true, requests: [{ opcode: Op.VERSION, key: "x" }], status: Status.EINVAL },
  { what: "incr with short extras", reconnect: true, requests: [{ opcode: Op.INCREMENT, key: "n", extras: u32(1, 2) }], status: Status.EINVAL },
  { what: "stat with extras", reconnect: true, requests: [{ opcode: Op.STAT, extras: u32(1) }], status: Status.EINVAL },
  { what: "delete with a value", reconnect: true, requests: [{ opcode: Op.DELETE, key: "a", value: "b" }], status: Status.EINVAL },
  { what: "touch without extras", reconnect: true, requests: [{ opcode: Op.TOUCH, key: "a" }], status: Status.EINVAL },
  { what: "flush with a key", reconnect: true, requests: [{ opcode: Op.FLUSH, key: "a" }], status: Status.EINVAL },
  { what: "key longer than the body", reconnect: true, requests: [{ opcode: Op.GET, key: "abc", bodylen: 2 }], status: Status.UNKNOWN_COMMAND },
  { what: "bad magic after a request", reconnect: true, requests: [noop, { opcode: Op.NOOP, magic: 0x81 }, noop], status: Status.SUCCESS },
  { what: "quit", reconnect: true, requests: [{ opcode: Op.QUIT }, noop], status: Status.SUCCESS },
  { what: "quitq", reconnect: true, requests: [{ opcode: Op.QUITQ }, noop] },
  { what: "quit with a body", reconnect: true, requests: [{ opcode: Op.QUIT, value: "x" }], status: Status.EINVAL },
  { what: "a new connection works", reconnect: true, requests: [{ opcode: Op.GET, key: "p1" }, noop], status: Status.KEY_ENOENT },
];
