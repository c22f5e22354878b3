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
  it("reads past the first line of items of every size and offset, and changes none", () => {
    // small items at every 8-byte offset (most span two lines), one over two lines, one far larger
    const keys: string[] = [];
    for (let i = 0; i < 16; i++) { keys.push("s" + i.toString()); put(keys[i], "v".repeat(i + 1)); }
    put("mid", "m".repeat(100));
    put("big", "b".repeat(5000));
    keys.push("mid"); keys.push("big");
    const r = warm(keys);
    for (let i = 0; i < keys.length; i++) expect(r[i]).toBe(<u64>find(keys[i]));
    for (let i = 0; i < 16; i++) expect(get(keys[i])).toBe("v".repeat(i + 1));
    expect(get("mid")).toBe("m".repeat(100));
    expect(get("big")).toBe("b".repeat(5000));
  });
  it("follows an overwrite to the new item", () => {
    put("k", "old");
    put("k", "new-value");
    expect(warm(["k"])[0]).toBe(<u64>find("k"));
  });
});
