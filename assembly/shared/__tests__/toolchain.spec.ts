import { Ctl } from "../control";

class Pair { a: i32 = 1; b: i32 = 2; }

describe("toolchain", () => {
  it("compares classes (the patched as-pect transform)", () => {
    expect(new Pair()).toStrictEqual(new Pair());
  });
  it("has atomics on linear memory", () => {
    const p = heap.alloc(64);
    atomic.store<u64>(p, 5);
    expect(atomic.add<u64>(p, 2)).toBe(5);
    expect(load<u64>(p)).toBe(7);
    expect(Ctl.CAS_COUNTER % 64).toBe(0);
    heap.free(p);
  });
});
