// The neighbour cache (ARP's table): NEIGH_MAX entries of next hop -> MAC,
// each valid for NEIGH_TTL_MS after the last word from that host, and each
// able to hold one frame while its next hop resolves (RFC 1122 §2.3.2.2:
// keep at least one, the latest). A full cache evicts the stalest entry.
// Every scan is bounded by NEIGH_MAX.

import { IfCtr } from "./counters";
import { count, Iface, NEIGH_MAX, neighAt, NeighState, NONE } from "./iface";

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

/** The entry for ip, made PENDING if new: a free one, or the stalest evicted. Never fails. */
export function neighSlot(ifc: Iface, ip: u32): u32 {
  let i = neighFind(ifc, ip);
  if (i != NONE) return i;
  let victim: u32 = 0;
  for (let k: u32 = 0; k < NEIGH_MAX; k++) {
    if (neighAt(ifc, k).state == NeighState.EMPTY) { victim = k; break; }
    if (freshness(ifc, k) < freshness(ifc, victim)) victim = k;
  }
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
    i = neighSlot(ifc, ip);
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
  let next: u64 = 0;
  for (let i: u32 = 0; i < NEIGH_MAX; i++) {
    let e = neighAt(ifc, i);
    if (e.heldLen == 0) continue;
    let t = min(e.requestAt + ARP_RETRY_MS, e.heldAt + HOLD_MS);
    if (t == 0) t = 1;
    if (next == 0 || t < next) next = t;
  }
  return next;
}
