// Replays a differential script on two servers at once and compares replies.
import { expect } from "vitest";
import { RawClient } from "../support/raw-client.js";
import type { Step } from "./script.js";

/** memcached answers on loopback in well under a millisecond; this much
 * silence after its last byte means its reply to a step is complete. */
const REF_IDLE_MS = 60;
/** No reply at all may also be a reply delayed by a loaded machine: before
 * taking silence as the answer, wait this much longer. */
const REF_SILENCE_MS = 400;
/** After the subject has sent as many bytes as the reference, wait this long
 * for extra bytes it should not have sent. */
const EXTRA_IDLE_MS = 60;
/** How long the subject may take to produce the reference's byte count. */
const SUBJECT_TIMEOUT_MS = 2000;
/** Gap between the writes of a split step, so each arrives on its own. */
const SPLIT_GAP_MS = 20;
/** After this long the remaining steps are reported as not run, so a hung
 * subject still yields a mismatch list inside the test's timeout. */
const BUDGET_MS = 140_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface StepResult {
  index: number;
  send: string;
  ref: string;
  sub: string;
  refClosed: boolean;
  subClosed: boolean;
}

interface Side {
  port: number;
  client: RawClient;
  /** Why this side can no longer be reached, once it cannot. */
  dead?: string;
  /** key -> the CAS unique this server last reported for it. */
  cas: Map<string, string>;
}

const VALUE_LINE = /^VALUE (\S+) (\d+) (\d+)(?: (\d+))?$/;

/**
 * Replaces the CAS field of every `VALUE key flags bytes cas` header with
 * "<cas>" and records key -> cas in `seen`. This is the only mask: CAS
 * uniques are per-server counters that legitimately differ (memcached's
 * depend on its internal history, e.g. items it allocated). Data blocks are
 * skipped by their declared length, so data that happens to look like a
 * VALUE line is never touched. Nothing else is masked.
 */
export function maskCas(reply: Buffer, seen?: Map<string, string>): string {
  const s = reply.toString("latin1");
  let out = "";
  let pos = 0;
  while (pos < s.length) {
    const eol = s.indexOf("\r\n", pos);
    if (eol < 0) {
      out += s.slice(pos);
      break;
    }
    const line = s.slice(pos, eol);
    const m = VALUE_LINE.exec(line);
    if (m && m[4] !== undefined) {
      seen?.set(m[1], m[4]);
      out += `VALUE ${m[1]} ${m[2]} ${m[3]} <cas>\r\n`;
    } else {
      out += line + "\r\n";
    }
    pos = eol + 2;
    if (m) {
      // Copy the data block (and its CRLF) verbatim.
      const end = Math.min(s.length, pos + Number(m[3]) + 2);
      out += s.slice(pos, end);
      pos = end;
    }
  }
  return out;
}

/**
 * True when a reply could be whole: it ends with CRLF and every VALUE block
 * is complete and closed by END. Guards the idle-timeout read of the
 * reference against a reply cut by a scheduling pause on a loaded machine.
 */
function looksComplete(reply: Buffer): boolean {
  const s = reply.toString("latin1");
  if (s.length === 0) return true;
  if (!s.endsWith("\r\n")) return false;
  let pos = 0;
  let openValues = false;
  while (pos < s.length) {
    const eol = s.indexOf("\r\n", pos);
    if (eol < 0) return false;
    const line = s.slice(pos, eol);
    pos = eol + 2;
    const m = VALUE_LINE.exec(line);
    if (m) {
      openValues = true;
      pos += Number(m[3]) + 2;
      if (pos > s.length) return false;
    } else if (line === "END") {
      openValues = false;
    }
  }
  return !openValues;
}

async function readReference(client: RawClient): Promise<Buffer> {
  const deadline = Date.now() + 5000;
  let reply = await client.readIdle(REF_IDLE_MS, 30_000);
  if (reply.length === 0 && !client.closed) reply = await client.readIdle(REF_SILENCE_MS, 30_000);
  while (!looksComplete(reply) && !client.closed && Date.now() < deadline) {
    reply = Buffer.concat([reply, await client.readIdle(REF_IDLE_MS, 30_000)]);
  }
  return reply;
}

function substitute(send: string, side: Side, index: number): string {
  return send.replace(/\{\{cas:([^}]+)\}\}/g, (_m, key: string) => {
    const v = side.cas.get(key);
    if (v === undefined) throw new Error(`step ${index}: no CAS recorded for ${key} on port ${side.port}`);
    return v;
  });
}

async function sendStep(side: Side, step: Step, index: number): Promise<void> {
  const bytes = Buffer.from(substitute(step.send, side, index), "latin1");
  // Split offsets refer to the step as written; a CAS substitution shifts
  // later bytes, so offsets past a placeholder are not supported.
  const cuts = [0, ...(step.split ?? []), bytes.length];
  for (let i = 0; i + 1 < cuts.length; i++) {
    if (i > 0) await sleep(SPLIT_GAP_MS);
    if (side.client.closed) return;
    await side.client.send(bytes.subarray(cuts[i], cuts[i + 1])).catch(() => undefined);
  }
}

async function connectSide(side: Side): Promise<void> {
  side.client?.close();
  try {
    side.client = await RawClient.connect(side.port);
  } catch (err) {
    side.dead = `cannot reconnect: ${(err as Error).message}`;
  }
}

/** Runs every step on both servers; returns one result per step. */
export async function runDifferential(refPort: number, subPort: number, steps: Step[]): Promise<StepResult[]> {
  const ref: Side = { port: refPort, client: await RawClient.connect(refPort), cas: new Map() };
  const sub: Side = { port: subPort, client: await RawClient.connect(subPort), cas: new Map() };
  const results: StepResult[] = [];
  const deadline = Date.now() + BUDGET_MS;
  try {
    for (let index = 0; index < steps.length; index++) {
      const step = steps[index];
      // A step after one that closed a connection starts on a new one.
      for (const side of [ref, sub]) if (step.reconnect || side.client.closed) await connectSide(side);
      if (ref.dead) throw new Error(`step ${index}: the reference memcached is gone (${ref.dead})`);
      if (sub.dead || Date.now() > deadline) {
        const why = sub.dead ?? `not run: the ${BUDGET_MS / 1000} s budget was spent`;
        results.push({ index, send: step.send, ref: "", sub: `<${why}>`, refClosed: false, subClosed: true });
        continue;
      }
      if (step.delayMs) await sleep(step.delayMs);

      await Promise.all([sendStep(ref, step, index), sendStep(sub, step, index)]);
      const refBytes = await readReference(ref.client);
      // The reference's reply length is the oracle for when the subject's is complete.
      let subBytes = await sub.client.readUntil((b) => b.length >= refBytes.length, SUBJECT_TIMEOUT_MS, 30_000);
      if (subBytes.length >= refBytes.length) {
        subBytes = Buffer.concat([subBytes, await sub.client.readIdle(EXTRA_IDLE_MS)]);
      }
      results.push({
        index,
        send: step.send,
        ref: maskCas(refBytes, ref.cas),
        sub: maskCas(subBytes, sub.cas),
        refClosed: ref.client.closed,
        subClosed: sub.client.closed,
      });
    }
  } finally {
    ref.client.close();
    sub.client.close();
  }
  return results;
}

/** Escapes bytes for a report; long runs are shortened. */
export function show(s: string, max = 300): string {
  const e = JSON.stringify(s);
  return e.length <= max ? e : `${e.slice(0, max - 40)}…(${s.length} bytes)…${e.slice(-30)}`;
}

export function describeMismatch(r: StepResult): string {
  return [
    `step ${r.index}: sent ${show(r.send, 160)}`,
    `  memcached : ${show(r.ref)}${r.refClosed ? " [connection closed]" : ""}`,
    `  subject   : ${show(r.sub)}${r.subClosed ? " [connection closed]" : ""}`,
  ].join("\n");
}

/**
 * The verdict of a differential run: memcached answered the script's anchors
 * as its author meant, the harness read real replies (one that read nothing
 * would compare "" with "" and pass), and every step agrees.
 */
export function expectAgreement(script: Step[], results: StepResult[]): void {
  const anchorErrors = results
    .filter((r) => script[r.index].expect !== undefined && script[r.index].expect !== r.ref)
    .map((r) => `step ${r.index}: memcached said ${show(r.ref)}, script expects ${show(script[r.index].expect!)}`);
  expect(anchorErrors, anchorErrors.join("\n")).toEqual([]);
  expect(results.filter((r) => r.ref.length > 0).length).toBeGreaterThan(script.length * 0.8);
  const mismatches = results.filter((r) => r.ref !== r.sub || r.refClosed !== r.subClosed);
  const report = `${mismatches.length} of ${results.length} steps differ:\n${mismatches.map(describeMismatch).join("\n")}`;
  expect(mismatches.length, report).toBe(0);
}
