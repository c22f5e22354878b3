// `wasmcached loadgen`: the load-generator module (assembly/loadgen) on one
// core of the userspace stack, over a TAP or a DPDK port. The main thread
// writes the module's settings, starts the worker, watches the stats block in
// the shared memory until the module says done (or the deadline, a signal, a
// failed worker), stops the worker, and reports.
import { type Backend, chooseBackend } from "../backends.js";
import { formatIpv4 } from "../cli.js";
import { coreRegions, requestShutdown } from "../layout.js";
import type { WorkerPool } from "../workers.js";
import {
  type LoadgenSettings, type LoadgenStats, LoadgenState, loadgenState, percentileUs, readLoadgenStats, stateName, writeLoadgenSettings,
} from "./blocks.js";
import type { LoadgenConfig } from "./cli.js";

/** How often the main thread looks at the stats block. */
const WATCH_MS = 10;

export interface LoadgenReport {
  readonly ok: boolean;
  /** Why the run is not ok ("" when it is). */
  readonly problems: readonly string[];
  readonly state: string;
  readonly settings: LoadgenSettings;
  readonly sent: number;
  readonly verified: number;
  readonly hits: number;
  readonly misses: number;
  readonly sets: number;
  readonly mismatches: number;
  readonly connsFailed: number;
  readonly connsOpened: number;
  readonly fillVerified: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly latencyUs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly p999: number };
  readonly bytesReceived: number;
  readonly firstMismatch?: LoadgenStats["firstMismatch"];
}

/** What a finished run says; `ended` tells how the watch ended when not by the module. */
export function report(s: LoadgenStats, settings: LoadgenSettings, ended: "done" | "deadline" | "signal"): LoadgenReport {
  const n = (b: bigint) => Number(b);
  const problems: string[] = [];
  if (ended === "deadline") problems.push(`not done by the deadline (state ${stateName(s.state)})`);
  if (ended === "signal") problems.push(`interrupted (state ${stateName(s.state)})`);
  if (s.mismatches > 0n) problems.push(`${s.mismatches} replies differ from the expected bytes`);
  if (s.connsFailed > 0n) problems.push(`${s.connsFailed} connections failed`);
  if (settings.fill && s.misses > 0n) problems.push(`${s.misses} gets missed keys that were set`);
  if (settings.requests > 0 && settings.durationMs === 0 && s.verified !== BigInt(settings.requests)) {
    problems.push(`${s.verified} of ${settings.requests} requests verified`);
  }
  if (s.verified === 0n) problems.push("no reply verified");
  const seconds = s.verified > 0n ? Math.max(0, s.lastMs - s.startMs) / 1000 : 0;
  return {
    ok: problems.length === 0,
    problems,
    state: stateName(s.state),
    settings,
    sent: n(s.sent),
    verified: n(s.verified),
    hits: n(s.hits),
    misses: n(s.misses),
    sets: n(s.sets),
    mismatches: n(s.mismatches),
    connsFailed: n(s.connsFailed),
    connsOpened: s.connsOpened,
    fillVerified: n(s.fillVerified),
    seconds,
    requestsPerSecond: seconds > 0 ? Math.round(n(s.verified) / seconds) : 0,
    latencyUs: {
      p50: percentileUs(s.histogram, 0.5),
      p90: percentileUs(s.histogram, 0.9),
      p99: percentileUs(s.histogram, 0.99),
      p999: percentileUs(s.histogram, 0.999),
    },
    bytesReceived: n(s.bytesReceived),
    ...(s.firstMismatch ? { firstMismatch: s.firstMismatch } : {}),
  };
}

export function summaryLine(r: LoadgenReport): string {
  const rate = r.requestsPerSecond >= 1000 ? `${(r.requestsPerSecond / 1000).toFixed(1)} k` : String(r.requestsPerSecond);
  const head =
    `loadgen: ${r.verified}/${r.sent} replies verified in ${r.seconds.toFixed(3)} s (${rate} req/s), ` +
    `latency p50 <${r.latencyUs.p50} us p99 <${r.latencyUs.p99} us, ${r.mismatches} mismatches, ${r.misses} misses, ` +
    `${r.connsFailed} failed connections`;
  return r.ok ? `${head}: ok\n` : `${head}: FAILED: ${r.problems.join("; ")}\n`;
}

function startLine(config: LoadgenConfig): string {
  const s = config.settings;
  const b = config.backend;
  const device = b.dpdk ? `DPDK port ${b.dpdk.portId}${b.dpdk.zeroCopy ? "" : " (copying)"}` : `TAP ${b.tap}`;
  const phase = [s.requests > 0 ? `${s.requests} requests` : "", s.durationMs > 0 ? `${s.durationMs / 1000} s` : ""].filter(Boolean).join(" or ");
  return (
    `loadgen: from ${formatIpv4(b.net!.ip)} via ${device} to ${formatIpv4(s.serverIp)}:${s.serverPort}: ${s.conns} connections, ` +
    `depth ${s.depth}, ${s.keys} keys of ${s.keySize} bytes${s.zipf > 0 ? ` (Zipf ${s.zipf})` : ""}, values of ${s.valueSize} bytes, ${s.setPermille / 10}% sets, ` +
    `${s.fill ? "filled first, " : ""}${phase}\n`
  );
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves at the first SIGINT/SIGTERM (handlers kept until `off`, so a second signal does not kill us mid-close). */
function onSignals(): { readonly signalled: Promise<void>; off(): void } {
  let resolve!: () => void;
  const signalled = new Promise<void>((r) => (resolve = r));
  const handler = () => resolve();
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    signalled,
    off: () => {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}

/** Until stdin ends (or is closed) or a signal: how --hold waits before closing the device. */
function heldUntil(signalled: Promise<void>): Promise<void> {
  const ended = new Promise<void>((resolve) => {
    process.stdin.once("end", resolve);
    process.stdin.once("close", resolve);
    process.stdin.once("error", resolve);
    process.stdin.resume();
  });
  return Promise.race([ended, signalled]).finally(() => process.stdin.pause());
}

export async function runLoadgen(config: LoadgenConfig): Promise<number> {
  const signals = onSignals();
  try {
    const backend = chooseBackend(config.backend, { fineClock: true });
    return await runWith(config, backend, signals.signalled);
  } finally {
    signals.off();
  }
}

async function runWith(config: LoadgenConfig, backend: Backend, signalled: Promise<void>): Promise<number> {
  const { memory, layout } = backend;
  const region = coreRegions(layout, 0).app;
  let pool: WorkerPool | undefined;
  let closed = false;
  try {
    writeLoadgenSettings(memory, layout.control, config.settings);
    pool = await backend.start();
    process.stderr.write(startLine(config));
    const deadline = Date.now() + config.deadlineMs;
    let ended: "done" | "deadline" | "signal" = "done";
    let interrupted = false;
    void signalled.then(() => (interrupted = true));
    for (;;) {
      if (loadgenState(memory, region) === LoadgenState.DONE) break;
      if (interrupted) {
        ended = "signal";
        break;
      }
      if (Date.now() > deadline) {
        ended = "deadline";
        break;
      }
      await Promise.race([sleep(WATCH_MS), pool.failed]);
    }
    requestShutdown(memory);
    await pool.join();
    pool = undefined;
    const r = report(readLoadgenStats(memory, region), config.settings, ended);
    process.stdout.write(JSON.stringify(r) + "\n");
    process.stderr.write(summaryLine(r));
    if (config.hold) {
      process.stderr.write("loadgen: stopped polling; holding the device open until stdin ends or SIGTERM\n");
      await heldUntil(signalled);
    }
    backend.close();
    closed = true;
    return r.ok ? 0 : 1;
  } finally {
    if (!closed) {
      requestShutdown(memory);
      await pool?.join();
      backend.close();
    }
  }
}
