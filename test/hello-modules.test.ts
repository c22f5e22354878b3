// The guide's two smallest modules (docs/writing-a-module.md) over the store
// ABI: hello-c (C, modules/hello-c) beside memcached, hello (AssemblyScript,
// assembly/hello) beside the RESP module; each reads what the other wrote.
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { freePort, startServer, type ServerHandle } from "./support/server.mjs";

function exchange(port: number, request: string, until: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = "";
    let tries = 0;
    const go = () => {
      const s = net.connect({ port, host: "127.0.0.1" }, () => s.write(request));
      const timer = setTimeout(() => { s.destroy(); reject(new Error(`timed out: ${JSON.stringify(got)}`)); }, 5000);
      s.on("data", (d) => { got += d.toString("latin1"); if (until.test(got)) { clearTimeout(timer); s.destroy(); resolve(got); } });
      s.on("error", (err) => { clearTimeout(timer); if (++tries < 40) setTimeout(go, 50); else reject(err); });
    };
    go();
  });
}

let server: ServerHandle | undefined;
afterEach(async () => { await server?.stop(); server = undefined; });

describe("the guide's hello modules", () => {
  it("hello-c (C) reads what memcached stored; misses and long lines as documented", async () => {
    const port = await freePort();
    server = await startServer("wasmcached", ["--app", "memcached", "--app", `hello-c@${port}`, "-t", "2"]);
    expect(await exchange(server.port, "set greeting 3 0 5\r\nhello\r\n", /\r\n$/)).toBe("STORED\r\n");
    expect(await exchange(port, "greeting\nnope\r\n\ngreeting\n", /(?:.*\n){4}/)).toBe("hello\n(nil)\n(nil)\nhello\n");
  });

  it("hello (AssemblyScript) reads what RESP stored", async () => {
    const port = await freePort();
    server = await startServer("wasmcached", ["--app", "hello", "--app", `resp@${port}`, "-t", "1"]);
    expect(await exchange(port, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv1\r\n", /\r\n$/)).toBe("+OK\r\n");
    expect(await exchange(server.port, "k\nmissing\n", /(?:.*\n){2}/)).toBe("v1\n(nil)\n");
  });

  it("refuses two modules whose static data would overlap", async () => {
    const port = await freePort();
    await expect(startServer("wasmcached", ["--app", "memcached", "--app", `hello@${port}`])).rejects.toThrow(/ERR_APP_STATICS|share the lower part/);
  });
});
