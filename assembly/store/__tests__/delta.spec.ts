import { storeDelta, storeDeltaResult, DELTA_OK, NON_NUMERIC, NOT_FOUND, MODE_SET, itemFlags, itemExptime, statCurrItems } from "../index";
import { makeStore, put, get, find, casOf, bytes, ptr, len, NOW } from "./fixture";

function delta(key: string, incr: bool, d: u64, now: u32 = NOW): i32 {
  let k = bytes(key);
  return storeDelta(ptr(k), len(k), incr, d, now);
}

/** incr by 1 and compare result and stored text; expectations from memcached 1.6.18. */
function incrCase(before: string, result: string, after: string): void {
  put("k", before);
  let r = delta("k", true, 1);
  if (result == "NON_NUMERIC") {
    expect(r).toBe(NON_NUMERIC, before);
  } else {
    expect(r).toBe(DELTA_OK, before);
    expect(storeDeltaResult().toString()).toBe(result, before);
  }
  expect(get("k")).toBe(after, before);
}

describe("incr/decr (checked against memcached 1.6.18)", () => {
  beforeEach(() => { makeStore(); });
  it("parses like safe_strtoull", () => {
    incrCase("15", "16", "16");
    incrCase("abc", "NON_NUMERIC", "abc");
    incrCase("  12", "13", "13  ");
    incrCase("12 ", "13", "13 ");
    incrCase("12 abc", "13", "13    ");
    incrCase("12abc", "NON_NUMERIC", "12abc");
    incrCase("-0", "1", "1 ");
    incrCase("-1", "NON_NUMERIC", "-1");
    incrCase("+5", "6", "6 ");
    incrCase("\r\n5", "6", "6  ");
    incrCase("\t7", "8", "8 ");
    incrCase("0x10", "NON_NUMERIC", "0x10");
    incrCase("", "NON_NUMERIC", "");
    incrCase("18446744073709551616", "NON_NUMERIC", "18446744073709551616");
    incrCase("00000000000000000000001", "2", "2                      ");
  });
  it("incr wraps at 2^64 and grows the value when it needs more digits", () => {
    incrCase("18446744073709551615", "0", "0                   ");
    incrCase("99", "100", "100");
    incrCase("9", "10", "10");
  });
  it("decr floors at 0 and pads with spaces", () => {
    put("k", "15"); delta("k", false, 15);
    expect(storeDeltaResult()).toBe(0); expect(get("k")).toBe("0 ");
    put("k", "100"); delta("k", false, 1); expect(get("k")).toBe("99 ");
    put("k", "5"); delta("k", false, 10); expect(get("k")).toBe("0");
    put("k", "0 "); delta("k", true, 5); expect(get("k")).toBe("5 ");
  });
  it("misses, keeps flags and exptime, assigns a new CAS", () => {
    expect(delta("none", true, 1)).toBe(NOT_FOUND);
    put("k", "7", MODE_SET, 0, 33, NOW + 50);
    let c = casOf("k");
    expect(delta("k", true, 3)).toBe(DELTA_OK);
    let it = find("k");
    expect(itemFlags(it)).toBe(33);
    expect(itemExptime(it)).toBe(NOW + 50);
    expect(casOf("k")).toBeGreaterThan(c);
    expect(statCurrItems()).toBe(1);
    expect(delta("k", true, 1, NOW + 50)).toBe(NOT_FOUND);
  });
  it("adds large deltas exactly", () => {
    put("k", "1");
    delta("k", true, 18446744073709551615);
    expect(storeDeltaResult()).toBe(0);
    put("k", "10");
    delta("k", true, 9223372036854775807);
    expect(get("k")).toBe("9223372036854775817");
  });
});
