// Byte rings for the per-connection rx and tx buffers. A ring is `size`
// bytes (a power of two) followed by `slack` spare bytes (slack <= size), so
// a span that crosses the end can still be handed out contiguously:
// - rx: ringMirror copies the wrapped head of a span into the slack, so the
//   app sees unconsumed + new bytes in one piece (docs/protocol-modules.md);
// - tx: the app writes past the end into the slack and ringUnmirror copies
//   that part back to the start on commit.
// Offsets are in [0, size); the caller keeps head and length.

import { copyDisjoint } from "../../shared/bytes";

/** Copy `len` bytes from flat `src` into the ring at offset `off`, wrapping. */
export function ringWrite(ring: usize, size: u32, off: u32, src: usize, len: u32): void {
  let o = off & (size - 1);
  let first = min(len, size - o);
  copyDisjoint(ring + o, src, first);
  if (len > first) copyDisjoint(ring, src + first, len - first);
}

/** Copy `len` bytes out of the ring at offset `off` into flat `dst`, wrapping. */
export function ringRead(ring: usize, size: u32, off: u32, dst: usize, len: u32): void {
  let o = off & (size - 1);
  let first = min(len, size - o);
  copyDisjoint(dst, ring + o, first);
  if (len > first) copyDisjoint(dst + first, ring, len - first);
}

/**
 * Bytes readable contiguously at `head` out of `len`, after mirroring up to
 * `slack` wrapped bytes behind the ring's end.
 */
export function ringMirror(ring: usize, size: u32, slack: u32, head: u32, len: u32): u32 {
  let toEnd = size - head;
  if (len <= toEnd) return len;
  let wrapped = min(len - toEnd, slack);
  memory.copy(ring + size, ring, wrapped);
  return toEnd + wrapped;
}

/** After the app wrote `len` bytes at offset `wpos` (possibly into the slack), move the overflow to the start. */
export function ringUnmirror(ring: usize, size: u32, wpos: u32, len: u32): void {
  let end = wpos + len;
  if (end > size) memory.copy(ring, ring + size, end - size);
}
