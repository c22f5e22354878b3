/* The commands: Redis 7.0's semantics and replies over the store ABI. Each
 * command checks for its reply's room before it changes anything, so a full
 * output (EXEC_BLOCKED) never runs a write twice. */
#include "resp.h"

#define SMALL_REPLY 512u  /* any reply but values, INFO and COMMAND */
#define KEY_MAX 250u      /* the store's longest key */
#define READ_TRIES 8u     /* optimistic reads of one value before it counts as a miss */
#define RMW_TRIES 64u     /* read-modify-write rounds (INCR, APPEND) before giving up */

static const char ERR_SYNTAX[] = "syntax error";
static const char ERR_NOT_INT[] = "value is not an integer or out of range";
static const char ERR_OOM[] = "-OOM command not allowed when used memory > 'maxmemory'.";
static const char ERR_TOO_BIG[] = "string exceeds maximum allowed size (proto-max-bulk-len)";

typedef struct command {
  const char *name;
  i32 arity; /* Redis's: n exactly, -n at least n */
  int (*run)(ctx *x);
  const char *flags; /* for COMMAND (INFO): space separated */
  i32 first, last, step;
} command;

/* ---- helpers --------------------------------------------------------------- */
static const u8 *A(ctx *x, u32 i) { return x->argv[i].p; }
static u32 N(ctx *x, u32 i) { return x->argv[i].n; }
static int is(ctx *x, u32 i, const char *lower) { return eq_nocase(A(x, i), N(x, i), lower); }

/** Reserve room for a small reply; 0 = blocked (nothing was done). */
static int begin(ctx *x, out *o, u8 **start) {
  if (!out_begin(x->conn, SMALL_REPLY, o)) return 0;
  *start = o->p;
  return 1;
}
static int finish(ctx *x, out *o, u8 *start) { out_end(x->conn, o, start); return EXEC_DONE; }

static int reply_error(ctx *x, const char *msg) {
  out o; u8 *s;
  if (!begin(x, &o, &s)) return EXEC_BLOCKED;
  put_error(&o, msg);
  return finish(x, &o, s);
}
static int reply_int(ctx *x, i64 v) {
  out o; u8 *s;
  if (!begin(x, &o, &s)) return EXEC_BLOCKED;
  put_int(&o, v);
  return finish(x, &o, s);
}
static int reply_raw(ctx *x, const char *text) {
  out o; u8 *s;
  if (!begin(x, &o, &s)) return EXEC_BLOCKED;
  put_raw(&o, text);
  return finish(x, &o, s);
}

/** "wrong number of arguments for 'name' command" */
static int reply_arity(ctx *x, const char *name) {
  u8 *m = scratch();
  out o = {m, m + 200};
  put_raw(&o, "wrong number of arguments for '");
  put_raw(&o, name);
  put_raw(&o, "' command");
  *o.p = 0;
  return reply_error(x, (const char *)m);
}

/** Store time for a unix time in ms (already past -> 1, which is always past). */
static u32 store_time_of_ms(ctx *x, i64 when_ms) {
  i64 started = (i64)ctl_u32(control_of_instance(), CTL_PROCESS_STARTED);
  i64 rel = when_ms / 1000 - started;
  if (rel < 1) return 1;
  if (rel > 0xfffffffell) return 0xfffffffeu;
  (void)x;
  return (u32)rel;
}
static i64 ms_of_store_time(u32 t) { return ((i64)ctl_u32(control_of_instance(), CTL_PROCESS_STARTED) + t) * 1000; }

/** A value read whole into the bulk reply (or nil), retried while it is recycled under the copy. */
static int reply_value_of(ctx *x, const u8 *key, u32 klen) {
  store_res *res = scratch_res(0);
  for (u32 t = 0; t < READ_TRIES; t++) {
    if (klen > KEY_MAX || !store_get(key, klen, x->now, res)) break;
    int r = write_value(x, res);
    if (r >= 0) return r;
  }
  out o; u8 *s;
  if (!out_begin(x->conn, 8, &o)) return EXEC_BLOCKED;
  s = o.p;
  put_nil(&o);
  return finish(x, &o, s);
}

/* ---- connection ------------------------------------------------------------- */
static int cmd_ping(ctx *x) {
  if (x->argc > 2) return reply_arity(x, "ping");
  if (x->argc == 1) return reply_raw(x, "+PONG\r\n");
  u32 n = N(x, 1);
  out o;
  u32 need = n + 32;
  if (need > TX_RESERVE_MAX) { if (tx_reserve(x->conn, TX_RESERVE_MAX) == 0 || tx_avail(x->conn) < need) return EXEC_BLOCKED; }
  if (!out_begin(x->conn, need < TX_RESERVE_MAX ? need : TX_RESERVE_MAX, &o)) return EXEC_BLOCKED;
  o.end = o.p + need;
  u8 *s = o.p;
  put_bulk(&o, A(x, 1), n);
  return finish(x, &o, s);
}
static int cmd_echo(ctx *x) { return cmd_ping(x); /* one argument: its bulk, as PING msg */ }
static int cmd_quit(ctx *x) { x->quit = 1; return reply_raw(x, "+OK\r\n"); }

/* ---- strings ------------------------------------------------------------------ */
static int cmd_get(ctx *x) {
  if (x->c->resume) return EXEC_DONE; /* its value was streamed */
  int r = reply_value_of(x, A(x, 1), N(x, 1));
  if (r == EXEC_STALLED) x->c->resume = 2;
  return r;
}

static int cmd_mget(ctx *x) {
  conn_state *c = x->c;
  u32 i = c->resume;
  if (i == 0) {
    out o; u8 *s;
    if (!out_begin(x->conn, 16, &o)) return EXEC_BLOCKED;
    s = o.p;
    put_len(&o, '*', x->argc - 1);
    finish(x, &o, s);
    i = 1;
  }
  for (; i < x->argc; i++) {
    int r = reply_value_of(x, A(x, i), N(x, i));
    if (r == EXEC_BLOCKED) { c->resume = i; return EXEC_STALLED; }
    if (r == EXEC_STALLED) { c->resume = i + 1; return EXEC_STALLED; }
  }
  return EXEC_DONE;
}

enum { SET_NX = 1, SET_XX = 2, SET_GET = 4, SET_KEEPTTL = 8, SET_EX = 16, SET_PX = 32, SET_EXAT = 64, SET_PXAT = 128 };
#define SET_ANY_TTL (SET_EX | SET_PX | SET_EXAT | SET_PXAT)

static int cmd_set(ctx *x) {
  out o; u8 *s;
  if (!begin(x, &o, &s)) return EXEC_BLOCKED;
  u32 fl = 0, when_arg = 0;
  for (u32 j = 3; j < x->argc; j++) {
    int has_next = j + 1 < x->argc;
    if (is(x, j, "nx") && !(fl & SET_XX)) fl |= SET_NX;
    else if (is(x, j, "xx") && !(fl & SET_NX)) fl |= SET_XX;
    else if (is(x, j, "get")) fl |= SET_GET;
    else if (is(x, j, "keepttl") && !(fl & SET_ANY_TTL)) fl |= SET_KEEPTTL;
    else if (is(x, j, "ex") && !(fl & (SET_KEEPTTL | (SET_ANY_TTL & ~SET_EX))) && has_next) { fl |= SET_EX; when_arg = ++j; }
    else if (is(x, j, "px") && !(fl & (SET_KEEPTTL | (SET_ANY_TTL & ~SET_PX))) && has_next) { fl |= SET_PX; when_arg = ++j; }
    else if (is(x, j, "exat") && !(fl & (SET_KEEPTTL | (SET_ANY_TTL & ~SET_EXAT))) && has_next) { fl |= SET_EXAT; when_arg = ++j; }
    else if (is(x, j, "pxat") && !(fl & (SET_KEEPTTL | (SET_ANY_TTL & ~SET_PXAT))) && has_next) { fl |= SET_PXAT; when_arg = ++j; }
    else { put_error(&o, ERR_SYNTAX); return finish(x, &o, s); }
  }
  u32 exp = 0;
  if (fl & SET_ANY_TTL) {
    i64 v;
    if (!parse_ll(A(x, when_arg), N(x, when_arg), &v)) { put_error(&o, ERR_NOT_INT); return finish(x, &o, s); }
    int secs = (fl & (SET_EX | SET_EXAT)) != 0;
    if (v <= 0 || (secs && v > 0x7fffffffffffffffll / 1000)) { put_error(&o, "invalid expire time in 'set' command"); return finish(x, &o, s); }
    i64 ms = secs ? v * 1000 : v;
    if (fl & (SET_EX | SET_PX)) {
      i64 now = (i64)x->now_ms;
      if (ms > 0x7fffffffffffffffll - now) { put_error(&o, "invalid expire time in 'set' command"); return finish(x, &o, s); }
      ms += now;
    }
    exp = store_time_of_ms(x, ms);
  }
  const u8 *key = A(x, 1);
  u32 klen = N(x, 1);
  store_res *old = scratch_res(1);
  int found = klen <= KEY_MAX && store_get(key, klen, x->now, old);
  if (fl & SET_GET) {
    /* the old value first: it must fit the small reply to keep this simple */
    if (found && old->vlen + 32 > SMALL_REPLY) { put_error(&o, ERR_TOO_BIG); return finish(x, &o, s); }
    if (found) { put_bulk(&o, (const u8 *)(usize)old->value, old->vlen); if (!store_valid(old)) { o.p = s; put_nil(&o); } }
    else put_nil(&o);
  }
  if ((fl & SET_NX && found) || (fl & SET_XX && !found)) {
    if (!(fl & SET_GET)) put_nil(&o);
    return finish(x, &o, s);
  }
  if (fl & SET_KEEPTTL) exp = found ? old->exptime : 0;
  u32 mode = fl & SET_NX ? STORE_ADD : fl & SET_XX ? STORE_REPLACE : STORE_SET;
  i32 r = store_put(key, klen, A(x, 2), N(x, 2), 0, exp, mode, 0, x->now, 0);
  if (r == STORED) { if (!(fl & SET_GET)) put_raw(&o, "+OK\r\n"); }
  else if (r == NOT_STORED) { if (!(fl & SET_GET)) put_nil(&o); } /* lost a race with another client: as NX/XX */
  else { o.p = s; put_error(&o, r == TOO_LARGE ? ERR_TOO_BIG : ERR_OOM); }
  return finish(x, &o, s);
}

static int cmd_mset(ctx *x) {
  if ((x->argc & 1) == 0) return reply_arity(x, "mset");
  out o; u8 *s;
  if (!begin(x, &o, &s)) return EXEC_BLOCKED;
  for (u32 j = 1; j + 1 < x->argc; j += 2) {
    i32 r = store_put(A(x, j), N(x, j), A(x, j + 1), N(x, j + 1), 0, 0, STORE_SET, 0, x->now, 0);
    if (r != STORED) { put_error(&o, r == TOO_LARGE ? ERR_TOO_BIG : ERR_OOM); return finish(x, &o, s); }
  }
  put_raw(&o, "+OK\r\n");
  return finish(x, &o, s);
}

static int cmd_del(ctx *x) {
  out o; u8 *s;
  if (!begin(x, &o, &s)) return EXEC_BLOCKED;
  i64 n = 0;
  for (u32 j = 1; j < x->argc; j++) if (N(x, j) <= KEY_MAX) n += store_remove(A(x, j), N(x, j), x->now);
  put_int(&o, n);
  return finish(x, &o, s);
}

static int cmd_exists(ctx *x) {
  out o; u8 *s;
  if (!begin(x, &o, &s)) return EXEC_BLOCKED;
  i64 n = 0;
  store_res *res = scratch_res(0);
  for (u32 j = 1; j < x->argc; j++) if (N(x, j) <= KEY_MAX) n += store_get(A(x, j), N(x, j), x->now, res);
  put_int(&o, n);
  return finish(x, &o, s);
}

/** INCR and friends: Redis's signed 64-bit decimal strings, as a compare-and-swap over the store. */
static int incr_by(ctx *x, i64 by) {
  out o; u8 *s;
  if (!begin(x, &o, &s)) return EXEC_BLOCKED;
  const u8 *key = A(x, 1);
  u32 klen = N(x, 1);
  store_res *res = scratch_res(1);
  u8 digits[24];
  for (u32 t = 0; t < RMW_TRIES; t++) {
    i64 v = 0;
    int found = klen <= KEY_MAX && store_get(key, klen, x->now, res);
    if (found) {
      u32 n = res->vlen;
      if (n >= 21) { if (!store_valid(res)) continue; put_error(&o, ERR_NOT_INT); return finish(x, &o, s); }
      mem_copy(digits, (const u8 *)(usize)res->value, n);
      if (!store_valid(res)) continue;
      if (!parse_ll(digits, n, &v)) { put_error(&o, ERR_NOT_INT); return finish(x, &o, s); }
    }
    if ((by < 0 && v < 0 && by < (i64)0x8000000000000000ull - v) || (by > 0 && v > 0 && by > 0x7fffffffffffffffll - v)) {
      put_error(&o, "increment or decrement would overflow");
      return finish(x, &o, s);
    }
    v += by;
    u32 n = print_ll(digits, v);
    i32 r = found ? store_put(key, klen, digits, n, res->flags, res->exptime, STORE_CAS, res->cas, x->now, 0)
                  : store_put(key, klen, digits, n, 0, 0, STORE_ADD, 0, x->now, 0);
    if (r == STORED) { put_int(&o, v); return finish(x, &o, s); }
    if (r == EXISTS || r == NOT_FOUND || r == NOT_STORED) continue; /* changed meanwhile: again */
    o.p = s;
    put_error(&o, r == TOO_LARGE ? ERR_TOO_BIG : ERR_OOM);
    return finish(x, &o, s);
  }
  put_error(&o, ERR_OOM);
  return finish(x, &o, s);
}

static int arg_ll(ctx *x, u32 i, i64 *v) { return parse_ll(A(x, i), N(x, i), v); }
static int cmd_incr(ctx *x) { return incr_by(x, 1); }
static int cmd_decr(ctx *x) { return incr_by(x, -1); }
static int cmd_incrby(ctx *x) {
  i64 v;
  if (!arg_ll(x, 2, &v)) return reply_error(x, ERR_NOT_INT);
  return incr_by(x, v);
}
static int cmd_decrby(ctx *x) {
  i64 v;
  if (!arg_ll(x, 2, &v)) return reply_error(x, ERR_NOT_INT);
  if (v == (i64)0x8000000000000000ull) return reply_error(x, "decrement would overflow");
  return incr_by(x, -v);
}

static int cmd_append(ctx *x) {
  out o; u8 *s;
  if (!begin(x, &o, &s)) return EXEC_BLOCKED;
  const u8 *key = A(x, 1);
  u32 klen = N(x, 1);
  store_res *res = scratch_res(1);
  for (u32 t = 0; t < RMW_TRIES; t++) {
    int found = klen <= KEY_MAX && store_get(key, klen, x->now, res);
    u32 before = found ? res->vlen : 0;
    i32 r = store_put(key, klen, A(x, 2), N(x, 2), 0, 0, found ? STORE_APPEND : STORE_ADD, 0, x->now, 0);
    if (r == STORED) { put_int(&o, (i64)before + N(x, 2)); return finish(x, &o, s); }
    if (r == NOT_STORED && !found) continue; /* added by another client meanwhile */
    if (r == NOT_STORED && found && store_size_ok(klen, res->flags, before + N(x, 2))) continue; /* deleted meanwhile */
    put_error(&o, r == NOT_STORED || r == TOO_LARGE ? ERR_TOO_BIG : ERR_OOM);
    return finish(x, &o, s);
  }
  put_error(&o, ERR_OOM);
  return finish(x, &o, s);
}

/* ---- expiry ------------------------------------------------------------------ */
enum { EXP_NX = 1, EXP_XX = 2, EXP_GT = 4, EXP_LT = 8 };

static int cmd_expire(ctx *x) {
  out o; u8 *s;
  if (!begin(x, &o, &s)) return EXEC_BLOCKED;
  u32 fl = 0;
  for (u32 j = 3; j < x->argc; j++) {
    if (is(x, j, "nx")) fl |= EXP_NX;
    else if (is(x, j, "xx")) fl |= EXP_XX;
    else if (is(x, j, "gt")) fl |= EXP_GT;
    else if (is(x, j, "lt")) fl |= EXP_LT;
    else {
      u8 *m = scratch();
      out e = {m, m + 200};
      put_raw(&e, "Unsupported option ");
      put_bytes(&e, A(x, j), N(x, j) < 128 ? N(x, j) : 128);
      *e.p = 0;
      put_error(&o, (const char *)m);
      return finish(x, &o, s);
    }
  }
  if ((fl & EXP_NX) && (fl & (EXP_XX | EXP_GT | EXP_LT))) { put_error(&o, "NX and XX, GT or LT options at the same time are not compatible"); return finish(x, &o, s); }
  if ((fl & EXP_GT) && (fl & EXP_LT)) { put_error(&o, "GT and LT options at the same time are not compatible"); return finish(x, &o, s); }
  i64 when;
  if (!arg_ll(x, 2, &when)) { put_error(&o, ERR_NOT_INT); return finish(x, &o, s); }
  i64 now = (i64)x->now_ms;
  if (when > 0x7fffffffffffffffll / 1000 || when < (i64)0x8000000000000000ull / 1000 || when * 1000 > 0x7fffffffffffffffll - now) {
    put_error(&o, "invalid expire time in 'expire' command");
    return finish(x, &o, s);
  }
  when = when * 1000 + now;
  const u8 *key = A(x, 1);
  u32 klen = N(x, 1);
  store_res *res = scratch_res(1);
  if (klen > KEY_MAX || !store_get(key, klen, x->now, res)) { put_int(&o, 0); return finish(x, &o, s); }
  i64 current = res->exptime ? ms_of_store_time(res->exptime) : -1;
  if (((fl & EXP_NX) && current != -1) || ((fl & EXP_XX) && current == -1) ||
      ((fl & EXP_GT) && (when <= current || current == -1)) || ((fl & EXP_LT) && current != -1 && when >= current)) {
    put_int(&o, 0);
    return finish(x, &o, s);
  }
  if (when <= now) { store_remove(key, klen, x->now); put_int(&o, 1); return finish(x, &o, s); }
  put_int(&o, store_touch(key, klen, store_time_of_ms(x, when), x->now));
  return finish(x, &o, s);
}

static int cmd_ttl(ctx *x) {
  store_res *res = scratch_res(1);
  if (N(x, 1) > KEY_MAX || !store_get(A(x, 1), N(x, 1), x->now, res)) return reply_int(x, -2);
  if (res->exptime == 0) return reply_int(x, -1);
  return reply_int(x, res->exptime > x->now ? (i64)(res->exptime - x->now) : 0);
}

static int cmd_persist(ctx *x) {
  out o; u8 *s;
  if (!begin(x, &o, &s)) return EXEC_BLOCKED;
  store_res *res = scratch_res(1);
  int live = N(x, 1) <= KEY_MAX && store_get(A(x, 1), N(x, 1), x->now, res);
  put_int(&o, live && res->exptime != 0 ? store_touch(A(x, 1), N(x, 1), 0, x->now) : 0);
  return finish(x, &o, s);
}

/* ---- server ------------------------------------------------------------------- */
static int cmd_flushall(ctx *x) {
  if (x->argc > 2 || (x->argc == 2 && !is(x, 1, "sync") && !is(x, 1, "async"))) return reply_error(x, ERR_SYNTAX);
  out o; u8 *s;
  if (!begin(x, &o, &s)) return EXEC_BLOCKED;
  store_flush(0, x->now);
  put_raw(&o, "+OK\r\n");
  return finish(x, &o, s);
}

static void info_line(out *o, const char *name, i64 v) {
  put_raw(o, name);
  put_raw(o, ":");
  u8 d[24];
  put_bytes(o, d, print_ll(d, v));
  put_raw(o, "\r\n");
}

/** INFO [section ...]: the fields clients look at (a handshake reads redis_version and loading). */
static int cmd_info(ctx *x) {
  usize ctl = control_of_instance();
  u8 *m = scratch();
  out b = {m, m + SCRATCH_BYTES - 64};
  i64 started = (i64)ctl_u32(ctl, CTL_PROCESS_STARTED) + 62; /* the host starts the clock 62 s early, as memcached */
  put_raw(&b, "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\nos:wasmcached\r\narch_bits:32\r\n");
  info_line(&b, "process_id", ctl_u32(ctl, CTL_PID));
  info_line(&b, "tcp_port", ctl_u32(ctl, CTL_TCP_PORT));
  info_line(&b, "uptime_in_seconds", (i64)(x->now_ms / 1000) - started);
  put_raw(&b, "\r\n# Clients\r\nconnected_clients:1\r\n\r\n# Memory\r\n");
  info_line(&b, "used_memory", store_stat(STAT_BYTES));
  info_line(&b, "maxmemory", store_stat(STAT_LIMIT_MAXBYTES));
  put_raw(&b, "maxmemory_policy:allkeys-lru\r\n\r\n# Persistence\r\nloading:0\r\n\r\n# Stats\r\n");
  info_line(&b, "evicted_keys", store_stat(STAT_EVICTIONS));
  info_line(&b, "expired_keys", store_stat(STAT_RECLAIMED) + store_stat(STAT_CRAWLER_RECLAIMED));
  put_raw(&b, "\r\n# Keyspace\r\n");
  i64 keys = store_stat(STAT_CURR_ITEMS);
  if (keys > 0) { put_raw(&b, "db0:keys="); u8 d[24]; put_bytes(&b, d, print_ll(d, keys)); put_raw(&b, ",expires=0,avg_ttl=0\r\n"); }
  u32 len = (u32)(b.p - m);
  out o;
  if (!out_begin(x->conn, len + 16, &o)) return EXEC_BLOCKED;
  u8 *s = o.p;
  put_bulk(&o, m, len);
  return finish(x, &o, s);
}

static int cmd_command(ctx *x);

static const command COMMANDS[] = {
  {"get", 2, cmd_get, "readonly fast", 1, 1, 1},
  {"set", -3, cmd_set, "write denyoom", 1, 1, 1},
  {"del", -2, cmd_del, "write", 1, -1, 1},
  {"exists", -2, cmd_exists, "readonly fast", 1, -1, 1},
  {"mget", -2, cmd_mget, "readonly fast", 1, -1, 1},
  {"mset", -3, cmd_mset, "write denyoom", 1, -1, 2},
  {"incr", 2, cmd_incr, "write denyoom fast", 1, 1, 1},
  {"incrby", 3, cmd_incrby, "write denyoom fast", 1, 1, 1},
  {"decr", 2, cmd_decr, "write denyoom fast", 1, 1, 1},
  {"decrby", 3, cmd_decrby, "write denyoom fast", 1, 1, 1},
  {"append", 3, cmd_append, "write denyoom", 1, 1, 1},
  {"expire", -3, cmd_expire, "write fast", 1, 1, 1},
  {"ttl", 2, cmd_ttl, "readonly fast", 1, 1, 1},
  {"persist", 2, cmd_persist, "write fast", 1, 1, 1},
  {"ping", -1, cmd_ping, "fast", 0, 0, 0},
  {"echo", 2, cmd_echo, "fast", 0, 0, 0},
  {"quit", -1, cmd_quit, "fast", 0, 0, 0},
  {"flushall", -1, cmd_flushall, "write", 0, 0, 0},
  {"info", -1, cmd_info, "", 0, 0, 0},
  {"command", -1, cmd_command, "loading stale", 0, 0, 0},
};
#define N_COMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static const command *lookup(const u8 *p, u32 n) {
  for (u32 i = 0; i < N_COMMANDS; i++) if (eq_nocase(p, n, COMMANDS[i].name)) return &COMMANDS[i];
  return 0;
}

/** One COMMAND INFO entry: name, arity, flags, first, last, step, and four empty lists (7.0's ten fields). */
static void put_command_info(out *o, const command *c) {
  u32 n = 0;
  while (c->name[n]) n++;
  put_raw(o, "*10\r\n");
  put_bulk(o, (const u8 *)c->name, n);
  put_int(o, c->arity);
  u32 words = 0;
  for (u32 i = 0; c->flags[i]; i++) if (c->flags[i] != ' ' && (i == 0 || c->flags[i - 1] == ' ')) words++;
  put_len(o, '*', words);
  for (u32 i = 0; c->flags[i];) {
    while (c->flags[i] == ' ') i++;
    u32 k = i;
    while (c->flags[k] && c->flags[k] != ' ') k++;
    if (k > i) { put_raw(o, "+"); put_bytes(o, (const u8 *)c->flags + i, k - i); put_raw(o, "\r\n"); }
    i = k;
  }
  put_int(o, c->first);
  put_int(o, c->last);
  put_int(o, c->step);
  put_raw(o, "*0\r\n*0\r\n*0\r\n*0\r\n");
}

/** COMMAND, COMMAND COUNT, COMMAND INFO name..., COMMAND DOCS (none): enough for clients' handshakes. */
static int cmd_command(ctx *x) {
  out o;
  if (!out_begin(x->conn, TX_RESERVE_MAX, &o)) return EXEC_BLOCKED;
  u8 *s = o.p;
  if (x->argc == 1) {
    put_len(&o, '*', N_COMMANDS);
    for (u32 i = 0; i < N_COMMANDS; i++) put_command_info(&o, &COMMANDS[i]);
  } else if (is(x, 1, "count") && x->argc == 2) {
    put_int(&o, N_COMMANDS);
  } else if (is(x, 1, "docs")) {
    put_raw(&o, "*0\r\n");
  } else if (is(x, 1, "info")) {
    u32 n = x->argc - 2;
    if (n > 32) n = 32; /* bounded by the reserved room */
    put_len(&o, '*', n);
    for (u32 j = 2; j < 2 + n; j++) {
      const command *c = lookup(A(x, j), N(x, j));
      if (c) put_command_info(&o, c); else put_raw(&o, "*-1\r\n");
    }
  } else if (is(x, 1, "count")) {
    put_error(&o, "wrong number of arguments for 'command|count' command");
  } else {
    u8 *m = scratch();
    out e = {m, m + 200};
    put_raw(&e, "unknown subcommand '");
    put_bytes(&e, A(x, 1), N(x, 1) < 128 ? N(x, 1) : 128);
    put_raw(&e, "'. Try COMMAND HELP.");
    *e.p = 0;
    put_error(&o, (const char *)m);
  }
  return finish(x, &o, s);
}

/** "unknown command 'x', with args beginning with: 'a' 'b' " as Redis 7.0 builds it. */
static int reply_unknown(ctx *x) {
  u8 *m = scratch();
  out e = {m, m + 600};
  put_raw(&e, "unknown command '");
  put_bytes(&e, A(x, 0), N(x, 0) < 128 ? N(x, 0) : 128);
  put_raw(&e, "', with args beginning with: ");
  u32 args = 0;
  for (u32 i = 1; i < x->argc && args < 128; i++) {
    u32 n = N(x, i) < 128 - args ? N(x, i) : 128 - args;
    put_raw(&e, "'");
    put_bytes(&e, A(x, i), n);
    put_raw(&e, "' ");
    args += n + 3;
  }
  *e.p = 0;
  /* a NUL in an argument would end the message early in C: Redis's sds keeps it, so do the same by length */
  u32 len = (u32)(e.p - m);
  out o; u8 *s;
  if (!begin(x, &o, &s)) return EXEC_BLOCKED;
  put_raw(&o, "-ERR ");
  u8 *from = o.p;
  put_bytes(&o, m, len);
  for (u8 *q = from; q < o.p; q++) if (*q == '\r' || *q == '\n') *q = ' ';
  put_raw(&o, "\r\n");
  return finish(x, &o, s);
}

int exec_command(ctx *x) {
  const command *c = lookup(A(x, 0), N(x, 0));
  if (c == 0) return reply_unknown(x);
  if ((c->arity > 0 && (i32)x->argc != c->arity) || (i32)x->argc < -c->arity) return reply_arity(x, c->name);
  return c->run(x);
}
