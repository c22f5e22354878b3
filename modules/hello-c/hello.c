/* The smallest complete protocol module over the shared cache, in C
 * (docs/writing-a-module.md): each line the client sends is a key; the reply
 * is that key's value and "\n", or "(nil)\n". Serve it beside memcached:
 *   wasmcached --app memcached --app hello-c@7000
 * then `set` through memcached and read the value here.
 *
 * C variables live in the shared memory, so everything of one instance is in
 * the region app_init is given (found through a Wasm global):
 *   [0, STACK)   this instance's C stack
 *   STACK        now_ms (f64), then the store's result record */
#include "../include/wasmcached.h"

#define STACK 4096u
#define LINE_MAX 256u /* a key is at most 250 bytes */

WC_INSTANCE_U32(hello_region)

static double *now_ms(void) { return (double *)(usize)(hello_region_get() + STACK); }
static store_res *res(void) { return (store_res *)(usize)(hello_region_get() + STACK + 8); }

WC_EXPORT(app_region_size) usize app_region_size(u32 conns) { (void)conns; return STACK + 8 + sizeof(store_res); }

WC_EXPORT(app_init) i32 app_init(usize control, u32 core, usize base, usize size) {
  (void)control; (void)core;
  if (size < app_region_size(0)) return -1;
  wc_set_stack(base + STACK); /* first: every instance needs its own stack */
  hello_region_set((u32)base);
  return 0;
}

WC_EXPORT(app_tick) void app_tick(double ms) {
  *now_ms() = ms;
  store_tick(store_clock(ms)); /* a bounded step of the store's expiry sweep */
}

WC_EXPORT(app_open) i32 app_open(u32 conn) { (void)conn; return 0; }
WC_EXPORT(app_closed) void app_closed(u32 conn) { (void)conn; }
WC_EXPORT(app_writable) void app_writable(u32 conn) { (void)conn; }

/** Writes the reply for one key; 0 when the output has no room yet (the line is presented again). */
static int answer(u32 conn, const u8 *key, u32 klen) {
  u32 now = store_clock(*now_ms());
  for (int tries = 0; tries < 4; tries++) {
    if (klen == 0 || klen > 250 || !store_get(key, klen, now, res())) break;
    u32 n = res()->vlen;
    u8 *out = tx_reserve(conn, n + 1 < TX_RESERVE_MAX ? n + 1 : TX_RESERVE_MAX);
    if (out == 0 || tx_avail(conn) < n + 1) return 0;
    __builtin_memcpy(out, (const u8 *)(usize)res()->value, n);
    out[n] = '\n';
    if (!store_valid(res())) continue; /* recycled while we copied: read again */
    tx_commit(conn, n + 1);
    return 1;
  }
  u8 *out = tx_reserve(conn, 6);
  if (out == 0) return 0;
  __builtin_memcpy(out, "(nil)\n", 6);
  tx_commit(conn, 6);
  return 1;
}

WC_EXPORT(app_data) u32 app_data(u32 conn, usize ptr, u32 len) {
  const u8 *in = (const u8 *)ptr;
  u32 pos = 0;
  while (pos < len) {
    u32 end = pos;
    while (end < len && in[end] != '\n' && end - pos < LINE_MAX) end++;
    if (end == len) break;                                        /* no whole line yet */
    if (in[end] != '\n') { conn_close(conn); return len; }        /* a line too long for a key */
    u32 klen = end - pos;
    if (klen > 0 && in[end - 1] == '\r') klen--;
    if (!answer(conn, in + pos, klen)) break;                     /* output full: resume here */
    pos = end + 1;
  }
  return pos;
}

extern u8 __heap_base;
WC_EXPORT(static_end) usize static_end(void) { return (usize)&__heap_base; }
