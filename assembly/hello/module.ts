// The smallest complete protocol module over the shared cache, in
// AssemblyScript (docs/writing-a-module.md): each line the client sends is
// a key; the reply is that key's value and "\n", or "(nil)\n". Serve it
// beside the RESP module: wasmcached --app hello --app resp@6379 -p 7000
//
// Wasm globals are per instance; the store's result record goes in the
// region app_init is given (linear memory is shared by every instance).

@external("stack", "tx_reserve") declare function tx_reserve(conn: u32, min: u32): usize;
@external("stack", "tx_avail") declare function tx_avail(conn: u32): u32;
@external("stack", "tx_commit") declare function tx_commit(conn: u32, len: u32): void;
@external("stack", "conn_close") declare function conn_close(conn: u32): void;
@external("store", "clock") declare function store_clock(nowMs: f64): u32;
@external("store", "get") declare function store_get(key: usize, klen: u32, now: u32, res: usize): i32;
@external("store", "valid") declare function store_valid(res: usize): i32;
@external("store", "tick") declare function store_tick(now: u32): void;

const RES_BYTES: usize = 48; // the result record (docs/store-abi.md)
const RES_VALUE: usize = 4;
const RES_VLEN: usize = 8;
const LINE_MAX: u32 = 256;
const NIL = memory.data<u8>([0x28, 0x6e, 0x69, 0x6c, 0x29, 0x0a]); // "(nil)\n"

let res: usize = 0;
let now: u32 = 0;

export function app_region_size(maxConns: u32): usize { return RES_BYTES; }

export function app_init(control: usize, core: u32, base: usize, size: usize): i32 {
  if (size < RES_BYTES) return -1;
  res = base;
  return 0;
}

export function app_tick(nowMs: f64): void {
  now = store_clock(nowMs);
  store_tick(now);
}

export function app_open(conn: u32): i32 { return 0; }
export function app_closed(conn: u32): void {}
export function app_writable(conn: u32): void {}

/** Writes the reply for one key; false when the output has no room yet. */
function answer(conn: u32, key: usize, klen: u32): bool {
  for (let tries = 0; tries < 4; tries++) {
    if (klen == 0 || klen > 250 || store_get(key, klen, now, res) == 0) break;
    const n = load<u32>(res + RES_VLEN);
    const out = tx_reserve(conn, min(n + 1, 4096));
    if (out == 0 || tx_avail(conn) < n + 1) return false;
    memory.copy(out, <usize>load<u32>(res + RES_VALUE), n);
    store<u8>(out + n, 0x0a);
    if (store_valid(res) == 0) continue; // recycled while we copied: read again
    tx_commit(conn, n + 1);
    return true;
  }
  const out = tx_reserve(conn, 6);
  if (out == 0) return false;
  memory.copy(out, NIL, 6);
  tx_commit(conn, 6);
  return true;
}

export function app_data(conn: u32, ptr: usize, len: u32): u32 {
  let pos: u32 = 0;
  while (pos < len) {
    let end = pos;
    while (end < len && load<u8>(ptr + end) != 0x0a && end - pos < LINE_MAX) end++;
    if (end == len) break; // no whole line yet
    if (load<u8>(ptr + end) != 0x0a) { conn_close(conn); return len; } // too long for a key
    let klen = end - pos;
    if (klen > 0 && load<u8>(ptr + end - 1) == 0x0d) klen--;
    if (!answer(conn, ptr + pos, klen)) break; // output full: resume here
    pos = end + 1;
  }
  return pos;
}

export function static_end(): usize { return __heap_base; }
