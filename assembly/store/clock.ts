// memcached's time rules. Rel time = seconds since Ctl.PROCESS_STARTED.
import { Ctl } from "../shared/control";
import { gCtl } from "./layout";

/** Longest relative exptime (30 days); larger values are unix times. */
export const REALTIME_MAXDELTA: i64 = 60 * 60 * 24 * 30;

/** memcached's realtime() (1.6): 0 never; negative and absolute times at or
 *  before process start become 1, which is already past (memcached's clock
 *  starts above 1; the host sets PROCESS_STARTED the same way). */
export function relExptime(exptime: i64, now: u32): u32 {
  if (exptime == 0) return 0;
  if (exptime < 0) return 1; // proto_text: exptime = REALTIME_MAXDELTA + 1, realtime() -> 1
  if (exptime > REALTIME_MAXDELTA) {
    let started = <i64>load<u32>(gCtl + Ctl.PROCESS_STARTED);
    if (exptime <= started) return 1;
    let r = exptime - started;
    return r > <i64>u32.MAX_VALUE ? u32.MAX_VALUE : <u32>r;
  }
  let r = exptime + <i64>now;
  return r > <i64>u32.MAX_VALUE ? u32.MAX_VALUE : <u32>r;
}

@inline export function isExpired(exptime: u32, now: u32): bool {
  return exptime != 0 && exptime <= now;
}
