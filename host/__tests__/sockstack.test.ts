// The kernel-socket transport's Wasm side, driven in-process (no sockets):
// sockstack.wasm linked to echo.wasm exactly as a worker links them.
import { beforeAll, describe, expect, it } from "vitest";
import { parseCli } from "../cli.js";
import { computeLayout, coreRegions, createMemory, writeControl } from "../layout.js";
import { F_BLOCKED, F_CLOSE, type Instances, instantiate, loadModules } from "../modules.js";
import { ensureBuilt, repoRoot } from "./support.js";

const CONNS = 4;
let inst: Instances;
let bytes: Uint8Array;

beforeAll(() => {
  ensureBuilt();
  const mods = loadModules(`${repoRoot}dist`, "echo");
  const sizing = instantiate(new WebAssembly.Memory({ initial: 32, maximum: 32, shared: true }), mods);
  const layout = computeLayout({
    threads: 1,
    connsPerCore: CONNS,
    storeSize: 0,
    transportRegionSize: sizing.transport.sock_region_size(CONNS),
    appRegionSize: sizing.app.app_region_size(CONNS),
  });
  const memory = createMemory(layout);
  const cli = parseCli(["-c", String(CONNS), "-t", "1"]);
  if (cli.kind !== "run") throw new Error("no config");
  writeControl(memory, layout, cli.config, { nowMs: Date.now(), pid: 1, port: 1 });
  inst = instantiate(memory, mods);
  const r = coreRegions(layout, 0);
  expect(inst.transport.sock_init(layout.control, 0, r.transport, layout.transportRegionSize)).toBe(0);
  expect(inst.app.app_init(layout.control, 0, r.app, layout.appRegionSize)).toBe(0);
  bytes = new Uint8Array(memory.buffer);
});

/** Puts `data` in conn's receive buffer as if recv() had. */
function receive(conn: number, data: Uint8Array): void {
  const t = inst.transport;
  bytes.set(data, t.rx_buf(conn) + t.rx_len(conn));
  t.rx_add(conn, data.length);
}

function pending(conn: number): Uint8Array {
  const t = inst.transport;
  return bytes.slice(t.tx_pending_ptr(conn), t.tx_pending_ptr(conn) + t.tx_pending(conn));
}

const text = (s: string) => new TextEncoder().encode(s);

describe("sockstack", () => {
  it("sizes its region in 64-byte multiples", () => {
    for (const n of [1, 3, 100]) expect(inst.transport.sock_region_size(n) % 64).toBe(0);
    expect(inst.transport.static_end()).toBeLessThanOrEqual(256 * 1024);
  });

  it("keeps unconsumed input at the start of the receive buffer", () => {
    const t = inst.transport;
    t.conn_reset(0);
    receive(0, text("hello world"));
    expect(t.rx_len(0)).toBe(11);
    t.rx_consume(0, 6);
    expect(t.rx_len(0)).toBe(5);
    expect(new TextDecoder().decode(bytes.slice(t.rx_buf(0), t.rx_buf(0) + 5))).toBe("world");
    t.rx_consume(0, 99);
    expect(t.rx_len(0)).toBe(0);
  });

  it("carries the echo module's replies; partial sends keep the rest in order", () => {
    const { transport: t, app: a } = inst;
    t.conn_reset(1);
    receive(1, text("ping"));
    expect(a.app_data(1, t.rx_buf(1), t.rx_len(1))).toBe(4);
    t.rx_consume(1, 4);
    expect(new TextDecoder().decode(pending(1))).toBe("ping");
    t.tx_sent(1, 1);
    expect(new TextDecoder().decode(pending(1))).toBe("ing");
    receive(1, text("pong"));
    expect(a.app_data(1, t.rx_buf(1), 4)).toBe(4);
    expect(new TextDecoder().decode(pending(1))).toBe("ingpong"); // compacted, still in order
    t.tx_sent(1, 7);
    expect(t.tx_pending(1)).toBe(0);
  });

  it("says 0 when the output is full, marks the module blocked, and clamps commits", () => {
    const t = inst.transport;
    t.conn_reset(2);
    expect(t.tx_reserve(2, 4097)).toBe(0); // over the ABI's limit
    let committed = 0;
    for (let i = 0; i < 100; i++) {
      const p = t.tx_reserve(2, 4096);
      if (p === 0) break;
      t.tx_commit(2, 4096);
      committed += 4096;
    }
    expect(committed).toBe(32768);
    expect(t.conn_flags(2) & F_BLOCKED).toBe(F_BLOCKED);
    expect(t.take_blocked(2)).toBeTruthy();
    expect(t.take_blocked(2)).toBeFalsy();
    t.tx_commit(2, 100); // no room: ignored, never past the buffer
    expect(t.tx_pending(2)).toBe(32768);
    t.tx_sent(2, 8192);
    expect(t.tx_avail(2)).toBe(8192);
    expect(t.take_blocked(2)).toBeTruthy(); // asked with output pending
  });

  it("records conn_close and forgets it on reset; ignores slots out of range", () => {
    const t = inst.transport;
    t.conn_reset(3);
    t.conn_close(3);
    expect(t.conn_flags(3) & F_CLOSE).toBe(F_CLOSE);
    t.conn_reset(3);
    expect(t.conn_flags(3)).toBe(0);
    expect(t.tx_reserve(CONNS, 1)).toBe(0);
    expect(t.tx_avail(CONNS)).toBe(0);
    expect(t.rx_buf(CONNS)).toBe(0);
    t.tx_commit(CONNS, 1);
    t.conn_close(CONNS);
    t.rx_add(CONNS, 1);
  });

  it("counts refused connections", () => {
    const before = inst.transport.sock_rejected();
    inst.transport.sock_reject();
    expect(inst.transport.sock_rejected()).toBe(before + 1);
  });
});
