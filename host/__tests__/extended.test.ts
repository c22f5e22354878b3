// -o (host/extended.ts): memcached 1.6's extended options, checked against
// Debian's memcached 1.6.18 itself where they are refused.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import { NO_EXTENDED, parseExtended } from "../extended.js";

function refusal(list: string): string {
  try {
    parseExtended([list]);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as UsageError).message;
  }
  throw new Error(`-o ${list} was accepted`);
}

/** What memcached prints for `-o list` (it stops while parsing the flags, before it binds anything). */
function memcachedSays(list: string): string {
  const r = spawnSync("memcached", ["-o", list, "-u", "nobody", "-p", "0", "-U", "0", "-l", "127.0.0.1"], { encoding: "utf8", timeout: 5000 });
  if (r.error) throw r.error;
  expect([1, 64], `memcached -o ${list} exited ${r.status}`).toContain(r.status); // 64 (EX_USAGE) for the checks after the list
  return `${r.stdout}${r.stderr}`.trimEnd();
}

const REFUSED = [
  "foo", "foo,maxconns_fast", "maxconns_fast,bar=1", "=x", ",", "maxconns_fast,,modern", "proxy_config=x",
  "hashpower", "hashpower=5", "hashpower=33", "slab_automove=3", "slab_automove_ratio", "slab_automove_ratio=2",
  "slab_automove_window=2", "tail_repair_time", "tail_repair_time=9", "hash_algorithm", "hash_algorithm=md5",
  "lru_crawler_sleep", "lru_crawler_sleep=1000001", "lru_crawler_tocrawl", "lru_crawler_tocrawl=x",
  "hot_lru_pct", "hot_lru_pct=90", "warm_lru_pct=0", "hot_max_factor=0", "warm_max_factor", "temporary_ttl",
  "idle_timeout", "watcher_logbuf_size", "watcher_logbuf_size=x", "worker_logbuf_size=-1", "read_buf_mem_limit",
  "read_buf_mem_limit=x", "hot_lru_pct=50,warm_lru_pct=40", "no_lru_maintainer,temporary_ttl=10",
];

describe("-o", () => {
  it("is memcached's default when absent", () => {
    expect(parseExtended([])).toEqual({ options: NO_EXTENDED, warnings: [] });
  });

  it.each(REFUSED)("refuses -o %s with memcached's own message", (list) => {
    expect(refusal(list)).toBe(memcachedSays(list));
  });

  it("accepts every option memcached 1.6.18 knows (outside extstore and TLS)", () => {
    const all = [
      "maxconns_fast", "hashpower=16", "no_hashexpand", "slab_reassign", "slab_automove", "slab_automove_ratio=0.5",
      "slab_automove_window=30", "tail_repair_time=60", "hash_algorithm=xxh3", "lru_crawler", "lru_crawler_sleep=10",
      "lru_crawler_tocrawl=5", "lru_maintainer", "hot_lru_pct=20", "warm_lru_pct=40", "hot_max_factor=0.2",
      "warm_max_factor=2.0", "temporary_ttl=61", "idle_timeout=60", "watcher_logbuf_size=256", "worker_logbuf_size=64",
      "slab_sizes=96-192", "slab_chunk_max=16384", "track_sizes", "no_inline_ascii_resp", "inline_ascii_resp", "modern",
      "no_chunked_items", "no_slab_reassign", "no_slab_automove", "no_maxconns_fast", "no_lru_crawler",
      "no_drop_privileges", "drop_privileges", "read_buf_mem_limit=0", "sock_cookie_id=1",
    ];
    const { options, warnings } = parseExtended([all.join(",")]);
    expect(options.given).toEqual(all);
    expect(warnings).toEqual([]);
    expect(parseExtended(["no_modern"]).options.given).toEqual(["no_modern"]);
    expect(parseExtended(["maxconns_fast,"]).options.given).toEqual(["maxconns_fast"]);
    expect(parseExtended([""]).options.given).toEqual([]);
  });

  it("warns for resp_obj_mem_limit as memcached does", () => {
    expect(parseExtended(["resp_obj_mem_limit=1"]).warnings).toEqual(["DEPRECATED: resp_obj_mem_limit no longer used. See read_buf_mem_limit,"]);
  });

  it("returns what takes effect here: the crawler and slab_automove", () => {
    expect(parseExtended(["no_lru_crawler,lru_crawler_sleep=7,lru_crawler_tocrawl=9,slab_automove=2"]).options).toMatchObject({
      lruCrawler: false, lruCrawlerSleep: 7, lruCrawlerTocrawl: 9, slabAutomove: 2,
    });
    expect(parseExtended(["slab_automove"]).options.slabAutomove).toBe(1);
    expect(parseExtended(["no_slab_automove"]).options.slabAutomove).toBe(0);
    expect(parseExtended(["no_modern"]).options).toMatchObject({ lruCrawler: false, slabAutomove: 0 });
    expect(parseExtended(["no_lru_crawler,lru_crawler"]).options.lruCrawler).toBe(true);
  });

  it("refuses external storage and TLS as a memcached built without them does", () => {
    expect(refusal("ext_path=/tmp/x:64m")).toBe('Illegal suboption "ext_path=/tmp/x:64m"');
    expect(refusal("ssl_chain_cert=/etc/x.pem")).toBe('Illegal suboption "ssl_chain_cert=/etc/x.pem"');
  });
});
