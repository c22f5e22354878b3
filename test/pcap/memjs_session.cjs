// An npm `memjs` (binary protocol) client session for the replay corpus
// (record.sh): node memjs_session.cjs HOST:PORT
// Every request waits for its answer before the next, so the session is the
// same on every run. memjs has no quiet operations of its own: they are
// written with its request builder on its connection (same opaque
// numbering), each batch closed by a NOOP through the client.
const memjs = require("memjs");
const assert = require("node:assert/strict");

const { makeRequestBuffer } = memjs.Utils;
const log = { log: (...a) => console.error(...a) };
const mc = memjs.Client.create(process.argv[2], { retries: 1, timeout: 10, conntimeout: 10, logger: log });
const serv = mc.servers[0];
const OP = { GETQ: 0x09, NOOP: 0x0a, GETKQ: 0x0d, SETQ: 0x11, DELETEQ: 0x14, INCREMENTQ: 0x15, APPENDQ: 0x19, PREPENDQ: 0x1a };
const u32 = (...v) => {
  const b = Buffer.alloc(4 * v.length);
  v.forEach((x, i) => b.writeUInt32BE(x >>> 0, 4 * i));
  return b;
};

/** Quiet requests (opcode, key, extras, value), then a NOOP; the responses that did come, in order. */
function quietBatch(reqs) {
  return new Promise((resolve, reject) => {
    const got = [];
    for (const [op, key, extras, value] of reqs) {
      mc.incrSeq();
      const seq = mc.seq;
      const h = (r) => got.push({ seq, status: r.header.status, key: r.key.toString(), val: r.val.toString() });
      h.quiet = true;
      serv.onResponse(seq, h);
      serv.write(makeRequestBuffer(op, key, extras, value, seq));
    }
    mc.incrSeq();
    const seq = mc.seq;
    serv.onResponse(seq, (r) => (r.header.status === 0 ? resolve(got) : reject(new Error(`noop status ${r.header.status}`))));
    serv.onError(seq, reject);
    serv.write(makeRequestBuffer(OP.NOOP, "", "", "", seq));
  });
}

(async () => {
  assert.equal(await mc.set("mj:a", "alpha", { expires: 0 }), true);
  assert.equal((await mc.get("mj:a")).value.toString(), "alpha");
  assert.equal((await mc.get("mj:none")).value, null);
  assert.equal(await mc.set("mj:big", "y".repeat(5000), {}), true);
  assert.equal((await mc.get("mj:big")).value.length, 5000);
  assert.equal(await mc.add("mj:a", "no", {}), false); // exists
  assert.equal(await mc.add("mj:b", "beta", {}), true);
  assert.equal(await mc.replace("mj:b", "BETA", {}), true);
  assert.equal(await mc.replace("mj:none", "x", {}), false); // not found
  assert.equal(await mc.append("mj:b", "!"), true);
  assert.equal(await mc.prepend("mj:b", "?"), true);
  // memjs 1.3.2's prepend sends APPEND (opcode 0x0e); a real PREPENDQ is in the quiet batch
  assert.equal((await mc.get("mj:b")).value.toString(), "BETA!?");
  // quiet ops: three setq, appendq, prependq, getkq hit and miss, getq hit, incrq, deleteq miss (answered)
  const got = await quietBatch([
    [OP.SETQ, "mj:q1", u32(7, 0), "one"],
    [OP.SETQ, "mj:q2", u32(0, 0), "two"],
    [OP.SETQ, "mj:q3", u32(0, 0), "3"],
    [OP.APPENDQ, "mj:q2", "", "+"],
    [OP.PREPENDQ, "mj:q2", "", "<"],
    [OP.GETKQ, "mj:q1", "", ""],
    [OP.GETKQ, "mj:qmiss", "", ""],
    [OP.GETQ, "mj:q2", "", ""],
    [OP.INCREMENTQ, "mj:q3", Buffer.concat([u32(0, 4, 0, 0), u32(0)]), ""],
    [OP.DELETEQ, "mj:qmiss", "", ""],
  ]);
  assert.deepEqual(got.map((g) => [g.status, g.key, g.val]), [[0, "mj:q1", "one"], [0, "", "<two+"], [1, "", "Not found"]]);
  assert.equal((await mc.get("mj:q3")).value.toString(), "7");
  // counters: created from the initial value, then moved; below zero stays 0
  assert.equal((await mc.increment("mj:n", 5, { initial: 40 })).value, 40);
  assert.equal((await mc.increment("mj:n", 2, {})).value, 42);
  assert.equal((await mc.decrement("mj:n", 100, {})).value, 0);
  await assert.rejects(mc.increment("mj:a", 1, {})); // non-numeric value
  assert.equal(await mc.touch("mj:a", 100), true);
  assert.equal(await mc.delete("mj:a"), true);
  assert.equal(await mc.delete("mj:a"), false);
  assert.equal((await mc.get("mj:a")).value, null);
  await mc.flush();
  assert.equal((await mc.get("mj:b")).value, null);
  mc.quit();
  console.log("memjs session ok");
})().catch((err) => {
  console.error(err);
  mc.close();
  process.exit(1);
});
