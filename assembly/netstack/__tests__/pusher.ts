// A test-only protocol module (docs/protocol-modules.md) for the client side
// of test/netstack.test.ts. Two modes:
// - stream: on app_open, send `total` bytes of a seeded pattern as fast as
//   the output takes them; check every byte that comes back against the same
//   pattern; close once all of it came back.
// - script: send the bytes the test put at pusher_script_buf(), keep what
//   comes back at pusher_capture() (up to CAPTURE_CAP), close once `expect`
//   bytes came back.
// State is in the region (read by the test through pusher_info()).

@external("stack", "tx_reserve") declare function tx_reserve(conn: u32, min: u32): usize;
@external("stack", "tx_avail") declare function tx_avail(conn: u32): u32;
@external("stack", "tx_commit") declare function tx_commit(conn: u32, len: u32): void;
@external("stack", "conn_close") declare function conn_close(conn: u32): void;

const SCRIPT_CAP: u32 = 65536;
const CAPTURE_CAP: u32 = 65536;
const HDR: usize = 64;

// header words (u32 unless noted), read by the test
namespace H {
  export const MODE: usize = 0;        // 0 stream, 1 script
  export const TOTAL: usize = 4;       // bytes to send
  export const SEED: usize = 8;
  export const SENT: usize = 12;
  export const RECEIVED: usize = 16;
  export const MISMATCHES: usize = 20;
  export const OPENED: usize = 24;     // app_open calls
  export const CLOSED: usize = 28;     // app_closed calls
  export const EXPECT: usize = 32;     // script: bytes of reply before closing
  export const CLOSING: usize = 36;    // conn_close called
  export const FIRST_MISMATCH: usize = 40; // offset + 1 of the first wrong byte (0 = none)
}

let gBase: usize = 0;

@inline function get(f: usize): u32 { return load<u32>(gBase + f); }
@inline function put(f: usize, v: u32): void { store<u32>(gBase + f, v); }

@inline function pattern(i: u32, seed: u32): u8 {
  let x = i * 0x9E3779B1 + seed;
  x ^= x >> 15;
  x *= 0x85EBCA6B;
  return <u8>(x >> 24);
}

export function app_region_size(maxConns: u32): usize { return HDR + SCRIPT_CAP + CAPTURE_CAP; }

export function app_init(control: usize, core: u32, base: usize, size: usize): i32 {
  if (size < app_region_size(0)) return -1;
  gBase = base;
  memory.fill(base, 0, HDR);
  return 0;
}

/** Stream mode: total pattern bytes from seed. */
export function pusher_stream(total: u32, seed: u32): void {
  memory.fill(gBase, 0, HDR);
  put(H.TOTAL, total);
  put(H.SEED, seed);
}

/** Script mode: send len bytes from pusher_script_buf(), close after expect bytes came back. */
export function pusher_script(len: u32, expect: u32): void {
  memory.fill(gBase, 0, HDR);
  put(H.MODE, 1);
  put(H.TOTAL, min(len, SCRIPT_CAP));
  put(H.EXPECT, expect);
}

export function pusher_info(): usize { return gBase; }
export function pusher_script_buf(): usize { return gBase + HDR; }
export function pusher_capture(): usize { return gBase + HDR + SCRIPT_CAP; }

function pump(conn: u32): void {
  let total = get(H.TOTAL), seed = get(H.SEED), script = get(H.MODE) == 1;
  for (let k = 0; k < 64 && get(H.SENT) < total; k++) {
    let sent = get(H.SENT);
    let n = min(tx_avail(conn), total - sent);
    if (n == 0) { tx_reserve(conn, 1); return; } // refused: app_writable follows
    let p = tx_reserve(conn, 1);
    if (p == 0) return;
    if (script) memory.copy(p, pusher_script_buf() + sent, n);
    else for (let i: u32 = 0; i < n; i++) store<u8>(p + i, pattern(sent + i, seed));
    tx_commit(conn, n);
    put(H.SENT, sent + n);
  }
}

export function app_tick(nowMs: f64): void {}

export function app_open(conn: u32): i32 {
  put(H.OPENED, get(H.OPENED) + 1);
  pump(conn);
  return 0;
}

export function app_data(conn: u32, ptr: usize, len: u32): u32 {
  let got = get(H.RECEIVED);
  if (get(H.MODE) == 1) {
    let room = got < CAPTURE_CAP ? min(len, CAPTURE_CAP - got) : 0;
    memory.copy(pusher_capture() + got, ptr, room);
    got += len;
    put(H.RECEIVED, got);
    if (got >= get(H.EXPECT) && get(H.CLOSING) == 0) { put(H.CLOSING, 1); conn_close(conn); }
    return len;
  }
  let seed = get(H.SEED), bad: u32 = 0;
  for (let i: u32 = 0; i < len; i++) {
    if (load<u8>(ptr + i) != pattern(got + i, seed)) {
      if (bad == 0 && get(H.FIRST_MISMATCH) == 0) put(H.FIRST_MISMATCH, got + i + 1);
      bad++;
    }
  }
  put(H.MISMATCHES, get(H.MISMATCHES) + bad);
  got += len;
  put(H.RECEIVED, got);
  if (got >= get(H.TOTAL) && get(H.CLOSING) == 0) { put(H.CLOSING, 1); conn_close(conn); }
  return len;
}

export function app_writable(conn: u32): void { pump(conn); }

export function app_closed(conn: u32): void { put(H.CLOSED, get(H.CLOSED) + 1); }

export function static_end(): usize { return __heap_base; }
