// The connection's output: the only user of the transport's imports
// (docs/protocol-modules.md). Every committed byte is counted for
// `bytes_written`.

import { addStat, St } from "./stats";

@external("stack", "tx_reserve")
declare function tx_reserve(conn: u32, min: u32): usize;
@external("stack", "tx_avail")
declare function tx_avail(conn: u32): u32;
@external("stack", "tx_commit")
declare function tx_commit(conn: u32, len: u32): void;
@external("stack", "conn_close")
declare function conn_close(conn: u32): void;

/** Largest reservation the transport promises to honour. */
export const OUT_MAX: u32 = 4096;

/** A pointer to at least `min` contiguous output bytes, or 0 (back-pressure). */
@inline export function outReserve(conn: u32, min: u32): usize {
  return tx_reserve(conn, min);
}

/** Contiguous bytes writable at the pointer outReserve returns. */
@inline export function outAvail(conn: u32): u32 {
  return tx_avail(conn);
}

/** The first len bytes at the last reserved pointer are output. */
@inline export function outCommit(conn: u32, len: u32): void {
  tx_commit(conn, len);
  addStat(St.BYTES_WRITTEN, len);
}

/** Close once the committed output is sent; app_closed follows. */
@inline export function outClose(conn: u32): void {
  conn_close(conn);
}
