import { Reason, reasonName } from "../reasons";

describe("reasons", () => {
  it("names every code once", () => {
    for (let r: u32 = 0; r < Reason.COUNT; r++) {
      expect(reasonName(r)).not.toBe("unknown", r.toString());
      for (let s: u32 = 0; s < r; s++) expect(reasonName(r)).not.toBe(reasonName(s));
    }
    expect(reasonName(Reason.COUNT)).toBe("unknown");
  });
});
