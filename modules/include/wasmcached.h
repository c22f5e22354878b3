/* The ABIs a protocol module written in C links against: the transport's
 * `stack` imports (docs/protocol-modules.md) and the shared cache's `store`
 * imports (docs/store-abi.md). Freestanding: no libc, wasm32, one shared
 * memory imported as env.memory. */
#ifndef WASMCACHED_H
#define WASMCACHED_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef int i32;
typedef unsigned long long u64;
typedef long long i64;
typedef unsigned long usize;

#define WC_EXPORT(name) __attribute__((export_name(#name)))
#define WC_IMPORT(mod, name) __attribute__((import_module(#mod), import_name(#name)))

/* ---- stack: the transport ---------------------------------------------- */
WC_IMPORT(stack, tx_reserve) u8 *tx_reserve(u32 conn, u32 min);
WC_IMPORT(stack, tx_avail) u32 tx_avail(u32 conn);
WC_IMPORT(stack, tx_commit) void tx_commit(u32 conn, u32 len);
WC_IMPORT(stack, conn_close) void conn_close(u32 conn);
/** The most tx_reserve may be asked for at once. */
#define TX_RESERVE_MAX 4096u

/* ---- store: the shared cache -------------------------------------------- */
/** The caller-owned result record (48 bytes, 8-aligned). */
typedef struct store_res {
  u32 item;     /* 0 = none */
  u32 value;    /* address of the value bytes; vlen + 2 readable ("\r\n" follows) */
  u32 vlen;
  u32 flags;
  u64 cas;
  u32 exptime;  /* store time (seconds since start), 0 = never */
  u32 gen;
  u64 number;   /* incr/decr result */
  u64 reserved;
} store_res;

enum { STORE_SET = 0, STORE_ADD = 1, STORE_REPLACE = 2, STORE_APPEND = 3, STORE_PREPEND = 4, STORE_CAS = 5 };
enum {
  STORED = 0, NOT_STORED = 1, EXISTS = 2, NOT_FOUND = 3, NO_MEMORY = 4, NON_NUMERIC = 5, DELTA_OK = 6, TOO_LARGE = 7,
};
enum {
  STAT_CURR_ITEMS = 0, STAT_TOTAL_ITEMS = 1, STAT_BYTES = 2, STAT_EVICTIONS = 3, STAT_RECLAIMED = 4,
  STAT_EXPIRED_UNFETCHED = 5, STAT_EVICTED_UNFETCHED = 6, STAT_CRAWLER_RECLAIMED = 7, STAT_LIMIT_MAXBYTES = 8,
};

WC_IMPORT(store, clock) u32 store_clock(double now_ms);
WC_IMPORT(store, exptime) u32 store_exptime(i64 wire, u32 now);
WC_IMPORT(store, get) i32 store_get(const u8 *key, u32 klen, u32 now, store_res *res);
WC_IMPORT(store, valid) i32 store_valid(const store_res *res);
WC_IMPORT(store, pin) i32 store_pin(const store_res *res);
WC_IMPORT(store, unpin) void store_unpin(const store_res *res);
WC_IMPORT(store, size_ok) i32 store_size_ok(u32 klen, u32 flags, u32 vlen);
WC_IMPORT(store, put) i32 store_put(const u8 *key, u32 klen, const u8 *value, u32 vlen, u32 flags, u32 exptime, u32 mode,
                                    u64 cas, u32 now, store_res *res);
WC_IMPORT(store, reserve) u32 store_reserve(const u8 *key, u32 klen, u32 flags, u32 exptime, u32 vlen, u32 now);
WC_IMPORT(store, item_value) u8 *store_item_value(u32 item);
WC_IMPORT(store, commit) i32 store_commit(u32 item, u32 mode, u64 cas, u32 now);
WC_IMPORT(store, abort) void store_abort(u32 item);
WC_IMPORT(store, remove) i32 store_remove(const u8 *key, u32 klen, u32 now);
WC_IMPORT(store, delta) i32 store_delta(const u8 *key, u32 klen, i32 incr, u64 by, u64 cas, u32 now, store_res *res);
WC_IMPORT(store, touch) i32 store_touch(const u8 *key, u32 klen, u32 exptime, u32 now);
WC_IMPORT(store, flush) void store_flush(i64 delay, u32 now);
WC_IMPORT(store, tick) void store_tick(u32 now);
WC_IMPORT(store, stat) i64 store_stat(u32 id);

/* ---- the control block (assembly/shared/control.ts) ---------------------- */
#define CTL_N_CORES 4u
#define CTL_MAX_CONNS 8u
#define CTL_PROCESS_STARTED 40u
#define CTL_PID 44u
#define CTL_TCP_PORT 48u

static inline u32 ctl_u32(usize control, u32 off) { return *(volatile const u32 *)(control + off); }

/** Point this instance's C stack at the top of [base, base + size): every
 *  instance of a module shares its statics, so the linker's stack cannot be
 *  used by two threads. Call first thing in app_init, from a function that
 *  itself keeps nothing on the stack. */
static inline void wc_set_stack(usize top) {
  __asm__ volatile(".globaltype __stack_pointer, i32\n\tlocal.get %0\n\tglobal.set __stack_pointer" ::"r"(top));
}

/** A per-instance u32 (a Wasm global: C variables would live in the shared
 *  memory, one for all instances). Defines NAME_get() and NAME_set(v); use it
 *  once per module, in one .c file. */
#define WC_INSTANCE_U32(NAME) \
  __asm__(".globaltype " #NAME ", i32\n" #NAME ":\n"); \
  static inline u32 NAME##_get(void) { u32 v; __asm__ volatile("global.get " #NAME "\n\tlocal.set %0" : "=r"(v)); return v; } \
  static inline void NAME##_set(u32 v) { __asm__ volatile("local.get %0\n\tglobal.set " #NAME ::"r"(v)); }

#endif
