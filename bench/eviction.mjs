// npm run bench:eviction — eviction quality: the same seeded traces
// (bench/eviction/traces.mjs) replayed against Debian's memcached 1.6.18 and
// wasmcached at the same -m, and against wasmcached at 0.8x that -m (the
// goal: memcached's hit ratio with 20% less memory). Both servers run
// `-t 1` on loopback, each started fresh per trace by PID and stopped after
// it, driven by the same client (bench/eviction/client.mjs: pipelined text
// protocol, every reply read, a timeout on every batch), so the comparison
// is like for like: same bytes on the wire, same clock (real time).
// `--backend core` replaces the wasmcached server by the Wasm store in
// process (bench/eviction/core.mjs), to study the policy without a server.
//
// Reports per trace and subject: the trace's figure (hit ratio; items per MB
// for the efficiency traces), live bytes / -m and the eviction counters.
// Writes eviction.json, eviction-hit-ratio.svg and eviction-efficiency.svg
// to --out; prints the JSON, then one summary line per trace. A progress
// line goes to stderr every 2 s. Each (trace, subject) run stops at
// --max-seconds (the result then says complete: false). Not a test.
//
// Options: --memory 40 --seed 42 --requests 1000000 --max-seconds 120
//          --traces all|name,name --backend server|core --out build/bench
//          --docs 0|1 (1: copy the charts into docs/)
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "../test/support/server.mjs";
import { parseArgs } from "./common.mjs";
import { barChart } from "./svg.mjs";
import { connectClient } from "./eviction/client.mjs";
import { TRACES } from "./eviction/traces.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const opts = parseArgs(process.argv.slice(2), {
  memory: "40", seed: "42", requests: "1000000", "max-seconds": "120", traces: "all", backend: "server", out: "build/bench", docs: "0",
});
const MB = Number(opts.memory);
const SMALL = Math.round(MB * 0.8);
const names = opts.traces === "all" ? Object.keys(TRACES) : opts.traces.split(",");
for (const n of names) if (!TRACES[n]) throw new Error(`unknown trace ${n}; traces: ${Object.keys(TRACES).join(" ")}`);
const core = opts.backend === "core" ? await import("./eviction/core.mjs") : null;
const SUBJECTS = [
  { name: "memcached", kind: "memcached", mb: MB },
  { name: "wasmcached", kind: core ? "core" : "wasmcached", mb: MB },
  { name: `wasmcached 0.8x`, kind: core ? "core" : "wasmcached", mb: SMALL },
];

/** A fresh subject: its client and how to stop it. */
async function open(s) {
  if (s.kind === "core") return { client: core.coreClient(s.mb), stop: async () => {} };
  // one CPU for the lot (CPU 0 is kept free for other measurements)
  const server = await startServer(s.kind, ["-t", "1", "-m", String(s.mb)], { cpu: 1 });
  try {
    return { client: await connectClient(server.port), stop: () => server.stop() };
  } catch (e) {
    await server.stop();
    throw e;
  }
}

const COUNTERS = ["curr_items", "bytes", "evictions", "reclaimed", "crawler_reclaimed", "expired_unfetched", "evicted_unfetched"];
let progressAt = 0;
async function runOne(trace, s) {
  const t0 = Date.now();
  const deadline = t0 + Number(opts["max-seconds"]) * 1000;
  const { client, stop } = await open(s);
  try {
    const ctx = {
      mb: MB, seed: Number(opts.seed), requests: Number(opts.requests),
      expired: () => Date.now() > deadline,
      progress(done, total) {
        if (Date.now() - progressAt < 2000) return;
        progressAt = Date.now();
        console.error(`  ${trace} on ${s.name} -m ${s.mb}: ${Math.round((100 * done) / total)}% (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
      },
    };
    const r = await TRACES[trace].run(client, ctx);
    const st = await client.stats();
    r.live_bytes_per_m = Number((Number(st.bytes) / (s.mb * 1048576)).toFixed(4));
    r.stats = Object.fromEntries(COUNTERS.map((k) => [k, st[k] === undefined ? null : Number(st[k])]));
    r.errors = client.errors.count;
    if (client.errors.first) r.first_error = client.errors.first;
    r.complete = !ctx.expired();
    r.seconds = Number(((Date.now() - t0) / 1000).toFixed(1));
    return r;
  } catch (e) {
    return { error: String(e.message ?? e), seconds: Number(((Date.now() - t0) / 1000).toFixed(1)) };
  } finally {
    client.close();
    await stop();
  }
}

const result = {
  benchmark: "eviction", memory_mb: MB, small_memory_mb: SMALL, seed: Number(opts.seed), requests: Number(opts.requests),
  backend: core ? "wasmcached = the Wasm store in process" : "both servers -t 1 over loopback TCP", traces: {},
};
const started = Date.now();
for (const [i, trace] of names.entries()) {
  result.traces[trace] = {};
  for (const s of SUBJECTS) {
    console.error(`bench:eviction [${i + 1}/${names.length}] ${trace} on ${s.name} -m ${s.mb} (${((Date.now() - started) / 1000).toFixed(0)} s so far)`);
    result.traces[trace][s.name] = await runOne(trace, s);
  }
}

const figure = (trace, r) => (r.error ? `error (${r.error})` : `${r[TRACES[trace].metric]}${r.complete ? "" : " (partial)"}`);
const summary = names.map((trace) => {
  const t = result.traces[trace];
  const metric = TRACES[trace].metric;
  return `bench:eviction ${trace} ${metric}: memcached -m ${MB} ${figure(trace, t.memcached)}, wasmcached -m ${MB} ${figure(trace, t.wasmcached)}, ` +
    `wasmcached -m ${SMALL} ${figure(trace, t["wasmcached 0.8x"])}; live bytes/-m ${t.memcached.live_bytes_per_m} / ${t.wasmcached.live_bytes_per_m} / ${t["wasmcached 0.8x"].live_bytes_per_m}`;
});

const out = resolve(root, opts.out);
mkdirSync(out, { recursive: true });
writeFileSync(join(out, "eviction.json"), `${JSON.stringify(result, null, 2)}\n`);
const groups = (metric) => names.filter((n) => TRACES[n].metric === metric).map((n) => ({
  label: n,
  bars: SUBJECTS.map((s) => ({ series: `${s.name} (-m ${s.mb})`, value: result.traces[n][s.name][metric] ?? 0 })),
}));
const sub = `seed ${opts.seed}, ${opts.requests} requests, -t 1 each, ${core ? "wasmcached in process" : "loopback TCP"}`;
const charts = {
  "eviction-hit-ratio.svg": barChart({ title: "Hit ratio by trace (cold items kept for overwrite and ttl)", subtitle: sub, unit: "hit ratio", groups: groups("hit_ratio") }),
  "eviction-efficiency.svg": barChart({ title: "Items kept per MB of -m", subtitle: sub, unit: "items/MB", groups: groups("items_per_mb") }),
};
for (const [file, svg] of Object.entries(charts)) {
  writeFileSync(join(out, file), svg);
  if (opts.docs === "1") copyFileSync(join(out, file), join(root, "docs", file));
}
console.log(JSON.stringify(result, null, 2));
for (const line of summary) console.log(line);
console.error(`bench:eviction: wrote ${join(opts.out, "eviction.json")} and the charts (${((Date.now() - started) / 1000).toFixed(0)} s)`);
