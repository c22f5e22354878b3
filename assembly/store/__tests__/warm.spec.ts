// Warming (buckets.ts warmBatch through the index): reads only, and the item
// it reaches for a key is the one a lookup of the key finds.
import { storeHash, storeWarm, statCurrItems } from "../index";
import { makeStore, put, get, find, bytes, ptr, len } from "./fixture";

function hashOf(key: string): u64 { const k = bytes(key); return storeHash(ptr(k), len(k)); }

/** storeWarm over the keys' hashes (and a 0 entry, skipped); the item address left for each. */
function warm(keys: string[]): u64[] {
  const n = keys.length + 1;
  const a = heap.alloc(<usize>n << 3);
  for (let i = 0; i < keys.length; i++) store<u64>(a + (<usize>i << 3), hashOf(keys[i]));
  store<u64>(a + (<usize>keys.length << 3), 0);
  storeWarm(a, <u32>n);
  const out: u64[] = [];
  for (let i = 0; i < n; i++) out.push(load<u64>(a + (<usize>i << 3)));
  return out;
}

describe("warming", () => {
  beforeEach(() => { makeStore(); });
  it("reaches the item a lookup finds, and nothing for an absent key or a 0 hash", () => {
    put("warm-me", "value");
    put("other", "x");
    const r = warm(["warm-me", "absent", "other"]);
    expect(r[0]).toBe(<u64>find("warm-me"));
    expect(r[1]).toBe(0);
    expect(r[2]).toBe(<u64>find("other"));
    expect(r[3]).toBe(0);
  });
  it("changes nothing", () => {
    put("a", "1");
    warm(["a", "b"]);
    expect(get("a")).toBe("1");
    expect(get("b")).toBe("<miss>");
    expect(statCurrItems()).toBe(1);
  });
  it("follows an overwrite to the new item", () => {
    put("k", "old");
    put("k", "new-value");
    expect(warm(["k"])[0]).toBe(<u64>find("k"));
  });
});
