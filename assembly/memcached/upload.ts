// A session waiting for the rest of a value holds an upload in the store
// (store/upload.ts): incomplete uploads may pin at most half the segments,
// so stalled ones cannot make a live client's set fail. A session that gets
// no hold fails its own store as memcached fails one it cannot allocate
// (SERVER_ERROR out of memory storing object, the value swallowed).
import { F_META, F_UPLOAD, PROTO_BINARY, S, sFlags, setFlags, setItem, setState, sItem, sMode, sNoreply, sProto, sState } from "./conn";
import { binUploadRefused } from "./binary/commands";
import { E, metaError } from "./meta/line";
import { outReserve } from "./output";
import { R, reply } from "./reply";
import { RESPONSE_MAX } from "./binary/reply";
import { incStat, St } from "./stats";
import { nowRel } from "./instance";
import { itemKey, itemKeyLen, MODE_SET, storeAbort, storeDelete, storeHoldUpload, storeReleaseUpload } from "../store/index";

@inline function receiving(st: u32): bool { return st == S.NREAD || st == S.BIN_NREAD; }

/** After input is used up: a value still arriving holds an upload, or is refused. */
export function holdUpload(conn: u32, s: usize): void {
  const flags = sFlags(s);
  if (!receiving(sState(s)) || (flags & F_UPLOAD) != 0) return;
  const it = sItem(s);
  if (storeHoldUpload(it)) { setFlags(s, flags | F_UPLOAD); return; }
  // the refusal needs reply space; without it, the next input or writable event tries again
  if (outReserve(conn, RESPONSE_MAX) == 0) return;
  incStat(St.STORE_NO_MEMORY);
  if (sProto(s) == PROTO_BINARY) { binUploadRefused(conn, s); return; }
  const meta = (flags & F_META) != 0;
  if (meta) metaError(conn, E.NO_MEMORY_STORE);
  else reply(conn, sNoreply(s), R.NO_MEMORY_STORE);
  // memcached drops the old value rather than leave it stale after a failed set
  if (meta || sMode(s) == MODE_SET) storeDelete(itemKey(it), itemKeyLen(it), nowRel);
  storeAbort(it);
  setItem(s, 0);
  setState(s, S.SWALLOW); // the rest of the value and its CRLF (sRemain)
}

/** After a step: once `it`'s value has arrived (or failed), its upload is no longer held. */
export function releaseUpload(s: usize, it: usize): void {
  if ((sFlags(s) & F_UPLOAD) == 0 || receiving(sState(s))) return;
  dropUpload(s, it);
}

/** The upload of `it` is no longer held (its value is done, or the connection closed). */
export function dropUpload(s: usize, it: usize): void {
  const flags = sFlags(s);
  if ((flags & F_UPLOAD) == 0) return;
  setFlags(s, flags & ~F_UPLOAD);
  storeReleaseUpload(it);
}
