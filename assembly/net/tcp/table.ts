// The 4-tuple table: open addressing with linear probing over u32 slots
// (connection index + 1; 0 = empty), at most MAX_PROBE slots from a tuple's
// home. Insertion past the probe bound fails (the SYN is refused), so lookups
// stop there too. Removal shifts later entries back (no tombstones), which
// only moves entries nearer their home and keeps the bound.

import { Conn, State } from "./conn";
import { tupleHi, tupleLo } from "./isn";
import { connAt, Stack } from "./stack";

export const MAX_PROBE: u32 = 32;
export const NO_CONN: u32 = 0xFFFFFFFF;

/**
 * A tuple's home slot: the tuple under the stack's secret keys, mixed by
 * multiplications (SplitMix64's finaliser). Every segment pays for it, so it
 * is not SipHash (the ISNs and cookies are); a peer that cannot see the keys
 * cannot aim tuples at one home, and the probe bound caps a run anyway.
 */
@inline function home(s: Stack, localIp: u32, localPort: u32, remoteIp: u32, remotePort: u32): u32 {
  let x = (tupleHi(localIp, remoteIp) ^ s.key1) * 0x9E3779B97F4A7C15;
  x ^= tupleLo(localPort, remotePort, 2) ^ s.key0;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EB;
  return <u32>(x ^ (x >> 31)) & s.tableMask;
}

@inline function slotAt(s: Stack, i: u32): usize { return s.table + (<usize>i << 2); }

@inline function matches(c: Conn, localIp: u32, localPort: u32, remoteIp: u32, remotePort: u32): bool {
  return c.remoteIp == remoteIp && c.localIp == localIp && c.remotePort == remotePort && c.localPort == localPort;
}

/** The connection index for a 4-tuple, or NO_CONN. */
export function tableLookup(s: Stack, localIp: u32, localPort: u32, remoteIp: u32, remotePort: u32): u32 {
  let h = home(s, localIp, localPort, remoteIp, remotePort);
  for (let k: u32 = 0; k < MAX_PROBE; k++) {
    let v = load<u32>(slotAt(s, (h + k) & s.tableMask));
    if (v == 0) return NO_CONN;
    if (matches(connAt(s, v - 1), localIp, localPort, remoteIp, remotePort)) return v - 1;
  }
  return NO_CONN;
}

/** Take a free slot, fill its tuple and index it; NO_CONN when full or past the probe bound. */
export function tableInsert(s: Stack, localIp: u32, localPort: u32, remoteIp: u32, remotePort: u32): u32 {
  if (s.freeTop == 0) return NO_CONN;
  let h = home(s, localIp, localPort, remoteIp, remotePort);
  let at: u32 = NO_CONN;
  for (let k: u32 = 0; k < MAX_PROBE; k++) {
    let i = (h + k) & s.tableMask;
    if (load<u32>(slotAt(s, i)) == 0) { at = i; break; }
  }
  if (at == NO_CONN) return NO_CONN;
  s.freeTop--;
  let idx = load<u32>(s.free + (<usize>s.freeTop << 2));
  let c = connAt(s, idx);
  memory.fill(changetype<usize>(c), 0, offsetof<Conn>());
  c.index = idx;
  c.localIp = localIp; c.localPort = localPort;
  c.remoteIp = remoteIp; c.remotePort = remotePort;
  store<u32>(slotAt(s, at), idx + 1);
  s.active++;
  return idx;
}

/** Unindex c and return its slot to the free stack. */
export function tableRemove(s: Stack, c: Conn): void {
  let h = home(s, c.localIp, c.localPort, c.remoteIp, c.remotePort);
  let at: u32 = NO_CONN;
  for (let k: u32 = 0; k < MAX_PROBE; k++) {
    let i = (h + k) & s.tableMask;
    if (load<u32>(slotAt(s, i)) == c.index + 1) { at = i; break; }
  }
  if (at != NO_CONN) {
    // backward shift: move each later entry of the run into the hole if its home allows
    let hole = at;
    let i = at;
    for (let k: u32 = 0; k <= s.tableMask; k++) {
      i = (i + 1) & s.tableMask;
      let v = load<u32>(slotAt(s, i));
      if (v == 0) break;
      let o = connAt(s, v - 1);
      let hh = home(s, o.localIp, o.localPort, o.remoteIp, o.remotePort);
      // the entry may fill the hole when its home is not in (hole, i]
      if (((i - hh) & s.tableMask) >= ((i - hole) & s.tableMask)) {
        store<u32>(slotAt(s, hole), v);
        hole = i;
      }
    }
    store<u32>(slotAt(s, hole), 0);
  }
  c.state = State.CLOSED;
  store<u32>(s.free + (<usize>s.freeTop << 2), c.index);
  s.freeTop++;
  s.active--;
}
