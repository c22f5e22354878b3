// Shared by the benchmarks: build the C load generator, run it, stats.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { cpus } from "node:os";
import net from "node:net";
import { join } from "node:path";
import { repoRoot, requireTool } from "../test/support/server.mjs";

/** Builds build/loadgen from bench/loadgen.c when missing or stale. */
export function buildLoadgen() {
  const src = join(repoRoot, "bench", "loadgen.c");
  const out = join(repoRoot, "build", "loadgen");
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) return out;
  mkdirSync(join(repoRoot, "build"), { recursive: true });
  const cc = process.env.CC ?? "cc";
  requireTool(cc, "apt-get install gcc libc6-dev");
  const r = spawnSync(cc, ["-O2", "-Wall", "-o", out, src, "-lm"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`building loadgen failed:\n${r.stderr}`);
  return out;
}

/** The CPUs for server and client: 0 and 1 (both 0 on a one-CPU machine). */
export function cpuPlan() {
  const n = cpus().length;
  if (n < 2) console.error("bench: only one CPU: server and load generator share CPU 0");
  return { server: 0, client: n < 2 ? 0 : 1 };
}

/** Runs loadgen pinned to `cpu` and returns its JSON line, parsed. */
export function runLoadgen(loadgen, cpu, args, timeoutMs) {
  const argv = [requireTool("taskset", "util-linux"), "-c", String(cpu), loadgen, ...args];
  const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", timeout: timeoutMs, killSignal: "SIGKILL" });
  const line = (r.stdout ?? "").trim().split("\n").pop() ?? "";
  if (r.error || !line.startsWith("{")) {
    throw new Error(`loadgen ${args.join(" ")} failed (status ${r.status}, ${r.error?.message ?? ""}):\n${r.stdout}\n${r.stderr}`);
  }
  return JSON.parse(line);
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** `--name value` options into an object of strings. */
export function parseArgs(argv, defaults) {
  const opts = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([\w-]+)$/.exec(argv[i]);
    if (!m || !(m[1] in defaults) || i + 1 >= argv.length) {
      throw new Error(`unknown or incomplete option ${argv[i]}; options: ${Object.keys(defaults).map((k) => `--${k}`).join(" ")}`);
    }
    opts[m[1]] = argv[++i];
  }
  return opts;
}

/** The server's `stats` as an object of strings. */
export function fetchStats(port) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: "127.0.0.1" });
    let buf = "";
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error("stats timed out"));
    }, 10_000);
    sock.on("connect", () => sock.write("stats\r\n"));
    sock.on("data", (d) => {
      buf += d.toString("latin1");
      if (!buf.endsWith("END\r\n")) return;
      clearTimeout(timer);
      sock.destroy();
      const out = {};
      for (const line of buf.split("\r\n")) {
        const m = /^STAT (\S+) (.*)$/.exec(line);
        if (m) out[m[1]] = m[2];
      }
      resolve(out);
    });
    sock.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

/** CPU seconds (user + system, all threads) a process has used so far. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the parenthesised command name; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}
