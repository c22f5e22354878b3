// app_peek (warm.ts): a hint over untrusted spans; it must not trap on any of
// them, and the requests it warmed are answered exactly as without it.
import { app_peek } from "../module";
import { advance, ask, feed, reopen, setup, take } from "./harness";

/** Lists the spans (each string's bytes) and calls app_peek on them. */
function peek(spans: string[]): void {
  const list = heap.alloc(<usize>spans.length << 3);
  for (let i = 0; i < spans.length; i++) {
    const b = String.UTF8.encode(spans[i]);
    const p = heap.alloc(<usize>b.byteLength + 1);
    memory.copy(p, changetype<usize>(b), b.byteLength);
    store<u32>(list + (<usize>i << 3), <u32>p);
    store<u32>(list + (<usize>i << 3), <u32>b.byteLength, 4);
  }
  app_peek(list, <u32>spans.length);
}

describe("app_peek", () => {
  beforeAll(() => {
    setup();
    // warming starts at 8192 items (below that the store is in cache anyway)
    reopen(0);
    let sets = "";
    for (let i = 0; i < 9000; i++) sets += "set fill" + i.toString() + " 0 0 1 noreply\r\nx\r\n";
    feed(0, sets + "mn\r\n");
    expect(take(0)).toBe("MN\r\n");
    advance(0.001); // the tick that turns warming on
  });
  it("warms gets, gets, sets and mg lines and the answers stay", () => {
    ask("set alpha 5 0 3\r\nabc\r\n");
    peek(["get alpha\r\n", "gets alpha\r\n", "set beta 0 0 1\r\nb\r\n", "mg alpha v\r\n", "get nothere\r\n", "get fill7\r\n"]);
    expect(ask("get alpha\r\n")).toBe("VALUE alpha 5 3\r\nabc\r\nEND\r\n");
    expect(ask("get nothere\r\n")).toBe("END\r\n");
    expect(ask("get fill7\r\n")).toBe("VALUE fill7 0 1\r\nx\r\nEND\r\n");
  });
  it("takes hostile spans without a trap", () => {
    const spans: string[] = [
      "", "g", "get", "get ", "get \r\n", "get " + "k".repeat(300), "get " + "k".repeat(250) + "\r\n",
      "gets\r\n\r\n", "mg", "\x00\x00\x00\x00\x00\x00\x00\x00",
    ];
    peek(spans);
    // more spans than one warming pass takes: the rest are ignored
    const many: string[] = [];
    for (let i = 0; i < 100; i++) many.push("get fill" + i.toString() + "\r\n");
    peek(many);
    expect(ask("get alpha\r\n")).toBe("VALUE alpha 5 3\r\nabc\r\nEND\r\n");
  });
});
