// What the DPDK tests need, checked up front: a missing piece fails the test
// with the fix in the message (CI must not skip them).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { wasmcachedEntry } from "./server.mjs";

export const dpdkShim = fileURLToPath(new URL("../../build/libwcdpdk.so", import.meta.url));

export function requireDpdk(): void {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) throw new Error("the DPDK tests need root");
  if (!existsSync(wasmcachedEntry)) throw new Error(`${wasmcachedEntry} does not exist: run \`npm run build\``);
  if (!existsSync(dpdkShim)) throw new Error(`${dpdkShim} does not exist: apt-get install dpdk libdpdk-dev pkg-config; npm run build`);
}
