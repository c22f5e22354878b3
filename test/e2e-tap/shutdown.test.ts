// SIGTERM with connections open through the userspace stack: every client
// sees its connection reset at once (net_shutdown's RSTs), none hangs, and
// the server exits 0. Half the clients are idle after a reply, half have
// sent a partial request the server still holds (unread data).
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { python, startTapServer } from "./tap-server.mjs";

const CONNS = 100; // more than one burst of RSTs (64 tx buffers)

/** Opens N connections, prints "ready", then reports how and when (unix ms) each one ended. */
const CLIENT = String.raw`
import json, select, socket, sys, time
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
socks = [socket.create_connection((host, port), timeout=5) for _ in range(n)]
for i, s in enumerate(socks):
    if i % 2 == 0:
        s.sendall(b"version\r\n")
        buf = b""
        while not buf.endswith(b"\r\n"):
            buf += s.recv(100)
    else:
        s.sendall(b"get partial")
print("ready", flush=True)
for s in socks:
    s.setblocking(False)
ends, pending = {}, set(range(n))
deadline = time.time() + 5
while pending and time.time() < deadline:
    ready, _, _ = select.select([socks[i] for i in pending], [], [], 0.1)
    for s in ready:
        i = socks.index(s)
        try:
            if s.recv(4096):
                continue
            how = "eof"
        except ConnectionResetError:
            how = "reset"
        except OSError as e:
            how = "errno %d" % e.errno
        ends[i] = [how, time.time() * 1000]
        pending.discard(i)
print(json.dumps({"ends": ends, "hung": sorted(pending)}), flush=True)
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("SIGTERM over TAP", () => {
  it("resets every open connection within a second and exits 0", async () => {
    const s = await startTapServer(["-v"]);
    try {
      const client = spawn("ip", ["netns", "exec", s.ns, python, "-c", CLIENT, s.ip, String(s.port), String(CONNS)], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let err = "";
      client.stdout.on("data", (d) => (out += d));
      client.stderr.on("data", (d) => (err += d));
      const closed = new Promise<number | null>((resolve) => client.once("close", resolve));
      const deadline = Date.now() + 20_000;
      while (!out.includes("ready\n")) {
        if (client.exitCode !== null || Date.now() > deadline) throw new Error(`client not ready:\n${out}\n${err}\n${s.output()}`);
        await sleep(20);
      }
      const t0 = Date.now();
      process.kill(s.pid, "SIGTERM");
      const status = await closed;
      const context = `--- client\n${out}\n${err}\n--- server\n${s.output()}`;
      expect(status, context).toBe(0);
      const result = JSON.parse(out.slice(out.indexOf("ready\n") + 6)) as { ends: Record<string, [string, number]>; hung: number[] };
      expect(result.hung, context).toEqual([]);
      expect(Object.keys(result.ends)).toHaveLength(CONNS);
      for (const [how, at] of Object.values(result.ends)) {
        expect(how, context).toBe("reset");
        expect(at - t0, context).toBeLessThan(1000);
      }
      for (let i = 0; i < 100 && alive(s.pid); i++) await sleep(50);
      expect(await s.stop()).toBe(0);
      expect(s.output()).toContain(`shutdown: ${CONNS} connections reset, 0 frames unsent`);
    } finally {
      await s.stop();
    }
  });
});
