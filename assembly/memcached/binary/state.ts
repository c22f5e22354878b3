// The binary protocol's fields in the session record (conn.ts O_BINARY,
// 16 bytes): the request being answered, so that a reply written later (after
// a value arrives, or a listing in pieces) carries its opcode and opaque.

import { O_BINARY } from "../conn";

const B_OPCODE: usize = 0; // u32: the opcode as sent (quiet forms included)
const B_OPAQUE: usize = 4; // u32: raw bytes, echoed
const B_QUIET: usize = 8;  // u32: 1 when success replies are suppressed

@inline export function sOpcode(s: usize): u32 { return load<u32>(s + O_BINARY + B_OPCODE); }
@inline export function sOpaque(s: usize): u32 { return load<u32>(s + O_BINARY + B_OPAQUE); }
@inline export function sQuiet(s: usize): bool { return load<u32>(s + O_BINARY + B_QUIET) != 0; }

/** Remembers the request now being answered. */
export function setRequest(s: usize, opcode: u32, opaque: u32, quiet: bool): void {
  store<u32>(s + O_BINARY + B_OPCODE, opcode);
  store<u32>(s + O_BINARY + B_OPAQUE, opaque);
  store<u32>(s + O_BINARY + B_QUIET, quiet ? 1 : 0);
}
