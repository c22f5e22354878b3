/* Bytes and numbers: what Redis's util.c does for its replies and arguments. */
#include "resp.h"

void mem_copy(u8 *dst, const u8 *src, u32 n) { __builtin_memcpy(dst, src, n); }

int eq_nocase(const u8 *p, u32 n, const char *lower) {
  for (u32 i = 0; i < n; i++) {
    u8 ch = p[i];
    if (ch >= 'A' && ch <= 'Z') ch += 32;
    if (lower[i] == 0 || (u8)lower[i] != ch) return 0;
  }
  return lower[n] == 0;
}

int parse_ll(const u8 *p, u32 n, i64 *out) {
  if (n == 0 || n >= 21) return 0; /* LONG_STR_SIZE */
  if (n == 1 && p[0] == '0') { *out = 0; return 1; }
  u32 i = 0;
  int neg = 0;
  if (p[0] == '-') { neg = 1; i = 1; if (n == 1) return 0; }
  if (p[i] < '1' || p[i] > '9') return 0;
  u64 v = (u64)(p[i] - '0');
  for (i++; i < n; i++) {
    if (p[i] < '0' || p[i] > '9') return 0;
    if (v > 0xffffffffffffffffull / 10) return 0;
    v *= 10;
    u64 d = (u64)(p[i] - '0');
    if (v > 0xffffffffffffffffull - d) return 0;
    v += d;
  }
  if (neg) {
    if (v > 0x8000000000000000ull) return 0;
    *out = (i64)(0 - v);
  } else {
    if (v > 0x7fffffffffffffffull) return 0;
    *out = (i64)v;
  }
  return 1;
}

u32 print_ll(u8 *out, i64 v) {
  u8 tmp[24];
  u64 u = v < 0 ? 0 - (u64)v : (u64)v;
  u32 n = 0;
  do { tmp[n++] = (u8)('0' + u % 10); u /= 10; } while (u != 0 && n < 22);
  u32 k = 0;
  if (v < 0) out[k++] = '-';
  while (n > 0) out[k++] = tmp[--n];
  return k;
}
