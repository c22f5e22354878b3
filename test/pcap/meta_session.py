#!/usr/bin/env python3
"""Meta-protocol and mixed-protocol sessions over plain sockets (record.sh).

Usage: meta_session.py HOST PORT NAME   (NAME: meta | mixed)

meta:  mg/ms/md/ma/mn with their flags, base64 keys, vivify (N), invalidate
       (I), compare-CAS (C), the ms modes, quiet mode, and errors. Every step
       is followed by `mn`; its `MN` ends the step's replies, so each step is
       answered completely before the next is sent.
mixed: three connections open at once, one speaking text, one binary, one
       meta: first taking turns on the same keys (each reply awaited), then
       each sending a burst at the same moment on keys of its own.
Deterministic: the requests never depend on timing; CAS numbers read from
replies are those of a fresh server.
"""
import re
import struct
import sys

from session import ask, conn, read_until  # the text sessions' socket helpers (same folder)


def step(s, *lines):
    """The lines (bytes, CRLF added) and `mn` in one write; the replies up to MN."""
    s.sendall(b"".join(l + b"\r\n" for l in lines) + b"mn\r\n")
    return read_until(s, b"MN\r\n")


def cas_of(reply):
    m = re.search(rb" c(\d+)", reply)
    if not m:
        raise SystemExit(f"no CAS in {reply!r}")
    return int(m.group(1))


def meta(s):
    step(s, b"flush_all")
    # ms: reply flags, quiet, modes
    step(s, b"ms foo 2 T0 F5 k O123", b"hi")
    foo = cas_of(step(s, b"ms foo 5 c", b"hello"))
    step(s, b"mg foo v c f k s O9")
    step(s, b"mg foo")
    step(s, b"ms foo 2 q", b"hi")                       # quiet: HD suppressed
    step(s, b"ms foo 1 ME q", b"x")                     # quiet: NS still sent
    step(s, b"ms addme 1 ME k", b"x")
    step(s, b"ms nope 1 MR k", b"x")
    step(s, b"ms foo 1 MR", b"R")
    step(s, b"ms foo 4 MA", b"tail")
    step(s, b"ms foo 4 MP O1", b"head")
    step(s, b"ms foo 2 MS", b"hi")
    step(s, b"ms nope 1 MA k", b"x")
    step(s, b"mg foo v")
    # mg: hits and misses, quiet, opaque, key
    step(s, b"ms g 5 F9", b"value")
    step(s, b"mg g s v f k O77")
    step(s, b"mg g k s q")
    step(s, b"mg g q")
    step(s, b"mg nokey")
    step(s, b"mg nokey k O1 v s")
    step(s, b"mg nokey q k", b"mg g q k v", b"mg nokey2 q")  # only the hit is sent
    step(s, b"mg g h", b"mg g h")
    # TTLs: T sets, t reads (-1: never expires)
    step(s, b"ms ttl 1 T100", b"t", b"mg ttl t v", b"mg g t")  # one write: no clock tick between
    step(s, b"mg g T200 t", b"mg g t")
    # base64 keys ("foob", and bytes no text line can carry)
    step(s, b"ms Zm9vYg== 3 b k", b"b64")
    step(s, b"mg Zm9vYg== b k v", b"mg foob v")
    step(s, b"ms AAEC/v8g 3 b k", b"bin")
    step(s, b"mg AAEC/v8g b k v s")
    step(s, b"md AAEC/v8g b k")
    step(s, b"mg AAEC/v8g b v")
    # vivify (N): the first miss creates an empty item and wins (W); then Z
    step(s, b"mg viv N30 v c")
    step(s, b"mg viv N30 v")
    step(s, b"ms viv 6", b"filled")
    step(s, b"mg viv N30 v")
    # invalidate (I): md I marks the item stale; the next mg wins the recache
    step(s, b"ms st 3 T100", b"abc")
    step(s, b"md st I T30")
    st = cas_of(step(s, b"mg st v c"))
    step(s, b"mg st v")
    step(s, b"ms st 3 I C%d" % st, b"xyz")
    step(s, b"mg st v c")
    # recache (R): a TTL below the threshold wins once, then Z
    step(s, b"ms rc 1 T20", b"r", b"mg rc R30 v", b"mg rc R30 v", b"mg rc R10 v")
    # a value larger than one segment, stored and fetched
    big = bytes(33 + (i * 7) % 90 for i in range(20000))
    step(s, b"ms big 20000 T0 k", big)
    step(s, b"mg big s v u")
    # compare-CAS (C)
    cs = cas_of(step(s, b"ms cs 3 c", b"one"))
    step(s, b"ms cs 3 C%d" % (cs + 1000), b"two")       # EX
    cs = cas_of(step(s, b"ms cs 3 c C%d" % cs, b"two"))
    step(s, b"mg cs v c")
    step(s, b"ms cs 3 MA C%d" % cs, b"app")
    step(s, b"ms nocs 1 C5", b"x")                      # NF
    step(s, b"md cs C%d" % foo)                          # EX
    # ma: delta, modes, autovivify, quiet
    step(s, b"ms n 2", b"10")
    step(s, b"ma n")
    step(s, b"ma n v")
    step(s, b"ma n v O1 k MD D5")
    step(s, b"ma n MD D100 v")
    step(s, b"ma n q")
    step(s, b"ma n M+ D18446744073709551615 v")
    step(s, b"ma newn N0 J13 v")
    step(s, b"ma newn v c")
    step(s, b"ma nonum v")                               # NF
    step(s, b"ma g")                                     # not a number
    # md
    step(s, b"ms d1 1", b"1")
    step(s, b"md d1 O5 k")
    step(s, b"md d1")
    step(s, b"md d1 q")                                  # NF still sent
    step(s, b"ms d1 1", b"1", b"md d1 q")                # HD suppressed
    # errors
    step(s, b"ms foo")                                   # bad command line format
    step(s, b"ms foo x", b"1")                           # ... and the data line is a command
    step(s, b"ms foo -1")
    step(s, b"ms foo 1 Ms", b"1")                        # invalid mode, value skipped
    step(s, b"ms foo 1 zz", b"1")
    step(s, b"ms foo 2", b"abcd")                        # bad data chunk
    step(s, b"mg")
    step(s, b"mg g zz")
    step(s, b"mg g v v")
    step(s, b"mg g O" + b"x" * 40)
    step(s, b"mg " + b"k" * 251 + b" v")
    step(s, b"ms " + b"k" * 251 + b" 1", b"1")
    step(s, b"mg g E5")                                  # 1.6.18 knows no E
    step(s, b"ma nonum q N0 J1", b"ma nonum q", b"mg nonum v")
    step(s, b"md d1 x")
    step(s, b"ma n Mi v")
    step(s, b"mn extra tokens")
    step(s, b"mz foo")
    s.sendall(b"quit\r\n")


# --- binary protocol (raw) ---------------------------------------------------
HDR = struct.Struct(">BBHBBHIIQ")


def breq(op, key=b"", extras=b"", value=b"", opaque=0, cas=0):
    return HDR.pack(0x80, op, len(key), len(extras), 0, 0, len(key) + len(extras) + len(value), opaque, cas) + extras + key + value


def bread(s, until_op):
    """Responses up to and including the first with opcode until_op."""
    buf = b""
    out = []
    while True:
        while len(buf) < 24:
            buf += s.recv(65536)
        body = struct.unpack(">I", buf[8:12])[0]
        while len(buf) < 24 + body:
            buf += s.recv(65536)
        out.append(buf[:24 + body])
        op = buf[1]
        buf = buf[24 + body:]
        if op == until_op:
            assert not buf, buf
            return out


def bask(s, *reqs):
    s.sendall(b"".join(reqs))
    return bread(s, reqs[-1][1])


NOOP, GET, SET, DELETE, INCR, GETK, GETKQ, SETQ, APPEND, VERSION = 0x0a, 0x00, 0x01, 0x04, 0x05, 0x0c, 0x0d, 0x11, 0x0e, 0x0b


def mixed(host, port):
    t = conn(host, port)   # text
    b = conn(host, port)   # binary
    m = conn(host, port)   # meta
    flags0 = struct.pack(">II", 0, 0)
    # taking turns on the same keys, each reply awaited
    ask(t, b"set mx:a 3 0 5\r\nalpha\r\n", b"\r\n")
    bask(b, breq(GET, b"mx:a", opaque=1))
    step(m, b"mg mx:a v f k")
    bask(b, breq(SET, b"mx:b", struct.pack(">II", 9, 0), b"from-binary", opaque=2))
    ask(t, b"get mx:a mx:b\r\n", b"END\r\n")
    step(m, b"ms mx:c 9 F4", b"from-meta")
    bask(b, breq(GETK, b"mx:c", opaque=3))
    ask(t, b"append mx:c 0 0 2\r\n+t\r\n", b"\r\n")
    bask(b, breq(APPEND, b"mx:c", b"", b"+b", opaque=4))
    step(m, b"ms mx:c 2 MA", b"+m", b"mg mx:c v f")
    ask(t, b"set mx:n 0 0 1\r\n5\r\n", b"\r\n")
    bask(b, breq(INCR, b"mx:n", struct.pack(">QQI", 10, 0, 0), opaque=5))
    step(m, b"ma mx:n D3 v")
    ask(t, b"incr mx:n 100\r\n", b"\r\n")
    bask(b, breq(DELETE, b"mx:a", opaque=6))
    step(m, b"mg mx:a v")
    ask(t, b"get mx:a\r\n", b"END\r\n")
    # bursts at the same moment, each connection on keys of its own
    t.sendall(b"".join(b"set tx%d 0 0 3 noreply\r\nt%02d\r\n" % (i, i) for i in range(20)) + b"get tx0 tx7 tx19\r\n")
    b.sendall(b"".join(breq(SETQ, b"bx%d" % i, flags0, b"b%02d" % i, opaque=100 + i) for i in range(20))
              + breq(GETKQ, b"bx3", opaque=200) + breq(GETKQ, b"bxmiss", opaque=201) + breq(VERSION, opaque=202))
    m.sendall(b"".join(b"ms mx%d 3 q\r\nm%02d\r\n" % (i, i) for i in range(20)) + b"mg mx5 v q\r\nmg mxmiss v q\r\nmn\r\n")
    read_until(t, b"END\r\n")
    bread(b, VERSION)
    read_until(m, b"MN\r\n")
    # and a last turn reading the others' keys
    ask(t, b"get bx1 mx1\r\n", b"END\r\n")
    bask(b, breq(GET, b"tx1", opaque=7), breq(GET, b"mx2", opaque=8), breq(NOOP, opaque=9))
    step(m, b"mg tx2 v", b"mg bx2 v")
    for s, bye in ((t, b"quit\r\n"), (b, breq(0x07, opaque=10)), (m, b"quit\r\n")):
        s.sendall(bye)
    for s in (t, b, m):
        s.recv(65536 if s is b else 1)  # binary quit is answered, then FIN
        s.close()


if __name__ == "__main__":
    host, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if name == "mixed":
        mixed(host, port)
    else:
        s = conn(host, port)
        {"meta": meta}[name](s)
        s.recv(1)  # wait for the server's FIN
        s.close()
