import {
  relExptime, storeFlush, storeLastMiss, storeDelete, statCurrItems, MISS_NONE, MISS_EXPIRED, MISS_FLUSHED,
  MODE_SET, MODE_ADD, MODE_CAS, STORED, NOT_FOUND,
} from "../index";
import { makeStore, put, get, casOf, bytes, ptr, len, NOW, STARTED } from "./fixture";

const DAY30: i64 = 2592000;

describe("relExptime (memcached realtime)", () => {
  beforeEach(() => { makeStore(); });
  it("0 is never", () => { expect(relExptime(0, NOW)).toBe(0); });
  it("negative is already expired", () => {
    expect(relExptime(-1, NOW)).toBe(1);
    expect(relExptime(-1000000, NOW)).toBe(1);
  });
  it("up to 30 days is relative", () => {
    expect(relExptime(10, NOW)).toBe(NOW + 10);
    expect(relExptime(DAY30, NOW)).toBe(NOW + <u32>DAY30);
  });
  it("above 30 days is a unix time", () => {
    expect(relExptime(DAY30 + 1, NOW)).toBe(1); // long before the process started
    expect(relExptime(<i64>STARTED, NOW)).toBe(1);
    expect(relExptime(<i64>STARTED + 1, NOW)).toBe(1 + 0);
    expect(relExptime(<i64>STARTED + 5000, NOW)).toBe(5000);
  });
});

describe("expiry", () => {
  beforeEach(() => { makeStore(); });
  it("relative: live until exptime, missed at it", () => {
    put("k", "v", MODE_SET, 0, 0, relExptime(10, NOW));
    expect(get("k", NOW + 9)).toBe("v");
    expect(get("k", NOW + 10)).toBe("<miss>");
    expect(storeLastMiss()).toBe(MISS_EXPIRED);
    expect(statCurrItems()).toBe(0); // unlinked lazily by the read
  });
  it("absolute in the future", () => {
    put("k", "v", MODE_SET, 0, 0, relExptime(<i64>STARTED + NOW + 60, NOW));
    expect(get("k", NOW + 59)).toBe("v");
    expect(get("k", NOW + 60)).toBe("<miss>");
  });
  it("absolute in the past and negative are misses at once", () => {
    put("a", "v", MODE_SET, 0, 0, relExptime(<i64>STARTED - 5, NOW));
    put("n", "v", MODE_SET, 0, 0, relExptime(-1, NOW));
    expect(get("a")).toBe("<miss>");
    expect(storeLastMiss()).toBe(MISS_EXPIRED);
    expect(get("n")).toBe("<miss>");
  });
  it("30 days exactly is relative, one more is absolute (in the past)", () => {
    put("r", "v", MODE_SET, 0, 0, relExptime(DAY30, NOW));
    put("x", "v", MODE_SET, 0, 0, relExptime(DAY30 + 1, NOW));
    expect(get("r", NOW + <u32>DAY30 - 1)).toBe("v");
    expect(get("x")).toBe("<miss>");
  });
  it("an expired item is gone for delete and cas", () => {
    put("k", "v", MODE_SET, 0, 0, NOW + 1);
    let c = casOf("k");
    expect(put("k", "w", MODE_CAS, c, 0, 0, NOW + 1)).toBe(NOT_FOUND);
    put("j", "v", MODE_SET, 0, 0, NOW + 1);
    let k = bytes("j");
    expect(storeDelete(ptr(k), len(k), NOW + 1)).toBe(false);
  });
});

describe("flush_all (memcached 1.6.18)", () => {
  beforeEach(() => { makeStore(); });
  it("immediate: everything stored before is gone, later sets live", () => {
    put("a", "1"); put("b", "2");
    storeFlush(0, NOW);
    expect(get("a")).toBe("<miss>");
    expect(storeLastMiss()).toBe(MISS_FLUSHED);
    expect(get("b")).toBe("<miss>");
    expect(put("a", "3")).toBe(STORED); // same second: oldest_cas separates it
    expect(get("a")).toBe("3");
    expect(storeLastMiss()).toBe(MISS_NONE);
    expect(put("b", "4", MODE_ADD)).toBe(STORED);
    expect(get("a", NOW + 100)).toBe("3");
  });
  it("delayed: items live until the deadline, then everything older goes", () => {
    put("a", "1");
    storeFlush(10, NOW);
    expect(get("a", NOW + 8)).toBe("1");
    put("b", "2", MODE_SET, 0, 0, 0, NOW + 8);
    expect(get("a", NOW + 9)).toBe("<miss>"); // oldest_live = now+10-1
    expect(storeLastMiss()).toBe(MISS_FLUSHED);
    expect(get("b", NOW + 9)).toBe("<miss>");
    put("c", "3", MODE_SET, 0, 0, 0, NOW + 10);
    expect(get("c", NOW + 11)).toBe("3");
  });
  it("delayed with an absolute time", () => {
    put("a", "1");
    storeFlush(<i64>STARTED + NOW + 5, NOW);
    expect(get("a", NOW + 3)).toBe("1");
    expect(get("a", NOW + 4)).toBe("<miss>");
  });
});
