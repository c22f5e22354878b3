// The loadgen command line and the blocks it shares with the module.
import { describe, expect, it } from "vitest";
import { UsageError } from "../../errors.js";
import { Ctl } from "../../layout.js";
import { LOADGEN_MAGIC, percentileUs, readLoadgenStats, writeLoadgenSettings } from "../blocks.js";
import { parseLoadgenCli } from "../cli.js";
import { report, summaryLine } from "../command.js";

const base = ["--tap", "wcl0", "--ip", "10.9.0.2/24", "--server", "10.9.0.1:11211"];
const run = (args: string[]) => {
  const r = parseLoadgenCli([...base, ...args]);
  if (r.kind !== "run") throw new Error("help");
  return r.config;
};
const code = (args: string[]) => {
  try {
    parseLoadgenCli(args);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as UsageError).code;
  }
  return "no error";
};

describe("wasmcached loadgen's command line", () => {
  it("fills in mimicached's seed workload by default: 32 connections, depth 1, 1000 keys of 8 bytes, 8-byte values, gets only", () => {
    const c = run([]);
    expect(c.settings).toMatchObject({
      serverIp: 0x0a090001, serverPort: 11211, conns: 32, depth: 1, keys: 1000, keySize: 8, valueSize: 8, setPermille: 0,
      fill: true, requests: 100_000, durationMs: 0, seed: 1, replyTimeoutMs: 5000, zipf: 0,
    });
    expect(c.backend).toMatchObject({ app: "loadgen", port: 0, threads: 1, connLimit: 32, tap: "wcl0" });
    expect(c.hold).toBe(false);
  });

  it("reads every option", () => {
    const c = run([
      "--conns", "4", "--depth", "8", "--keys", "50", "--key-size", "12", "--value-size", "4096", "--set-ratio", "0.25",
      "--no-fill", "--duration", "2.5", "--seed", "9", "--reply-timeout-ms", "100", "--hold", "--zipf", "0.99",
    ]);
    expect(c.settings).toMatchObject({
      conns: 4, depth: 8, keys: 50, keySize: 12, valueSize: 4096, setPermille: 250, fill: false, requests: 0, durationMs: 2500, seed: 9, replyTimeoutMs: 100,
      zipf: 0.99,
    });
    expect(c.hold).toBe(true);
  });

  it.each([
    [["--tap", "wcl0", "--ip", "10.9.0.2/24"], "ERR_NEEDS_SERVER"],
    [["--server", "10.9.0.1:11211"], "ERR_NEEDS_DEVICE"],
    [[...base.slice(0, 4), "--server", "10.9.0.1"], "ERR_BAD_SERVER"],
    [[...base.slice(0, 4), "--server", "10.9.0.2:11211"], "ERR_BAD_SERVER"],
    [[...base, "--depth", "65"], "ERR_OUT_OF_RANGE"],
    [[...base, "--set-ratio", "1.5"], "ERR_BAD_RATIO"],
    [[...base, "--keys", "100000", "--key-size", "5"], "ERR_KEY_SIZE"],
    [[...base, "--duration", "0"], "ERR_BAD_DURATION"],
    [[...base, "--value-size", "2000000"], "ERR_OUT_OF_RANGE"],
    [[...base, "--bogus"], "ERR_PARSE_ARGS_UNKNOWN_OPTION"],
    [[...base, "--zipf", "0"], "ERR_BAD_ZIPF"],
    [[...base, "--zipf", "11"], "ERR_BAD_ZIPF"],
  ])("refuses %j with %s", (args, expected) => {
    expect(code(args)).toBe(expected);
  });

  it("writes the settings where the module reads them", () => {
    const memory = new WebAssembly.Memory({ initial: 32, maximum: 32, shared: true });
    const control = 1 << 20;
    writeLoadgenSettings(memory, control, run(["--conns", "3", "--set-ratio", "0.5", "--zipf", "1.25"]).settings);
    const v = new DataView(memory.buffer, control + Ctl.APP_CONFIG, 64);
    const words = Array.from({ length: 16 }, (_, i) => v.getUint32(i * 4, true));
    // offset 56 (word 14) is the module's FILL barrier: left 0
    expect(words).toEqual([LOADGEN_MAGIC, 0x0a090001, 11211, 3, 1, 1000, 8, 8, 500, 1, 100_000, 0, 1, 5000, 0, 1250]);
  });

  it("reports percentiles as bucket upper bounds and fails what must fail", () => {
    const h = Array<bigint>(32).fill(0n);
    h[3] = 90n; // [8, 16) µs
    h[10] = 10n; // [1024, 2048) µs
    expect(percentileUs(h, 0.5)).toBe(16);
    expect(percentileUs(h, 0.9)).toBe(16);
    expect(percentileUs(h, 0.99)).toBe(2048);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const v = new DataView(memory.buffer);
    v.setUint32(0, 5, true);
    v.setBigUint64(16, 10n, true); // verified
    v.setBigUint64(32, 1n, true); // a miss after fill
    v.setFloat64(72, 1000, true);
    v.setFloat64(80, 1500, true);
    const settings = run(["--requests", "10"]).settings;
    const r = report(readLoadgenStats(memory, 0), settings, "done");
    expect(r).toMatchObject({ ok: false, state: "done", verified: 10, seconds: 0.5, requestsPerSecond: 20 });
    expect(r.problems).toEqual(["1 gets missed keys that were set"]);
    expect(summaryLine(r)).toMatch(/^loadgen: 10\/0 replies verified in 0\.500 s \(20 req\/s\).*FAILED: 1 gets missed keys that were set\n$/);
  });
});
