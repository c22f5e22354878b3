// Starting and stopping the TAP backend: one thread whatever -t says, an idle
// server that sleeps, SIGINT, and a refused configuration.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { wasmcachedEntry } from "../support/server.mjs";
import { requireTapPrivileges, startTapServer } from "./tap-server.mjs";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds (user + system) a process has used, from /proc (clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

describe("the TAP backend", () => {
  it("serves with one thread when -t asks for more, sleeps when idle, and exits 0 on SIGINT", async () => {
    const s = await startTapServer(["-t", "2"]);
    try {
      expect(s.output()).toContain("wasmcached: a TAP device has one queue: serving with 1 thread (-t 2 ignored)");
      expect(s.output()).toMatch(/via TAP \S+ \(userspace TCP\/IP, 1 thread,/);
      await sleep(500);
      const before = cpuSeconds(s.pid);
      await sleep(2000);
      // Idle: poll() on the TAP fd with the stack's timer as timeout, not a spin.
      expect(cpuSeconds(s.pid) - before).toBeLessThan(0.3);
      process.kill(s.pid, "SIGINT");
      const t0 = Date.now();
      expect(await s.stop()).toBe(0);
      expect(Date.now() - t0).toBeLessThan(3000);
    } finally {
      await s.stop();
    }
  });

  it("serves as -u's user once the TAP is open (set-up as root, then no root)", async () => {
    const s = await startTapServer(["-u", "nobody", "-v"]);
    try {
      expect(s.output()).toContain("wasmcached: running as nobody");
      const status = readFileSync(`/proc/${s.pid}/status`, "utf8");
      expect(/^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$/m.exec(status)?.slice(1)).toEqual(["65534", "65534", "65534", "65534"]);
      expect(/^Gid:\s+(\d+)/m.exec(status)?.[1]).toBe("65534");
      const client = "import socket,sys; c=socket.create_connection((sys.argv[1], int(sys.argv[2])), 5); " +
        "c.sendall(b'set u 0 0 2\\r\\nok\\r\\nget u\\r\\n'); d=b''\n" +
        "while not d.endswith(b'END\\r\\n'): d+=c.recv(4096)\nsys.stdout.write(d.decode())";
      const r = await s.exec(["python3", "-c", client, s.ip, String(s.port)], 20_000);
      expect(r.stdout, `${r.stderr}\n${s.output()}`).toBe("STORED\r\nVALUE u 0 2\r\nok\r\nEND\r\n");
      expect(await s.stop()).toBe(0);
    } finally {
      await s.stop();
    }
  });

  it("refuses an MTU larger than the interface's, with exit code 64", () => {
    requireTapPrivileges();
    const name = `wcm${process.pid % 1_000_000}`;
    const r = spawnSync(process.execPath, [wasmcachedEntry, "--tap", name, "--ip", "10.99.0.2/24", "--mtu", "2000"], {
      encoding: "utf8", timeout: 20_000,
    });
    expect(r.status, r.stderr).toBe(64);
    expect(r.stderr).toMatch(/--mtu 2000 is larger than \S+'s MTU 1500/);
    expect(r.stdout).toBe("");
    expect(spawnSync("ip", ["link", "show", name]).status).not.toBe(0); // the TAP went with the process
  });
});
