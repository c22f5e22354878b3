"""pymemcache (Debian python3-pymemcache) against a server: run by
pymemcache.test.ts as /usr/bin/python3 pymemcache_client.py PORT.
Prints "pymemcache: N checks passed" and exits 0, or raises."""
import sys

from pymemcache.client.base import Client
from pymemcache.exceptions import MemcacheClientError

port = int(sys.argv[1])
c = Client(("127.0.0.1", port), default_noreply=False, connect_timeout=5, timeout=10)
checks = 0


def check(name, got, want):
    global checks
    if got != want:
        raise AssertionError(f"{name}: got {got!r}, want {want!r}")
    checks += 1


check("flush_all", c.flush_all(), True)
check("version", c.version().startswith(b"1.6."), True)

check("set", c.set("py:a", b"alpha"), True)
check("get", c.get("py:a"), b"alpha")
check("get miss", c.get("py:missing"), None)
check("set flags", c.set("py:f", b"x", expire=0), True)
check("set b", c.set("py:b", b"beta"), True)
check("get_many", c.get_many(["py:a", "py:b", "py:missing"]), {"py:a": b"alpha", "py:b": b"beta"})

check("add existing", c.add("py:a", b"other"), False)
check("add new", c.add("py:c", b"gamma"), True)
check("get added", c.get("py:c"), b"gamma")
check("replace missing", c.replace("py:nope", b"x"), False)
check("replace existing", c.replace("py:c", b"GAMMA"), True)
check("get replaced", c.get("py:c"), b"GAMMA")

check("append", c.append("py:a", b"-end"), True)
check("prepend", c.prepend("py:a", b"start-"), True)
check("get appended", c.get("py:a"), b"start-alpha-end")
check("append missing", c.append("py:nope", b"x"), False)
check("prepend missing", c.prepend("py:nope", b"x"), False)

value, cas = c.gets("py:b")
check("gets value", value, b"beta")
check("gets cas is int", isinstance(cas, (int, bytes)) and int(cas) > 0, True)
check("cas ok", c.cas("py:b", b"beta2", cas), True)
check("cas stale", c.cas("py:b", b"beta3", cas), False)
check("cas missing", c.cas("py:nope", b"x", cas), None)
check("get after cas", c.get("py:b"), b"beta2")
_, cas2 = c.gets("py:b")
check("cas changed", int(cas2) != int(cas), True)
check("gets miss", c.gets("py:nope"), (None, None))

check("set counter", c.set("py:n", b"10"), True)
check("incr", c.incr("py:n", 5), 15)
check("decr", c.decr("py:n", 3), 12)
check("decr floor", c.decr("py:n", 100), 0)
check("incr missing", c.incr("py:nope", 1), None)
check("decr missing", c.decr("py:nope", 1), None)
check("incr big", c.incr("py:n", 18446744073709551615), 18446744073709551615)
check("incr wrap", c.incr("py:n", 2), 1)
try:
    c.incr("py:a", 1)
    raise AssertionError("incr on a non-number did not fail")
except MemcacheClientError:
    checks += 1

check("delete", c.delete("py:c"), True)
check("delete missing", c.delete("py:c"), False)
check("get deleted", c.get("py:c"), None)

check("touch", c.touch("py:a", 100), True)
check("touch missing", c.touch("py:nope", 100), False)
check("get touched", c.get("py:a"), b"start-alpha-end")

check("set expired", c.set("py:e", b"x", expire=-1), True)
check("get expired", c.get("py:e"), None)

big = bytes(range(256)) * 1024 * 3  # 768 KiB, below the default 1 MiB item limit
check("set big", c.set("py:big", big), True)
check("get big", c.get("py:big"), big)

stats = c.stats()
for name in (b"pid", b"uptime", b"version", b"curr_items", b"get_hits", b"get_misses", b"cmd_get", b"cmd_set"):
    check(f"stats has {name!r}", name in stats, True)
check("stats get_hits > 0", int(stats[b"get_hits"]) > 0, True)

check("flush_all again", c.flush_all(), True)
check("get after flush", c.get("py:a"), None)
check("get_many after flush", c.get_many(["py:a", "py:b"]), {})

c.close()
print(f"pymemcache: {checks} checks passed")
