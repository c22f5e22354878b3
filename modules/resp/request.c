/* Framing one request out of the input, as Redis 7.0's networking.c does:
 * a '*' starts a multibulk request (processMultibulkBuffer), anything else
 * is an inline command line (processInlineBuffer with sdssplitargs). The
 * whole request is parsed again from its start on every call, so nothing is
 * kept between calls; a request must fit the transport's receive buffer. */
#include "resp.h"

/** The first '\r' (or '\n', for inline) in [p, p+n), or -1. */
static i32 find(const u8 *p, u32 n, u8 ch) {
  for (u32 i = 0; i < n; i++) if (p[i] == ch) return (i32)i;
  return -1;
}

static int error(request *req, const char *msg) { req->error = msg; return PARSE_ERROR; }

static int parse_multibulk(const u8 *in, u32 len, request *req, arg *argv) {
  i32 nl = find(in, len, '\r');
  if (nl < 0) return len > PROTO_INLINE_MAX ? error(req, "Protocol error: too big mbulk count string") : PARSE_MORE;
  if ((u32)nl + 2 > len) return PARSE_MORE; /* the byte after '\r' (not checked to be '\n', as Redis) */
  i64 count;
  if (!parse_ll(in + 1, (u32)nl - 1, &count) || count > 0x7fffffff) return error(req, "Protocol error: invalid multibulk length");
  u32 pos = (u32)nl + 2;
  if (count <= 0) { req->used = pos; req->argc = 0; return PARSE_OK; }
  if ((u64)count > MAX_ARGS) return error(req, "Protocol error: invalid multibulk length");
  for (u32 a = 0; a < (u32)count; a++) {
    u32 rest = len - pos;
    i32 r = find(in + pos, rest, '\r');
    if (r < 0) return rest > PROTO_INLINE_MAX ? error(req, "Protocol error: too big bulk count string") : PARSE_MORE;
    if ((u32)r + 2 > rest) return PARSE_MORE;
    if (in[pos] != '$') { req->bad = in[pos]; return error(req, "Protocol error: expected '$', got '%c'"); }
    i64 blen;
    if (!parse_ll(in + pos + 1, (u32)r - 1, &blen) || blen < 0 || blen > PROTO_BULK_MAX)
      return error(req, "Protocol error: invalid bulk length");
    pos += (u32)r + 2;
    if ((u64)(len - pos) < (u64)blen + 2) return PARSE_MORE;
    argv[a].p = in + pos;
    argv[a].n = (u32)blen;
    pos += (u32)blen + 2; /* the CRLF after the data is skipped unchecked, as Redis does */
  }
  req->used = pos;
  req->argc = (u32)count;
  return PARSE_OK;
}

static int is_space(u8 ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f'; }
static int hex_val(u8 ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

/** sdssplitargs over [p, end): arguments unquoted into buf. 0 on unbalanced quotes. A NUL ends the line, as in C. */
static int split_args(const u8 *p, const u8 *end, arg *argv, u32 *argc, u8 *buf) {
  u32 n = 0, used = 0;
  for (;;) {
    while (p < end && *p != 0 && is_space(*p)) p++;
    if (p >= end || *p == 0) { *argc = n; return 1; }
    if (n == MAX_ARGS) return 0;
    int inq = 0, insq = 0, done = 0;
    u8 *start = buf + used;
    u32 k = 0;
    while (!done) {
      if (used + k >= INLINE_MAX) return 0; /* cannot happen: the line is shorter than the buffer */
      if (inq) {
        if (p >= end || *p == 0) return 0;
        if (*p == '\\' && p + 3 < end && p[1] == 'x' && hex_val(p[2]) >= 0 && hex_val(p[3]) >= 0) {
          start[k++] = (u8)(hex_val(p[2]) * 16 + hex_val(p[3]));
          p += 3;
        } else if (*p == '\\' && p + 1 < end && p[1] != 0) {
          p++;
          u8 ch = *p;
          start[k++] = ch == 'n' ? '\n' : ch == 'r' ? '\r' : ch == 't' ? '\t' : ch == 'b' ? '\b' : ch == 'a' ? '\a' : ch;
        } else if (*p == '"') {
          if (p + 1 < end && p[1] != 0 && !is_space(p[1])) return 0; /* closing quote must be followed by a space */
          done = 1;
        } else {
          start[k++] = *p;
        }
      } else if (insq) {
        if (p >= end || *p == 0) return 0;
        if (*p == '\\' && p + 1 < end && p[1] == '\'') { p++; start[k++] = '\''; }
        else if (*p == '\'') {
          if (p + 1 < end && p[1] != 0 && !is_space(p[1])) return 0;
          done = 1;
        } else {
          start[k++] = *p;
        }
      } else {
        if (p >= end) { done = 1; break; }
        switch (*p) {
          case ' ': case '\n': case '\r': case '\t': case '\0': done = 1; break;
          case '"': inq = 1; break;
          case '\'': insq = 1; break;
          default: start[k++] = *p; break;
        }
      }
      if (p < end) p++;
    }
    argv[n].p = start;
    argv[n].n = k;
    n++;
    used += k;
  }
}

static int parse_inline(const u8 *in, u32 len, request *req, arg *argv, u8 *buf) {
  i32 nl = find(in, len, '\n');
  if (nl < 0) return len > PROTO_INLINE_MAX ? error(req, "Protocol error: too big inline request") : PARSE_MORE;
  u32 line = (u32)nl;
  if (line > 0 && in[line - 1] == '\r') line--;
  if (line > INLINE_MAX) return error(req, "Protocol error: too big inline request");
  if (!split_args(in, in + line, argv, &req->argc, buf)) return error(req, "Protocol error: unbalanced quotes in request");
  req->used = (u32)nl + 1;
  return PARSE_OK;
}

int parse_request(const u8 *in, u32 len, request *req, arg *argv, u8 *inline_buf) {
  req->argv = argv;
  req->argc = 0;
  req->error = 0;
  if (len == 0) return PARSE_MORE;
  return in[0] == '*' ? parse_multibulk(in, len, req, argv) : parse_inline(in, len, req, argv, inline_buf);
}
