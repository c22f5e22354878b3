// loadgen: a small memcached text-protocol load generator for bench/*.mjs.
//
// Mode "get" (default): preloads K keys (8-byte keys, 8-byte values), then
// N connections each keep one `get` in flight over uniformly random keys
// for D seconds (epoll). Prints one JSON line: requests, seconds, rps, hits,
// misses, errors.
//
// Mode "trace" (--trace): replays a seeded Zipf(s) trace over M keys on one
// connection as get-then-set-on-miss, pipelined in batches of P: the batch's
// gets go out together, then one set for every key that missed, in trace
// order. Value sizes are fixed per key (vmin..vmax). Counts hits and misses
// after the first W requests (warm-up). Prints one JSON line.
//
// Every run is bounded: a hard alarm ends the process after the duration
// (or --max-seconds) plus a margin, whatever the server does.
//
// cc -O2 -o build/loadgen bench/loadgen.c -lm
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *host = "127.0.0.1";
static int port = 0;

static void die(const char *msg) {
  fprintf(stderr, "loadgen: %s: %s\n", msg, errno ? strerror(errno) : "");
  exit(2);
}

static void on_alarm(int sig) {
  (void)sig;
  static const char m[] = "loadgen: hard time limit reached, exiting\n";
  if (write(2, m, sizeof m - 1) < 0) { /* nothing to do */ }
  _exit(3);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng_state;
static uint64_t splitmix64(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static int connect_to(int nonblock) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &a.sin_addr) != 1) die("bad host");
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (nonblock) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

static void send_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      die("send");
    }
    p += w;
    n -= (size_t)w;
  }
}

// ---- blocking reply reader (preload, trace mode) ---------------------------
typedef struct {
  int fd;
  char *buf;
  size_t cap, start, end;
} reader_t;

static void rd_fill(reader_t *r) {
  if (r->start > 0 && r->start == r->end) r->start = r->end = 0;
  if (r->end == r->cap) {
    if (r->start > 0) {
      memmove(r->buf, r->buf + r->start, r->end - r->start);
      r->end -= r->start;
      r->start = 0;
    } else {
      r->cap *= 2;
      r->buf = realloc(r->buf, r->cap);
      if (!r->buf) die("realloc");
    }
  }
  ssize_t n = recv(r->fd, r->buf + r->end, r->cap - r->end, 0);
  if (n == 0) { errno = 0; die("server closed the connection"); }
  if (n < 0) {
    if (errno == EINTR) return;
    die("recv");
  }
  r->end += (size_t)n;
}

// Returns a pointer to the next line (NUL-terminated, CRLF stripped).
static char *rd_line(reader_t *r) {
  for (;;) {
    char *s = r->buf + r->start;
    char *nl = memchr(s, '\n', r->end - r->start);
    if (nl) {
      size_t len = (size_t)(nl - s);
      if (len > 0 && s[len - 1] == '\r') s[len - 1] = 0;
      *nl = 0;
      r->start += len + 1;
      return s;
    }
    rd_fill(r);
  }
}

static void rd_skip(reader_t *r, size_t n) {
  while (r->end - r->start < n) rd_fill(r);
  r->start += n;
}

// Reads one storage reply; returns 1 for STORED.
static int rd_store_reply(reader_t *r) {
  char *l = rd_line(r);
  return strcmp(l, "STORED") == 0;
}

// Reads one `get` reply; returns 1 for a hit, 0 for a miss, -1 for an error line.
static int rd_get_reply(reader_t *r) {
  int hit = 0;
  for (;;) {
    char *l = rd_line(r);
    if (strcmp(l, "END") == 0) return hit;
    if (strncmp(l, "VALUE ", 6) == 0) {
      char *last = strrchr(l, ' ');
      size_t len = strtoul(last + 1, NULL, 10);
      rd_skip(r, len + 2);
      hit = 1;
      continue;
    }
    return -1;  // ERROR / CLIENT_ERROR / SERVER_ERROR
  }
}

// ---- mode get ----------------------------------------------------------------
// Keys are "k" + 7 digits: 8 bytes (main() caps -k at 9999999).
static void key8(char *out, unsigned i) { snprintf(out, 16, "k%07u", i % 10000000u); }

static void preload_get_keys(unsigned keys) {
  int fd = connect_to(0);
  reader_t r = {.fd = fd, .cap = 1 << 16};
  r.buf = malloc(r.cap);
  char *out = malloc(64 * 200);
  unsigned stored = 0;
  for (unsigned i = 0; i < keys; i += 200) {
    size_t n = 0;
    unsigned batch = keys - i < 200 ? keys - i : 200;
    for (unsigned j = 0; j < batch; j++) {
      char k[16];
      key8(k, i + j);
      n += (size_t)sprintf(out + n, "set %s 0 0 8\r\nv%07u\r\n", k, i + j);
    }
    send_all(fd, out, n);
    for (unsigned j = 0; j < batch; j++) stored += (unsigned)rd_store_reply(&r);
  }
  if (stored != keys) {
    fprintf(stderr, "loadgen: preload stored %u of %u keys\n", stored, keys);
    exit(2);
  }
  free(out);
  free(r.buf);
  close(fd);
}

typedef struct {
  int fd;
  uint64_t rng;
  char buf[4096];
  size_t len;
} conn_t;

static void send_get(conn_t *c, unsigned keys) {
  char req[32];
  char k[16];
  key8(k, (unsigned)(splitmix64(&c->rng) % keys));
  int n = snprintf(req, sizeof req, "get %s\r\n", k);
  send_all(c->fd, req, (size_t)n);
  c->len = 0;
}

static int run_get(int conns, unsigned keys, double duration, int preload) {
  if (preload) preload_get_keys(keys);
  int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  conn_t *cs = calloc((size_t)conns, sizeof *cs);
  for (int i = 0; i < conns; i++) {
    cs[i].fd = connect_to(1);
    cs[i].rng = rng_state + (uint64_t)i * 7919;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &cs[i]};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev) < 0) die("epoll_ctl");
  }
  uint64_t requests = 0, hits = 0, misses = 0, errors = 0;
  double t0 = now_s(), end = t0 + duration;
  for (int i = 0; i < conns; i++) send_get(&cs[i], keys);
  struct epoll_event evs[256];
  int running = 1;
  double t = t0;
  while (running) {
    int n = epoll_wait(ep, evs, 256, 100);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    t = now_s();
    if (t >= end) running = 0;
    for (int e = 0; e < n; e++) {
      conn_t *c = evs[e].data.ptr;
      ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
      if (r == 0) { errno = 0; die("server closed a connection"); }
      if (r < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        die("recv");
      }
      c->len += (size_t)r;
      // A reply is complete at "END\r\n" (hit or miss) or at the CRLF of an error line.
      int done = 0;
      if (c->len >= 5 && memcmp(c->buf + c->len - 5, "END\r\n", 5) == 0) {
        done = 1;
        if (c->len > 5 && memcmp(c->buf, "VALUE ", 6) == 0) hits++;
        else misses++;
      } else if (c->len >= 2 && memcmp(c->buf + c->len - 2, "\r\n", 2) == 0 && memcmp(c->buf, "VALUE ", 6) != 0) {
        done = 1;
        errors++;
      } else if (c->len == sizeof c->buf) {
        errno = 0;
        die("reply too long");
      }
      if (done) {
        requests++;
        if (running) send_get(c, keys);
      }
    }
  }
  double secs = t - t0;
  printf("{\"mode\":\"get\",\"connections\":%d,\"keys\":%u,\"requests\":%llu,\"seconds\":%.3f,"
         "\"rps\":%.1f,\"hits\":%llu,\"misses\":%llu,\"errors\":%llu}\n",
         conns, keys, (unsigned long long)requests, secs, (double)requests / secs, (unsigned long long)hits,
         (unsigned long long)misses, (unsigned long long)errors);
  for (int i = 0; i < conns; i++) close(cs[i].fd);
  free(cs);
  close(ep);
  return errors ? 1 : 0;
}

// ---- mode trace ----------------------------------------------------------------
static double *zipf_cdf(unsigned n, double s) {
  double *cdf = malloc(sizeof(double) * n);
  if (!cdf) die("malloc cdf");
  double sum = 0;
  for (unsigned i = 0; i < n; i++) {
    sum += 1.0 / pow((double)(i + 1), s);
    cdf[i] = sum;
  }
  for (unsigned i = 0; i < n; i++) cdf[i] /= sum;
  return cdf;
}

static unsigned zipf_rank(const double *cdf, unsigned n, uint64_t *rng) {
  double u = (double)(splitmix64(rng) >> 11) * (1.0 / 9007199254740992.0);
  unsigned lo = 0, hi = n - 1;
  while (lo < hi) {
    unsigned mid = lo + (hi - lo) / 2;
    if (cdf[mid] < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// Rank -> key id: an odd multiplier is a bijection on 32 bits, so popular
// keys are spread over the key space instead of being k0, k1, ...
static uint32_t key_id(unsigned rank) { return (uint32_t)rank * 2654435761u; }
static unsigned value_len(uint32_t id, unsigned vmin, unsigned vmax) {
  uint64_t h = id;
  return vmin + (unsigned)(splitmix64(&h) % (uint64_t)(vmax - vmin + 1));
}

static int run_trace(unsigned nkeys, double s, uint64_t requests, uint64_t warmup, unsigned pipeline,
                     unsigned vmin, unsigned vmax, double max_seconds) {
  double *cdf = zipf_cdf(nkeys, s);
  int fd = connect_to(0);
  reader_t r = {.fd = fd, .cap = 1 << 20};
  r.buf = malloc(r.cap);
  char *out = malloc((size_t)pipeline * (vmax + 64) + 64);
  char *vbuf = malloc(vmax + 2);
  memset(vbuf, 'x', vmax);
  uint32_t *batch = malloc(sizeof(uint32_t) * pipeline);
  uint64_t rng = rng_state;
  uint64_t done = 0, hits = 0, misses = 0, errors = 0, sets = 0, set_failures = 0;
  double t0 = now_s();
  int complete = 1;
  while (done < requests) {
    if (now_s() - t0 > max_seconds) {
      complete = 0;
      break;
    }
    unsigned b = requests - done < pipeline ? (unsigned)(requests - done) : pipeline;
    size_t n = 0;
    for (unsigned i = 0; i < b; i++) {
      batch[i] = key_id(zipf_rank(cdf, nkeys, &rng));
      n += (size_t)sprintf(out + n, "get z%08x\r\n", batch[i]);
    }
    send_all(fd, out, n);
    n = 0;
    unsigned nsets = 0;
    for (unsigned i = 0; i < b; i++) {
      int h = rd_get_reply(&r);
      int counted = done + i >= warmup;
      if (h < 0) {
        errors++;
      } else if (h == 0) {
        if (counted) misses++;
        unsigned vl = value_len(batch[i], vmin, vmax);
        n += (size_t)sprintf(out + n, "set z%08x 0 0 %u\r\n", batch[i], vl);
        memcpy(out + n, vbuf, vl);
        n += vl;
        out[n++] = '\r';
        out[n++] = '\n';
        nsets++;
      } else if (counted) {
        hits++;
      }
    }
    if (nsets) {
      send_all(fd, out, n);
      for (unsigned i = 0; i < nsets; i++) set_failures += (uint64_t)!rd_store_reply(&r);
      sets += nsets;
    }
    done += b;
  }
  double secs = now_s() - t0;
  uint64_t counted = hits + misses;
  printf("{\"mode\":\"trace\",\"keys\":%u,\"zipf\":%.3f,\"requests\":%llu,\"warmup\":%llu,\"complete\":%s,"
         "\"seconds\":%.3f,\"hits\":%llu,\"misses\":%llu,\"hit_ratio\":%.6f,\"sets\":%llu,\"set_failures\":%llu,"
         "\"errors\":%llu,\"value_bytes\":[%u,%u],\"seed\":%llu}\n",
         nkeys, s, (unsigned long long)done, (unsigned long long)warmup, complete ? "true" : "false", secs,
         (unsigned long long)hits, (unsigned long long)misses, counted ? (double)hits / (double)counted : 0.0,
         (unsigned long long)sets, (unsigned long long)set_failures, (unsigned long long)errors, vmin, vmax,
         (unsigned long long)rng_state);
  close(fd);
  free(cdf);
  free(out);
  free(vbuf);
  free(batch);
  free(r.buf);
  return errors ? 1 : 0;
}

static void usage(void) {
  fprintf(stderr,
          "usage: loadgen -p PORT [-h HOST] [-c CONNS=32] [-k KEYS=1000] [-d SECONDS=5] [--no-preload] [-s SEED]\n"
          "       loadgen -p PORT --trace [-n KEYS=1000000] [-z ZIPF=0.9] [-r REQUESTS=4000000] [-w WARMUP=1000000]\n"
          "               [-P PIPELINE=64] [--vmin 200] [--vmax 500] [-T MAX_SECONDS=300] [-s SEED]\n");
  exit(2);
}

int main(int argc, char **argv) {
  int conns = 32, preload = 1, trace = 0;
  unsigned keys = 1000, nkeys = 1000000, pipeline = 64, vmin = 200, vmax = 500;
  double duration = 5, zipf = 0.9, max_seconds = 300;
  uint64_t requests = 4000000, warmup = 1000000;
  rng_state = 42;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEXT() (v ? (i++, v) : (usage(), ""))
    if (!strcmp(a, "-p")) port = atoi(NEXT());
    else if (!strcmp(a, "-h")) host = NEXT();
    else if (!strcmp(a, "-c")) conns = atoi(NEXT());
    else if (!strcmp(a, "-k")) keys = (unsigned)strtoul(NEXT(), NULL, 10);
    else if (!strcmp(a, "-d")) duration = atof(NEXT());
    else if (!strcmp(a, "-s")) rng_state = strtoull(NEXT(), NULL, 10);
    else if (!strcmp(a, "--no-preload")) preload = 0;
    else if (!strcmp(a, "--trace")) trace = 1;
    else if (!strcmp(a, "-n")) nkeys = (unsigned)strtoul(NEXT(), NULL, 10);
    else if (!strcmp(a, "-z")) zipf = atof(NEXT());
    else if (!strcmp(a, "-r")) requests = strtoull(NEXT(), NULL, 10);
    else if (!strcmp(a, "-w")) warmup = strtoull(NEXT(), NULL, 10);
    else if (!strcmp(a, "-P")) pipeline = (unsigned)strtoul(NEXT(), NULL, 10);
    else if (!strcmp(a, "--vmin")) vmin = (unsigned)strtoul(NEXT(), NULL, 10);
    else if (!strcmp(a, "--vmax")) vmax = (unsigned)strtoul(NEXT(), NULL, 10);
    else if (!strcmp(a, "-T")) max_seconds = atof(NEXT());
    else usage();
#undef NEXT
  }
  if (port <= 0 || conns <= 0 || keys == 0 || keys > 9999999 || nkeys == 0 || pipeline == 0 || vmin > vmax ||
      duration <= 0 || duration > 600 || max_seconds <= 0 || max_seconds > 3600)
    usage();
  signal(SIGALRM, on_alarm);
  signal(SIGPIPE, SIG_IGN);
  // Hard bound: the measured time plus generous room for setup (trace CDF, preload).
  alarm((unsigned)((trace ? max_seconds : duration) + 60));
  return trace ? run_trace(nkeys, zipf, requests, warmup, pipeline, vmin, vmax, max_seconds)
               : run_get(conns, keys, duration, preload);
}
