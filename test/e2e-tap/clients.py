"""Clients the TAP e2e tests run inside their network namespace, with
Debian's /usr/bin/python3 (no packages beyond pymemcache for `pymemcache`).

  clients.py ping HOST COUNT             ICMP echo over a raw socket (root)
  clients.py echo HOST PORT BYTES SEED   BYTES of seeded data through an echo
                                         server; prints both SHA-256 digests
  clients.py many HOST PORT N            N connections open at once, each a
                                         set and a get of its own key
  clients.py pymemcache HOST PORT        test/e2e/pymemcache_client.py against HOST

Each prints one result line and exits 0, or raises.
"""
import hashlib
import os
import random
import resource
import runpy
import selectors
import socket
import struct
import sys
import threading
import time


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ping(host, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.settimeout(2)
    ident = os.getpid() & 0xFFFF
    answered = 0
    for seq in range(1, count + 1):
        payload = struct.pack("!d", time.time()) + bytes(range(48))
        head = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
        packet = struct.pack("!BBHHH", 8, 0, checksum(head + payload), ident, seq) + payload
        s.sendto(packet, (host, 0))
        deadline = time.time() + 2
        while time.time() < deadline:
            data, addr = s.recvfrom(2048)
            ihl = (data[0] & 0x0F) * 4
            icmp = data[ihl:]
            typ, _code, _sum, rid, rseq = struct.unpack("!BBHHH", icmp[:8])
            if addr[0] == host and typ == 0 and rid == ident and rseq == seq:
                if checksum(icmp) != 0 or icmp[8:] != payload:
                    raise AssertionError(f"echo reply {seq} is corrupt")
                answered += 1
                break
    print(f"ping: {count} sent, {answered} answered")


def echo(host, port, nbytes, seed):
    data = random.Random(seed).randbytes(nbytes)
    sock = socket.create_connection((host, port), timeout=30)
    sent_digest = hashlib.sha256(data).hexdigest()

    def sender():
        view = memoryview(data)
        for off in range(0, nbytes, 65536):
            sock.sendall(view[off:off + 65536])

    t = threading.Thread(target=sender)
    t0 = time.time()
    t.start()
    got = hashlib.sha256()
    n = 0
    while n < nbytes:
        chunk = sock.recv(min(1 << 20, nbytes - n))
        if not chunk:
            raise AssertionError(f"connection closed after {n} of {nbytes} bytes")
        got.update(chunk)
        n += len(chunk)
    t.join()
    sock.close()
    secs = time.time() - t0
    print(f"echo: {n} bytes in {secs:.1f} s, sent {sent_digest}, received {got.hexdigest()}")


def many(host, port, n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n + 64
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(want, soft), max(want, hard)))
    sel = selectors.DefaultSelector()
    socks = []
    for i in range(n):  # all connect at once: the SYNs arrive in bursts
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex((host, port))
        socks.append(s)
    pending = {s.fileno(): s for s in socks}
    for s in socks:
        sel.register(s, selectors.EVENT_WRITE)
    deadline = time.time() + 60
    while pending:
        if time.time() > deadline:
            raise AssertionError(f"{len(pending)} of {n} connections not established in 60 s")
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                raise AssertionError(f"connect failed: {os.strerror(err)}")
            sel.unregister(s)
            del pending[s.fileno()]

    def round_trip(requests, done):
        """Sends requests[i] on socks[i] together, then reads until done(i, reply)."""
        replies = [b""] * n
        for i, s in enumerate(socks):
            s.setblocking(True)
            s.sendall(requests[i])
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, i)
        left = n
        while left:
            if time.time() > deadline + 60:
                raise AssertionError(f"{left} of {n} replies missing")
            for key, _ in sel.select(timeout=1):
                i = key.data
                replies[i] += key.fileobj.recv(4096)
                if done(i, replies[i]):
                    sel.unregister(key.fileobj)
                    left -= 1
        return replies

    vals = [f"value-{i}-{'x' * (i % 50)}".encode() for i in range(n)]
    sets = round_trip([b"set many:%d 0 0 %d\r\n%s\r\n" % (i, len(vals[i]), vals[i]) for i in range(n)],
                      lambda i, r: r.endswith(b"\r\n"))
    bad = [i for i, r in enumerate(sets) if r != b"STORED\r\n"]
    if bad:
        raise AssertionError(f"{len(bad)} sets failed, first: {sets[bad[0]]!r}")
    gets = round_trip([b"get many:%d\r\n" % i for i in range(n)], lambda i, r: r.endswith(b"END\r\n"))
    bad = [i for i, r in enumerate(gets)
           if r != b"VALUE many:%d 0 %d\r\n%s\r\nEND\r\n" % (i, len(vals[i]), vals[i])]
    if bad:
        raise AssertionError(f"{len(bad)} gets wrong, first: {gets[bad[0]]!r}")
    # While all n are still open, the server counts them.
    stats = socket.create_connection((host, port), timeout=10)
    stats.sendall(b"stats\r\n")
    text = b""
    while not text.endswith(b"END\r\n"):
        text += stats.recv(65536)
    stats.close()
    curr = int(text.split(b"STAT curr_connections ")[1].split(b"\r\n")[0])
    for s in socks:
        s.close()
    print(f"many: {n} connections, {n} sets and {n} gets ok, curr_connections {curr}")


def pymemcache(host, port):
    from pymemcache.client import base

    original = base.Client.__init__

    def to_host(self, server, *args, **kwargs):
        original(self, (host, server[1]), *args, **kwargs)

    base.Client.__init__ = to_host
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e", "pymemcache_client.py")
    sys.argv = [script, str(port)]
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "ping":
        ping(args[0], int(args[1]))
    elif cmd == "echo":
        echo(args[0], int(args[1]), int(args[2]), int(args[3]))
    elif cmd == "many":
        many(args[0], int(args[1]), int(args[2]))
    elif cmd == "pymemcache":
        pymemcache(args[0], int(args[1]))
    else:
        raise SystemExit(f"unknown command {cmd}")
