import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  defaultThreads,
  formatIpv4,
  formatMac,
  kernelSideAddress,
  macFromIp,
  parseCli,
  parseIpPrefix,
  parseItemSize,
  parseMac,
} from "../cli.js";
import { EX_USAGE, UsageError } from "../errors.js";
import { NO_EXTENDED } from "../extended.js";
import { bundle, ensureBuilt } from "./support.js";

function run(argv: string[], cpus = 8) {
  const r = parseCli(argv, cpus);
  if (r.kind !== "run") throw new Error(`expected a config, got ${r.kind}`);
  return r.config;
}

function usageError(argv: string[]): UsageError {
  try {
    parseCli(argv, 8);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(EX_USAGE);
    return err as UsageError;
  }
  throw new Error(`${argv.join(" ")} was accepted`);
}

describe("parseCli", () => {
  it("fills in memcached's defaults and freezes the config", () => {
    const c = run([]);
    expect(c).toEqual({
      port: 11211,
      listen: "127.0.0.1",
      memoryLimitMb: 64,
      maxBytes: 64 * 1048576,
      connLimit: 1024,
      threads: 4,
      itemSizeMax: 1048576,
      verbosity: 0,
      faults: undefined,
      app: "memcached",
      tap: undefined,
      net: undefined,
      dpdk: undefined,
      unixSocket: undefined,
      unixMask: 0o700,
      backlog: 1024,
      daemonize: false,
      pidFile: undefined,
      user: undefined,
      reqsPerEvent: 20,
      protocol: "auto",
      casEnabled: true,
      lockMemory: false,
      largePages: false,
      extended: NO_EXTENDED,
    });
    expect(c).toHaveProperty("faults", undefined);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it("defaults -t to 4 but never more than the CPUs", () => {
    expect(defaultThreads(1)).toBe(1);
    expect(defaultThreads(2)).toBe(2);
    expect(defaultThreads(64)).toBe(4);
    expect(run([], 2).threads).toBe(2);
  });

  it("reads every flag, short and long", () => {
    const short = run(["-p", "11311", "-l", "::1", "-m", "128", "-c", "10", "-t", "2", "-I", "2m", "-vv"]);
    expect(short).toMatchObject({ port: 11311, listen: "::1", memoryLimitMb: 128, maxBytes: 128 * 1048576,
      connLimit: 10, threads: 2, itemSizeMax: 2 * 1048576, verbosity: 2 });
    const long = run(["--port=1", "--listen", "0.0.0.0", "--memory-limit", "8", "--conn-limit=3", "--threads", "1",
      "--max-item-size", "512k", "--verbose"]);
    expect(long).toMatchObject({ port: 1, listen: "0.0.0.0", memoryLimitMb: 8, connLimit: 3, threads: 1,
      itemSizeMax: 524288, verbosity: 1 });
    expect(run(["-v", "-v", "-v"]).verbosity).toBe(3);
    expect(run(["-p0"]).port).toBe(0);
    expect(run(["-l", "localhost"]).listen).toBe("127.0.0.1");
  });

  it("answers -h and -V without a config", () => {
    const help = parseCli(["-h"], 2);
    expect(help.kind).toBe("help");
    if (help.kind === "help") {
      expect(help.text).toContain("--max-item-size");
      expect(help.text).toContain("4 GiB");
      expect(help.text).toMatch(/--app=<name\|path>/);
      expect(help.text).toMatch(/--tap=<name>/);
      expect(help.text).not.toMatch(/WASMCACHED_APP/);
    }
    const version = parseCli(["--version"]);
    expect(version.kind === "version" && version.text).toMatch(/^wasmcached \S+ \(memcached 1\.6\.18\)\n$/);
  });

  it("reads --faults into a frozen fault configuration", () => {
    expect(run(["--faults", "loss=0.05,reorder=0.1,dup=0.01,corrupt=0.01,seed=9"]).faults).toEqual({
      loss: 0.05, reorder: 0.1, dup: 0.01, corrupt: 0.01, seed: 9, delay: 10 });
    const onSockets = parseCli(["--faults", "loss=0.1"], 2);
    expect(onSockets.kind === "run" && onSockets.warnings).toEqual([
      "--faults has no effect on kernel sockets (it acts on frames: use it with --tap)",
    ]);
    const f = run(["--faults=loss=1"]).faults;
    expect(f).toMatchObject({ loss: 1, reorder: 0, dup: 0, corrupt: 0, seed: 1 });
    expect(Object.isFrozen(f)).toBe(true);
    const help = parseCli(["-h"], 2);
    expect(help.kind === "help" && help.text).toContain("--faults=<spec>");
  });

  it("reads --app as a module name or a .wasm path", () => {
    expect(run(["--app", "echo"]).app).toBe("echo");
    expect(run(["--app=/tmp/x/my-app.wasm"]).app).toBe("/tmp/x/my-app.wasm");
  });

  it("reads --tap with the userspace stack's addresses, deriving the MAC from the IP", () => {
    const c = run(["--tap", "wc0", "--ip", "10.77.0.2/24", "-p", "11311"]);
    expect(c).toMatchObject({ tap: "wc0", port: 11311, threads: 1, listen: "127.0.0.1" });
    expect(c.net).toEqual({ ip: 0x0a4d0002, prefix: 24, gateway: 0, mac: 0x02000a4d0002, mtu: undefined });
    expect(Object.isFrozen(c.net)).toBe(true);
    expect(formatMac(c.net!.mac)).toBe("02:00:0a:4d:00:02");
    const full = run(["--tap=wc1", "--ip=192.168.7.9/16", "--gateway", "192.168.0.1", "--mac", "02:AB:cd:00:00:01", "--mtu", "1400"]);
    expect(full.net).toEqual({ ip: 0xc0a80709, prefix: 16, gateway: 0xc0a80001, mac: 0x02abcd000001, mtu: 1400 });
  });

  it("serves a TAP with one thread, and says so when -t asked for more", () => {
    const r = parseCli(["--tap", "wc0", "--ip", "10.0.0.2/8", "-t", "2"], 8);
    expect(r.kind === "run" && r.config.threads).toBe(1);
    expect(r.kind === "run" && r.warnings).toEqual(["a TAP device has one queue: serving with 1 thread (-t 2 ignored)"]);
    const quiet = parseCli(["--tap", "wc0", "--ip", "10.0.0.2/8"], 8);
    expect(quiet.kind === "run" && quiet.warnings).toEqual([]);
    expect(quiet.kind === "run" && quiet.config.threads).toBe(1);
  });

  it("reads --dpdk with its EAL arguments as one value, and the DPDK flags", () => {
    const eal = "--no-huge -m 256 --no-pci -l 0 --vdev net_null0";
    const c = run(["--dpdk", eal, "--ip", "10.77.0.2/24", "-t", "2"]);
    expect(c).toMatchObject({ tap: undefined, threads: 2, port: 11211 });
    expect(c.dpdk).toEqual({ eal, portId: 0, zeroCopy: true, idleBackoffUs: 1000, rxBurst: 8, macGiven: false });
    expect(Object.isFrozen(c.dpdk)).toBe(true);
    expect(c.net).toEqual({ ip: 0x0a4d0002, prefix: 24, gateway: 0, mac: 0x02000a4d0002, mtu: undefined });
    const full = run([
      `--dpdk=${eal}`, "--ip", "10.77.0.2/24", "--port-id", "1", "--no-zero-copy", "--idle-backoff-us", "0", "--rx-burst", "64",
      "--mac", "02:00:00:00:00:09", "--mtu", "1400", "--gateway", "10.77.0.1",
    ]);
    expect(full.dpdk).toEqual({ eal, portId: 1, zeroCopy: false, idleBackoffUs: 0, rxBurst: 64, macGiven: true });
    expect(full.net).toMatchObject({ mac: 0x020000000009, mtu: 1400, gateway: 0x0a4d0001 });
    // -t is not capped as for a TAP: one queue per thread.
    const r = parseCli(["--dpdk", eal, "--ip", "10.0.0.2/8"], 8);
    expect(r.kind === "run" && r.config.threads).toBe(4);
    expect(r.kind === "run" && r.warnings).toEqual([]);
  });

  it("documents the DPDK flags in --help", () => {
    const help = parseCli(["--help"], 8);
    for (const flag of ["--dpdk=", "--port-id=", "--no-zero-copy", "--idle-backoff-us=", "--rx-burst="]) {
      expect(help.kind === "help" && help.text).toContain(flag);
    }
  });

  it("parses and formats addresses", () => {
    expect(parseIpPrefix("10.1.2.3/32")).toEqual({ ip: 0x0a010203, prefix: 32 });
    expect(formatIpv4(0xc0a80001)).toBe("192.168.0.1");
    expect(parseMac("02-00-00-00-00-01")).toBe(0x020000000001);
    expect(macFromIp(0xffffffff)).toBe(0x0200ffffffff);
    expect(formatMac(0x0200ffffffff)).toBe("02:00:ff:ff:ff:ff");
    const net = (ip: number, prefix: number) => ({ ip, prefix, gateway: 0, mac: 0, mtu: undefined });
    expect(kernelSideAddress(net(0x0a4d0002, 24))).toBe("10.77.0.1");
    expect(kernelSideAddress(net(0x0a4d0001, 24))).toBe("10.77.0.2");
  });

  it("parses -I the way memcached does", () => {
    expect(parseItemSize("1024")).toBe(1024);
    expect(parseItemSize("1k")).toBe(1024);
    expect(parseItemSize("3K")).toBe(3072);
    expect(parseItemSize("1M")).toBe(1048576);
  });

  it.each([
    [["--bogus"], "ERR_PARSE_ARGS_UNKNOWN_OPTION"],
    [["-x"], "ERR_PARSE_ARGS_UNKNOWN_OPTION"],
    [["-p"], "ERR_PARSE_ARGS_INVALID_OPTION_VALUE"],
    [["extra"], "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL"],
    [["-p", "http"], "ERR_NOT_A_NUMBER"],
    [["-p", "-1"], "ERR_PARSE_ARGS_INVALID_OPTION_VALUE"],
    [["-p", "65536"], "ERR_OUT_OF_RANGE"],
    [["-m", "0"], "ERR_OUT_OF_RANGE"],
    [["-m", "1.5"], "ERR_NOT_A_NUMBER"],
    [["-m", "4096"], "ERR_OUT_OF_RANGE"],
    [["-c", "0"], "ERR_OUT_OF_RANGE"],
    [["-t", "0"], "ERR_OUT_OF_RANGE"],
    [["-t", "257"], "ERR_OUT_OF_RANGE"],
    [["-l", "example.com"], "ERR_BAD_ADDRESS"],
    [["-I", "1g"], "ERR_BAD_SIZE"],
    [["-I", "1023"], "ERR_ITEM_SIZE_TOO_SMALL"],
    [["-m", "1", "-I", "1m"], "ERR_ITEM_SIZE_OVER_HALF"],
    [["-m", "1024", "-I", "129m"], "ERR_ITEM_SIZE_TOO_LARGE"],
    [["--faults"], "ERR_PARSE_ARGS_INVALID_OPTION_VALUE"],
    [["--faults", "loss=2"], "ERR_FAULTS_OUT_OF_RANGE"],
    [["--faults", "drop=0.1"], "ERR_FAULTS_UNKNOWN_KEY"],
    [["--faults", "loss=x"], "ERR_FAULTS_BAD_NUMBER"],
    [["--app", "Bad Name"], "ERR_APP_NAME"],
    [["--tap", "wc0"], "ERR_TAP_NEEDS_IP"],
    [["--tap", "a-name-too-long-x", "--ip", "10.0.0.2/24"], "ERR_TAP_NAME"],
    [["--ip", "10.0.0.2/24"], "ERR_NEEDS_TAP"],
    [["--mtu", "1500"], "ERR_NEEDS_TAP"],
    [["--tap", "wc0", "--ip", "10.0.0.2/24", "-l", "10.0.0.2"], "ERR_LISTEN_WITH_TAP"],
    [["--tap", "wc0", "--ip", "10.0.0.2/24", "-p", "0"], "ERR_PORT_ZERO_TAP"],
    [["--tap", "wc0", "--ip", "10.0.0.2"], "ERR_BAD_IP"],
    [["--tap", "wc0", "--ip", "10.0.0.256/24"], "ERR_BAD_IP"],
    [["--tap", "wc0", "--ip", "10.0.0.02/24"], "ERR_BAD_IP"],
    [["--tap", "wc0", "--ip", "10.0.0.2/33"], "ERR_BAD_IP"],
    [["--tap", "wc0", "--ip", "10.0.0.0/24"], "ERR_BAD_IP"],
    [["--tap", "wc0", "--ip", "10.0.0.255/24"], "ERR_BAD_IP"],
    [["--tap", "wc0", "--ip", "127.0.0.2/8"], "ERR_BAD_IP"],
    [["--tap", "wc0", "--ip", "224.0.0.2/24"], "ERR_BAD_IP"],
    [["--tap", "wc0", "--ip", "10.0.0.2/24", "--gateway", "10.0.1.1"], "ERR_BAD_GATEWAY"],
    [["--tap", "wc0", "--ip", "10.0.0.2/24", "--gateway", "10.0.0.2"], "ERR_BAD_GATEWAY"],
    [["--tap", "wc0", "--ip", "10.0.0.2/24", "--gateway", "gw"], "ERR_BAD_GATEWAY"],
    [["--tap", "wc0", "--ip", "10.0.0.2/24", "--mac", "02:00:00:00:00"], "ERR_BAD_MAC"],
    [["--tap", "wc0", "--ip", "10.0.0.2/24", "--mac", "01:00:5e:00:00:01"], "ERR_BAD_MAC"],
    [["--tap", "wc0", "--ip", "10.0.0.2/24", "--mac", "00:00:00:00:00:00"], "ERR_BAD_MAC"],
    [["--tap", "wc0", "--ip", "10.0.0.2/24", "--mtu", "575"], "ERR_OUT_OF_RANGE"],
    [["--tap", "wc0", "--ip", "10.0.0.2/24", "--mtu", "2035"], "ERR_OUT_OF_RANGE"],
    [["--dpdk", "-l 0 --vdev net_null0"], "ERR_DPDK_NEEDS_IP"],
    [["--dpdk", "-l 0", "--tap", "wc0", "--ip", "10.0.0.2/24"], "ERR_TAP_AND_DPDK"],
    [["--dpdk", "-l 0", "--ip", "10.0.0.2/24", "--faults", "loss=0.1"], "ERR_FAULTS_WITH_DPDK"],
    [["--dpdk", "-l 0", "--ip", "10.0.0.2/24", "-l", "10.0.0.2"], "ERR_LISTEN_WITH_TAP"],
    [["--dpdk", "-l 0", "--ip", "10.0.0.2/24", "-p", "0"], "ERR_PORT_ZERO_TAP"],
    [["--dpdk", "-l 0", "--ip", "10.0.0.2/24", "--port-id", "x"], "ERR_NOT_A_NUMBER"],
    [["--dpdk", "-l 0", "--ip", "10.0.0.2/24", "--port-id", "65536"], "ERR_OUT_OF_RANGE"],
    [["--dpdk", "-l 0", "--ip", "10.0.0.2/24", "--idle-backoff-us", "100001"], "ERR_OUT_OF_RANGE"],
    [["--dpdk"], "ERR_PARSE_ARGS_INVALID_OPTION_VALUE"],
    [["--port-id", "1"], "ERR_NEEDS_DPDK"],
    [["--no-zero-copy"], "ERR_NEEDS_DPDK"],
    [["--idle-backoff-us", "10"], "ERR_NEEDS_DPDK"],
    [["--rx-burst", "8"], "ERR_NEEDS_DPDK"],
    [["--dpdk", "-l 0", "--ip", "10.0.0.2/24", "--rx-burst", "0"], "ERR_OUT_OF_RANGE"],
    [["--dpdk", "-l 0", "--ip", "10.0.0.2/24", "--rx-burst", "65"], "ERR_OUT_OF_RANGE"],
    [["--tap", "wc0", "--ip", "10.0.0.2/24", "--no-zero-copy"], "ERR_NEEDS_DPDK"],
  ])("rejects %j with %s", (argv, code) => {
    expect(usageError(argv as string[]).code).toBe(code);
  });

  it("uses memcached's wording for -I against -m", () => {
    expect(usageError(["-m", "2", "-I", "2m"]).message).toBe("Cannot set item size limit higher than 1/2 of memory max.");
    expect(usageError(["-I", "1000"]).message).toBe("Item max size cannot be less than 1024 bytes.");
  });
});

describe("the wasmcached command line", () => {
  beforeAll(ensureBuilt);

  it("exits 64 (EX_USAGE) with a message on stderr for a bad flag", () => {
    const r = spawnSync(process.execPath, [bundle, "--nope"], { encoding: "utf8" });
    expect(r.status).toBe(64);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^wasmcached: Unknown option '--nope'/);
    expect(r.stderr).toContain("--help");
  });

  it("exits 64 for a bad --faults spec, naming the key", () => {
    const r = spawnSync(process.execPath, [bundle, "--faults", "loss=0.1,drop=0.2"], { encoding: "utf8" });
    expect(r.status).toBe(64);
    expect(r.stderr).toMatch(/^wasmcached: --faults: unknown key "drop"/);
  });

  it("exits 0 for --help and -V, printing to stdout", () => {
    const help = spawnSync(process.execPath, [bundle, "--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("usage: wasmcached");
    const v = spawnSync(process.execPath, [bundle, "-V"], { encoding: "utf8" });
    expect(v.status).toBe(0);
    expect(v.stdout).toMatch(/memcached 1\.6\.18/);
  });
});

describe("memcached's start-up flags", () => {
  it("reads -s and -a: an absolute socket path, an octal mask (default 0700)", () => {
    const c = run(["-s", "mc.sock", "-a", "770"]);
    expect(c.unixSocket).toBe(resolve("mc.sock"));
    expect(c.unixMask).toBe(0o770);
    expect(run(["--unix-socket=/run/mc.sock"]).unixSocket).toBe("/run/mc.sock");
    expect(run(["-s", "/run/mc.sock"]).unixMask).toBe(0o700);
    expect(run(["--unix-mask", "0777"]).unixMask).toBe(0o777);
    expect(run(["-a", "7"]).unixMask).toBe(0o7);
    expect(usageError(["-a", "999"]).code).toBe("ERR_BAD_MASK");
    expect(usageError(["-a", "rwx"]).code).toBe("ERR_BAD_MASK");
    expect(usageError(["-s", ""]).code).toBe("ERR_BAD_SOCKET_PATH");
    expect(usageError(["-s", `/${"x".repeat(107)}`]).code).toBe("ERR_BAD_SOCKET_PATH");
  });

  it("serves -s over kernel sockets only, and one module on it", () => {
    expect(usageError(["-s", "/tmp/x.sock", "--tap", "wc0", "--ip", "10.0.0.2/24"]).code).toBe("ERR_UNIX_NOT_KERNEL");
    expect(usageError(["-s", "/tmp/x.sock", "--dpdk", "-l 0", "--ip", "10.0.0.2/24"]).code).toBe("ERR_UNIX_NOT_KERNEL");
    expect(usageError(["-s", "/tmp/x.sock", "--app", "memcached", "--app", "resp@6379"]).code).toBe("ERR_UNIX_APPS");
  });

  it("accepts -U 0 and refuses any UDP port, saying why", () => {
    expect(run(["-U", "0"]).port).toBe(11211);
    expect(run(["--udp-port=0"]).port).toBe(11211);
    const e = usageError(["-U", "11211"]);
    expect(e.code).toBe("ERR_UDP");
    expect(e.message).toMatch(/^-U 11211: memcached's UDP protocol is not served .*-U 0/);
    expect(usageError(["-U", "x"]).code).toBe("ERR_NOT_A_NUMBER");
  });

  it("reads -b, -R, -d, -P, -u, -C, -k, -L", () => {
    const c = run(["-b", "64", "-R", "5", "-d", "-P", "mc.pid", "-u", "nobody", "-C", "-k", "-L"]);
    expect(c).toMatchObject({
      backlog: 64, reqsPerEvent: 5, daemonize: true, pidFile: resolve("mc.pid"), user: "nobody",
      casEnabled: false, lockMemory: true, largePages: true,
    });
    const long = run(["--listen-backlog=0", "--max-reqs-per-event", "1", "--daemon", "--pidfile=/run/mc.pid", "--user=memcache",
      "--disable-cas", "--lock-memory", "--enable-largepages"]);
    expect(long).toMatchObject({ backlog: 0, reqsPerEvent: 1, daemonize: true, pidFile: "/run/mc.pid", user: "memcache",
      casEnabled: false, lockMemory: true, largePages: true });
    expect(usageError(["-R", "0"]).message).toBe("Number of requests per event must be greater than 0");
    expect(usageError(["-R", "x"]).code).toBe("ERR_NOT_A_NUMBER");
    expect(usageError(["-b", "-1"]).code).toBe("ERR_PARSE_ARGS_INVALID_OPTION_VALUE");
    expect(usageError(["-u", ""]).code).toBe("ERR_BAD_USER");
  });

  it("warns for -k as memcached does without mlockall; -C needs no warning", () => {
    const k = parseCli(["-k"], 8);
    expect(k.kind === "run" && k.warnings).toEqual(["warning: -k invalid, mlockall() not supported on this platform.  proceeding without."]);
    const cas = parseCli(["-C"], 8);
    expect(cas.kind === "run" && cas.warnings).toEqual([]);
    expect(cas.kind === "run" && cas.config.casEnabled).toBe(false);
    const none = parseCli(["-L", "-U", "0"], 8);
    expect(none.kind === "run" && none.warnings).toEqual([]);
  });

  it("reads -B as memcached does, with its message for anything else", () => {
    expect(run([]).protocol).toBe("auto");
    expect(run(["-B", "ascii"]).protocol).toBe("ascii");
    expect(run(["-B", "binary"]).protocol).toBe("binary");
    expect(run(["--protocol=auto"]).protocol).toBe("auto");
    const e = usageError(["-B", "text"]);
    expect(e.message).toBe("Invalid value for binding protocol: text\n -- should be one of auto, binary, or ascii");
  });

  it("refuses -t above the store's 64 cores at parse time", () => {
    expect(run(["-t", "64"]).threads).toBe(64);
    const e = usageError(["-t", "65"]);
    expect(e.code).toBe("ERR_OUT_OF_RANGE");
    expect(e.message).toBe("-t: 65 threads is more than the store serves (at most 64, one core each)");
  });

  it("reads -o, repeated or as a comma list", () => {
    const c = run(["-o", "modern,lru_crawler_sleep=50", "-o", "slab_automove=2,hashpower=16"]);
    expect(c.extended.given).toEqual(["modern", "lru_crawler_sleep=50", "slab_automove=2", "hashpower=16"]);
    expect(c.extended).toMatchObject({ lruCrawlerSleep: 50, slabAutomove: 2 });
    expect(usageError(["-o", "no_such_thing"]).message).toBe('Illegal suboption "no_such_thing"');
  });

  it("lists every flag in --help", () => {
    const help = parseCli(["--help"], 8);
    if (help.kind !== "help") throw new Error("no help");
    for (const flag of ["-s, --unix-socket", "-a, --unix-mask", "-U, --udp-port", "-b, --listen-backlog", "-d, --daemon",
      "-P, --pidfile", "-u, --user", "-B, --protocol", "-R, --max-reqs-per-event", "-C, --disable-cas", "-k, --lock-memory",
      "-L, --enable-largepages", "-o, --extended", "-t, --threads", "max: 64"]) {
      expect(help.text).toContain(flag);
    }
  });
});
