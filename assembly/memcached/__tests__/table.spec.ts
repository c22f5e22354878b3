// Request -> reply pairs recorded from memcached 1.6.18 (cases.ts), replayed
// whole, byte by byte, and through a 600-byte output window.
import { CASES } from "./cases";
import { advance, ask, feed, feedSteps, lastClosed, reopen, setup, take, tx_window } from "./harness";

/** Expands "{{c*n}}" markers into n copies of c. */
function expand(s: string): string {
  let out = "";
  let i = 0;
  while (i < s.length) {
    const j = s.indexOf("{{", i);
    if (j < 0) { out += s.substring(i); break; }
    out += s.substring(i, j);
    const star = s.indexOf("*", j + 2);
    const end = s.indexOf("}}", star);
    const n = I32.parseInt(s.substring(star + 1, end));
    out += s.charAt(j + 2).repeat(n);
    i = end + 2;
  }
  return out;
}

function fresh(): void {
  ask("flush_all\r\n");
  advance(2);
  reopen(0);
}

function runAll(mode: i32): void {
  for (let k = 0; k < CASES.length; k += 3) {
    const req = expand(CASES[k]);
    const want = expand(CASES[k + 1]);
    const wantClosed = CASES[k + 2] == "1";
    if (mode == 1 && req.length > 10000) continue;
    fresh();
    if (mode == 2) tx_window(600);
    if (mode == 1) feedSteps(0, req, 1);
    else feed(0, req);
    const got = take(0);
    const closedNow = lastClosed;
    tx_window(0x7fffffff);
    if (got != want || closedNow != wantClosed) {
      log("request: " + CASES[k]);
      log("want: " + CASES[k + 1] + (wantClosed ? " (closed)" : ""));
      log("got:  " + got + (closedNow ? " (closed)" : ""));
    }
    expect(got).toBe(want);
    expect(closedNow).toBe(wantClosed);
  }
}

describe("memcached 1.6.18 replies", () => {
  setup();
  it("match, request sent whole", () => { runAll(0); });
  it("match, request sent byte by byte", () => { runAll(1); });
  it("match, through a 600-byte output window", () => { runAll(2); });
});
