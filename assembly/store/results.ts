// Result codes and modes of the public interface (re-exported by index.ts).
export const STORED: i32 = 0;
export const NOT_STORED: i32 = 1;
export const EXISTS: i32 = 2;
export const NOT_FOUND: i32 = 3;
export const NO_MEMORY: i32 = 4;      // "SERVER_ERROR out of memory storing object"
export const NON_NUMERIC: i32 = 5;    // incr/decr on a value that is not a number
export const DELTA_OK: i32 = 6;       // incr/decr applied
export const TOO_LARGE: i32 = 7;      // the item can never fit (-I, or an empty or over-long key): store ABI only

export const MODE_SET: u32 = 0;
export const MODE_ADD: u32 = 1;
export const MODE_REPLACE: u32 = 2;
export const MODE_APPEND: u32 = 3;
export const MODE_PREPEND: u32 = 4;
export const MODE_CAS: u32 = 5;
/** Meta `ms C I`: as MODE_CAS, but a CAS older than the item's stores the value marked stale. */
export const MODE_CAS_STALE: u32 = 6;

export const MISS_NONE: u32 = 0;
export const MISS_EXPIRED: u32 = 1;
export const MISS_FLUSHED: u32 = 2;
