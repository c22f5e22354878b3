/* The RESP2 module's internal interfaces (README.md in this folder). */
#ifndef RESP_H
#define RESP_H
#include "../include/wasmcached.h"

/* ---- text.c: bytes and numbers, as Redis's util.c parses and prints them -- */
void mem_copy(u8 *dst, const u8 *src, u32 n);
int eq_nocase(const u8 *p, u32 n, const char *lower);
/** Redis's string2ll: optional '-', no '+', no spaces, no leading zeros; 1 if it fits an i64. */
int parse_ll(const u8 *p, u32 n, i64 *out);
/** Decimal digits of v at out (at most 20 + sign); the length. */
u32 print_ll(u8 *out, i64 v);

/* ---- request.c: one request framed out of the input ---------------------- */
typedef struct arg { const u8 *p; u32 n; } arg;
#define MAX_ARGS 4096u
/** Inline arguments after unquoting (they cannot stay in the input: it is re-read after a stall). */
#define INLINE_MAX 16384u
/** Redis's PROTO_INLINE_MAX_SIZE: a line without its end longer than this is refused. */
#define PROTO_INLINE_MAX 65536u
/** Redis's default proto-max-bulk-len. */
#define PROTO_BULK_MAX 536870912ll

enum parse_status { PARSE_MORE = 0, PARSE_OK = 1, PARSE_ERROR = 2 };
typedef struct request {
  u32 used;        /* bytes of input the request spans */
  u32 argc;        /* 0: an empty request (nothing to answer) */
  arg *argv;
  const char *error; /* PARSE_ERROR: the message, without "-ERR " */
  u8 bad;          /* the byte in "expected '$', got '%c'" */
} request;
int parse_request(const u8 *in, u32 len, request *req, arg *argv, u8 *inline_buf);

/* ---- reply.c: replies into reserved output -------------------------------- */
typedef struct out { u8 *p; u8 *end; } out;
void put_raw(out *o, const char *s);
void put_bytes(out *o, const u8 *p, u32 n);
void put_int(out *o, i64 v);
void put_len(out *o, char kind, i64 n);
void put_bulk(out *o, const u8 *p, u32 n);
void put_nil(out *o);
void put_error(out *o, const char *msg);
/** A reply of at most `max` bytes (max <= TX_RESERVE_MAX), or 0 bytes reserved: the output is full. */
int out_begin(u32 conn, u32 max, out *o);
void out_end(u32 conn, const out *o, const u8 *start);

/* ---- module.c: per-instance and per-connection state ---------------------- */
typedef struct conn_state {
  u32 resume;     /* next argument index of a command continued after a stall; 0 = from the start */
  u32 streaming;  /* a pinned value is being written out */
  u32 sent;       /* bytes of value + CRLF already written */
  u32 closing;
  store_res res;
} conn_state;

typedef struct ctx {
  u32 conn;
  conn_state *c;
  u32 argc;
  arg *argv;
  u32 now;        /* store time */
  double now_ms;
  u32 quit;       /* close once the reply is out */
} ctx;

enum exec_status { EXEC_DONE = 0, EXEC_BLOCKED = 1, EXEC_STALLED = 2 };
/** A value as a bulk reply: EXEC_DONE, EXEC_BLOCKED (no room yet), EXEC_STALLED (streaming), or -1: re-read it. */
int write_value(ctx *x, store_res *res);
/** Bytes of scratch for a command, per instance. */
u8 *scratch(void);
#define SCRATCH_BYTES 4096u
store_res *scratch_res(u32 i);
double now_ms_of_instance(void);
usize control_of_instance(void);

/* ---- commands.c ------------------------------------------------------------ */
int exec_command(ctx *x);
#endif
