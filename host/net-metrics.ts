// Prometheus lines for the userspace stack's counters of every core and the
// DPDK port's statistics, read by the main thread while the workers run: the
// stack's through a main-thread netstack instance attached read-only to each
// core's region in turn (net_attach), the port's through rte_eth_stats.
import { type Layout, coreRegions } from "./layout.js";
import { ModuleError } from "./errors.js";
import type { NetstackExports } from "./modules.js";

type CounterReader = Pick<NetstackExports, "net_attach" | "net_counter_count" | "net_counter" | "net_counter_name">;

/** prefix + name in Prometheus's snake case (rxNoMbuf -> rx_no_mbuf). */
const metricName = (prefix: string, name: string) =>
  `${prefix}${name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase().replace(/[^a-z0-9_]/g, "_")}`;

/** wasmcached_net_<counter>{core="i"} for every counter of every core (all are monotonic counters). */
export function stackMetrics(net: CounterReader, memory: WebAssembly.Memory, layout: Layout): string {
  const series = new Map<string, string[]>();
  for (let core = 0; core < layout.threads; core++) {
    const rc = net.net_attach(layout.control, coreRegions(layout, core).transport, layout.transportRegionSize);
    if (rc !== 0) throw new ModuleError("ERR_METRICS", `net_attach(core ${core}) returned ${rc}`);
    const bytes = new Uint8Array(memory.buffer);
    for (let i = 0; i < net.net_counter_count(); i++) {
      const at = net.net_counter_name(i) >>> 0;
      const name = Buffer.from(bytes.subarray(at, bytes.indexOf(0, at))).toString("latin1");
      const metric = metricName("wasmcached_net_", name);
      const lines = series.get(metric) ?? [];
      lines.push(`${metric}{core="${core}"} ${net.net_counter(i)}`);
      series.set(metric, lines);
    }
  }
  const out: string[] = [];
  for (const [metric, lines] of series) out.push(`# TYPE ${metric} counter`, ...lines);
  return out.length ? `${out.join("\n")}\n` : "";
}

/** wasmcached_dpdk_port_<stat>{port="p"} from DpdkPort.stats() (rte_eth_stats: all counters). */
export function portMetrics(portId: number, stats: Record<string, number>): string {
  const out: string[] = [];
  for (const [k, v] of Object.entries(stats)) {
    const metric = metricName("wasmcached_dpdk_port_", k);
    out.push(`# TYPE ${metric} counter`, `${metric}{port="${portId}"} ${v}`);
  }
  return out.length ? `${out.join("\n")}\n` : "";
}
