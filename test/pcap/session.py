#!/usr/bin/env python3
"""A memcached text-protocol session over a plain socket (test/pcap/record.sh).

Every reply is read completely before the next request, except where the
requests are deliberately pipelined. Usage: session.py HOST PORT NAME
(NAME: values | pipeline | errors | expiry | late; late is the pipeline
session after 1.5 s of a quiet open connection, for a capture started
mid-connection).
"""
import socket
import sys


def conn(host, port):
    s = socket.create_connection((host, port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(10)  # a server that stops answering fails the recording instead of hanging it
    return s


def read_until(s, *ends):
    buf = b""
    while not any(buf.endswith(e) for e in ends):
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit(f"connection closed after {len(buf)} bytes: {buf[-80:]!r}")
        buf += chunk
    return buf


def ask(s, req, *ends):
    s.sendall(req)
    return read_until(s, *ends)


def one_line(s, *requests):
    """Each request in turn, each answered by one line."""
    for req in requests:
        ask(s, req, b"\r\n")


def values(s):
    for n in (0, 1, 2, 100, 1000, 4096, 20000, 100000, 1048576 - 512):
        v = bytes((97 + i % 26) for i in range(n))
        ask(s, b"set v%d 0 0 %d\r\n" % (n, n) + v + b"\r\n", b"STORED\r\n", b"\r\n")
    for n in (0, 1, 2, 100, 1000, 4096, 20000, 100000, 1048576 - 512):
        ask(s, b"get v%d\r\n" % n, b"END\r\n")
    ask(s, b"gets v2 v100\r\n", b"END\r\n")
    one_line(s, b"append v2 0 0 3\r\nxyz\r\n", b"prepend v2 0 0 3\r\n123\r\n")
    ask(s, b"get v2\r\n", b"END\r\n")
    one_line(s, b"incr nope 1\r\n", b"set n 0 0 2\r\n10\r\n", b"incr n 5\r\n", b"decr n 100\r\n",
             b"touch n 100\r\n", b"delete n\r\n", b"delete n\r\n")
    s.sendall(b"quit\r\n")


def pipeline(s):
    req = b"".join(b"set k%d 0 0 %d noreply\r\n%s\r\n" % (i, len(b"val%d" % i), b"val%d" % i) for i in range(200))
    s.sendall(req)
    keys = b" ".join(b"k%d" % i for i in range(0, 250))
    ask(s, b"get " + keys + b"\r\n", b"END\r\n")
    ask(s, b"get k1 k2\r\nget k3\r\ngets k4 k5 missing\r\nversion\r\n", b"VERSION 1.6.18\r\n", b"\r\n")
    ask(s, b"flush_all\r\n", b"OK\r\n")
    ask(s, b"get k1 k2 k3\r\n", b"END\r\n")
    ask(s, b"set a 1 0 1\r\nA\r\nflush_all noreply\r\nget a\r\n", b"END\r\n")
    s.sendall(b"quit\r\n")


def expiry(s):
    import time
    ask(s, b"set rel 0 1 1\r\nr\r\n", b"\r\n")
    ask(s, b"set abs 0 %d 1\r\na\r\n" % (int(time.time()) + 2), b"\r\n")
    ask(s, b"set stay 0 100 1\r\ns\r\n", b"\r\n")
    ask(s, b"get rel abs stay\r\n", b"END\r\n")
    time.sleep(3.2)
    ask(s, b"get rel abs stay\r\n", b"END\r\n")
    ask(s, b"flush_all 2\r\n", b"\r\n")
    ask(s, b"get stay\r\n", b"END\r\n")
    time.sleep(3.2)
    ask(s, b"get stay\r\n", b"END\r\n")
    s.sendall(b"quit\r\n")


def errors(s):
    one_line(s, b"bogus\r\n", b"set x 0 0 3\r\nabcd\r\n", b"get\r\n", b"set " + b"k" * 251 + b" 0 0 1\r\nx\r\n",
             b"incr x notanumber\r\n", b"set s 0 0 3\r\nabc\r\n", b"incr s 1\r\n", b"cas s 0 0 1 999\r\nz\r\n",
             b"add s 0 0 1\r\nz\r\n", b"replace nope 0 0 1\r\nz\r\n", b"verbosity 1\r\n",
             b"set neg 0 0 -1\r\n", b"get " + b"k" * 251 + b"\r\n", b"touch s abc\r\n", b"incr nope 1\r\n",
             b"incr s 18446744073709551616\r\n", b"delete s 1\r\n", b"flush_all abc\r\n",
             b"cas s 0 0 1\r\nz\r\n", b"decr s -1\r\n", b"verbosity\r\n", b"gat\r\n", b"touch s\r\n")
    # over -I (1m): refused, and the value is skipped so the stream stays in step
    ask(s, b"set big 0 0 1048577\r\n" + b"b" * 1048577 + b"\r\n", b"\r\n")
    one_line(s, b"get big\r\n")
    s.sendall(b"quit\r\n")


def late(s):
    import time
    time.sleep(1.5)  # the capture starts now: its first frames are mid-connection
    pipeline(s)


if __name__ == "__main__":
    host, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    s = conn(host, port)
    {"values": values, "pipeline": pipeline, "errors": errors, "expiry": expiry, "late": late}[name](s)
    s.recv(1)  # wait for the server's FIN
    s.close()
