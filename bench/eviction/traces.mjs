// bench:eviction's seeded traces. Each one takes a client c — c.run(ops)
// with ops {get: id} | {set: id, vlen, ttl} answering 1/0 per op, c.stats()
// — and a context { mb (the NOMINAL -m: a 0.8x run replays the same trace),
// seed, requests, progress(done, total), expired() (the time bound is up) }.
// Ops go in pipelined batches of 64 (fewer for large values); a read-through
// batch sends its gets, then one set per miss, the same on every server.
// Times are real seconds (servers run on their own clock).

const BATCH = 64;
const BATCH_BYTES = 4 << 20;

export function rng(seed) {
  let s = (seed >>> 0) || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
}

export function zipfSampler(n, theta, rand) {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) { sum += 1 / Math.pow(i + 1, theta); cdf[i] = sum; }
  return () => {
    const u = rand() * sum;
    let lo = 0, hi = n - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (cdf[mid] < u) lo = mid + 1; else hi = mid; }
    return lo;
  };
}

const mix = (id) => { let h = Math.imul(id ^ 0x9e3779b9, 0x85ebca6b) >>> 0; h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35) >>> 0; return (h ^ (h >>> 16)) >>> 0; };
/** 200-500 bytes, fixed per key. */
const smallSize = (id) => 200 + mix(id) % 301;
/** 10 B - 500 KB, log-uniform, fixed per key. */
const MIXED_MIN = 10, MIXED_MAX = 500_000;
const mixedSize = (id) => Math.round(MIXED_MIN * Math.exp((mix(id) / 4294967296) * Math.log(MIXED_MAX / MIXED_MIN)));
const MIXED_MEAN = (MIXED_MAX - MIXED_MIN) / Math.log(MIXED_MAX / MIXED_MIN);

const COLD = 10_000_000, HOT = 20_000_000, SHORT = 30_000_000, SCAN = 40_000_000, FILLK = 50_000_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Sends ops in batches bounded by count and bytes; returns the results. */
async function runAll(c, ops) {
  const out = [];
  for (let i = 0; i < ops.length;) {
    let j = i, bytes = 0;
    while (j < ops.length && j - i < BATCH && (j === i || bytes + (ops[j].vlen ?? 0) <= BATCH_BYTES)) bytes += ops[j++].vlen ?? 0;
    out.push(...await c.run(ops.slice(i, j)));
    i = j;
  }
  return out;
}

/** Gets each id; sets the misses with sizeOf(id) and ttl. Returns the hit flags. */
async function readThrough(c, ids, sizeOf, ttl = 0) {
  const r = await runAll(c, ids.map((id) => ({ get: id })));
  await runAll(c, ids.filter((_, i) => !r[i]).map((id) => ({ set: id, vlen: sizeOf(id), ttl })));
  return r;
}

async function setRange(c, ctx, base, n, vlen, ttl = 0) {
  for (let i = 0; i < n && !ctx.expired(); i += BATCH) {
    const ops = [];
    for (let k = i; k < Math.min(n, i + BATCH); k++) ops.push({ set: base + k, vlen, ttl });
    await runAll(c, ops);
  }
}

async function coldKept(c, n) {
  let kept = 0;
  for (let i = 0; i < n; i += BATCH) {
    const ops = [];
    for (let k = i; k < Math.min(n, i + BATCH); k++) ops.push({ get: COLD + k });
    for (const r of await c.run(ops)) kept += r;
  }
  return kept;
}

const coldCount = (ctx) => Math.floor(ctx.mb * 1048576 * 0.2 / 1100);
const ratio = (a, b) => Number((b ? a / b : 0).toFixed(4));

/** Cold 1 KB items (20% of -m), then 16 hot keys overwritten with 10 KB until 4x -m was written. */
async function overwrite(c, ctx) {
  const cold = coldCount(ctx);
  await setRange(c, ctx, COLD, cold, 1000);
  const writes = Math.floor(ctx.mb * 1048576 * 4 / 10000);
  for (let i = 0; i < writes && !ctx.expired(); i += BATCH) {
    const ops = [];
    for (let k = i; k < Math.min(writes, i + BATCH); k++) ops.push({ set: HOT + (k & 15), vlen: 10000 });
    await runAll(c, ops);
    ctx.progress(i, writes);
  }
  const kept = await coldKept(c, cold);
  return { cold_items: cold, cold_kept: kept, hit_ratio: ratio(kept, cold), overwrites: writes };
}

/** The same cold items, then 10 KB items with a 2 s TTL (about half of -m unexpired at once) for 12 s. */
async function ttlChurn(c, ctx) {
  const cold = coldCount(ctx);
  await setRange(c, ctx, COLD, cold, 1000);
  const perSlice = Math.floor(ctx.mb * 1048576 / 2 / 2 / 10240 / 10);
  const slices = 120;
  const t0 = Date.now();
  for (let s = 0; s < slices && !ctx.expired(); s++) {
    const wait = t0 + s * 100 - Date.now();
    if (wait > 0) await sleep(wait);
    await setRange(c, ctx, SHORT + s * perSlice, perSlice, 10000, 2);
    ctx.progress(s, slices);
  }
  const kept = await coldKept(c, cold);
  return { cold_items: cold, cold_kept: kept, hit_ratio: ratio(kept, cold), short_ttl_items: perSlice * slices, seconds: (Date.now() - t0) / 1000 };
}

/**
 * Zipf 0.9 read-through of long-lived keys (TTL 1 h, 200-500 B, a working
 * set of 1.5x -m) while 10 KB items with short TTLs (1, 2, 4 or 8 s: about
 * half of -m unexpired at once) are written, for 12 s. Hit ratio of the
 * long-lived reads after the first 4 s.
 */
async function ttlMix(c, ctx) {
  const rand = rng(ctx.seed);
  const keys = Math.floor(ctx.mb * 1048576 * 1.5 / 400);
  const next = zipfSampler(keys, 0.9, rand);
  const ttls = [1, 2, 4, 8];
  const meanTtl = ttls.reduce((a, b) => a + b) / ttls.length;
  const shortPerSlice = Math.max(1, Math.floor(ctx.mb * 1048576 / 2 / meanTtl / 10240 / 10));
  const slices = 120, warmSlices = 40;
  const readsPerSlice = Math.max(BATCH, Math.floor(ctx.requests / 4 / slices));
  let hits = 0, reads = 0, shortN = 0;
  const t0 = Date.now();
  for (let s = 0; s < slices && !ctx.expired(); s++) {
    const wait = t0 + s * 100 - Date.now();
    if (wait > 0) await sleep(wait);
    const ops = [];
    for (let i = 0; i < shortPerSlice; i++, shortN++) ops.push({ set: SHORT + shortN, vlen: 10000, ttl: ttls[shortN & 3] });
    await runAll(c, ops);
    for (let i = 0; i < readsPerSlice; i += BATCH) {
      const ids = [];
      for (let k = 0; k < BATCH; k++) ids.push(next());
      const r = await readThrough(c, ids, smallSize, 3600);
      if (s >= warmSlices) { reads += r.length; for (const h of r) hits += h; }
    }
    ctx.progress(s, slices);
  }
  return { keys, reads, short_ttl_items: shortN, hit_ratio: ratio(hits, reads), seconds: (Date.now() - t0) / 1000 };
}

/**
 * Zipf read-through, values of sizeOf(id); working set about 3x -m.
 * With scan, a one-pass read-through of as many cold keys as the working
 * set in the middle, and the hit ratio counted after it.
 */
function zipf(theta, { scan = false, sizeOf = smallSize, meanSize = 400, requestShare = 1 } = {}) {
  return async (c, ctx) => {
    const rand = rng(ctx.seed);
    const keys = Math.floor(ctx.mb * 1048576 * 3 / meanSize);
    const next = zipfSampler(keys, theta, rand);
    const requests = Math.floor(ctx.requests * requestShare);
    const from = scan ? Math.floor(requests / 2) : Math.floor(requests / 4);
    let hits = 0, misses = 0, hitBytes = 0, missBytes = 0;
    for (let r = 0; r < requests && !ctx.expired(); r += BATCH) {
      if (scan && r === Math.floor(requests / 2 / BATCH) * BATCH) {
        for (let i = 0; i < keys && !ctx.expired(); i += BATCH) {
          const ids = [];
          for (let k = i; k < Math.min(keys, i + BATCH); k++) ids.push(SCAN + k);
          await readThrough(c, ids, sizeOf);
        }
      }
      const ids = [];
      for (let k = 0; k < BATCH; k++) ids.push(next());
      const res = await readThrough(c, ids, sizeOf);
      if (r >= from) res.forEach((h, i) => { if (h) { hits++; hitBytes += sizeOf(ids[i]); } else { misses++; missBytes += sizeOf(ids[i]); } });
      ctx.progress(r, requests);
    }
    const out = { keys, requests, hit_ratio: ratio(hits, hits + misses) };
    if (sizeOf !== smallSize) out.byte_hit_ratio = ratio(hitBytes, hitBytes + missBytes);
    return out;
  };
}

/** Distinct items of vlen bytes, 2x -m of values: how many the server keeps per MB of -m. */
function efficiency(vlen) {
  return async (c, ctx) => {
    const n = Math.floor(ctx.mb * 1048576 * 2 / vlen);
    for (let i = 0; i < n && !ctx.expired(); i += BATCH * 64) {
      await setRange(c, ctx, FILLK + i, Math.min(BATCH * 64, n - i), vlen);
      ctx.progress(i, n);
    }
    const st = await c.stats();
    const mb = Number(st.limit_maxbytes) / 1048576;
    return { value_bytes: vlen, items_set: n, curr_items: Number(st.curr_items), items_per_mb: Math.round(Number(st.curr_items) / mb) };
  };
}

/** name -> { run, metric: the field the summary and chart compare } */
export const TRACES = {
  "zipf0.9": { run: zipf(0.9), metric: "hit_ratio" },
  "zipf0.99": { run: zipf(0.99), metric: "hit_ratio" },
  scan: { run: zipf(0.9, { scan: true }), metric: "hit_ratio" },
  overwrite: { run: overwrite, metric: "hit_ratio" },
  ttl: { run: ttlChurn, metric: "hit_ratio" },
  "ttl-mix": { run: ttlMix, metric: "hit_ratio" },
  mixed: { run: zipf(0.9, { sizeOf: mixedSize, meanSize: MIXED_MEAN, requestShare: 0.05 }), metric: "hit_ratio" },
  "efficiency-100": { run: efficiency(100), metric: "items_per_mb" },
  "efficiency-1k": { run: efficiency(1000), metric: "items_per_mb" },
};
