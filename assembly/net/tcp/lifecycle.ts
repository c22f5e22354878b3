// Ends of a connection: the app's closed upcall (once), TIME_WAIT, reset,
// and returning the slot to the table.

import { TcpFlag } from "../wire/tcp";
import { appClosed } from "./app";
import { CF, clearFlag, Conn, hasFlag, setFlag, State } from "./conn";
import { ackSeq, emit } from "./output";
import { Stack } from "./stack";
import { tableRemove } from "./table";

/** The app's closed upcall, once, for a connection it knew (opened, or its own connect). */
export function tellClosed(s: Stack, c: Conn): void {
  if (hasFlag(c, CF.APP_DONE)) return;
  if (!hasFlag(c, CF.APP_OPEN) && !hasFlag(c, CF.ACTIVE)) return;
  setFlag(c, CF.APP_DONE);
  appClosed(s, c.index);
}

/** Forget the connection and free its slot. */
export function connFree(s: Stack, c: Conn): void {
  if (hasFlag(c, CF.HALF_OPEN)) { s.halfOpen--; clearFlag(c, CF.HALF_OPEN); }
  tellClosed(s, c);
  tableRemove(s, c);
}

/** Abort: RFC 9293 §3.10.5 ABORT sends <SEQ=SND.NXT><CTL=RST> (snd_max: see emitAck), then the slot is freed. */
export function connAbort(s: Stack, c: Conn, sendRst: bool, now: u64): void {
  if (sendRst) emit(s, c, ackSeq(c), TcpFlag.RST, 0, now);
  connFree(s, c);
}

/**
 * RFC 9293 §3.10.7.4: enter TIME-WAIT for a bounded 2 MSL (Stack.timeWaitMs).
 * The app hears closed from afterInput, once the segment's last bytes are delivered.
 */
export function toTimeWait(s: Stack, c: Conn, now: u64): void {
  c.state = State.TIME_WAIT;
  c.rtoAt = 0;
  clearFlag(c, CF.PERSIST);
  c.idleAt = now + s.timeWaitMs;
}
