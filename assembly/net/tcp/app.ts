// Upcalls into the application (the protocol module, through the stack
// module later; a fake app in the specs). Each is a function reference set
// with tcpSetApp; `s` is the stack's address so the app can call back into
// tcpTxReserve / tcpTxCommit / tcpClose. Mirrors docs/protocol-modules.md:
//   open(s, conn) -> 0 accept, non-zero refuse (the connection is reset)
//   data(s, conn, ptr, len) -> bytes consumed (the rest is presented again)
//   writable(s, conn)       -> tx space was freed after a refused reserve
//   peerFin(s, conn)        -> the peer closed its side (half-close); the
//                              ABI has no such event: the stack module maps
//                              it to conn close after the output drains
//   closed(s, conn)         -> the connection is done; the slot is reused later

import { Stack } from "./stack";

export type AppOpenFn = (s: usize, conn: u32) => i32;
export type AppDataFn = (s: usize, conn: u32, ptr: usize, len: u32) => u32;
export type AppEventFn = (s: usize, conn: u32) => void;

@inline function sp(s: Stack): usize { return changetype<usize>(s); }

export function appOpen(s: Stack, conn: u32): i32 {
  return s.appOpen ? changetype<AppOpenFn>(s.appOpen)(sp(s), conn) : 0;
}
export function appData(s: Stack, conn: u32, ptr: usize, len: u32): u32 {
  if (!s.appData) return len;
  let n = changetype<AppDataFn>(s.appData)(sp(s), conn, ptr, len);
  return n > len ? len : n;
}
export function appWritable(s: Stack, conn: u32): void {
  if (s.appWritable) changetype<AppEventFn>(s.appWritable)(sp(s), conn);
}
export function appPeerFin(s: Stack, conn: u32): void {
  if (s.appPeerFin) changetype<AppEventFn>(s.appPeerFin)(sp(s), conn);
}
export function appClosed(s: Stack, conn: u32): void {
  if (s.appClosed) changetype<AppEventFn>(s.appClosed)(sp(s), conn);
}
