"""A pymemcache client session for the replay corpus (record.sh).

Runs with Debian's python3 (python3-pymemcache): /usr/bin/python3 pymemcache_session.py HOST PORT
"""
import sys

from pymemcache.client.base import Client

host, port = sys.argv[1], int(sys.argv[2])
c = Client((host, port), default_noreply=False, connect_timeout=5, timeout=5)
assert c.set("pm:a", b"alpha", expire=0, noreply=False)
assert c.get("pm:a") == b"alpha"
assert c.set_many({"pm:b": b"beta", "pm:c": b"gamma" * 100}, noreply=False) == []
assert c.get_many(["pm:a", "pm:b", "pm:c", "pm:missing"]) == {"pm:a": b"alpha", "pm:b": b"beta", "pm:c": b"gamma" * 100}
assert c.add("pm:a", b"nope", noreply=False) is False
assert c.add("pm:d", b"delta", noreply=False) is True
assert c.replace("pm:d", b"DELTA", noreply=False) is True
assert c.replace("pm:missing", b"x", noreply=False) is False
assert c.append("pm:d", b"+", noreply=False) is True
assert c.prepend("pm:d", b"-", noreply=False) is True
assert c.get("pm:d") == b"-DELTA+"
value, cas = c.gets("pm:d")
assert value == b"-DELTA+"
assert c.cas("pm:d", b"swapped", cas, noreply=False) is True
assert c.cas("pm:d", b"stale", cas, noreply=False) is False
assert c.set("pm:n", b"10", noreply=False)
assert c.incr("pm:n", 5, noreply=False) == 15
assert c.decr("pm:n", 20, noreply=False) == 0
assert c.incr("pm:missing", 1, noreply=False) is None
assert c.touch("pm:a", expire=100, noreply=False) is True
assert c.touch("pm:missing", expire=100, noreply=False) is False
assert c.delete("pm:a", noreply=False) is True
assert c.delete("pm:a", noreply=False) is False
assert c.get("pm:a") is None
assert c.version().startswith(b"1.6")
assert c.flush_all(noreply=False) is True
assert c.get("pm:b") is None
c.close()
print("pymemcache session ok")
