/* RESP2 (Redis's protocol) as a protocol module (docs/protocol-modules.md)
 * over the shared cache (docs/store-abi.md). This file holds the exports the
 * transport calls, the per-instance region and the request loop; requests
 * are framed by request.c and run by commands.c.
 *
 * C globals live in the shared memory, so the only per-instance state is
 * two Wasm globals (the region's base, and the linker's stack pointer, which
 * app_init moves into the region); everything else is in the region:
 *   [0, STACK)             this instance's C stack
 *   argv                   MAX_ARGS x 8 bytes: the arguments of the request being run
 *   inline                 INLINE_MAX bytes: unquoted inline arguments
 *   scratch                SCRATCH_BYTES: replies built before their size is known
 *   results                4 store result records
 *   conns                  max_conns x conn_state */
#include "resp.h"

#define STACK 16384u
#define OFF_ARGV STACK
#define OFF_INLINE (OFF_ARGV + MAX_ARGS * 8u)
#define OFF_SCRATCH (OFF_INLINE + INLINE_MAX)
#define OFF_RES (OFF_SCRATCH + SCRATCH_BYTES)
#define OFF_HDR (OFF_RES + 4u * 48u)
/* region header: control u32, max_conns u32, now_ms f64 */
#define OFF_CONNS (OFF_HDR + 64u)
/** Requests one app_data call runs at most before yielding (the transport presents the rest again). */
#define MAX_REQUESTS 4096u
/** Bounded writes of a streamed value per call. */
#define MAX_STREAM_CHUNKS 64u

WC_INSTANCE_U32(resp_base)
static inline usize region(void) { return resp_base_get(); }
static inline void set_region(usize v) { resp_base_set((u32)v); }

extern u8 __heap_base;

static inline u32 max_conns(void) { return *(u32 *)(region() + OFF_HDR + 4); }
static inline conn_state *conn_at(u32 conn) { return (conn_state *)(region() + OFF_CONNS) + conn; }
u8 *scratch(void) { return (u8 *)(region() + OFF_SCRATCH); }
store_res *scratch_res(u32 i) { return (store_res *)(region() + OFF_RES) + (i & 3u); }
double now_ms_of_instance(void) { return *(double *)(region() + OFF_HDR + 8); }
usize control_of_instance(void) { return *(u32 *)(region() + OFF_HDR); }

WC_EXPORT(app_region_size) usize app_region_size(u32 conns) { return OFF_CONNS + (usize)conns * sizeof(conn_state); }

__attribute__((noinline)) static i32 init(usize control, usize base, usize size) {
  u32 conns = ctl_u32(control, CTL_MAX_CONNS);
  if (size < app_region_size(conns)) return -1;
  set_region(base);
  *(u32 *)(base + OFF_HDR) = (u32)control;
  *(u32 *)(base + OFF_HDR + 4) = conns;
  *(double *)(base + OFF_HDR + 8) = (double)ctl_u32(control, CTL_PROCESS_STARTED) * 1000.0;
  return 0;
}

WC_EXPORT(app_init) i32 app_init(usize control, u32 core, usize base, usize size) {
  (void)core;
  if (size < STACK) return -1;
  wc_set_stack(base + STACK); /* before anything uses the stack */
  return init(control, base, size);
}

WC_EXPORT(app_tick) void app_tick(double now_ms) {
  *(double *)(region() + OFF_HDR + 8) = now_ms;
  store_tick(store_clock(now_ms));
}

static void reset(conn_state *c) {
  if (c->streaming) store_unpin(&c->res);
  c->resume = 0;
  c->streaming = 0;
  c->sent = 0;
  c->closing = 0;
}

WC_EXPORT(app_open) i32 app_open(u32 conn) {
  if (conn >= max_conns()) return 1;
  reset(conn_at(conn));
  return 0;
}

WC_EXPORT(app_closed) void app_closed(u32 conn) {
  if (conn < max_conns()) reset(conn_at(conn));
}

/** Continue a streamed value: 1 when all of it is out. */
static int stream_on(u32 conn, conn_state *c) {
  u32 total = c->res.vlen + 2; /* value and its CRLF, both in the item */
  for (u32 k = 0; k < MAX_STREAM_CHUNKS && c->sent < total; k++) {
    u8 *p = tx_reserve(conn, 1);
    if (p == 0) return 0;
    u32 n = tx_avail(conn);
    if (n > total - c->sent) n = total - c->sent;
    mem_copy(p, (const u8 *)(usize)c->res.value + c->sent, n);
    tx_commit(conn, n);
    c->sent += n;
  }
  if (c->sent < total) return 0;
  store_unpin(&c->res);
  c->streaming = 0;
  c->sent = 0;
  return 1;
}

int write_value(ctx *x, store_res *res) {
  u8 hdr[32];
  out h = {hdr, hdr + sizeof hdr};
  put_len(&h, '$', res->vlen);
  u32 hlen = (u32)(h.p - hdr);
  u32 total = hlen + res->vlen + 2;
  u8 *p = tx_reserve(x->conn, total < TX_RESERVE_MAX ? total : TX_RESERVE_MAX);
  if (p == 0) return EXEC_BLOCKED;
  if (tx_avail(x->conn) >= total) {
    mem_copy(p, hdr, hlen);
    mem_copy(p + hlen, (const u8 *)(usize)res->value, res->vlen + 2);
    if (!store_valid(res)) return -1; /* recycled under the copy: nothing committed, read again */
    tx_commit(x->conn, total);
    return EXEC_DONE;
  }
  /* larger than the room: pin it and stream it over later calls */
  if (!store_pin(res)) return -1;
  conn_state *c = x->c;
  c->res = *res;
  c->streaming = 1;
  c->sent = 0;
  mem_copy(p, hdr, hlen);
  tx_commit(x->conn, hlen);
  stream_on(x->conn, c);
  return c->streaming ? EXEC_STALLED : EXEC_DONE;
}

/** A protocol error: Redis replies and closes the connection. */
static void protocol_error(u32 conn, const request *req) {
  out o;
  if (!out_begin(conn, 128, &o)) { conn_close(conn); return; }
  u8 *start = o.p;
  const char *m = req->error;
  u8 msg[96];
  u32 k = 0;
  for (; m[k] != 0 && k < sizeof msg - 1; k++) msg[k] = (u8)m[k];
  msg[k] = 0;
  for (u32 i = 0; i + 1 < k; i++) if (msg[i] == '%' && msg[i + 1] == 'c') { msg[i] = req->bad; msg[i + 1] = '\''; msg[i + 2] = 0; break; }
  put_error(&o, (const char *)msg);
  out_end(conn, &o, start);
  conn_close(conn);
}

WC_EXPORT(app_data) u32 app_data(u32 conn, usize ptr, u32 len) {
  if (conn >= max_conns()) return len;
  conn_state *c = conn_at(conn);
  if (c->closing) return len;
  if (c->streaming && !stream_on(conn, c)) return 0;
  const u8 *in = (const u8 *)ptr;
  u32 pos = 0;
  usize base = region();
  double now_ms = now_ms_of_instance();
  for (u32 n = 0; n < MAX_REQUESTS && pos < len; n++) {
    request req;
    int r = parse_request(in + pos, len - pos, &req, (arg *)(base + OFF_ARGV), (u8 *)(base + OFF_INLINE));
    if (r == PARSE_MORE) break;
    if (r == PARSE_ERROR) { protocol_error(conn, &req); c->closing = 1; return len; }
    if (req.argc == 0) { pos += req.used; continue; }
    ctx x = {conn, c, req.argc, req.argv, store_clock(now_ms), now_ms, 0};
    int st = exec_command(&x);
    if (st == EXEC_BLOCKED) break;
    if (st == EXEC_STALLED) return pos; /* the request stays; c->resume and the stream say where it is */
    c->resume = 0;
    pos += req.used;
    if (x.quit) { conn_close(conn); c->closing = 1; return len; }
  }
  return pos;
}

WC_EXPORT(app_writable) void app_writable(u32 conn) {
  if (conn >= max_conns()) return;
  conn_state *c = conn_at(conn);
  if (c->streaming) stream_on(conn, c);
}

WC_EXPORT(static_end) usize static_end(void) { return (usize)&__heap_base; }
