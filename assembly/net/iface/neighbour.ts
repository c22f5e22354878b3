// The neighbour cache (ARP's table): NEIGH_MAX entries of next hop -> MAC,
// each valid for NEIGH_TTL_MS after the last word from that host, and each
// able to hold one frame while its next hop resolves (RFC 1122 §2.3.2.2:
// keep at least one, the latest). Every scan is bounded by NEIGH_MAX.
//
// Two kinds of entry, kept apart as Linux keeps INCOMPLETE entries apart:
// *incomplete* ones never resolved (mac 0), and *known* ones that resolved
// at least once (VALID, or PENDING again after expiry: their peers may have
// live connections). A flood of SYNs from spoofed local sources makes one
// incomplete entry per source; they may be at most NEIGH_INCOMPLETE_MAX and
// replace one another, stalest first, but never a known entry. So a flood
// cannot push out a live peer, and its held frames are bounded too (one
// each). A known entry is replaced only by another known one (a host that
// ARPed us), stalest first.

import { IfCtr } from "./counters";
import { count, Iface, Neigh, NEIGH_MAX, neighAt, NeighState, NONE } from "./iface";

/** How long a learned mapping is trusted (Linux: 30 s reachable + stale time). */
export const NEIGH_TTL_MS: u64 = 60000;
/** Between ARP requests for a next hop that has not answered. */
export const ARP_RETRY_MS: u64 = 1000;
/** A held frame older than this is dropped (TCP's timers send it again). */
export const HOLD_MS: u64 = 3000;

/** Index of the entry for ip (any state but EMPTY), or NONE. */
export function neighFind(ifc: Iface, ip: u32): u32 {
  for (let i: u32 = 0; i < NEIGH_MAX; i++) {
    let e = neighAt(ifc, i);
    if (e.state != NeighState.EMPTY && e.ip == ip) return i;
  }
  return NONE;
}

/** Index of a valid, unexpired mapping for ip, or NONE. */
export function neighResolved(ifc: Iface, ip: u32, now: u64): u32 {
  let i = neighFind(ifc, ip);
  if (i == NONE) return NONE;
  let e = neighAt(ifc, i);
  return e.state == NeighState.VALID && now < e.expiresAt ? i : NONE;
}

/** How stale an entry is: lower is evicted first. */
@inline function freshness(ifc: Iface, i: u32): u64 {
  let e = neighAt(ifc, i);
  return e.state == NeighState.VALID ? e.expiresAt - NEIGH_TTL_MS : max(e.requestAt, e.heldAt);
}

/** Incomplete entries (never resolved) at most: a flood's share of the table. */
export const NEIGH_INCOMPLETE_MAX: u32 = 16;

@inline function incomplete(e: Neigh): bool { return e.state != NeighState.EMPTY && e.mac == 0; }

/**
 * The slot a new entry takes: a free one, else the stalest incomplete one;
 * a known entry only for a `known` newcomer (it is resolving: an ARP told
 * us its MAC), and never while free or incomplete slots remain. An
 * incomplete newcomer past NEIGH_INCOMPLETE_MAX replaces the stalest
 * incomplete entry. NONE: no slot for an incomplete newcomer.
 */
function neighVictim(ifc: Iface, known: bool): u32 {
  let free = NONE, inc = NONE, res = NONE;
  let nInc: u32 = 0;
  for (let k: u32 = 0; k < NEIGH_MAX; k++) {
    let e = neighAt(ifc, k);
    if (e.state == NeighState.EMPTY) { if (free == NONE) free = k; continue; }
    if (incomplete(e)) {
      nInc++;
      if (inc == NONE || freshness(ifc, k) < freshness(ifc, inc)) inc = k;
    } else if (res == NONE || freshness(ifc, k) < freshness(ifc, res)) res = k;
  }
  if (!known && nInc >= NEIGH_INCOMPLETE_MAX) return inc;
  if (free != NONE) return free;
  if (inc != NONE) return inc;
  return known ? res : NONE;
}

/**
 * The entry for ip, made PENDING if new (`known`: its MAC follows at once).
 * NONE only for an unknown next hop when every slot holds a known peer
 * (counted: TCP's timers send again).
 */
export function neighSlot(ifc: Iface, ip: u32, known: bool = false): u32 {
  let i = neighFind(ifc, ip);
  if (i != NONE) return i;
  let victim = neighVictim(ifc, known);
  if (victim == NONE) { count(ifc, IfCtr.NEIGH_NO_SLOT); return NONE; }
  let e = neighAt(ifc, victim);
  if (e.state != NeighState.EMPTY) {
    count(ifc, IfCtr.NEIGH_EVICTED);
    if (e.heldLen) count(ifc, IfCtr.ARP_QUEUE_EXPIRED);
  }
  e.ip = ip;
  e.state = NeighState.PENDING;
  e.mac = 0;
  e.expiresAt = 0;
  e.requestAt = 0;
  e.heldAt = 0;
  e.heldLen = 0;
  return victim;
}

/**
 * ip is at mac (an ARP packet said so). Updates a known entry; creates one
 * only when `create` (the packet was for us: RFC 826's merge rule).
 * Returns the entry or NONE.
 */
export function neighLearn(ifc: Iface, ip: u32, mac: u64, now: u64, create: bool): u32 {
  let i = neighFind(ifc, ip);
  if (i == NONE) {
    if (!create) return NONE;
    i = neighSlot(ifc, ip, true);
  }
  let e = neighAt(ifc, i);
  e.state = NeighState.VALID;
  e.mac = mac;
  e.expiresAt = now + NEIGH_TTL_MS;
  if (e.heldLen) ifc.owed = 1;
  return i;
}

/** When a held frame next needs attention (ARP retry or expiry): 0 = none. */
export function neighNextAt(ifc: Iface): u64 {
  if (ifc.heldMaybe == 0) return 0; // the common case, at every burst: no scan
  let next: u64 = 0;
  for (let i: u32 = 0; i < NEIGH_MAX; i++) {
    let e = neighAt(ifc, i);
    if (e.heldLen == 0) continue;
    let t = min(e.requestAt + ARP_RETRY_MS, e.heldAt + HOLD_MS);
    if (t == 0) t = 1;
    if (next == 0 || t < next) next = t;
  }
  if (next == 0) ifc.heldMaybe = 0;
  return next;
}
