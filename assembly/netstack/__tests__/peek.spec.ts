// The burst preview (peek.ts): the payload span of each plain TCP/IPv4
// frame, and nothing for frames input would not deliver data from.
import { DESC_SIZE } from "../../net/iface/index";
import { peekList } from "../peek";

const FRAMES: u32 = 6;
let desc: usize = 0;
let list: usize = 0;

/** An Ethernet + IPv4 (ihl bytes) + TCP (off bytes) frame with `payload`; fields overridable. */
function frame(i: u32, payload: string, ethertype: u16 = 0x0800, proto: u8 = 6, ihl: u32 = 20, off: u32 = 20, totalDelta: i32 = 0): void {
  const pl = String.UTF8.encode(payload);
  const plen = <u32>pl.byteLength;
  const len = 14 + ihl + off + plen;
  const f = heap.alloc(len + 8);
  memory.fill(f, 0, len);
  store<u8>(f + 12, <u8>(ethertype >> 8)); store<u8>(f + 13, <u8>ethertype);
  const ip = f + 14;
  store<u8>(ip, <u8>(0x40 | (ihl >> 2)));
  const total = <u32>(<i32>(ihl + off + plen) + totalDelta);
  store<u8>(ip + 2, <u8>(total >> 8)); store<u8>(ip + 3, <u8>total);
  store<u8>(ip + 9, proto);
  store<u8>(ip + ihl + 12, <u8>((off >> 2) << 4));
  memory.copy(ip + ihl + off, changetype<usize>(pl), plen);
  store<u32>(desc + <usize>i * DESC_SIZE, <u32>f);
  store<u32>(desc + <usize>i * DESC_SIZE, len, 4);
}

function spanText(i: u32): string {
  return String.UTF8.decodeUnsafe(<usize>load<u32>(list + (<usize>i << 3)), load<u32>(list + (<usize>i << 3), 4));
}

describe("netstack: burst preview", () => {
  beforeEach(() => {
    desc = heap.alloc(FRAMES * DESC_SIZE);
    list = heap.alloc(FRAMES * 8);
  });
  it("lists the payload of each TCP/IPv4 frame, options and all", () => {
    frame(0, "get k1\r\n");
    frame(1, "set k2 0 0 1\r\nx\r\n", 0x0800, 6, 24, 32); // IP options, TCP timestamps
    expect(peekList(desc, 2, list)).toBe(2);
    expect(spanText(0)).toBe("get k1\r\n");
    expect(spanText(1)).toBe("set k2 0 0 1\r\nx\r\n");
  });
  it("leaves out what input would deliver no data from", () => {
    frame(0, "");                                   // a bare ACK
    frame(1, "get a\r\n", 0x0806);                  // not IPv4
    frame(2, "get b\r\n", 0x0800, 17);              // UDP
    frame(3, "get c\r\n", 0x0800, 6, 20, 20, 100);  // total length past the frame
    frame(4, "get d\r\n", 0x0800, 6, 20, 8);        // TCP offset below 20
    frame(5, "get e\r\n", 0x0800, 6, 20, 20, -5);   // total length shorter than claimed payload: the rest is padding
    expect(peekList(desc, 6, list)).toBe(1);
    expect(spanText(0)).toBe("ge");
  });
});
