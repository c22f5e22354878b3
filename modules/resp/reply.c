/* RESP2 replies written into output reserved from the transport. Each reply
 * is bounded by the room reserved for it (out_begin); a writer never goes
 * past `end`, it truncates (which out_begin's sizes rule out). */
#include "resp.h"

void put_bytes(out *o, const u8 *p, u32 n) {
  u32 room = (u32)(o->end - o->p);
  if (n > room) n = room;
  mem_copy(o->p, p, n);
  o->p += n;
}

void put_raw(out *o, const char *s) {
  u32 n = 0;
  while (s[n] != 0 && n < TX_RESERVE_MAX) n++;
  put_bytes(o, (const u8 *)s, n);
}

void put_int(out *o, i64 v) { put_len(o, ':', v); }

/** ":n\r\n", "*n\r\n", "$n\r\n". */
void put_len(out *o, char kind, i64 n) {
  u8 tmp[32];
  tmp[0] = (u8)kind;
  u32 k = 1 + print_ll(tmp + 1, n);
  tmp[k++] = '\r';
  tmp[k++] = '\n';
  put_bytes(o, tmp, k);
}

void put_bulk(out *o, const u8 *p, u32 n) {
  put_len(o, '$', n);
  put_bytes(o, p, n);
  put_raw(o, "\r\n");
}

void put_nil(out *o) { put_raw(o, "$-1\r\n"); }

/** "-ERR msg\r\n" unless msg has its own code (an upper-case word, as "-OOM ..."); CR and LF become spaces. */
void put_error(out *o, const char *msg) {
  if (msg[0] != '-') put_raw(o, "-ERR ");
  u8 *from = o->p;
  put_raw(o, msg);
  for (u8 *q = from; q < o->p; q++) if (*q == '\r' || *q == '\n') *q = ' ';
  put_raw(o, "\r\n");
}

int out_begin(u32 conn, u32 max, out *o) {
  u8 *p = tx_reserve(conn, max);
  if (p == 0) return 0;
  o->p = p;
  o->end = p + max;
  return 1;
}

void out_end(u32 conn, const out *o, const u8 *start) { tx_commit(conn, (u32)(o->p - start)); }
