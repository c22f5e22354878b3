import { describe, expect, it } from "vitest";
import { parseStats, toPrometheus } from "../metrics.js";

describe("metrics", () => {
  const listing = "STAT pid 42\r\nSTAT uptime 7\r\nSTAT version 1.6.18\r\nSTAT rusage_user 0.120000\r\nSTAT cmd_get 3\r\nEND\r\n";

  it("parses memcached's STAT lines in order", () => {
    expect(parseStats(listing)).toEqual([
      ["pid", "42"], ["uptime", "7"], ["version", "1.6.18"], ["rusage_user", "0.120000"], ["cmd_get", "3"],
    ]);
  });

  it("exposes numbers as counters or gauges and text as _info labels", () => {
    expect(toPrometheus(parseStats(listing))).toBe(
      [
        "# TYPE memcached_pid gauge", "memcached_pid 42",
        "# TYPE memcached_uptime gauge", "memcached_uptime 7",
        "# TYPE memcached_version_info gauge", 'memcached_version_info{version="1.6.18"} 1',
        "# TYPE memcached_rusage_user counter", "memcached_rusage_user 0.120000",
        "# TYPE memcached_cmd_get counter", "memcached_cmd_get 3",
      ].join("\n") + "\n",
    );
  });
});
