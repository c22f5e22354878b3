// CAS values: one process-wide u64 counter in the control block, so values
// are unique and increasing across every instance and never reused.
import { Ctl } from "../shared/control";
import { gCtl } from "./layout";

@inline export function nextCas(): u64 { return atomic.add<u64>(gCtl + Ctl.CAS_COUNTER, 1) + 1; }
