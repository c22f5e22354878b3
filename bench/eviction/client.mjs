// bench:eviction's memcached text-protocol client over loopback TCP: one
// connection, one batch of commands in flight, every reply read (no noreply:
// memcached answers some failed noreply sets with an error line anyway, which
// would shift every later reply), Nagle off, and a timeout on every batch, so
// a stalled or desynchronised server ends the run with an error instead of a
// hang. Large values are skipped as they stream in, never buffered whole.
import net from "node:net";

const FILL = Buffer.alloc(1 << 20, "x");
const LF = 10;

/**
 * Connects to 127.0.0.1:port. The client's run(ops) sends ops — {get: id} or
 * {set: id, vlen, ttl} — pipelined in one write and resolves to one result
 * each: 1 (hit / STORED) or 0 (miss / not stored).
 */
export async function connectClient(port, { batchTimeoutMs = 20_000 } = {}) {
  const sock = net.createConnection({ host: "127.0.0.1", port });
  sock.setNoDelay(true);
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => { sock.destroy(); reject(new Error(`connect to ${port} timed out`)); }, 5000);
    sock.once("connect", () => { clearTimeout(t); resolve(); });
    sock.once("error", (e) => { clearTimeout(t); reject(e); });
  });

  let kinds = [];    // the batch's reply kinds: "get" | "set" | "stats"
  let results = null;
  let head = 0;      // reply being parsed
  let hit = 0;       // the current get saw a VALUE
  let skip = 0;      // value bytes (+ CRLF) still to pass over
  let rest = Buffer.alloc(0);
  let statsOut = null;
  let done = null;   // { resolve, reject, timer }
  const errors = { count: 0, first: null };
  let dead = null;

  const fail = (err) => {
    dead ??= err;
    if (done) { clearTimeout(done.timer); const d = done; done = null; d.reject(err); }
  };
  sock.on("error", fail);
  sock.on("close", () => fail(new Error("connection closed by the server")));

  const finish = (v) => {
    results[head++] = v;
    hit = 0;
    if (head === kinds.length && done) { clearTimeout(done.timer); const d = done; done = null; d.resolve(results); }
  };
  const error = (line) => { errors.count++; errors.first ??= line; finish(0); };

  function onLine(line) {
    const kind = kinds[head];
    if (kind === undefined) { fail(new Error(`unexpected reply ${JSON.stringify(line)}`)); return; }
    if (kind === "get") {
      if (line === "END") finish(hit);
      else if (line.startsWith("VALUE ")) { hit = 1; skip = Number(line.slice(line.lastIndexOf(" ") + 1)) + 2; }
      else error(line);
    } else if (kind === "set") {
      if (line === "STORED") finish(1); else error(line);
    } else if (line === "END") finish(statsOut);
    else if (line.startsWith("STAT ")) { const p = line.split(" "); statsOut[p[1]] = p[2]; }
    else error(line);
  }

  sock.on("data", (d) => {
    let off = 0;
    if (skip > 0) { off = Math.min(skip, d.length); skip -= off; if (skip > 0) return; }
    const buf = rest.length ? Buffer.concat([rest, d.subarray(off)]) : d.subarray(off);
    let p = 0;
    while (p < buf.length) {
      if (skip > 0) { const n = Math.min(skip, buf.length - p); p += n; skip -= n; if (skip > 0) break; continue; }
      const e = buf.indexOf(LF, p);
      if (e < 0) break;
      onLine(buf.toString("latin1", p, e > p && buf[e - 1] === 13 ? e - 1 : e));
      p = e + 1;
    }
    rest = Buffer.from(buf.subarray(p));
  });

  function send(parts, replyKinds) {
    if (dead) return Promise.reject(dead);
    kinds = replyKinds;
    results = new Array(kinds.length);
    head = 0;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`no complete reply within ${batchTimeoutMs} ms (${head}/${kinds.length} replies; was parsing a ${kinds[head]})`)), batchTimeoutMs);
      done = { resolve, reject, timer };
      sock.write(parts.length === 1 ? parts[0] : Buffer.concat(parts));
    });
  }

  return {
    errors,
    run(ops) {
      if (ops.length === 0) return Promise.resolve([]);
      const parts = [];
      const k = [];
      for (const o of ops) {
        if (o.get !== undefined) { parts.push(Buffer.from(`get k:${o.get}\r\n`, "latin1")); k.push("get"); continue; }
        parts.push(Buffer.from(`set k:${o.set} 0 ${o.ttl ?? 0} ${o.vlen}\r\n`, "latin1"), FILL.subarray(0, o.vlen), Buffer.from("\r\n"));
        k.push("set");
      }
      return send(parts, k);
    },
    async stats() { statsOut = {}; return (await send([Buffer.from("stats\r\n")], ["stats"]))[0]; },
    close() { sock.removeAllListeners("close"); sock.destroy(); },
  };
}
