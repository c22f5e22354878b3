// Incomplete uploads: a value still arriving pins its reservation's segment,
// and a pinned segment cannot be reclaimed. Connections that send a set line
// and then stall would so pin every segment and make every other client's set
// fail. A session that has to wait for the rest of a value holds an upload
// here first; at most half of the segments may hold one, so the other half
// stays reclaimable and a live client's set always finds memory. A refused
// hold makes that upload fail (as memcached fails the store it cannot
// allocate), never somebody else's.
import { gBase, gNseg, Hdr } from "./layout";
import { segEntry, segOf, S_UPLOADS } from "./segtab";

/** Segments that may hold incomplete uploads: half, at least one. */
function limit(): u32 { const h = gNseg >> 1; return h > 0 ? h : 1; }

/** Counts `it` as an upload still arriving; false (nothing counted) when that would take one segment past the limit. */
export function storeHoldUpload(it: usize): bool {
  const e = segEntry(segOf(it));
  if (atomic.add<u32>(e + S_UPLOADS, 1) != 0) return true; // its segment holds one already
  const segs = gBase + Hdr.UPLOAD_SEGS;
  if (atomic.add<u32>(segs, 1) < limit()) return true;
  atomic.sub<u32>(segs, 1);
  atomic.sub<u32>(e + S_UPLOADS, 1);
  return false;
}

/** The upload of `it` arrived or was given up (call once per successful hold). */
export function storeReleaseUpload(it: usize): void {
  const e = segEntry(segOf(it));
  if (atomic.load<u32>(e + S_UPLOADS) == 0) return; // unbalanced: never wrap
  if (atomic.sub<u32>(e + S_UPLOADS, 1) == 1) atomic.sub<u32>(gBase + Hdr.UPLOAD_SEGS, 1);
}

/** Segments holding incomplete uploads now (tests, stats). */
export function storeUploadSegments(): u32 { return atomic.load<u32>(gBase + Hdr.UPLOAD_SEGS); }
