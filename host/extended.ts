// -o: memcached 1.6's extended options, a comma list of name or name=value.
// Every option memcached 1.6.18 knows is accepted with memcached's own value
// checks and messages; the few with an equivalent here are returned for the
// host to honour (lru crawler, slab_automove), the rest change nothing (this
// store has no slabs, LRU segments or hash table to size). A name memcached
// does not know is refused as memcached refuses it: `Illegal suboption "name"`.
// External storage (ext_*) and TLS (ssl_*) are features wasmcached does not
// have: refused with the message of a memcached built without them, which is
// the same.
import { UsageError } from "./errors.js";

/** What -o changes here: undefined = memcached's default. */
export interface ExtendedOptions {
  /** no_lru_crawler (or no_modern): the crawler off; lru_crawler: on. */
  readonly lruCrawler: boolean | undefined;
  /** lru_crawler_sleep, microseconds (0..1000000). */
  readonly lruCrawlerSleep: number | undefined;
  /** lru_crawler_tocrawl. */
  readonly lruCrawlerTocrawl: number | undefined;
  /** slab_automove[=0|1|2], no_slab_automove, no_modern. */
  readonly slabAutomove: number | undefined;
  /** Every option given, in order, as name or name=value (for -vv and tests). */
  readonly given: readonly string[];
}

export const NO_EXTENDED: ExtendedOptions = Object.freeze({
  lruCrawler: undefined, lruCrawlerSleep: undefined, lruCrawlerTocrawl: undefined, slabAutomove: undefined, given: Object.freeze([]),
});

const fail = (message: string): never => {
  throw new UsageError("ERR_EXTENDED_OPTION", message);
};

/** C's atoi: optional sign, leading digits, 0 when none. */
function atoi(text: string): number {
  const m = /^\s*([+-]?\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}

/** C's atof, as far as memcached's checks need it. */
function atof(text: string): number {
  const m = /^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/.exec(text);
  return m ? Number(m[1]) : 0;
}

/** memcached's safe_strtoul: the whole text a 32-bit unsigned number. */
function strtoul(text: string): number | undefined {
  if (!/^\s*\d+\s*$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 0xffffffff ? n : undefined;
}

/** memcached's safe_strtol. */
function strtol(text: string): number | undefined {
  if (!/^\s*[+-]?\d+\s*$/.test(text)) return undefined;
  const n = Number(text);
  return n >= -0x80000000 && n <= 0x7fffffff ? n : undefined;
}

type Check = (value: string | undefined, out: Mutable) => void;
type Mutable = { -readonly [K in keyof ExtendedOptions]: ExtendedOptions[K] } & {
  /** memcached's cross-checks after the list: LRU percentages (defaults 20 and 40), temporary_ttl's LRU maintainer. */
  hotPct: number;
  warmPct: number;
  tempLru: boolean;
  lruMaintainer: boolean;
};

/** A value is required: memcached's "Missing ..." message when absent. */
const needs = (missing: string, then: (v: string, out: Mutable) => void = () => {}): Check => (value, out) => {
  if (value === undefined) fail(missing);
  else then(value, out);
};
const flag: Check = () => {};
const unsigned = (name: string, missing: string): Check => needs(missing, (v) => {
  if (strtoul(v) === undefined) fail(`could not parse argument to ${name}`);
});

/** memcached.c's subopts_tokens (1.6.18, without PROXY and MEMCACHED_DEBUG), with each one's checks. */
const OPTIONS: Readonly<Record<string, Check>> = {
  maxconns_fast: flag,
  hashpower: needs("Missing numeric argument for hashpower", (v) => {
    const n = atoi(v);
    if (n < 12) fail(`Initial hashtable multiplier of ${n} is too low`);
    if (n > 32) fail(`Initial hashtable multiplier of ${n} is too high\nChoose a value based on "STAT hash_power_level" from a running instance`);
  }),
  no_hashexpand: flag,
  slab_reassign: flag,
  slab_automove: (v, out) => {
    if (v === undefined) {
      out.slabAutomove = 1;
      return;
    }
    const n = atoi(v);
    if (n < 0 || n > 2) fail("slab_automove must be between 0 and 2");
    out.slabAutomove = n;
  },
  slab_automove_ratio: needs("Missing slab_automove_ratio argument", (v) => {
    const r = atof(v);
    if (r <= 0 || r > 1) fail("slab_automove_ratio must be > 0 and < 1");
  }),
  slab_automove_window: needs("Missing slab_automove_window argument", (v) => {
    if (atoi(v) < 3) fail("slab_automove_window must be > 2");
  }),
  tail_repair_time: needs("Missing numeric argument for tail_repair_time", (v) => {
    if (atoi(v) < 10) fail("Cannot set tail_repair_time to less than 10 seconds");
  }),
  hash_algorithm: needs("Missing hash_algorithm argument", (v) => {
    if (!["jenkins", "murmur3", "xxh3"].includes(v)) fail("Unknown hash_algorithm option (jenkins, murmur3, xxh3)");
  }),
  lru_crawler: (_, out) => {
    out.lruCrawler = true;
  },
  lru_crawler_sleep: needs("Missing lru_crawler_sleep value", (v, out) => {
    const n = atoi(v);
    if (n > 1000000 || n < 0) fail("LRU crawler sleep must be between 0 and 1 second");
    out.lruCrawlerSleep = n;
  }),
  lru_crawler_tocrawl: needs("Missing lru_crawler_tocrawl value", (v, out) => {
    const n = strtoul(v);
    if (n === undefined) fail("lru_crawler_tocrawl takes a numeric 32bit value");
    out.lruCrawlerTocrawl = n;
  }),
  lru_maintainer: (_, out) => {
    out.lruMaintainer = true;
  },
  hot_lru_pct: needs("Missing hot_lru_pct argument", (v, out) => {
    const n = atoi(v);
    if (n < 1 || n >= 80) fail("hot_lru_pct must be > 1 and < 80");
    out.hotPct = n;
  }),
  warm_lru_pct: needs("Missing warm_lru_pct argument", (v, out) => {
    const n = atoi(v);
    if (n < 1 || n >= 80) fail("warm_lru_pct must be > 1 and < 80");
    out.warmPct = n;
  }),
  hot_max_factor: needs("Missing hot_max_factor argument", (v) => {
    if (atof(v) <= 0) fail("hot_max_factor must be > 0");
  }),
  warm_max_factor: needs("Missing warm_max_factor argument", (v) => {
    if (atof(v) <= 0) fail("warm_max_factor must be > 0");
  }),
  temporary_ttl: needs("Missing temporary_ttl argument", (_, out) => {
    out.tempLru = true;
  }),
  idle_timeout: needs("Missing numeric argument for idle_timeout"),
  watcher_logbuf_size: unsigned("watcher_logbuf_size", "Missing watcher_logbuf_size argument"),
  worker_logbuf_size: unsigned("worker_logbuf_size", "Missing worker_logbuf_size argument"),
  slab_sizes: needs("Missing slab_sizes argument"),
  slab_chunk_max: needs("Missing slab_chunk_max argument", (v) => {
    if (strtol(v) === undefined) fail("could not parse argument to slab_chunk_max");
  }),
  track_sizes: flag,
  no_inline_ascii_resp: flag,
  modern: flag,
  no_modern: (_, out) => {
    out.slabAutomove = 0;
    out.lruCrawler = false;
    out.lruMaintainer = false;
  },
  no_chunked_items: flag,
  no_slab_reassign: flag,
  no_slab_automove: (_, out) => {
    out.slabAutomove = 0;
  },
  no_maxconns_fast: flag,
  inline_ascii_resp: flag,
  no_lru_crawler: (_, out) => {
    out.lruCrawler = false;
  },
  no_lru_maintainer: (_, out) => {
    out.lruMaintainer = false;
  },
  no_drop_privileges: flag,
  drop_privileges: flag,
  resp_obj_mem_limit: flag,
  read_buf_mem_limit: needs("Missing read_buf_mem_limit argument", (v) => {
    if (strtoul(v) === undefined) fail("could not parse argument to read_buf_mem_limit");
  }),
  sock_cookie_id: flag,
};

/** Options memcached accepts with a warning, and the warning. */
const DEPRECATED: Readonly<Record<string, string>> = {
  resp_obj_mem_limit: "DEPRECATED: resp_obj_mem_limit no longer used. See read_buf_mem_limit,",
};

/**
 * Parses every -o value (the flag may repeat) as memcached does (getsubopt:
 * commas separate, the first '=' splits name and value). Returns what to
 * honour, and memcached's warnings. Throws UsageError with memcached's message.
 */
export function parseExtended(values: readonly string[]): { options: ExtendedOptions; warnings: string[] } {
  if (values.length === 0) return { options: NO_EXTENDED, warnings: [] };
  const out: Mutable = { ...NO_EXTENDED, given: [], hotPct: 20, warmPct: 40, tempLru: false, lruMaintainer: true };
  const given: string[] = [];
  const warnings: string[] = [];
  for (const list of values) {
    const tokens = list.split(",");
    if (tokens[tokens.length - 1] === "") tokens.pop(); // getsubopt stops at the end of the string: "a," is "a"
    for (const token of tokens) {
      const eq = token.indexOf("=");
      const name = eq < 0 ? token : token.slice(0, eq);
      const value = eq < 0 ? undefined : token.slice(eq + 1);
      const check = Object.hasOwn(OPTIONS, name) ? OPTIONS[name] : undefined;
      if (check === undefined) fail(`Illegal suboption "${token}"`);
      else check(value, out);
      if (Object.hasOwn(DEPRECATED, name)) warnings.push(DEPRECATED[name]);
      given.push(token);
    }
  }
  if (out.hotPct + out.warmPct > 80) fail("hot_lru_pct + warm_lru_pct cannot be more than 80% combined");
  if (out.tempLru && !out.lruMaintainer) fail("temporary_ttl requires lru_maintainer to be enabled");
  const options: ExtendedOptions = {
    lruCrawler: out.lruCrawler, lruCrawlerSleep: out.lruCrawlerSleep, lruCrawlerTocrawl: out.lruCrawlerTocrawl,
    slabAutomove: out.slabAutomove, given: Object.freeze(given),
  };
  return { options: Object.freeze(options), warnings };
}
