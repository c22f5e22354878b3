// Sizing, formatting and attaching the store region.
import { Ctl } from "../shared/control";
import { STORE_MAGIC, Hdr, computeGeometry, attachGlobals, geoNseg, geoSegShift, geoHashPower, geoNovf, geoSegTab, geoLiveTab, geoIndex, geoOvf, geoItems, geoTotal } from "./layout";
import { formatIndex } from "./buckets";
import { formatSegments, resetInstance } from "./segments";
import { flushReset } from "./flush";
import { sweepReset } from "./sweep";

/** Largest region a 32-bit memory can place. */
const REGION_MAX: u64 = 0xffff0000;

export function storeRegionSize(itemBytes: usize, itemSizeMax: u32): usize {
  computeGeometry(<u64>itemBytes, itemSizeMax);
  if (geoNseg == 0 || geoTotal > REGION_MAX) return 0;
  return <usize>geoTotal;
}

export function storeFormat(control: usize): i32 {
  let base = <usize>load<u32>(control + Ctl.STORE_BASE);
  let size = <u64>load<u32>(control + Ctl.STORE_SIZE);
  let itemBytes = <u64>load<u32>(control + Ctl.ITEM_BYTES);
  let itemSizeMax = load<u32>(control + Ctl.ITEM_SIZE_MAX);
  if (base == 0 || (base & 63) != 0) return -1;
  computeGeometry(itemBytes, itemSizeMax);
  if (geoNseg == 0 || geoTotal > size) return -2;
  memory.fill(base, 0, Hdr.SIZE);
  store<u32>(base + Hdr.NSEG, geoNseg);
  store<u32>(base + Hdr.SEG_SHIFT, geoSegShift);
  store<u32>(base + Hdr.HASH_POWER, geoHashPower);
  store<u32>(base + Hdr.NOVF, geoNovf);
  store<u32>(base + Hdr.SEGTAB, <u32>geoSegTab);
  store<u32>(base + Hdr.LIVETAB, <u32>geoLiveTab);
  store<u32>(base + Hdr.INDEX, <u32>geoIndex);
  store<u32>(base + Hdr.OVF, <u32>geoOvf);
  store<u32>(base + Hdr.ITEMS, <u32>geoItems);
  atomic.store<u32>(base + Hdr.MAGIC, STORE_MAGIC);
  attachGlobals(control, 0);
  formatSegments();
  formatIndex(<u32>1 << geoHashPower);
  flushReset();
  resetInstance();
  sweepReset();
  return 0;
}

export function storeAttach(control: usize, core: u32): i32 {
  let r = attachGlobals(control, core);
  if (r != 0) return r;
  resetInstance();
  sweepReset();
  return 0;
}
