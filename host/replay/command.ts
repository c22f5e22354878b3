// `wasmcached replay CAPTURE [--out OUT.pcap|OUT.pcapng] [--check] ...`: read,
// replay, write, check. Returns the exit status; HostErrors propagate to main.
import { readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import type { ReplayConfig } from "../cli.js";
import { WASMCACHED_VERSION } from "../version.js";
import { check, formatDivergence, MASKS } from "./check.js";
import { CaptureError, EX_DATAERR, readCapture } from "./pcap-reader.js";
import { ipPort, replay, toPcap, toPcapng } from "./replay.js";

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

const stdio: Output = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

/** The format --out writes: pcapng for a name ending in .pcapng (any case), classic pcap otherwise. */
export function outFormat(path: string): "pcap" | "pcapng" {
  return /\.pcapng$/i.test(path) ? "pcapng" : "pcap";
}

export function runReplay(config: ReplayConfig, io: Output = stdio): number {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(config.capture);
  } catch (err) {
    throw new CaptureError("ERR_CAPTURE_READ", `${config.capture}: ${(err as Error).message}`);
  }
  const capture = readCapture(bytes, config.capture);
  const result = replay(capture.frames, {
    app: config.app, serverIp: config.serverIp, serverMac: config.serverMac, serverPort: config.serverPort,
  });
  if (config.out !== undefined) {
    // the source's base name only: the same replay from another directory gives the same bytes
    const comment = `wasmcached ${WASMCACHED_VERSION} replay of ${basename(config.capture)}`;
    writeFileSync(config.out, outFormat(config.out) === "pcapng" ? toPcapng(result.emitted, comment) : toPcap(result.emitted));
  }
  io.out(
    `replay: ${config.capture} (${capture.format}, ${capture.frames.length} frames): server ${ipPort(result.server.ip, result.server.port)}, ` +
    `fed ${result.fed.length}, emitted ${result.emitted.length}, pacing ACKs ${result.pacingAcks}` +
    (result.skippedAfterDivergence ? `, ${result.skippedAfterDivergence} frames not fed after a divergence` : "") +
    (result.oversize ? `, ${result.oversize} oversize frames skipped` : "") +
    (result.arpAnswered ? `, ${result.arpAnswered} ARP requests answered for the clients` : "") + "\n",
  );
  if (result.midstream.length) {
    io.err(`replay: ${result.midstream.length} connection(s) started before the capture (no SYN in it), not replayed: ` +
      `${result.midstream.join(", ")}\n`);
  }
  if (!config.check) return 0;
  const c = check(result);
  if (c.connections === 0) {
    io.err("check: no connection to compare (each is replayed from its SYN)\n");
    return EX_DATAERR;
  }
  if (c.incomplete.length) {
    io.err(`check: the capture lost bytes (dropped by the capturing kernel?), so it cannot be compared whole:\n  ${c.incomplete.join("\n  ")}\n`);
    return EX_DATAERR;
  }
  if (c.divergence) {
    io.err(formatDivergence(c.divergence) + "\n");
    return EX_DATAERR;
  }
  io.out(`check: ${c.connections} connections, ${c.bytes} reply bytes equal (masks: ${MASKS.map((m) => m.name).join(", ")})\n`);
  return 0;
}
