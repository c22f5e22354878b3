import { spawnSync } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { defaultThreads, parseCli, parseItemSize } from "../cli.js";
import { EX_USAGE, UsageError } from "../errors.js";
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
      expect(help.text).not.toMatch(/WASMCACHED_APP|--app|--dpdk/);
    }
    const version = parseCli(["--version"]);
    expect(version.kind === "version" && version.text).toMatch(/^wasmcached \S+ \(memcached 1\.6\.18\)\n$/);
  });

  it("reads --faults into a frozen fault configuration", () => {
    expect(run(["--faults", "loss=0.05,reorder=0.1,dup=0.01,corrupt=0.01,seed=9"]).faults).toEqual({
      loss: 0.05, reorder: 0.1, dup: 0.01, corrupt: 0.01, seed: 9, delay: 10 });
    const f = run(["--faults=loss=1"]).faults;
    expect(f).toMatchObject({ loss: 1, reorder: 0, dup: 0, corrupt: 0, seed: 1 });
    expect(Object.isFrozen(f)).toBe(true);
    const help = parseCli(["-h"], 2);
    expect(help.kind === "help" && help.text).toContain("--faults=<spec>");
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
