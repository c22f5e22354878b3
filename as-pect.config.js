// as-pect runs the AssemblyScript unit specs beside the code in assembly/.
//
// `stack.*` is a fake transport for protocol-module specs: each connection
// writes into its own slice of a region the spec registers with
// testing.register_tx(ptr, capPerConn); JS keeps only offsets, the spec reads
// the bytes. testing.tx_window(n) limits the bytes in flight per connection
// (committed but not yet "sent" by testing.tx_drain) to exercise back-pressure.
// `stack.net_connect` (client modules: assembly/loadgen) hands out slots
// connect_base, connect_base + 1, ... and fails (-1) while the spec set
// testing.connect_fail(n) failures to come; testing.connects() counts the
// calls and connect_ip() / connect_port() tell the last one's target.
function fakeTransport() {
  const t = { base: 0, cap: 0, window: 0x7fffffff, used: new Map(), sent: new Map(), closed: new Set() };
  const conn = { next: 0, fail: 0, calls: 0, ip: 0, port: 0 };
  const used = (c) => t.used.get(c) ?? 0;
  const avail = (c) => Math.max(0, Math.min(t.cap - used(c), t.window - (used(c) - (t.sent.get(c) ?? 0))));
  return {
    stack: {
      tx_avail: (c) => avail(c),
      tx_reserve: (c, min) => {
        if (min > 4096) throw new Error(`tx_reserve(${c}, ${min}): min > 4096`);
        return avail(c) >= min ? t.base + c * t.cap + used(c) : 0;
      },
      tx_commit: (c, len) => {
        if (len > avail(c)) throw new Error(`tx_commit(${c}, ${len}) beyond the ${avail(c)} bytes available`);
        t.used.set(c, used(c) + len);
      },
      conn_close: (c) => { t.closed.add(c); },
      net_connect: (ip, port) => {
        conn.calls++;
        conn.ip = ip >>> 0;
        conn.port = port >>> 0;
        if (conn.fail > 0) { conn.fail--; return -1; }
        return conn.next++;
      },
    },
    testing: {
      register_tx: (ptr, cap) => { t.base = ptr; t.cap = cap; },
      tx_len: (c) => used(c),
      tx_reset: (c) => { t.used.set(c, 0); t.sent.set(c, 0); t.closed.delete(c); },
      tx_window: (n) => { t.window = n; },
      tx_drain: (c) => { t.sent.set(c, used(c)); },
      closed: (c) => (t.closed.has(c) ? 1 : 0),
      connect_reset: (base) => { conn.next = base; conn.fail = 0; conn.calls = 0; conn.ip = 0; conn.port = 0; },
      connect_fail: (n) => { conn.fail = n; },
      connects: () => conn.calls,
      connect_ip: () => conn.ip,
      connect_port: () => conn.port,
    },
  };
}

export default {
  entries: ["assembly/**/__tests__/**/*.spec.ts"],
  include: ["assembly/**/__tests__/**/*.include.ts"],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory }, ...fakeTransport() }));
  },
  outputBinary: false,
};
