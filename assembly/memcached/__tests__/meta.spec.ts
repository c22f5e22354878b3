// Meta commands (mg ms md ma mn me), answers as memcached 1.6.18 gives them
// (checked against it; test/differential/meta.test.ts compares whole runs).
import { advance, ask, feed, feedSteps, reopen, setup, take, tx_window } from "./harness";

function fresh(): void {
  ask("flush_all\r\n");
  advance(2);
  reopen(0);
}

/** Runs lines on one connection and returns everything answered. */
function run(req: string): string {
  reopen(0);
  feed(0, req);
  return take(0);
}

describe("mn and me", () => {
  setup();
  it("mn answers MN whatever follows", () => {
    expect(ask("mn\r\n")).toBe("MN\r\n");
    expect(ask("mn extra\r\n")).toBe("MN\r\n");
  });
  it("me describes an item in memcached's figures", () => {
    fresh();
    expect(ask("me nokey\r\n")).toBe("EN\r\n");
    expect(ask("me\r\n")).toBe("CLIENT_ERROR bad command line format\r\n");
    expect(ask("ms f5 1 F5\r\n1\r\n")).toBe("HD\r\n");
    const me = ask("me f5\r\n");
    expect(me.startsWith("ME f5 exp=-1 la=0 cas=")).toBe(true);
    expect(me.endsWith(" fetch=no cls=1 size=66\r\n")).toBe(true);
    ask("ms m2 5000\r\n" + "x".repeat(5000) + "\r\n");
    ask("mg m2\r\n");
    expect(ask("me m2\r\n").endsWith(" fetch=yes cls=19 size=5061\r\n")).toBe(true);
  });
  it("me's exp= is memcached's current_time - exptime: the seconds left, negated", () => {
    fresh();
    expect(ask("ms t1 1 T100\r\n1\r\n")).toBe("HD\r\n");
    expect(ask("me t1\r\n").startsWith("ME t1 exp=-100 la=0 cas=")).toBe(true);
    advance(3);
    expect(ask("me t1\r\n").startsWith("ME t1 exp=-97 la=3 cas=")).toBe(true);
  });
  it("unknown m commands are ERROR", () => {
    expect(ask("mx\r\n")).toBe("ERROR\r\n");
    expect(ask("mgg a\r\n")).toBe("ERROR\r\n");
    expect(ask("mg\r\n")).toBe("ERROR\r\n");
    expect(ask("ms\r\n")).toBe("ERROR\r\n");
  });
});

describe("ms and mg", () => {
  setup();
  it("stores and returns with flags in token order", () => {
    fresh();
    expect(ask("ms foo 2 T0 F5 k O123\r\nhi\r\n")).toBe("HD kfoo O123\r\n");
    expect(ask("mg foo\r\n")).toBe("HD\r\n");
    expect(ask("mg foo v\r\n")).toBe("VA 2\r\nhi\r\n");
    expect(ask("mg foo s v f t k O9\r\n")).toBe("VA 2 s2 f5 t-1 kfoo O9\r\nhi\r\n");
    expect(ask("mg foo h\r\n")).toBe("HD h1\r\n");
  });
  it("h shows the fetched bit from before this fetch; u leaves it", () => {
    fresh();
    ask("ms a 1\r\n1\r\n");
    expect(ask("mg a h u\r\n")).toBe("HD h0\r\n");
    expect(ask("mg a h\r\n")).toBe("HD h0\r\n");
    expect(ask("mg a h\r\n")).toBe("HD h1\r\n");
  });
  it("T sets the TTL in token order", () => {
    fresh();
    ask("ms g 1 T0\r\n1\r\n");
    expect(ask("mg g T100 t\r\n")).toBe("HD t100\r\n");
    expect(ask("mg g t T0\r\n")).toBe("HD t100\r\n");
    expect(ask("mg g t\r\n")).toBe("HD t-1\r\n");
  });
  it("quiet mode hides misses and nominal stores; mn ends the pipeline", () => {
    fresh();
    expect(run("mg nokey q v\r\nms p 1 q\r\na\r\nms p 1 ME q\r\nb\r\nmg p q v\r\nmn\r\n"))
      .toBe("NS\r\nVA 1\r\na\r\nMN\r\n");
    expect(run("md nokey q\r\nma nokey q\r\nmd p q\r\nmn\r\n")).toBe("NF\r\nNF\r\nMN\r\n");
  });
  it("ms modes", () => {
    fresh();
    expect(ask("ms m 1 ME\r\na\r\n")).toBe("HD\r\n");
    expect(ask("ms m 1 ME\r\na\r\n")).toBe("NS\r\n");
    expect(ask("ms m 1 MA\r\nz\r\n")).toBe("HD\r\n");
    expect(ask("ms m 1 MP\r\n<\r\n")).toBe("HD\r\n");
    expect(ask("ms m 1 MS\r\n=\r\n")).toBe("HD\r\n");
    expect(ask("ms m 1 MR k\r\nr\r\n")).toBe("HD km\r\n");
    expect(ask("ms nope 1 MR k\r\nx\r\n")).toBe("NS knope\r\n");
    expect(ask("ms nope 1 MA\r\nx\r\n")).toBe("NS\r\n");
    expect(ask("ms m 1 Ms\r\nx\r\n")).toBe("CLIENT_ERROR invalid mode for ms M token\r\n");
    expect(ask("mg m v\r\n")).toBe("VA 1\r\nr\r\n");
  });
  it("CAS checks (C) on set and append", () => {
    fresh();
    ask("ms c 1\r\n1\r\n");
    expect(ask("ms c 1 C1\r\n2\r\n")).toBe("EX\r\n");
    expect(ask("ms nocas 1 C5\r\n2\r\n")).toBe("NF\r\n");
    expect(ask("ms c 1 MA C1\r\n2\r\n")).toBe("EX\r\n");
    expect(ask("mg c v\r\n")).toBe("VA 1\r\n1\r\n");
  });
  it("errors, with the value skipped once the length is known", () => {
    fresh();
    expect(ask("ms foo 1 MX\r\n1\r\nmn\r\n")).toBe("CLIENT_ERROR invalid mode for ms M token\r\nMN\r\n");
    expect(ask("ms foo 1 zz\r\n1\r\nmn\r\n")).toBe("CLIENT_ERROR invalid flag\r\nMN\r\n");
    expect(ask("ms foo x\r\n1\r\n")).toBe("CLIENT_ERROR bad command line format\r\nERROR\r\n");
    expect(ask("ms foo 1 q\r\n1x\r\n")).toBe("CLIENT_ERROR bad data chunk\r\nERROR\r\n");
    expect(ask("mg foo v v\r\n")).toBe("CLIENT_ERROR duplicate flag\r\n");
    expect(ask("mg foo E5\r\n")).toBe("CLIENT_ERROR invalid flag\r\n");
    expect(ask("mg foo Tx\r\n")).toBe("CLIENT_ERROR bad token in command line format\r\n");
    expect(ask("mg foo O" + "x".repeat(32) + "\r\n")).toBe("CLIENT_ERROR opaque token too long\r\n");
    expect(ask("mg foo a b c d e f g h i j k l m n o p q r s\r\n")).toBe("CLIENT_ERROR options flags are too long\r\n");
    expect(ask("md foo a b c d e f g h i j k l m n o p q r s\r\n")).toBe("CLIENT_ERROR options flags too long\r\n");
    expect(ask("md foo x\r\n")).toBe("CLIENT_ERROR invalid or duplicate flag\r\n");
    expect(ask("mg " + "k".repeat(251) + "\r\n")).toBe("CLIENT_ERROR bad command line format\r\n");
  });
  it("a length past INT_MAX - 2 is a bad command line, nothing swallowed", () => {
    fresh();
    expect(ask("ms k -2147483649\r\nhi\r\nmn\r\n")).toBe("CLIENT_ERROR bad command line format\r\nERROR\r\nMN\r\n");
    expect(ask("ms k 2147483646\r\nhi\r\nmn\r\n")).toBe("CLIENT_ERROR bad command line format\r\nERROR\r\nMN\r\n");
    expect(ask("ms k 2147483647 T0 F1\r\nhi\r\nmn\r\n")).toBe("CLIENT_ERROR bad command line format\r\nERROR\r\nMN\r\n");
    expect(ask("ms k 4294967298\r\nhi\r\nmn\r\n")).toBe("HD\r\nMN\r\n"); // truncated to 2, as strtol into int32
  });
  it("C0 with I is a CAS that never matches, not a stale store", () => {
    fresh();
    ask("ms n 1\r\na\r\n");
    expect(ask("ms n 1 I C0\r\nb\r\n")).toBe("EX\r\n");
    expect(ask("ms n 1 I C0 MR\r\nb\r\n")).toBe("EX\r\n");
    expect(ask("ms nx 1 I C0\r\nb\r\n")).toBe("NF\r\n");
    expect(ask("mg n v\r\n")).toBe("VA 1\r\na\r\n");
  });
  it("streams a value larger than the output space", () => {
    fresh();
    const v = "0123456789".repeat(2000);
    expect(ask("ms big 20000\r\n" + v + "\r\n")).toBe("HD\r\n");
    tx_window(1024);
    reopen(0);
    feed(0, "mg big s v\r\nmn\r\n");
    tx_window(0x7fffffff);
    expect(take(0)).toBe("VA 20000 s20000\r\n" + v + "\r\nMN\r\n");
  });
});

describe("mg R with a T that expires the item", () => {
  setup();
  it("wins (W) like memcached, and the item is gone after", () => {
    fresh();
    ask("ms rk 2\r\nhi\r\n");
    expect(ask("mg rk t T-1 R5000 v\r\n")).toBe("VA 2 t-1 W\r\nhi\r\n");
    expect(ask("mg rk t v\r\n")).toBe("EN\r\n");
    ask("ms rk 2\r\nhi\r\n");
    expect(ask("mg rk t T2592001 R5000 v\r\n")).toBe("VA 2 t-1 W\r\nhi\r\n");
    ask("ms rk 2\r\nhi\r\n");
    expect(ask("mg rk T100 R5000\r\n")).toBe("HD W\r\n");
    expect(ask("mg rk t R5000\r\n")).toBe("HD t100 Z\r\n");
  });
  it("R sees the TTL as the flags before it left it, in token order", () => {
    fresh();
    ask("ms rq1 2\r\nhi\r\n");
    expect(ask("mg rq1 R5000 T100\r\n")).toBe("HD\r\n");
    expect(ask("mg rq1 R500 v T-1 l\r\n")).toBe("VA 2 l0 W\r\nhi\r\n");
    expect(ask("mg rq1 t\r\n")).toBe("EN\r\n");
    ask("ms rq2 2 T100\r\nhi\r\n");
    expect(ask("mg rq2 R5000 T0\r\n")).toBe("HD W\r\n");
    expect(ask("mg rq2 T0 R5000\r\n")).toBe("HD Z\r\n");
    ask("ms rq3 2\r\nhi\r\n");
    expect(ask("mg rq3 R500 v T-1 l\r\n")).toBe("VA 2 l0\r\nhi\r\n");
  });
});

describe("mg with an opaque too long", () => {
  setup();
  it("keeps what memcached's flag loop did before the opaque: N's item, T and N's TTL", () => {
    fresh();
    const O34 = "O" + "o".repeat(34);
    const LONG = "CLIENT_ERROR opaque token too long\r\n";
    expect(ask("mg nk6 N100000 " + O34 + "\r\n")).toBe(LONG);
    expect(ask("mg nk6 t s v\r\n")).toBe("VA 0 t100000 s0\r\n\r\n");
    expect(ask("mg nk7 " + O34 + " N100000\r\n")).toBe(LONG);
    expect(ask("mg nk7 s v t\r\n")).toBe("VA 0 s0 t-1\r\n\r\n");
    expect(ask("mg nk3 " + O34 + "\r\n")).toBe(LONG);
    expect(ask("mg nk3\r\n")).toBe("EN\r\n");
    ask("ms nk8 2\r\nhi\r\n");
    expect(ask("mg nk8 T100 " + O34 + "\r\n")).toBe(LONG);
    expect(ask("mg nk8 t\r\n")).toBe("HD t100\r\n");
    expect(ask("mg nk8 " + O34 + " T200\r\n")).toBe(LONG);
    expect(ask("mg nk8 t\r\n")).toBe("HD t100\r\n");
    expect(ask("mg nk9 " + O34 + " N100000 q\r\n")).toBe(LONG);
    expect(ask("mg nk9 t h\r\n")).toBe("HD t-1 h0\r\n");
  });
});

describe("ma with T", () => {
  setup();
  it("sets the TTL when the result fits the old value, loses it when it grows (a new item, as memcached makes)", () => {
    fresh();
    ask("ms a1 1\r\n5\r\n");
    expect(ask("ma a1 T86400 D3\r\n")).toBe("HD\r\n");
    expect(ask("mg a1 t v\r\n")).toBe("VA 1 t86400\r\n8\r\n");
    ask("ms a2 1\r\n5\r\n");
    expect(ask("ma a2 v T86400 N100000 D2783580004\r\n")).toBe("VA 10\r\n2783580009\r\n");
    expect(ask("mg a2 t\r\n")).toBe("HD t-1\r\n");
    expect(ask("ma a3 v T86400 N100000 J13\r\n")).toBe("VA 2\r\n13\r\n");
    expect(ask("mg a3 t\r\n")).toBe("HD t100000\r\n");
  });
});

describe("ms errors in memcached's order", () => {
  setup();
  it("a bad mode wins over an opaque too long, in either order, and the value is swallowed", () => {
    fresh();
    const O33 = "O" + "o".repeat(33);
    expect(ask("ms qq 2 c MD " + O33 + "\r\nhi\r\n")).toBe("CLIENT_ERROR invalid mode for ms M token\r\n");
    expect(ask("ms qq 2 " + O33 + " MD\r\nhi\r\n")).toBe("CLIENT_ERROR invalid mode for ms M token\r\n");
    expect(ask("ms qq 2 " + O33 + " MS\r\nhi\r\n")).toBe("CLIENT_ERROR opaque token too long\r\n");
    expect(ask("mg qq\r\n")).toBe("EN\r\n");
  });
});

describe("base64 keys", () => {
  setup();
  it("decodes b keys and answers k in base64 for items stored so", () => {
    fresh();
    expect(ask("ms Zm9v 2 b k\r\nhi\r\n")).toBe("HD kZm9v b\r\n");
    expect(ask("mg Zm9v b k v\r\n")).toBe("VA 2 kZm9v b\r\nhi\r\n");
    expect(ask("mg foo k\r\n")).toBe("HD kZm9v b\r\n");
    expect(ask("mg foo b\r\n")).toBe("CLIENT_ERROR error decoding key\r\n");
    // me has its own message for a key that does not decode
    expect(ask("me !!!! b\r\n")).toBe("CLIENT_ERROR bad command line format\r\n");
    expect(ask("me Zm9 b\r\n")).toBe("CLIENT_ERROR bad command line format\r\n");
    expect(ask("md Zm9v b k\r\n")).toBe("HD kZm9v b\r\n");
    expect(ask("mg foo\r\n")).toBe("EN\r\n");
  });
});

describe("md, stale, win, vivify", () => {
  setup();
  it("md deletes; q hides HD only", () => {
    fresh();
    ask("ms d 1\r\n1\r\n");
    expect(ask("md d O5 k\r\n")).toBe("HD O5 kd\r\n");
    expect(ask("md d O5 k\r\n")).toBe("NF O5 kd\r\n");
    expect(ask("md d q\r\n")).toBe("NF\r\n");
  });
  it("md I marks stale; the first fetch wins, then Z; a newer set clears it", () => {
    fresh();
    ask("ms s 3 T100\r\nabc\r\n");
    expect(ask("md s I T30\r\n")).toBe("HD\r\n");
    expect(ask("mg s v t\r\n")).toBe("VA 3 t30 X W\r\nabc\r\n");
    expect(ask("mg s v\r\n")).toBe("VA 3 Z X\r\nabc\r\n");
    expect(ask("ms s 3 C1 I\r\nxyz\r\n")).toBe("HD\r\n");
    expect(ask("mg s v\r\n")).toBe("VA 3 Z X\r\nxyz\r\n");
    expect(ask("ms s 3\r\nfin\r\n")).toBe("HD\r\n");
    expect(ask("mg s v\r\n")).toBe("VA 3\r\nfin\r\n");
  });
  it("R wins a recache below the TTL, once", () => {
    fresh();
    ask("ms r 1 T50\r\n1\r\n");
    expect(ask("mg r R30 t\r\n")).toBe("HD t50\r\n");
    expect(ask("mg r R60\r\n")).toBe("HD W\r\n");
    expect(ask("mg r R60\r\n")).toBe("HD Z\r\n");
  });
  it("N vivifies a miss: W for the creator, Z after", () => {
    fresh();
    expect(ask("mg v1 N30 v t\r\n")).toBe("VA 0 t30 W\r\n\r\n");
    expect(ask("mg v1 N30 v t\r\n")).toBe("VA 0 t30 Z\r\n\r\n");
    expect(ask("ms v1 1\r\nx\r\n")).toBe("HD\r\n");
    expect(ask("mg v1 N30 v\r\n")).toBe("VA 1\r\nx\r\n");
  });
  it("N and T set a created item's TTL in token order", () => {
    fresh();
    expect(ask("mg vx N30 T60 t\r\n")).toBe("HD t60 W\r\n");
    expect(ask("mg vx t\r\n")).toBe("HD t60 Z\r\n");
    expect(ask("mg vy T60 N30 t\r\n")).toBe("HD t30 W\r\n");
    expect(ask("mg vy t\r\n")).toBe("HD t30 Z\r\n");
    expect(ask("mg vz t N30 T60\r\n")).toBe("HD t-1 W\r\n");
    expect(ask("mg vz t\r\n")).toBe("HD t60 Z\r\n");
  });
});

describe("ma", () => {
  setup();
  it("increments, decrements, vivifies", () => {
    fresh();
    ask("ms n 2\r\n10\r\n");
    expect(ask("ma n\r\n")).toBe("HD\r\n");
    expect(ask("ma n v\r\n")).toBe("VA 2\r\n12\r\n");
    expect(ask("ma n v t O1 k MD D5\r\n")).toBe("VA 1 t-1 O1 kn\r\n7\r\n");
    expect(ask("ma n MD D100 v\r\n")).toBe("VA 1\r\n0\r\n");
    expect(ask("ma n M+ D18446744073709551615 v\r\n")).toBe("VA 20\r\n18446744073709551615\r\n");
    expect(ask("ma n Mi\r\n")).toBe("CLIENT_ERROR invalid mode for ma M token\r\n");
    expect(ask("ma nokey O1 k\r\n")).toBe("NF O1 knokey\r\n");
    expect(ask("ma viv N0 J5 v\r\n")).toBe("VA 1\r\n5\r\n");
    expect(ask("ma viv N0 J5 v\r\n")).toBe("VA 1\r\n6\r\n");
    expect(ask("ma viv3 N100 t\r\n")).toBe("HD t100\r\n");
    expect(ask("ma viv2 N0 J5 t T30\r\n")).toBe("HD t-1\r\n");
    expect(ask("mg viv2 t\r\n")).toBe("HD t30\r\n");
    expect(ask("ma n C1\r\n")).toBe("EX\r\n");
    expect(ask("ma n Dx\r\n")).toBe("CLIENT_ERROR invalid or duplicate flag\r\n");
    ask("ms t 1\r\nx\r\n");
    expect(ask("ma t\r\n")).toBe("CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
  });
  it("reports errors in memcached's order: an empty value before the CAS, the opaque after the delta", () => {
    fresh();
    const O = "O" + "x".repeat(40);
    const NN = "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n";
    const LONG = "CLIENT_ERROR opaque token too long\r\n";
    ask("ms e 0\r\n\r\n");
    expect(ask("ma e C1\r\n")).toBe(NN);
    expect(ask("ma e C1 " + O + "\r\n")).toBe(NN);
    ask("ms t 3\r\nabc\r\n");
    expect(ask("ma t C1\r\n")).toBe("EX\r\n"); // a value: the CAS first
    expect(ask("ma t " + O + "\r\n")).toBe(NN);
    expect(ask("ma t C1 " + O + "\r\n")).toBe(LONG);
    expect(ask("ma none " + O + "\r\n")).toBe(LONG);
    // the delta is done before the opaque is refused, and a T before it applies
    ask("ms n 1\r\n5\r\n");
    expect(ask("ma n T100 " + O + "\r\n")).toBe(LONG);
    expect(ask("mg n v t\r\n")).toBe("VA 1 t100\r\n6\r\n");
    expect(ask("ma viv N0 J3 " + O + "\r\n")).toBe(LONG);
    expect(ask("mg viv v\r\n")).toBe("VA 1\r\n3\r\n");
  });
  it("a chunked-size value is non-numeric before the CAS", () => {
    fresh();
    // memcached chunks items over 524288 bytes (56 header + key + NUL + value + CRLF)
    ask("ms cv 524228\r\n" + "x".repeat(524228) + "\r\n");
    expect(ask("ma cv C1\r\n")).toBe("CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
    ask("ms cw 524227\r\n" + "x".repeat(524227) + "\r\n");
    expect(ask("ma cw C1\r\n")).toBe("EX\r\n");
  });
});

const SCRIPT =
  "ms a 5 k O1 T0\r\nhello\r\n" +
  "mg a v s k\r\n" +
  "mg nokey q v\r\n" +
  "ms Zm9v 3 b k\r\nbar\r\n" +
  "mg foo k v\r\n" +
  "ms n 1\r\n9\r\n" +
  "ma n v\r\n" +
  "md a q\r\n" +
  "mg a\r\n" +
  "ms x 1 MX\r\n1\r\n" +
  "me nokey\r\n" +
  "mn\r\n";
const EXPECTED =
  "HD ka O1\r\nVA 5 s5 ka\r\nhello\r\nHD kZm9v b\r\nVA 3 kZm9v b\r\nbar\r\nHD\r\nVA 2\r\n10\r\nEN\r\n" +
  "CLIENT_ERROR invalid mode for ms M token\r\nEN\r\nMN\r\n";

describe("split input", () => {
  setup();
  it("answers the script whole", () => {
    fresh();
    feed(0, SCRIPT);
    expect(take(0)).toBe(EXPECTED);
  });
  it("answers the same when cut at every byte", () => {
    let bad = -1;
    for (let cut = 1; cut < SCRIPT.length; cut++) {
      fresh();
      feed(0, SCRIPT.substring(0, cut));
      feed(0, SCRIPT.substring(cut));
      if (take(0) != EXPECTED) { bad = cut; break; }
    }
    expect(bad).toBe(-1);
  });
  it("answers the same byte by byte with a 1 KiB output window", () => {
    fresh();
    tx_window(1024);
    feedSteps(0, SCRIPT, 1);
    tx_window(0x7fffffff);
    expect(take(0)).toBe(EXPECTED);
  });
});
