// The DPDK device against real DPDK 22.11 vdevs: net_null (bursts in both
// modes, descriptor validation, no mbuf leak), EAL argument and probe
// errors, and net_memif between two processes. EAL initialises once per
// process, so every scenario runs in a child process of its own
// (dpdk-child.ts, bundled into build/). Needs DPDK (libdpdk-dev,
// pkg-config) and root-free vdevs only; without DPDK the tests fail, they
// never skip.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleTs } from "../../../native/bundle-ts.mjs";
import { DpdkError, LIB_FILE, dpdkLib, splitEalArgs } from "../dpdk.js";

const root = new URL("../../../", import.meta.url).pathname;
const childName = `dpdk-child-${process.pid}`;
let child = "";
const CPU_A = 0;
const CPU_B = Math.min(1, cpus().length - 1);
const FRAMES_PER_BURST = 64;

type Json = Record<string, any>;

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  result: Json;
  output: string;
}

function resultOf(output: string): Json {
  const line = output.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error(`the child printed no RESULT line:\n${output}`);
  return JSON.parse(line.slice("RESULT ".length));
}

/** Runs one scenario in a fresh process. */
function runChild(scenario: string, options: Json): Run {
  const r = spawnSync(process.execPath, [child, scenario, JSON.stringify(options)], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = `${r.stdout}${r.stderr}`;
  if (r.error) throw new Error(`${scenario}: ${r.error.message}\n${output}`);
  return { status: r.status, signal: r.signal, result: resultOf(output), output };
}

beforeAll(async () => {
  const pc = spawnSync("pkg-config", ["--modversion", "libdpdk"], { encoding: "utf8" });
  if (pc.status !== 0) {
    throw new Error("DPDK is not installed (pkg-config libdpdk failed): apt-get install dpdk libdpdk-dev pkg-config");
  }
  const b = spawnSync(process.execPath, ["native/build.mjs"], { cwd: root, encoding: "utf8" });
  if (b.status !== 0 || !existsSync(join(root, "build", LIB_FILE))) {
    throw new Error(`native/build.mjs did not build the shim:\n${b.stdout}${b.stderr}`);
  }
  child = await bundleTs("host/devices/__tests__/dpdk-child.ts", childName);
}, 120_000);

afterAll(() => {
  if (child) rmSync(child, { force: true });
});

describe("the binding without EAL", () => {
  it("reports a missing shim with a stable code", () => {
    const err = (() => {
      try {
        dpdkLib("/nonexistent/libwcdpdk.so");
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(DpdkError);
    expect((err as DpdkError).code).toBe("ERR_DPDK_NOT_BUILT");
    expect((err as DpdkError).message).toContain("npm run build");
  });

  it("splits --dpdk text into EAL words, quotes grouping", () => {
    expect(splitEalArgs(" -l 0  --vdev 'net_memif0,socket=/a b/s' --no-pci ")).toEqual([
      "-l", "0", "--vdev", "net_memif0,socket=/a b/s", "--no-pci",
    ]);
  });
});

describe.each([
  { mode: "zero-copy", zeroCopy: true, validation: { sent: 2, invalid: 6 } },
  { mode: "copying", zeroCopy: false, validation: { sent: 2, invalid: 3 } },
])("net_null, $mode", ({ zeroCopy, validation }) => {
  const bursts = 20_000;
  let run: Run;
  beforeAll(() => {
    run = runChild("null", { zeroCopy, bursts, cpu: CPU_A });
  });

  it("initialises EAL once, restores the caller's CPU affinity, finds the port", () => {
    expect(run.status, run.output).toBe(0);
    const r = run.result;
    expect(r.ports).toBe(1);
    expect(r.info.driver).toBe("net_null");
    expect(r.info.name).toBe("net_null0");
    expect(r.info.mac).toMatch(/^[0-9a-f]{12}$/);
    expect(r.after).toBe(r.before);
  });

  it("moves every frame through descriptors inside the pool (zero-copy) or the copy buffers", () => {
    const r = run.result;
    expect(r.received).toBe(bursts * FRAMES_PER_BURST);
    expect(r.misplaced).toBe(0);
    expect(r.loop.rx).toBe(r.received);
    expect(r.loop.tx).toBe(r.sent);
    expect(r.portAfterLoop.opackets).toBe(r.sent);
    expect(r.loop.bursts).toBe(bursts + 1); // one call per burst, and one to send the last replies
    expect(r.loop.empty).toBe(0); // net_null always has frames
    expect(r.loop.txInvalid).toBe(0);
    expect(r.loop.txDropped).toBe(0);
  });

  it("rejects and counts tx descriptors that fail validation; the driver sees only the valid ones", () => {
    const v = run.result.validation;
    expect(v.sent, v.cases.join(", ")).toBe(validation.sent);
    expect(v.invalid).toBe(validation.invalid);
    expect(v.opackets).toBe(validation.sent);
    expect(run.result.clamp).toEqual({ sent: 64, invalid: 36 });
  });

  it("leaks no mbuf: the pool is back where it started", () => {
    const { base, end } = run.result;
    expect(base.poolInUse).toBe(0);
    expect(end.poolInUse).toBe(base.poolInUse);
    expect(end.poolAvail).toBe(end.poolSize);
    expect(end.held).toBe(0);
  });

  it("works through the Device interface and refuses foreign descriptors and calls after close", () => {
    const { device, afterClose } = run.result;
    expect(device.viaReceive).toBe(16);
    expect(device.offered).toBe(64);
    expect(device.viaTransmit).toBe(16);
    expect(device.wrongBurst.code).toBe("ERR_DPDK_BURST");
    expect(afterClose.code).toBe("ERR_DPDK_QUEUE");
  });

  it("has no rx interrupt (the worker backs off instead): no fd, arming refused", () => {
    expect(run.result.intr).toEqual({ mode: "none", fd: -1, armed: false });
  });
});

describe("two queues, each polled by its own worker_thread", () => {
  it("sets up with RSS, refuses bad setups with stable codes, and each worker's bursts balance", () => {
    const bursts = 5000;
    const run = runChild("queues", { cpu: CPU_A, bursts });
    expect(run.status, run.output).toBe(0);
    const { errors, rss, workers, port } = run.result;
    expect(errors.tooManyQueues.code).toBe("ERR_DPDK_CONFIG");
    expect(errors.unalignedPool.code).toBe("ERR_DPDK_ARG");
    expect(errors.unalignedPool.message).toContain("page-aligned");
    expect(errors.poolOutsideMemory.code).toBe("ERR_DPDK_ARG");
    expect(errors.tooFewMbufs.code).toBe("ERR_DPDK_ARG");
    expect(errors.noSuchQueue.code).toBe("ERR_DPDK_QUEUE");
    expect(errors.startEarly.code).toBe("ERR_DPDK_STATE");
    expect(rss).toBe(true); // net_null advertises RSS hash types
    expect(workers).toHaveLength(2);
    for (const w of workers) {
      expect(w.counters.rx).toBe(bursts * FRAMES_PER_BURST);
      expect(w.counters.tx).toBe(w.counters.rx);
      expect(w.counters.poolInUse).toBe(0);
      // EAL pinned the main thread to -l's CPU; restored, so workers are not all stuck on it.
      if (cpus().length > 1) expect(w.affinity).not.toBe(String(CPU_A));
    }
    expect(port.opackets).toBe(2 * bursts * FRAMES_PER_BURST);
  });
});

describe("EAL errors", () => {
  it("refuses arguments that would end the process, and still initialises afterwards, once", () => {
    const run = runChild("eal-errors", { cpu: CPU_A });
    expect(run.status, run.output).toBe(0);
    const { refused, good, ports, again } = run.result;
    expect(Object.keys(refused)).toHaveLength(6);
    for (const [args, err] of Object.entries(refused)) {
      expect(err, args).not.toBeNull();
      expect((err as Json).code, args).toBe("ERR_DPDK_EAL_REFUSED");
      expect((err as Json).message).toContain("refused");
    }
    expect(good).toBeNull();
    expect(ports).toBe(1);
    expect(again.code).toBe("ERR_DPDK_EAL_ONCE");
  });

  it.each([
    { what: "an unknown option", cpu: CPU_A, args: ["--no-such-option"], code: "ERR_DPDK_EAL_ARGS", exit: 64 },
    { what: "a core that does not exist", cpu: 4095, args: ["--vdev", "net_null0"], code: "ERR_DPDK_EAL_ARGS", exit: 64 },
    { what: "an unknown driver", cpu: CPU_A, args: ["--vdev", "net_nosuchdriver0"], code: "ERR_DPDK_EAL_ARGS", exit: 64 },
    { what: "a positional argument", cpu: CPU_A, args: ["--vdev", "net_null0", "extra"], code: "ERR_DPDK_EAL_ARGS", exit: 64 },
    { what: "no device at all", cpu: CPU_A, args: [], code: "ERR_DPDK_NO_PORTS", exit: 78 },
    { what: "a vdev that fails to probe", cpu: CPU_A, args: ["--vdev", "net_memif0,role=nonsense"], code: "ERR_DPDK_NO_PORTS", exit: 78 },
  ])("$what: a clear error and exit $exit, no crash", ({ cpu, args, code, exit }) => {
    const run = runChild("init", { cpu, args });
    expect(run.signal, run.output).toBeNull();
    expect(run.status, run.output).toBe(exit);
    expect(run.result.error.code).toBe(code);
    expect(run.result.error.message.length).toBeGreaterThan(20);
  });
});

/** A child that prints lines; `line(prefix)` resolves with the first line starting with prefix. */
function startChild(scenario: string, options: Json) {
  const proc: ChildProcess = spawn(process.execPath, [child, scenario, JSON.stringify(options)], {
    cwd: root,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  const waiters: Array<{ prefix: string; resolve: (l: string) => void }> = [];
  const onLine = (l: string) => {
    output += `${l}\n`;
    for (const w of waiters.filter((w) => l.startsWith(w.prefix))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(l);
    }
  };
  createInterface({ input: proc.stdout! }).on("line", onLine);
  createInterface({ input: proc.stderr! }).on("line", onLine);
  const exited = new Promise<number | string>((resolve) => proc.once("exit", (c, s) => resolve(c ?? s ?? -1)));
  return {
    proc,
    exited,
    output: () => output,
    line: (prefix: string, ms = 30_000) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${scenario}: no "${prefix}" in ${ms} ms:\n${output}`)), ms);
        waiters.push({ prefix, resolve: (l) => (clearTimeout(timer), resolve(l)) });
        const seen = output.split("\n").find((l) => l.startsWith(prefix));
        if (seen !== undefined) {
          clearTimeout(timer);
          resolve(seen);
        }
      }),
  };
}

describe("net_memif between two processes", () => {
  const frames = 5000;
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "wc-memif-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    { server: true, client: false },
    { server: false, client: true },
  ])("frames sent by one arrive at the other and come back (server zero-copy $server, client zero-copy $client)", async (modes) => {
    const socket = join(dir, `memif-${modes.server ? "zc" : "copy"}.sock`);
    const common = { socket, frames, seconds: 20 };
    const server = startChild("memif-server", { ...common, cpu: CPU_A, zeroCopy: modes.server });
    let client: ReturnType<typeof startChild> | undefined;
    try {
      await server.line("READY");
      client = startChild("memif-client", { ...common, cpu: CPU_B, zeroCopy: modes.client });
      const c = JSON.parse((await client.line("DONE ")).slice(5));
      const s = JSON.parse((await server.line("DONE ")).slice(5));
      // Both have stopped polling: now each may close (a peer closing under a burst crashes the other).
      client.proc.stdin!.end("close\n");
      server.proc.stdin!.end("close\n");
      expect(await client.exited, client.output()).toBe(0);
      expect(await server.exited, server.output()).toBe(0);
      expect(c.linkUp).toBe(true);
      expect(c.echoes).toBe(frames);
      expect(c.corrupt).toBe(0);
      expect(c.duplicates).toBe(0);
      expect(s.received).toBe(frames);
      expect(s.echoed).toBe(frames);
      expect(s.counters.empty).toBeGreaterThan(0); // polls while the client was starting
      expect(s.rxInterrupt).toBe("none"); // net_memif gives ethdev no rx interrupt handle
      for (const side of [c, s]) {
        expect(side.counters.txInvalid).toBe(0);
        expect(side.counters.poolInUse).toBe(0);
      }
    } finally {
      for (const p of [client?.proc, server.proc]) if (p && p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
    }
  }, 60_000);
});
