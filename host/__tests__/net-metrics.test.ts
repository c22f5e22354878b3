// The stack's and the DPDK port's Prometheus lines (host/net-metrics.ts).
import { describe, expect, it } from "vitest";
import { portMetrics, stackMetrics } from "../net-metrics.js";
import type { Layout } from "../layout.js";

describe("net metrics", () => {
  it("names every port statistic in snake case, labelled with the port", () => {
    expect(portMetrics(1, { ipackets: 5, rxNoMbuf: 2 })).toBe(
      "# TYPE wasmcached_dpdk_port_ipackets counter\nwasmcached_dpdk_port_ipackets{port=\"1\"} 5\n" +
        "# TYPE wasmcached_dpdk_port_rx_no_mbuf counter\nwasmcached_dpdk_port_rx_no_mbuf{port=\"1\"} 2\n",
    );
  });

  it("groups each counter's series over the cores, attaching to each core's region in turn", () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const bytes = new Uint8Array(memory.buffer);
    bytes.set(Buffer.from("if_rx_frames\0tcp_seg_in\0"), 100);
    const names = [100, 113];
    let attached = -1;
    const reader = {
      net_attach: (_control: number, base: number) => ((attached = base), 0),
      net_counter_count: () => 2,
      net_counter: (i: number) => BigInt(attached * 10 + i),
      net_counter_name: (i: number) => names[i],
    };
    const layout = { threads: 2, control: 0, coreBase: 1, coreStride: 1, appOffset: 0, transportRegionSize: 1 } as unknown as Layout;
    expect(stackMetrics(reader, memory, layout)).toBe(
      "# TYPE wasmcached_net_if_rx_frames counter\nwasmcached_net_if_rx_frames{core=\"0\"} 10\nwasmcached_net_if_rx_frames{core=\"1\"} 20\n" +
        "# TYPE wasmcached_net_tcp_seg_in counter\nwasmcached_net_tcp_seg_in{core=\"0\"} 11\nwasmcached_net_tcp_seg_in{core=\"1\"} 21\n",
    );
  });
});
