import { copyDisjoint, SHORT_MAX, zeroBytes } from "../bytes";

// Every length up to past SHORT_MAX, with canaries on both sides of the
// destination: exactly [dst, dst+len) changes, and to the source's bytes.
const SPAN: u32 = 160;

function fillPattern(p: usize, n: u32, seed: u32): void {
  for (let i: u32 = 0; i < n; i++) store<u8>(p + i, <u8>(i * 7 + seed));
}

describe("copyDisjoint", () => {
  it("copies exactly len bytes for every length 0..SHORT_MAX+40, at odd offsets", () => {
    const src = heap.alloc(SPAN);
    const buf = heap.alloc(SPAN + 32);
    for (let len: u32 = 0; len <= SHORT_MAX + 40; len++) {
      fillPattern(src, SPAN, len);
      memory.fill(buf, 0xA5, SPAN + 32);
      copyDisjoint(buf + 13, src + 3, len);
      for (let i: u32 = 0; i < SPAN + 32; i++) {
        const want: u8 = i >= 13 && i < 13 + len ? load<u8>(src + 3 + i - 13) : 0xA5;
        if (load<u8>(buf + i) != want) { expect(`len ${len} byte ${i}`).toBe("as copied"); return; }
      }
    }
    heap.free(src);
    heap.free(buf);
  });
});

describe("zeroBytes", () => {
  it("zeroes exactly len bytes for every length 0..SHORT_MAX+40", () => {
    const buf = heap.alloc(SPAN + 32);
    for (let len: u32 = 0; len <= SHORT_MAX + 40; len++) {
      memory.fill(buf, 0xA5, SPAN + 32);
      zeroBytes(buf + 5, len);
      for (let i: u32 = 0; i < SPAN + 32; i++) {
        const want: u8 = i >= 5 && i < 5 + len ? 0 : 0xA5;
        if (load<u8>(buf + i) != want) { expect(`len ${len} byte ${i}`).toBe("zeroed"); return; }
      }
    }
    heap.free(buf);
  });
});
