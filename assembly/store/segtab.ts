// Segment table: one 64-byte entry per segment of item memory.
//   +0 gen u32   bumped when the segment is recycled (readers compare it)
//   +4 pin u32   pins: large-value streams and in-flight reservations
//   +8 state u32 +12 next u32 (FIFO / free list link, number + 1)
//   +16 wpos u32 bytes written (final once sealed)
//   +20 uploads u32 incomplete uploads reserved here (upload.ts)
import { gItems, gSegShift, gSegTab } from "./layout";

export const S_GEN: u32 = 0;
export const S_PIN: u32 = 4;
export const S_STATE: u32 = 8;
export const S_NEXT: u32 = 12;
export const S_WPOS: u32 = 16;
export const S_UPLOADS: u32 = 20;

export const SEG_FREE: u32 = 0;
export const SEG_OPEN: u32 = 1;     // a core (or the allocator's re-insertion) appends here
export const SEG_SEALED: u32 = 2;   // on the FIFO, may be evicted
export const SEG_EVICTING: u32 = 3; // being emptied: pins are refused

/** Segment number of an item address. */
@inline export function segOf(it: usize): u32 { return <u32>((it - gItems) >> gSegShift); }
@inline export function segEntry(n: u32): usize { return gSegTab + (<usize>n << 6); }
@inline export function segData(n: u32): usize { return gItems + (<usize>n << gSegShift); }
@inline export function segGen(n: u32): u32 { return atomic.load<u32>(segEntry(n) + S_GEN); }
