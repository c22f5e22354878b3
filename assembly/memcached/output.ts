// The connection's output: the only user of the transport's imports
// (docs/protocol-modules.md). Every committed byte is counted for
// `bytes_written`.
//
// One upcall (app_data, app_writable) writes its replies into one span of
// the transport's buffer: the span is asked for once (tx_reserve + tx_avail)
// and handed out piece by piece, and what was written is committed to the
// transport once, when the upcall returns (outFlush) — not one tx_reserve /
// tx_commit pair per reply line. The transport's write position moves only
// by our commits, and its free space only grows while we hold the span (the
// peer's ACKs), so the span stays valid; a request larger than what is left
// of it commits what is pending and asks the transport again.

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

const NO_CONN: u32 = 0xFFFFFFFF;

/** The span: connection, next free byte, bytes left, bytes written and not yet committed. */
let gConn: u32 = NO_CONN;
let gPtr: usize = 0;
let gAvail: u32 = 0;
let gPending: u32 = 0;

/** Commits what was written into the span and forgets it. Every upcall that writes ends with this. */
export function outFlush(): void {
  if (gPending != 0) tx_commit(gConn, gPending);
  gConn = NO_CONN;
  gPending = 0;
  gAvail = 0;
}

/** A pointer to at least `min` contiguous output bytes, or 0 (back-pressure). */
export function outReserve(conn: u32, min: u32): usize {
  if (conn == gConn && gAvail >= min && gAvail != 0) return gPtr;
  outFlush();
  const p = tx_reserve(conn, min);
  if (p == 0) return 0;
  gConn = conn;
  gPtr = p;
  gAvail = tx_avail(conn);
  return p;
}

/** Contiguous bytes writable at the pointer outReserve returned. */
@inline export function outAvail(conn: u32): u32 {
  return conn == gConn ? gAvail : 0;
}

/** The first len bytes at the last reserved pointer are output. */
export function outCommit(conn: u32, len: u32): void {
  if (conn != gConn) return; // nothing reserved: nothing to commit
  if (len > gAvail) len = gAvail;
  gPtr += len;
  gAvail -= len;
  gPending += len;
  addStat(St.BYTES_WRITTEN, len);
}

/** Close once the committed output is sent; app_closed follows. */
export function outClose(conn: u32): void {
  outFlush();
  conn_close(conn);
}
