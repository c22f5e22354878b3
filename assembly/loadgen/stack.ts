// The transport's side of the ABI (docs/protocol-modules.md): the `stack`
// imports. net_connect (active open) is only offered by the userspace stack,
// so this module links on assembly/netstack and nowhere else.

@external("stack", "tx_reserve") export declare function tx_reserve(conn: u32, min: u32): usize;
@external("stack", "tx_avail") export declare function tx_avail(conn: u32): u32;
@external("stack", "tx_commit") export declare function tx_commit(conn: u32, len: u32): void;
@external("stack", "conn_close") export declare function conn_close(conn: u32): void;
@external("stack", "net_connect") export declare function net_connect(ip: u32, port: u32): i32;
