// Warming (buckets.ts warmBucket/warmItem through the index): reads only,
// and the item a warm read reaches is the one a lookup of the key finds.
import { storeHash, storeWarmBucket, storeWarmItem, statCurrItems } from "../index";
import { makeStore, put, get, find, bytes, ptr, len } from "./fixture";

function hashOf(key: string): u64 { const k = bytes(key); return storeHash(ptr(k), len(k)); }

describe("warming", () => {
  beforeEach(() => { makeStore(); });
  it("reaches the first line of the item a lookup finds", () => {
    put("warm-me", "value");
    const it = find("warm-me");
    expect(it).not.toBe(0);
    storeWarmBucket(hashOf("warm-me"));
    expect(storeWarmItem(hashOf("warm-me"))).toBe(load<u32>(it));
  });
  it("reaches nothing for an absent key and changes nothing", () => {
    put("a", "1");
    storeWarmBucket(hashOf("absent"));
    expect(storeWarmItem(hashOf("absent"))).toBe(0);
    expect(get("a")).toBe("1");
    expect(get("absent")).toBe("<miss>");
    expect(statCurrItems()).toBe(1);
  });
  it("follows an overwrite to the new item", () => {
    put("k", "old");
    put("k", "new-value");
    expect(storeWarmItem(hashOf("k"))).toBe(load<u32>(find("k")));
  });
});
