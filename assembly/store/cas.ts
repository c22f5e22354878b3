// CAS values: one process-wide u64 counter in the control block, so values
// are unique and increasing across every instance and never reused.
import { Ctl } from "../shared/control";
import { gCtl, gNoCas } from "./layout";

@inline export function nextCas(): u64 { return atomic.add<u64>(gCtl + Ctl.CAS_COUNTER, 1) + 1; }

/**
 * memcached -C: items keep their CAS inside the store (flush orders by it),
 * but the protocol sees 0, as in memcached, whose items then carry none: a
 * CAS check against an item (cas, ms C, ma C, md C) compares with 0, which
 * no CAS given matches (EXISTS); append and prepend ignore a CAS given
 * (memcached stores it in the new item, where -C drops it).
 */
@inline export function casShown(cas: u64): u64 { return gNoCas ? 0 : cas; }
@inline export function casMatches(itemCas: u64, casIn: u64): bool { return casShown(itemCas) == casIn; }
