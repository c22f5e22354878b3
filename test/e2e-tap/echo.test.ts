// The echo module over TAP with frame faults: the kernel's TCP and ours
// recover 5% loss and 10% reordering in both directions; 16 MiB arrive intact.
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TapServer, python, report, startTapServer } from "./tap-server.mjs";

const clients = fileURLToPath(new URL("./clients.py", import.meta.url));
const BYTES = 16 << 20;

describe("echo over TAP with --faults loss=0.05,reorder=0.1", () => {
  let server: TapServer | undefined;

  beforeAll(async () => {
    server = await startTapServer(["--app", "echo", "--faults", "loss=0.05,reorder=0.1,seed=7", "-v"]);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("carries 16 MiB intact", async () => {
    const s = server!;
    expect(s.output()).toMatch(/faults loss=0\.05,reorder=0\.1,dup=0,corrupt=0,seed=7,delay=10/);
    const r = await s.exec([python, clients, "echo", s.ip, String(s.port), String(BYTES), "42"], 170_000);
    expect(r.status, report(r, s)).toBe(0);
    const m = /^echo: (\d+) bytes in \S+ s, sent (\w+), received (\w+)$/m.exec(r.stdout);
    expect(m, report(r, s)).not.toBeNull();
    expect(Number(m![1])).toBe(BYTES);
    expect(m![3]).toBe(m![2]);
  }, 180_000);

  it("lost and reordered frames on the way, and exits 0 on SIGTERM", async () => {
    const s = server!;
    const code = await s.stop();
    server = undefined;
    expect(code).toBe(0);
    // -v prints the device's counters at exit: the faults really happened.
    const m = /tap:\S+ \{[^}]*\}|faults\(tap:\S+\) (\{[^}]*\})/.exec(s.output());
    expect(m, s.output()).not.toBeNull();
    const counters = JSON.parse(m![1]) as Record<string, number>;
    expect(counters.rxLost).toBeGreaterThan(0);
    expect(counters.txLost).toBeGreaterThan(0);
    expect(counters.rxReordered).toBeGreaterThan(0);
    expect(counters.txReordered).toBeGreaterThan(0);
  });
});
