// Why the wire layer refused a frame. One code space for every header, so
// the stack keeps one drop counter per reason (an array of Reason.COUNT).
// Codes are stable: counters and docs/net-wire.md refer to them by number.

export namespace Reason {
  export const OK: u32 = 0;
  /** Fewer bytes than the header says it has (or than the fixed header). */
  export const TRUNCATED: u32 = 1;
  /** IPv4 version field is not 4. */
  export const BAD_VERSION: u32 = 2;
  /** IPv4 IHL < 5; TCP data offset < 5 or past the segment's end. */
  export const BAD_HEADER_LEN: u32 = 3;
  /** IPv4 total length shorter than its own header. */
  export const BAD_TOTAL_LEN: u32 = 4;
  /** Internet checksum does not verify. */
  export const BAD_CHECKSUM: u32 = 5;
  /** IPv4 fragment (MF set or offset non-zero): there is no reassembly. */
  export const FRAGMENT: u32 = 6;
  /** IPv4 header with options (IHL > 5): not supported. */
  export const IP_OPTIONS: u32 = 7;
  /** ARP hardware type is not Ethernet (1). */
  export const UNSUPPORTED_HTYPE: u32 = 8;
  /** ARP protocol type is not IPv4 (0x0800). */
  export const UNSUPPORTED_PTYPE: u32 = 9;
  /** ARP address lengths are not 6 and 4 for Ethernet/IPv4. */
  export const BAD_ADDR_LEN: u32 = 10;
  /** ARP operation is neither request (1) nor reply (2). */
  export const UNSUPPORTED_OP: u32 = 11;
  /** ICMP type other than echo request / echo reply. */
  export const UNSUPPORTED_ICMP: u32 = 12;
  /** TCP option without its length byte, with length < 2, or running past the header. */
  export const BAD_OPTION_LEN: u32 = 13;
  /** Number of codes: size of a per-reason counter array. */
  export const COUNT: u32 = 14;
}

/** Stable short name of a reason, for stats and logs (static strings: no allocation). */
export function reasonName(r: u32): string {
  switch (r) {
    case Reason.OK: return "ok";
    case Reason.TRUNCATED: return "truncated";
    case Reason.BAD_VERSION: return "bad_version";
    case Reason.BAD_HEADER_LEN: return "bad_header_len";
    case Reason.BAD_TOTAL_LEN: return "bad_total_len";
    case Reason.BAD_CHECKSUM: return "bad_checksum";
    case Reason.FRAGMENT: return "fragment";
    case Reason.IP_OPTIONS: return "ip_options";
    case Reason.UNSUPPORTED_HTYPE: return "unsupported_htype";
    case Reason.UNSUPPORTED_PTYPE: return "unsupported_ptype";
    case Reason.BAD_ADDR_LEN: return "bad_addr_len";
    case Reason.UNSUPPORTED_OP: return "unsupported_op";
    case Reason.UNSUPPORTED_ICMP: return "unsupported_icmp";
    case Reason.BAD_OPTION_LEN: return "bad_option_len";
    default: return "unknown";
  }
}
