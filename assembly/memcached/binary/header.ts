// The binary protocol's 24-byte header: a view over request bytes (network
// byte order getters), the response header writer, opcodes and statuses
// (memcached 1.6.18's protocol_binary.h). Offsets are named once here.

export const HEADER_LEN: u32 = 24;
export const MAGIC_REQ: u8 = 0x80;
export const MAGIC_RES: u8 = 0x81;

// field offsets (request and response share them)
const H_MAGIC: usize = 0;
const H_OPCODE: usize = 1;
const H_KEYLEN: usize = 2;
const H_EXTLEN: usize = 4;
const H_DATATYPE: usize = 5;
const H_STATUS: usize = 6;   // vbucket in a request
const H_BODYLEN: usize = 8;
const H_OPAQUE: usize = 12;
const H_CAS: usize = 16;

export namespace Op {
  export const GET: u32 = 0x00;
  export const SET: u32 = 0x01;
  export const ADD: u32 = 0x02;
  export const REPLACE: u32 = 0x03;
  export const DELETE: u32 = 0x04;
  export const INCREMENT: u32 = 0x05;
  export const DECREMENT: u32 = 0x06;
  export const QUIT: u32 = 0x07;
  export const FLUSH: u32 = 0x08;
  export const GETQ: u32 = 0x09;
  export const NOOP: u32 = 0x0a;
  export const VERSION: u32 = 0x0b;
  export const GETK: u32 = 0x0c;
  export const GETKQ: u32 = 0x0d;
  export const APPEND: u32 = 0x0e;
  export const PREPEND: u32 = 0x0f;
  export const STAT: u32 = 0x10;
  export const SETQ: u32 = 0x11;
  export const ADDQ: u32 = 0x12;
  export const REPLACEQ: u32 = 0x13;
  export const DELETEQ: u32 = 0x14;
  export const INCREMENTQ: u32 = 0x15;
  export const DECREMENTQ: u32 = 0x16;
  export const QUITQ: u32 = 0x17;
  export const FLUSHQ: u32 = 0x18;
  export const APPENDQ: u32 = 0x19;
  export const PREPENDQ: u32 = 0x1a;
  export const TOUCH: u32 = 0x1c;
  export const GAT: u32 = 0x1d;
  export const GATQ: u32 = 0x1e;
  export const SASL_LIST_MECHS: u32 = 0x20;
  export const SASL_AUTH: u32 = 0x21;
  export const SASL_STEP: u32 = 0x22;
  export const GATK: u32 = 0x23;
  export const GATKQ: u32 = 0x24;
}

export namespace Status {
  export const SUCCESS: u32 = 0x00;
  export const KEY_ENOENT: u32 = 0x01;
  export const KEY_EEXISTS: u32 = 0x02;
  export const E2BIG: u32 = 0x03;
  export const EINVAL: u32 = 0x04;
  export const NOT_STORED: u32 = 0x05;
  export const DELTA_BADVAL: u32 = 0x06;
  export const UNKNOWN_COMMAND: u32 = 0x81;
  export const ENOMEM: u32 = 0x82;
}

/** The quiet form's plain opcode (memcached's dispatch_bin_command
 *  translation), or the opcode itself when it has no quiet form. */
export function plainOpcode(op: u32): u32 {
  switch (op) {
    case Op.SETQ: return Op.SET;
    case Op.ADDQ: return Op.ADD;
    case Op.REPLACEQ: return Op.REPLACE;
    case Op.DELETEQ: return Op.DELETE;
    case Op.INCREMENTQ: return Op.INCREMENT;
    case Op.DECREMENTQ: return Op.DECREMENT;
    case Op.QUITQ: return Op.QUIT;
    case Op.FLUSHQ: return Op.FLUSH;
    case Op.APPENDQ: return Op.APPEND;
    case Op.PREPENDQ: return Op.PREPEND;
    case Op.GETQ: return Op.GET;
    case Op.GETKQ: return Op.GETK;
    case Op.GATQ: return Op.GAT;
    case Op.GATKQ: return Op.GATK;
    default: return op;
  }
}

// ---- request view (p points at a complete 24-byte header) -------------------

@inline function be16(p: usize): u32 { return <u32>bswap<u16>(load<u16>(p)); }
@inline export function be32(p: usize): u32 { return bswap<u32>(load<u32>(p)); }
@inline export function be64(p: usize): u64 { return bswap<u64>(load<u64>(p)); }

@inline export function reqMagic(p: usize): u32 { return <u32>load<u8>(p + H_MAGIC); }
@inline export function reqOpcode(p: usize): u32 { return <u32>load<u8>(p + H_OPCODE); }
@inline export function reqKeyLen(p: usize): u32 { return be16(p + H_KEYLEN); }
@inline export function reqExtLen(p: usize): u32 { return <u32>load<u8>(p + H_EXTLEN); }
@inline export function reqBodyLen(p: usize): u32 { return be32(p + H_BODYLEN); }
/** Opaque as raw bytes: echoed unchanged, never byte-swapped. */
@inline export function reqOpaque(p: usize): u32 { return load<u32>(p + H_OPAQUE); }
@inline export function reqCas(p: usize): u64 { return be64(p + H_CAS); }

// ---- response header ---------------------------------------------------------

/** Writes a response header at p (datatype 0; opaque as raw bytes). */
export function putHeader(p: usize, opcode: u32, keyLen: u32, extLen: u32, status: u32, bodyLen: u32, opaque: u32, cas: u64): void {
  store<u8>(p + H_MAGIC, MAGIC_RES);
  store<u8>(p + H_OPCODE, <u8>opcode);
  store<u16>(p + H_KEYLEN, bswap<u16>(<u16>keyLen));
  store<u8>(p + H_EXTLEN, <u8>extLen);
  store<u8>(p + H_DATATYPE, 0);
  store<u16>(p + H_STATUS, bswap<u16>(<u16>status));
  store<u32>(p + H_BODYLEN, bswap<u32>(bodyLen));
  store<u32>(p + H_OPAQUE, opaque);
  store<u64>(p + H_CAS, bswap<u64>(cas));
}
