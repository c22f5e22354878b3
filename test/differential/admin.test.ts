// The admin surface against Debian's memcached 1.6.18 (docs/memcached-text.md):
// lru_crawler, slabs, stats sizes / settings, byte for byte where nothing
// describes the process; and memcached's own memcached-tool (Perl, from
// Debian's memcached package) end to end: dump, keys, display, stats,
// settings. Needs memcached and perl: fails without them.
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireTool, startServer, type ServerHandle } from "../support/server.mjs";
import { RawClient } from "../support/raw-client.js";

const ARGS = ["-m", "64", "-t", "1"];
const TOOL = "/usr/share/memcached/scripts/memcached-tool";
let ref: ServerHandle;
let sub: ServerHandle;

beforeAll(async () => {
  requireTool("memcached", "apt-get install memcached");
  requireTool("perl");
  ref = await startServer("memcached", ARGS);
  sub = await startServer("wasmcached", ARGS);
}, 60_000);

afterAll(async () => {
  await sub?.stop();
  await ref?.stop();
});

/** Each command on one connection, each answer read up to its terminator (a line, or END for listings). */
async function ask(port: number, commands: readonly string[]): Promise<string[]> {
  const c = await RawClient.connect(port);
  try {
    const out: string[] = [];
    for (const cmd of commands) {
      // a listing (metadump lines, STAT lines) ends at END; any other answer is one line
      await c.send(cmd + "\r\n");
      const done = (b: Buffer) => {
        const t = b.toString("latin1");
        if (!t.endsWith("\r\n")) return false;
        return !/^(key=|STAT )/.test(t) || t.endsWith("END\r\n");
      };
      out.push((await c.readUntil(done, 5000)).toString("latin1"));
    }
    return out;
  } finally {
    c.close();
  }
}

const both = async (commands: readonly string[]) => [await ask(ref.port, commands), await ask(sub.port, commands)];
/** metadump lines with their times masked, sorted (memcached walks its LRUs; we walk the hash index). */
const dumpShape = (s: string) => s.replace(/ (exp|la)=\d+/g, " $1=T").split("\n").sort().join("\n");

describe("admin commands, memcached vs wasmcached", () => {
  it("lru_crawler, slabs and stats sizes answer alike, byte for byte", async () => {
    const cmds = [
      "lru_crawler metadump all", "lru_crawler metadump 0", "lru_crawler metadump 64", "lru_crawler metadump a", "lru_crawler metadump 63",
      "lru_crawler metadump", "lru_crawler crawl all", "lru_crawler crawl 1,2", "lru_crawler crawl 99", "lru_crawler tocrawl x",
      "lru_crawler tocrawl 5", "lru_crawler sleep 2000000", "lru_crawler sleep 100", "lru_crawler enable", "lru_crawler disable",
      "lru_crawler disable", "lru_crawler metadump all", "lru_crawler crawl all", "lru_crawler enable", "lru_crawler bogus", "lru_crawler",
      "slabs automove 2", "slabs automove 3", "slabs automove x", "slabs automove 0", "slabs automove", "slabs", "stats sizes",
    ];
    // memcached answers BUSY to a crawl while its first one still runs: let it finish (bounded) first
    const split = cmds.indexOf("lru_crawler crawl all") + 1;
    const [a1, b1] = await both(cmds.slice(0, split));
    for (let i = 0; i < 100 && !/STAT lru_crawler_running 0\r\n/.test((await ask(ref.port, ["stats"]))[0]); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const [a2, b2] = await both(cmds.slice(split));
    expect([...b1, ...b2]).toEqual([...a1, ...a2]);
  });

  it("lru_crawler metadump: a line per live item, then END; memcached's size and class", async () => {
    const setup = ["set a 0 0 1\r\nx", "set spaced%20é 5 100 5\r\nhello", "set mid 0 0 5000\r\n" + "m".repeat(5000),
      "set big 0 0 600000\r\n" + "b".repeat(600000), "set gone 0 0 1\r\ng", "delete gone", "get a"];
    const [a, b] = await both([...setup, "lru_crawler metadump all", "lru_crawler metadump hash", "lru_crawler metadump 1,2"]);
    expect(b.slice(0, setup.length)).toEqual(a.slice(0, setup.length));
    for (let i = setup.length; i < a.length; i++) expect(dumpShape(b[i])).toBe(dumpShape(a[i]));
    expect(b[setup.length]).toMatch(/^key=spaced%2520%C3%A9 exp=(\d+) la=(\d+) cas=2 fetch=no cls=1 size=79\n/m);
    const m = /key=spaced\S+ exp=(\d+) la=(\d+)/.exec(b[setup.length])!;
    expect(Number(m[1]) - Number(m[2])).toBe(100);
    expect(Math.abs(Number(m[2]) - Date.now() / 1000)).toBeLessThan(5);
    expect(b[setup.length]).toMatch(/key=big exp=-1 la=\d+ cas=4 fetch=no cls=39 size=600062\n/);
    expect(b[setup.length]).toMatch(/key=a exp=-1 la=\d+ cas=1 fetch=yes cls=1 size=61\n/);
    expect(b[setup.length]).not.toMatch(/key=gone/);
  });

  it("stats settings: memcached's keys in its order; the values that differ are the true ones", async () => {
    const [[a], [b]] = await both(["stats settings"]);
    const lines = (s: string) => s.split("\r\n").filter((l) => l.startsWith("STAT "));
    const key = (l: string) => l.split(" ")[1];
    expect(lines(b).map(key)).toEqual(lines(a).map(key));
    const differ = lines(a).map((l, i) => [l, lines(b)[i]]).filter(([x, y]) => x !== y).map(([, y]) => y);
    // no slab classes to move pages between (slab_automove is what `slabs automove` last set, 0 at start;
    // memcached's 1), no LRU maintainer or segmented LRU (docs/store.md)
    const allowed = [`STAT tcpport ${sub.port}`, "STAT slab_reassign no", "STAT slab_automove 0", "STAT lru_maintainer_thread no", "STAT lru_segmented no"];
    expect(differ.filter((l) => !allowed.includes(l))).toEqual([]);
    expect(differ).toContain("STAT lru_segmented no");
  });
});

describe("meta return flags on failure paths, memcached vs wasmcached", () => {
  it("ms answers c0 when it stores nothing (EX on a CAS mismatch, NF, NS); md and ma as memcached", async () => {
    const cmds = ["ms mf 1 c\r\nx", "ms mf 1 c C999\r\nx", "ms mf 1 c C999 k O12\r\nx", "ms nokey 1 c C5\r\nx", "ms mf 1 c MA C999\r\nx",
      "ms mf 1 c ME\r\nx", "ms nokey 1 c MR\r\nx", "ms mf 1 I c C999\r\nx", "md mf C999 c k", "ma mf C999 c", "ma nokey c k", "mg nokey c k v"];
    const [a, b] = await both(cmds);
    expect(b).toEqual(a);
    expect(b[1]).toBe("EX c0\r\n");
  });
});

describe("memcached-tool (Debian's memcached package) against wasmcached", () => {
  const tool = (port: number, mode: string) => {
    const r = spawnSync("perl", [TOOL, `127.0.0.1:${port}`, mode], { encoding: "latin1", timeout: 15_000 });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout;
  };

  it("dump and keys list every item as memcached's do; display, stats and settings have its shape", async () => {
    const sets = ["set t1 3 0 2\r\nv1", "set t2 0 1000 3\r\nabc"];
    await both(sets);
    const blocks = (s: string) => s.split(/(?=^add )/m).sort();
    const mask = (s: string) => s.replace(/ \d{9,} /g, " T ");
    expect(blocks(mask(tool(sub.port, "dump")))).toEqual(blocks(mask(tool(ref.port, "dump"))));
    expect(tool(sub.port, "dump")).toMatch(/^add t1 3 0 2\r?\nv1\r?$/m);
    // memcached's own crawler sometimes leaves out an item its LRU maintainer is moving; ours lists each live one
    const keys = tool(sub.port, "keys");
    expect(keys.split("\n").filter(Boolean).map((l) => /^key=(\S+) /.exec(l)![1]).sort())
      .toEqual(["a", "big", "mf", "mid", "spaced%2520%C3%A9", "t1", "t2"]); // mf: the meta test's
    for (const line of tool(ref.port, "keys").split("\n").filter(Boolean)) expect(dumpShape(keys)).toContain(dumpShape(line));
    expect(tool(sub.port, "display")).toMatch(/^ {2}# {2}Item_Size {2}Max_age {3}Pages {3}Count {3}Full\? {2}Evicted Evict_Time OOM\n {2}1 /);
    const fields = (s: string) => s.split("\n").slice(1).map((l) => l.trim().split(/\s+/)[0]).filter(Boolean);
    expect(fields(tool(sub.port, "settings"))).toEqual(fields(tool(ref.port, "settings")));
    expect(fields(tool(sub.port, "stats")).length).toBeGreaterThan(60);
  });
});
