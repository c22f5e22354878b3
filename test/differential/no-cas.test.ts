// -C (CAS disabled) against Debian's memcached 1.6.18 -C, byte for byte:
// gets and mg c show CAS 0, every cas / ms C / ma C on an existing item
// passes whatever value it names, a missing one is NOT_FOUND / NF, the
// binary protocol's CAS field is 0 and its CAS checks pass; stats settings
// says cas_enabled no. Needs memcached: fails without it.
import { afterAll, beforeAll, expect, it } from "vitest";
import { RawClient } from "../support/raw-client.js";
import { requireTool, startServer, type ServerHandle } from "../support/server.mjs";

const ARGS = ["-m", "64", "-t", "1", "-C"];
let ref: ServerHandle;
let sub: ServerHandle;

beforeAll(async () => {
  requireTool("memcached", "apt-get install memcached");
  ref = await startServer("memcached", ARGS);
  sub = await startServer("wasmcached", ARGS);
}, 60_000);

afterAll(async () => {
  await sub?.stop();
  await ref?.stop();
});

/** The whole exchange on one connection: every request, then what came back until `end` (or 2 s). */
async function exchange(port: number, bytes: Buffer, end: string): Promise<string> {
  const c = await RawClient.connect(port);
  try {
    await c.send(bytes);
    return (await c.readUntil((b) => b.toString("latin1").endsWith(end), 5000)).toString("latin1");
  } finally {
    c.close();
  }
}

const TEXT = [
  "set a 0 0 1", "1", "gets a", "cas a 0 0 2 999", "xx", "gets a", "cas a 0 0 1 0", "y", "cas nope 0 0 1 5", "z",
  "append a 0 0 1", "!", "gets a", "mg a c v", "ms a 2 C12345", "hi", "mg a c v", "ms nope 2 C1", "no", "set n 0 0 1", "5",
  "ma n C77 v", "ma n c", "incr n 3", "gets n", "md a C4", "mg a c", "end",
].join("\r\n") + "\r\n";

it("text and meta: CAS 0 shown, every CAS check passes on an existing item", async () => {
  const [a, b] = [await exchange(ref.port, Buffer.from(TEXT), "ERROR\r\n"), await exchange(sub.port, Buffer.from(TEXT), "ERROR\r\n")];
  expect(b).toBe(a);
  expect(a).toContain("VALUE a 0 1 0\r\n"); // the reference really runs without CAS
});

/** A binary request: magic 0x80, opcode, key, extras, value, CAS. */
function bin(opcode: number, key: string, extras: Buffer, value: string, cas: bigint, opaque: number): Buffer {
  const k = Buffer.from(key), v = Buffer.from(value);
  const h = Buffer.alloc(24);
  h[0] = 0x80; h[1] = opcode; h.writeUInt16BE(k.length, 2); h[4] = extras.length;
  h.writeUInt32BE(extras.length + k.length + v.length, 8); h.writeUInt32BE(opaque, 12); h.writeBigUInt64BE(cas, 16);
  return Buffer.concat([h, extras, k, v]);
}
const setExtras = Buffer.alloc(8); // flags 0, exptime 0

it("binary: CAS field 0 in every reply, set and append ignore a CAS, incr and delete fail one", async () => {
  const req = Buffer.concat([
    bin(0x01, "b", setExtras, "one", 0n, 1), // set
    bin(0x00, "b", Buffer.alloc(0), "", 0n, 2), // get
    bin(0x01, "b", setExtras, "two", 4242n, 3), // set with a CAS
    bin(0x01, "missing", setExtras, "x", 7n, 4), // set with a CAS, no item
    bin(0x00, "b", Buffer.alloc(0), "", 0n, 5),
    bin(0x0e, "b", Buffer.alloc(0), "3", 99n, 7), // append with a CAS
    bin(0x05, "c", Buffer.concat([Buffer.from("0000000000000001", "hex"), Buffer.alloc(8), Buffer.alloc(4)]), "", 0n, 8), // incr: creates c
    bin(0x05, "c", Buffer.concat([Buffer.from("0000000000000001", "hex"), Buffer.alloc(8), Buffer.alloc(4)]), "", 5n, 9), // incr with a CAS
    bin(0x04, "b", Buffer.alloc(0), "", 3n, 10), // delete with a CAS
    bin(0x00, "b", Buffer.alloc(0), "", 0n, 11),
    bin(0x0a, "", Buffer.alloc(0), "", 0n, 6), // noop: the end
  ]);
  const read = async (port: number) => {
    const c = await RawClient.connect(port);
    try {
      await c.send(req);
      // the noop's reply (opcode 0x0a, opaque 6) is the last
      return await c.readUntil((b) => b.length >= 24 && b[b.length - 24] === 0x81 && b[b.length - 23] === 0x0a, 5000);
    } finally {
      c.close();
    }
  };
  const [a, b] = [await read(ref.port), await read(sub.port)];
  expect(b.toString("hex")).toBe(a.toString("hex"));
});

it("stats settings: cas_enabled no", async () => {
  const s = await exchange(sub.port, Buffer.from("stats settings\r\n"), "END\r\n");
  expect(s).toContain("STAT cas_enabled no\r\n");
});
