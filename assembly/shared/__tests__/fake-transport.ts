// The fake transport's test controls (as-pect.config.js, fakeTransport):
// one declaration for every protocol-module harness. Each connection's
// output lands in its own slice of a region registered with register_tx.

@external("testing", "register_tx") export declare function register_tx(ptr: usize, cap: u32): void;
@external("testing", "tx_len") export declare function tx_len(conn: u32): u32;
@external("testing", "tx_reset") export declare function tx_reset(conn: u32): void;
@external("testing", "tx_window") export declare function tx_window(n: u32): void;
@external("testing", "tx_drain") export declare function tx_drain(conn: u32): void;
@external("testing", "closed") export declare function closed(conn: u32): i32;

/** Aligned zeroed memory from the spec's heap (specs may allocate; modules may not). */
export function aligned(n: usize): usize {
  const p = heap.alloc(n + 64);
  const a = (p + 63) & ~<usize>63;
  memory.fill(a, 0, n);
  return a;
}
