// Every binary response except GET hits and stats packets is written here
// (memcached 1.6.18's write_bin_response / write_bin_error): the one place
// that knows quiet requests. Error texts are memcached's, defined once.
// Callers reserve RESPONSE_MAX bytes of output before they act on a request.

import { outCommit, outReserve } from "../output";
import { putStr } from "../reply";
import { HEADER_LEN, putHeader, Status } from "./header";
import { sOpaque, sOpcode, sQuiet } from "./state";

/** Largest response written here: a header plus a key (GETK miss) or an error text. */
export const RESPONSE_MAX: u32 = 512;

function errorText(status: u32): string {
  switch (status) {
    case Status.KEY_ENOENT: return "Not found";
    case Status.KEY_EEXISTS: return "Data exists for key.";
    case Status.E2BIG: return "Too large.";
    case Status.EINVAL: return "Invalid arguments";
    case Status.NOT_STORED: return "Not stored.";
    case Status.DELTA_BADVAL: return "Non-numeric server-side value for incr or decr";
    case Status.UNKNOWN_COMMAND: return "Unknown command";
    default: return "Out of memory";
  }
}

/** ENOMEM texts: memcached's out_of_memory() strips "SERVER_ERROR " from its ascii message. */
export namespace Oom {
  export const ALLOC_ITEM: u32 = 0;
  export const INCREMENT: u32 = 1;
  export const NEW_ITEM: u32 = 2;
}

function oomText(which: u32): string {
  if (which == Oom.INCREMENT) return "Out of memory incrementing value";
  if (which == Oom.NEW_ITEM) return "Out of memory allocating new item";
  return "Out of memory allocating item";
}

/** A response with body [body, body+len) (no extras, no key). Errors are sent even when quiet. */
export function respond(conn: u32, s: usize, status: u32, cas: u64, body: usize, len: u32): void {
  const p = outReserve(conn, RESPONSE_MAX);
  if (p == 0) return; // unreachable: reserved before the request ran
  putHeader(p, sOpcode(s), 0, 0, status, len, sOpaque(s), cas);
  memory.copy(p + HEADER_LEN, body, len);
  outCommit(conn, HEADER_LEN + len);
}

/** Success: header (+ body), unless the request was quiet. */
export function success(conn: u32, s: usize, cas: u64, body: usize, len: u32): void {
  if (!sQuiet(s)) respond(conn, s, Status.SUCCESS, cas, body, len);
}

/** An error with memcached's text for its status. */
export function error(conn: u32, s: usize, status: u32): void {
  errorWith(conn, s, status, errorText(status));
}

/** ENOMEM with the text of the operation that ran out. */
export function outOfMemory(conn: u32, s: usize, which: u32): void {
  errorWith(conn, s, Status.ENOMEM, oomText(which));
}

function errorWith(conn: u32, s: usize, status: u32, text: string): void {
  const p = outReserve(conn, RESPONSE_MAX);
  if (p == 0) return;
  const n = putStr(p + HEADER_LEN, text);
  putHeader(p, sOpcode(s), 0, 0, status, n, sOpaque(s), 0);
  outCommit(conn, HEADER_LEN + n);
}

/** GETK / GATK miss: KEY_ENOENT with the key as key and body. */
export function missWithKey(conn: u32, s: usize, key: usize, klen: u32): void {
  const p = outReserve(conn, RESPONSE_MAX);
  if (p == 0) return;
  putHeader(p, sOpcode(s), klen, 0, Status.KEY_ENOENT, klen, sOpaque(s), 0);
  memory.copy(p + HEADER_LEN, key, klen);
  outCommit(conn, HEADER_LEN + klen);
}
