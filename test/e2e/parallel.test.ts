// -t 2: many client connections at once, every one served.
import { afterAll, beforeAll, expect, test } from "vitest";
import { RawClient } from "../support/raw-client.js";
import { startServer, subjectKind, type ServerHandle } from "../support/server.mjs";

const CONNECTIONS = 200;
const ROUNDS = 20;

let server: ServerHandle;
beforeAll(async () => {
  server = await startServer(subjectKind(), ["-t", "2", "-m", "64"]);
});
afterAll(async () => server?.stop());

test(`${CONNECTIONS} parallel connections × ${ROUNDS} set/get rounds, all served`, async () => {
  const clients = await Promise.all(Array.from({ length: CONNECTIONS }, () => RawClient.connect(server.port)));
  try {
    const results = await Promise.all(
      clients.map(async (c, i) => {
        let ok = 0;
        for (let r = 0; r < ROUNDS; r++) {
          const key = `par:${i}:${r}`;
          const val = `v${i}.${r}`.padEnd(8 + ((i + r) % 50), "x");
          const stored = await c.request(`set ${key} ${i} 0 ${val.length}\r\n${val}\r\n`, "\r\n");
          if (stored !== "STORED\r\n") throw new Error(`conn ${i} round ${r}: set -> ${JSON.stringify(stored)}`);
          const got = await c.request(`get ${key}\r\n`, "END\r\n");
          const want = `VALUE ${key} ${i} ${val.length}\r\n${val}\r\nEND\r\n`;
          if (got !== want) throw new Error(`conn ${i} round ${r}: get -> ${JSON.stringify(got)}`);
          ok++;
        }
        return ok;
      }),
    );
    expect(results.reduce((a, b) => a + b, 0)).toBe(CONNECTIONS * ROUNDS);
  } finally {
    for (const c of clients) c.close();
  }
  // A connection opened after the burst is still served, and sees every key.
  const c = await RawClient.connect(server.port);
  try {
    const keys = Array.from({ length: CONNECTIONS }, (_, i) => `par:${i}:${ROUNDS - 1}`);
    const reply = await c.request(`get ${keys.join(" ")}\r\n`, "END\r\n");
    expect(reply.match(/^VALUE /gm)?.length).toBe(CONNECTIONS);
  } finally {
    c.close();
  }
});
