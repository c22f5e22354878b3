// The control block: one per process, at a fixed place in the shared memory,
// written by the host before any instance starts and read by every instance.
// Offsets are bytes from the control base the host passes to `*_init`.
// host/layout.ts mirrors these numbers; change both together.
//
// Fields marked (host) are written only by the host; (atomic) are shared
// counters updated with atomics by any instance.

export const CONTROL_MAGIC: u32 = 0x57434331; // "WCC1"
export const CONTROL_SIZE: u32 = 4096;

export namespace Ctl {
  export const MAGIC: u32 = 0;           // u32 (host)
  export const N_CORES: u32 = 4;          // u32 (host) worker instances
  export const MAX_CONNS: u32 = 8;        // u32 (host) connection slots per core (-c)
  export const ITEM_SIZE_MAX: u32 = 12;   // u32 (host) -I in bytes
  export const VERBOSITY: u32 = 16;       // u32 (host, and `verbosity` command)
  export const STORE_BASE: u32 = 20;      // u32 (host) store region start
  export const STORE_SIZE: u32 = 24;      // u32 (host) store region bytes (index + items)
  export const ITEM_BYTES: u32 = 28;      // u32 (host) -m in bytes: the items never exceed it
  export const CORE_BASE: u32 = 32;       // u32 (host) core[0] region start
  export const CORE_STRIDE: u32 = 36;     // u32 (host) bytes between core regions
  export const PROCESS_STARTED: u32 = 40; // u32 (host) unix seconds; rel time 0 (memcached's process_started)
  export const PID: u32 = 44;             // u32 (host)
  export const TCP_PORT: u32 = 48;        // u32 (host) for `stats settings`
  export const MAXBYTES_LO: u32 = 52;     // u64 (host) -m in bytes, for stats
  export const EVICTIONS_ON: u32 = 60;    // u32 (host) 1 unless -M
  export const RUSAGE_USER_US: u32 = 64;  // u64 (host, refreshed about once a second)
  export const RUSAGE_SYS_US: u32 = 72;   // u64 (host)
  export const INTERFACE: u32 = 80;       // 64 bytes (host) listen address text, NUL-padded, for `stats settings`
  export const SHUTDOWN: u32 = 144;       // u32 (atomic) set by the host: workers stop
  export const REJECTED_CONNS: u32 = 148; // u32 (atomic) connections refused for want of a slot (stats rejected_connections)
  export const TCP_BACKLOG: u32 = 152;    // u32 (host) -b, for `stats settings` (0 = memcached's 1024)
  export const REQS_PER_EVENT: u32 = 156; // u32 (host) -R, for `stats settings` (0 = memcached's 20)
  export const VERSION_STR: u32 = 160;    // 32 bytes (host) version text, NUL-padded
  // Userspace stack settings (host), used by the net transport (assembly/netstack):
  export const NET_IP: u32 = 192;         // u32 (host) our IPv4 address, host byte order (10.0.0.2 = 0x0A000002)
  export const NET_PREFIX: u32 = 196;     // u32 (host) prefix length (24)
  export const NET_GATEWAY: u32 = 200;    // u32 (host) 0 = none
  export const NET_MTU: u32 = 204;        // u32 (host) IP MTU (1500)
  export const NET_MAC: u32 = 208;        // u64 (host) our MAC in the low 48 bits (0x020000000001)
  export const NET_SEED: u32 = 216;       // u64 (host) ISN/cookie key seed; fixed under replay, random otherwise
  export const NET_PORT: u32 = 224;       // u32 (host) TCP port the protocol module is served on
  export const NET_FLAGS: u32 = 228;      // u32 (host) bit 0: device verifies rx checksums; bit 1: device fills tx checksums
  export const ADMIN_FLAGS: u32 = 232;    // u32 (atomic, memcached module) bit 0: lru crawler disabled
  export const SLAB_AUTOMOVE: u32 = 236;  // u32 (memcached module) `slabs automove` level, reported only (no slabs)
  export const CRAWLER_SLEEP: u32 = 240;  // u32 (memcached module) `lru_crawler sleep` + 1 (0 = memcached's default 100)
  export const CRAWLER_TOCRAWL: u32 = 244; // u32 (memcached module) `lru_crawler tocrawl`
  export const UNIX_MASK: u32 = 248;      // u32 (host) -a, for `stats settings` (0 = memcached's 0700)
  export const SETTINGS_FLAGS: u32 = 252; // u32 (host) bits 0-1: -B (SET_PROTO_*); bit 2: -C (SET_NO_CAS)
  export const CAS_COUNTER: u32 = 256;    // u64 (atomic) last CAS value handed out (own cache line)
  export const FLUSH: u32 = 320;          // store's flush state (own cache line), owned by assembly/store
  export const STORE_SCRATCH: u32 = 384;  // 1664 bytes for assembly/store's global header if it wants it
  // Settings of the protocol module itself (host), its own layout (loadgen: docs/loadgen.md):
  export const APP_CONFIG: u32 = 2048;    // 256 bytes (host), zero unless the module defines them
  export const DOMAIN_SOCKET: u32 = 2304; // 112 bytes (host) -s path text, NUL-padded; empty = TCP
}

/** Ctl.SETTINGS_FLAGS: -B in the low two bits (memcached's binding protocol). */
export const SET_PROTO_MASK: u32 = 3;
export const SET_PROTO_AUTO: u32 = 0;
export const SET_PROTO_ASCII: u32 = 1;
export const SET_PROTO_BINARY: u32 = 2;
/** Ctl.SETTINGS_FLAGS bit: -C, CAS disabled (the protocol sees CAS 0 and every CAS check passes). */
export const SET_NO_CAS: u32 = 4;
