import {
  STORED, NOT_STORED, EXISTS, NOT_FOUND, MODE_SET, MODE_ADD, MODE_REPLACE, MODE_APPEND, MODE_PREPEND, MODE_CAS,
  MISS_NONE, storeDelete, storeCommit, storeItemSizeOk, storeAlloc, storeAbort, storeTouch, storeLastMiss, storeReadOk,
  itemFlags, itemExptime, itemKey, itemKeyLen, itemValue, itemValueLen, statCurrItems, statTotalItems, statBytes,
  statReset, statHashPowerLevel, statHashBytes,
} from "../index";
import { makeStore, put, get, find, casOf, bytes, ptr, len, NOW, MB } from "./fixture";

describe("set / get / delete", () => {
  beforeEach(() => { makeStore(); });
  it("misses an absent key", () => {
    expect(get("nope")).toBe("<miss>");
    expect(storeLastMiss()).toBe(MISS_NONE);
  });
  it("stores and finds, value followed by CRLF", () => {
    expect(put("k1", "hello", MODE_SET, 0, 42)).toBe(STORED);
    let it = find("k1");
    expect(it).not.toBe(0);
    expect(String.UTF8.decodeUnsafe(itemKey(it), itemKeyLen(it))).toBe("k1");
    expect(itemFlags(it)).toBe(42);
    expect(itemValueLen(it)).toBe(5);
    expect(load<u16>(itemValue(it) + 5)).toBe(0x0a0d);
    expect(storeReadOk(it)).toBe(true);
  });
  it("overwrites", () => {
    put("k", "one");
    put("k", "two-longer");
    expect(get("k")).toBe("two-longer");
    expect(statCurrItems()).toBe(1);
    expect(statTotalItems()).toBe(2);
  });
  it("stores an empty value", () => {
    expect(put("e", "")).toBe(STORED);
    expect(get("e")).toBe("");
  });
  it("deletes", () => {
    put("k", "v");
    let k = bytes("k");
    expect(storeDelete(ptr(k), len(k), NOW)).toBe(true);
    expect(get("k")).toBe("<miss>");
    expect(storeDelete(ptr(k), len(k), NOW)).toBe(false);
    expect(statCurrItems()).toBe(0);
    expect(statBytes()).toBe(0);
  });
  it("keeps keys that share a prefix apart", () => {
    put("abc", "1"); put("abcd", "2"); put("ab", "3");
    expect(get("abc")).toBe("1"); expect(get("abcd")).toBe("2"); expect(get("ab")).toBe("3");
  });
  it("an aborted reservation is invisible", () => {
    let k = bytes("ab");
    let it = storeAlloc(ptr(k), len(k), 0, 0, 3, NOW);
    storeAbort(it);
    expect(get("ab")).toBe("<miss>");
  });
  it("stats reset clears totals, not current counts", () => {
    put("a", "1"); put("b", "2");
    statReset();
    expect(statTotalItems()).toBe(0);
    expect(statCurrItems()).toBe(2);
    expect(statBytes()).toBeGreaterThan(0);
    put("c", "3");
    expect(statTotalItems()).toBe(1);
  });
  it("sizes the index from -m", () => {
    expect(statHashPowerLevel()).toBeGreaterThanOrEqual(15);
    makeStore(64 * MB, MB);
    expect(statHashPowerLevel()).toBeGreaterThanOrEqual(17);
    expect(statHashBytes()).toBeGreaterThanOrEqual(<u64>(1 << 17) * 64);
  });
});

describe("store modes (memcached 1.6)", () => {
  beforeEach(() => { makeStore(); });
  it("add fails on a live item, succeeds on a missing one", () => {
    expect(put("k", "a", MODE_ADD)).toBe(STORED);
    expect(put("k", "b", MODE_ADD)).toBe(NOT_STORED);
    expect(get("k")).toBe("a");
  });
  it("add succeeds over an expired item", () => {
    put("k", "a", MODE_SET, 0, 0, NOW + 5);
    expect(put("k", "b", MODE_ADD, 0, 0, 0, NOW + 5)).toBe(STORED);
    expect(get("k", NOW + 5)).toBe("b");
  });
  it("replace needs an item", () => {
    expect(put("k", "a", MODE_REPLACE)).toBe(NOT_STORED);
    put("k", "a");
    expect(put("k", "b", MODE_REPLACE)).toBe(STORED);
    expect(get("k")).toBe("b");
  });
  it("append and prepend keep flags and exptime, need an item", () => {
    expect(put("k", "x", MODE_APPEND)).toBe(NOT_STORED);
    expect(put("k", "x", MODE_PREPEND)).toBe(NOT_STORED);
    put("k", "mid", MODE_SET, 0, 7, NOW + 100);
    expect(put("k", "-end", MODE_APPEND, 0, 99, 0)).toBe(STORED);
    expect(put("k", "start-", MODE_PREPEND, 0, 98, 0)).toBe(STORED);
    let it = find("k");
    expect(String.UTF8.decodeUnsafe(itemValue(it), itemValueLen(it))).toBe("start-mid-end");
    expect(itemFlags(it)).toBe(7);
    expect(itemExptime(it)).toBe(NOW + 100);
    expect(load<u16>(itemValue(it) + itemValueLen(it))).toBe(0x0a0d);
  });
  it("append past -I is NOT_STORED", () => {
    // klen 3, flags 0: the largest value is 1048576 - 48 - 4 - 2 - 8
    let big = 1048514 - 10;
    let k = bytes("big");
    let it = storeAlloc(ptr(k), 3, 0, 0, big, NOW);
    memory.fill(itemValue(it), 120, big);
    expect(storeCommit(it, MODE_SET, 0, NOW)).toBe(STORED);
    expect(put("big", "yyyyyyyyyyy", MODE_APPEND)).toBe(NOT_STORED);
    expect(put("big", "yyyyyyyyyy", MODE_APPEND)).toBe(STORED);
  });
  it("cas: NOT_FOUND, EXISTS, STORED", () => {
    expect(put("k", "a", MODE_CAS, 1)).toBe(NOT_FOUND);
    put("k", "a");
    let c = casOf("k");
    expect(put("k", "b", MODE_CAS, c + 1)).toBe(EXISTS);
    expect(put("k", "b", MODE_CAS, 0)).toBe(EXISTS);
    expect(put("k", "b", MODE_CAS, c)).toBe(STORED);
    expect(get("k")).toBe("b");
    expect(put("k", "c", MODE_CAS, c)).toBe(EXISTS);
  });
  it("every store gets a new, larger CAS; never reused after delete", () => {
    put("k", "a");
    let c1 = casOf("k");
    put("k", "b");
    let c2 = casOf("k");
    expect(c2).toBeGreaterThan(c1);
    let k = bytes("k");
    storeDelete(ptr(k), len(k), NOW);
    put("k", "a");
    expect(casOf("k")).toBeGreaterThan(c2);
    put("j", "a", MODE_APPEND);
    put("k", "z", MODE_APPEND);
    expect(casOf("k")).toBeGreaterThan(c2 + 1);
  });
});

describe("item size limit (memcached item_size_ok, checked against 1.6.18 -I 1m)", () => {
  beforeEach(() => { makeStore(8 * MB, MB); });
  it("matches the boundary", () => {
    expect(storeItemSizeOk(1, 0, 1048516)).toBe(true);
    expect(storeItemSizeOk(1, 0, 1048517)).toBe(false);
    expect(storeItemSizeOk(1, 1, 1048512)).toBe(true);
    expect(storeItemSizeOk(1, 1, 1048513)).toBe(false);
    expect(storeItemSizeOk(10, 0, 1048507)).toBe(true);
    expect(storeItemSizeOk(10, 0, 1048508)).toBe(false);
  });
  it("stores the largest item and refuses one byte more", () => {
    let k = bytes("a");
    let it = storeAlloc(ptr(k), 1, 0, 0, 1048516, NOW);
    expect(it).not.toBe(0);
    memory.fill(itemValue(it), 97, 1048516);
    expect(storeCommit(it, MODE_SET, 0, NOW)).toBe(STORED);
    expect(itemValueLen(find("a"))).toBe(1048516);
    expect(storeAlloc(ptr(k), 1, 0, 0, 1048517, NOW)).toBe(0);
  });
});

describe("touch", () => {
  beforeEach(() => { makeStore(); });
  it("sets exptime of a live item and returns it", () => {
    put("k", "v");
    let k = bytes("k");
    let it = storeTouch(ptr(k), len(k), NOW + 10, NOW);
    expect(it).not.toBe(0);
    expect(itemExptime(it)).toBe(NOW + 10);
    expect(get("k", NOW + 9)).toBe("v");
    expect(get("k", NOW + 10)).toBe("<miss>");
    expect(storeTouch(ptr(k), len(k), 0, NOW + 11)).toBe(0);
  });
});
