// Shared spec fixture: a control block and a formatted store region from the
// test heap, plus string helpers (specs may allocate; the store may not).
import { Ctl, CONTROL_MAGIC, CONTROL_SIZE } from "../../shared/control";
import {
  storeRegionSize, storeFormat, storeAttach, storeAlloc, storeCommit, storeFind,
  itemValue, itemValueLen, itemCas, MODE_SET,
} from "../index";

export const STARTED: u32 = 1_700_000_000;
export const NOW: u32 = 1000;
export const MB: u32 = 1 << 20;

let ctlMem: usize = 0;
let regionMem: usize = 0;
export let ctl: usize = 0;
export let regionBase: usize = 0;
export let regionSize: usize = 0;

@inline function up64(p: usize): usize { return (p + 63) & ~63; }

/** A fresh store of itemBytes (-m) and itemSizeMax (-I), formatted and attached as core 0. */
export function makeStore(itemBytes: u32 = 8 * MB, itemSizeMax: u32 = MB): usize {
  freeStore();
  regionSize = storeRegionSize(itemBytes, itemSizeMax);
  ctlMem = heap.alloc(CONTROL_SIZE + 64);
  ctl = up64(ctlMem);
  memory.fill(ctl, 0, CONTROL_SIZE);
  regionMem = heap.alloc(regionSize + 64);
  regionBase = up64(regionMem);
  store<u32>(ctl + Ctl.MAGIC, CONTROL_MAGIC);
  store<u32>(ctl + Ctl.N_CORES, 1);
  store<u32>(ctl + Ctl.ITEM_SIZE_MAX, itemSizeMax);
  store<u32>(ctl + Ctl.STORE_BASE, <u32>regionBase);
  store<u32>(ctl + Ctl.STORE_SIZE, <u32>regionSize);
  store<u32>(ctl + Ctl.ITEM_BYTES, itemBytes);
  store<u32>(ctl + Ctl.PROCESS_STARTED, STARTED);
  assert(storeFormat(ctl) == 0, "format");
  assert(storeAttach(ctl, 0) == 0, "attach");
  return ctl;
}

export function freeStore(): void {
  if (ctlMem != 0) { heap.free(ctlMem); heap.free(regionMem); }
  ctlMem = 0;
  regionMem = 0;
}

/** Key or value bytes (kept alive by the caller's reference). */
export function bytes(s: string): ArrayBuffer { return String.UTF8.encode(s); }
@inline export function ptr(b: ArrayBuffer): usize { return changetype<usize>(b); }
@inline export function len(b: ArrayBuffer): u32 { return <u32>b.byteLength; }

/** storeAlloc + fill + storeCommit; NO_MEMORY-like -1 when the reservation fails. */
export function put(key: string, val: string, mode: u32 = MODE_SET, cas: u64 = 0, flags: u32 = 0, exptime: u32 = 0, now: u32 = NOW): i32 {
  let k = bytes(key);
  let v = bytes(val);
  let it = storeAlloc(ptr(k), len(k), flags, exptime, len(v), now);
  if (it == 0) return -1;
  memory.copy(itemValue(it), ptr(v), len(v));
  return storeCommit(it, mode, cas, now);
}

/** Store a value of n bytes filled with `fill`. */
export function putSized(key: string, n: u32, fill: u8, now: u32 = NOW): i32 {
  let k = bytes(key);
  let it = storeAlloc(ptr(k), len(k), 0, 0, n, now);
  if (it == 0) return -1;
  memory.fill(itemValue(it), fill, n);
  return storeCommit(it, MODE_SET, 0, now);
}

export function find(key: string, now: u32 = NOW): usize {
  let k = bytes(key);
  return storeFind(ptr(k), len(k), now);
}

/** The value as a string, or "<miss>". */
export function get(key: string, now: u32 = NOW): string {
  let it = find(key, now);
  if (it == 0) return "<miss>";
  return String.UTF8.decodeUnsafe(itemValue(it), itemValueLen(it));
}

export function casOf(key: string, now: u32 = NOW): u64 {
  let it = find(key, now);
  return it == 0 ? 0 : itemCas(it);
}

/** Deterministic xorshift for the pressure specs. */
let rng: u32 = 0x9e3779b9;
export function seed(s: u32): void { rng = s | 1; }
export function rand(): u32 { rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5; return rng; }

// ---- numbered keys without allocation, for the long loops ---------------------
let keyBuf: usize = 0;

/** "<p>:" + decimal i in a reused buffer; returns the length. */
function numKey(p: u8, i: u32): u32 {
  if (keyBuf == 0) keyBuf = heap.alloc(64);
  store<u8>(keyBuf, p);
  store<u8>(keyBuf + 1, 58);
  let n: u32 = 1;
  let x = i;
  while (x >= 10) { x /= 10; n++; }
  x = i;
  for (let j = <i32>n - 1; j >= 0; j--) { store<u8>(keyBuf + 2 + j, <u8>(48 + x % 10)); x /= 10; }
  return n + 2;
}

/** putSized for key "<p>:<i>". */
export function putNum(p: u8, i: u32, n: u32, fill: u8, now: u32 = NOW, exptime: u32 = 0): i32 {
  let kl = numKey(p, i);
  let it = storeAlloc(keyBuf, kl, 0, exptime, n, now);
  if (it == 0) return -1;
  memory.fill(itemValue(it), fill, n);
  return storeCommit(it, MODE_SET, 0, now);
}

export function findNum(p: u8, i: u32, now: u32 = NOW): usize {
  let kl = numKey(p, i);
  return storeFind(keyBuf, kl, now);
}
