// Differential test of the binary protocol: the scripted requests of
// binary-script.ts to Debian's memcached and to the server under test
// (E2E_SERVER=memcached makes it a second memcached, which validates the
// script and the harness). Responses must be byte-identical except CAS
// fields, masked as described in maskCas.
import { expect, test } from "vitest";
import { RawClient } from "../support/raw-client.js";
import { startServer, subjectKind } from "../support/server.mjs";
import { type BinRequest, type BinStep, binarySteps } from "./binary-script.js";

const ARGS = ["-m", "64", "-t", "2"];
const HEADER = 24;
/** memcached answers on loopback well within this; silence this long ends its reply. */
const REF_IDLE_MS = 80;
const SUBJECT_TIMEOUT_MS = 3000;
const EXTRA_IDLE_MS = 60;
const SPLIT_GAP_MS = 20;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Each response packet's CAS field (offset 16) from a byte stream of whole packets. */
function packetCas(reply: Buffer): bigint[] {
  const out: bigint[] = [];
  for (let pos = 0; pos + HEADER <= reply.length; pos += HEADER + reply.readUInt32BE(pos + 8)) {
    out.push(reply.readBigUInt64BE(pos + 16));
  }
  return out;
}

/** True when the bytes are whole response packets (none cut short). */
function complete(reply: Buffer): boolean {
  let pos = 0;
  while (pos + HEADER <= reply.length) pos += HEADER + reply.readUInt32BE(pos + 8);
  return pos === reply.length;
}

function encode(r: BinRequest, casOf: (step: number) => bigint): Buffer {
  const key = Buffer.from(r.key ?? "", "latin1");
  const extras = r.extras ?? Buffer.alloc(0);
  const value = typeof r.value === "string" ? Buffer.from(r.value, "latin1") : (r.value ?? Buffer.alloc(0));
  const h = Buffer.alloc(HEADER);
  h[0] = r.magic ?? 0x80;
  h[1] = r.opcode;
  h.writeUInt16BE(r.keylen ?? key.length, 2);
  h[4] = r.extlen ?? extras.length;
  h.writeUInt32BE(r.bodylen ?? extras.length + key.length + value.length, 8);
  h.writeUInt32BE(r.opaque ?? 0xa5a5a5a5, 12);
  const cas = r.cas === undefined ? 0n : typeof r.cas === "bigint" ? r.cas : casOf(r.cas.fromStep);
  h.writeBigUInt64BE(cas, 16);
  return Buffer.concat([h, extras, key, value, r.trailer ?? Buffer.alloc(0)]);
}

/**
 * The CAS field of a response is a per-server counter: memcached's depends on
 * every item it ever allocated, so two servers give the same item different
 * numbers. Where both servers put a non-zero CAS in the same packet it is
 * replaced by "<cas>"; a zero on one side and not the other stays a mismatch.
 * Everything else (headers, opaque, statuses, bodies) is compared as is.
 */
function maskCas(ref: Buffer, sub: Buffer): [string, string] {
  const r = Buffer.from(ref);
  const s = Buffer.from(sub);
  for (let pos = 0; pos + HEADER <= r.length && pos + HEADER <= s.length; pos += HEADER + r.readUInt32BE(pos + 8)) {
    if (r.readBigUInt64BE(pos + 16) !== 0n && s.readBigUInt64BE(pos + 16) !== 0n) {
      r.fill(0xcc, pos + 16, pos + 24);
      s.fill(0xcc, pos + 16, pos + 24);
    }
    if (r.readUInt32BE(pos + 8) !== s.readUInt32BE(pos + 8)) break;
  }
  return [r.toString("hex"), s.toString("hex")];
}

interface Side {
  port: number;
  client: RawClient;
  /** The raw reply of every step so far (for CAS references). */
  replies: Buffer[];
}

async function sendStep(side: Side, step: BinStep): Promise<void> {
  const bytes = Buffer.concat(step.requests.map((r) => encode(r, (i) => packetCas(side.replies[i])[0] ?? 0n)));
  const cuts = [0, ...(step.split ?? []), bytes.length];
  for (let i = 0; i + 1 < cuts.length; i++) {
    if (i > 0) await sleep(SPLIT_GAP_MS);
    if (side.client.closed) return;
    await side.client.send(bytes.subarray(cuts[i], cuts[i + 1])).catch(() => undefined);
  }
}

async function readReference(c: RawClient): Promise<Buffer> {
  let reply = await c.readIdle(REF_IDLE_MS, 30_000);
  const deadline = Date.now() + 5000;
  while (!complete(reply) && !c.closed && Date.now() < deadline) {
    reply = Buffer.concat([reply, await c.readIdle(REF_IDLE_MS, 30_000)]);
  }
  return reply;
}

const show = (hex: string) => (hex.length > 400 ? `${hex.slice(0, 360)}…(${hex.length / 2} bytes)` : hex);

test(`binary differential: ${binarySteps.length} steps, memcached vs ${subjectKind()}`, { timeout: 120_000 }, async () => {
  expect(binarySteps.length).toBeGreaterThanOrEqual(60);
  // the steps that CAS steps refer to are the ones their authors meant
  for (const i of [8, 39]) expect(binarySteps[i].what).toContain("CAS source");
  const ref = await startServer("memcached", ARGS);
  try {
    const sub = await startServer(subjectKind(), ARGS);
    try {
      const sides: Side[] = [
        { port: ref.port, client: await RawClient.connect(ref.port), replies: [] },
        { port: sub.port, client: await RawClient.connect(sub.port), replies: [] },
      ];
      const mismatches: string[] = [];
      const anchors: string[] = [];
      let answered = 0;
      for (let i = 0; i < binarySteps.length; i++) {
        const step = binarySteps[i];
        for (const side of sides) {
          if (step.reconnect || side.client.closed) {
            side.client.close();
            side.client = await RawClient.connect(side.port);
          }
        }
        await Promise.all(sides.map((side) => sendStep(side, step)));
        const r = await readReference(sides[0].client);
        let s = await sides[1].client.readUntil((b) => b.length >= r.length, SUBJECT_TIMEOUT_MS, 30_000);
        if (s.length >= r.length) s = Buffer.concat([s, await sides[1].client.readIdle(EXTRA_IDLE_MS)]);
        sides[0].replies.push(r);
        sides[1].replies.push(s);
        if (r.length > 0) answered++;
        if (step.status !== undefined && (r.length < HEADER || r.readUInt16BE(6) !== step.status)) {
          anchors.push(`step ${i} (${step.what}): memcached's status is not ${step.status}: ${show(r.toString("hex"))}`);
        }
        const [rm, sm] = maskCas(r, s);
        const refClosed = sides[0].client.closed;
        const subClosed = sides[1].client.closed;
        if (rm !== sm || refClosed !== subClosed) {
          mismatches.push(`step ${i} (${step.what}):\n  memcached: ${show(rm)}${refClosed ? " [closed]" : ""}\n  subject  : ${show(sm)}${subClosed ? " [closed]" : ""}`);
        }
      }
      for (const side of sides) side.client.close();
      expect(anchors, anchors.join("\n")).toEqual([]);
      // a harness that read nothing would compare nothing with nothing
      expect(answered).toBeGreaterThan(binarySteps.length * 0.8);
      expect(mismatches.length, `${mismatches.length} of ${binarySteps.length} steps differ:\n${mismatches.join("\n")}`).toBe(0);
    } finally {
      await sub.stop();
    }
  } finally {
    await ref.stop();
  }
});
