// The orderly end (docs/net-tcp.md, "Shutdown"): tcpShutdown stops listening
// and aborts every connection at once — the app hears closed, the slot stops
// taking segments, timers and app calls — and queues one RST per connection
// whose peer may still be waiting for us. The RSTs leave at the following
// polls through the link, as many as it has buffers for, and each slot is
// freed once its RST is out.

import { TcpFlag } from "../wire/tcp";
import { CF, clearFlag, hasFlag, setFlag, State } from "./conn";
import { connFree, tellClosed } from "./lifecycle";
import { ackSeq, emit } from "./output";
import { connAt, queueWrap, Stack } from "./stack";

/** RSTs one poll may send: a burst's worth (the host offers at most 64 tx buffers). */
const RESETS_PER_POLL: u32 = 64;

/**
 * Stop listening and abort every connection; returns how many were aborted
 * (every one but TIME-WAIT, which is dropped: both sides are done with it).
 * RST owed in SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1/2, CLOSE-WAIT (RFC 9293
 * §3.10.5 ABORT) and also CLOSING and LAST-ACK, where our FIN is still
 * unacknowledged: Linux keeps sending it from the orphaned socket, we cannot,
 * so the peer is told (Linux resets in any state when data is discarded).
 * SYN-SENT is freed without one (the RFC's and Linux's rule: the peer
 * has no state of ours to reset; a late SYN-ACK meets the closed-port RST).
 * O(maxConns), once: a second call does nothing.
 */
export function shutdown(s: Stack): u32 {
  if (s.shut) return 0;
  s.shut = 1; // from here connNote queues nothing and tcpConnect refuses
  s.nListen = 0; // a SYN now meets the closed-port rule: RST
  s.nextAt = 0; // no timers run any more
  s.qHead = 0;
  s.qLen = 0; // the service queue becomes the reset queue, in slot order
  let aborted: u32 = 0;
  for (let i: u32 = 0; i < s.maxConns; i++) {
    let c = connAt(s, i);
    clearFlag(c, CF.QUEUED);
    let st = c.state;
    if (st == State.CLOSED) continue;
    if (st == State.TIME_WAIT) { connFree(s, c); continue; }
    aborted++;
    if (st == State.SYN_SENT) { connFree(s, c); continue; }
    c.rtoAt = 0; c.tlpAt = 0; c.ackAt = 0; c.idleAt = 0;
    clearFlag(c, CF.DIRTY | CF.ACK_NOW | CF.TX_FREED | CF.WANT_WRITABLE | CF.RX_PENDING | CF.PERSIST);
    setFlag(c, CF.ABORT | CF.QUEUED); // before the upcall: the app's calls on it are refused from now
    store<u32>(s.queue + (<usize>s.qLen << 2), i);
    s.qLen++;
    s.resetsDue++;
    tellClosed(s, c);
  }
  return aborted;
}

/**
 * At a poll after shutdown: send the queued RSTs in order, at most
 * RESETS_PER_POLL, stopping at the first the link has no buffer for (it is
 * first at the next poll). The RST is Linux's active reset
 * (tcp_send_active_reset): <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>, SND.NXT
 * being ackSeq's acceptable one; the ACK lets a peer still in SYN-SENT (our
 * SYN-ACK lost) accept it (RFC 9293 §3.10.7.3).
 */
export function resetsServe(s: Stack, now: u64): void {
  for (let k: u32 = 0; k < RESETS_PER_POLL && s.qLen > 0; k++) {
    let c = connAt(s, load<u32>(s.queue + (<usize>s.qHead << 2)));
    if (hasFlag(c, CF.ABORT) && !emit(s, c, ackSeq(c), TcpFlag.RST | TcpFlag.ACK, 0, now)) return;
    s.qHead = queueWrap(s, s.qHead + 1);
    s.qLen--;
    if (!hasFlag(c, CF.ABORT)) continue; // never queued after shutdown; kept for safety
    s.resetsDue--;
    clearFlag(c, CF.QUEUED | CF.ABORT);
    connFree(s, c);
  }
}
