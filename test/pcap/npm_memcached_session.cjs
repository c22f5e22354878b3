// An npm `memcached` client session for the replay corpus (record.sh):
//   node npm_memcached_session.cjs HOST:PORT
const Memcached = require("memcached");
const assert = require("node:assert/strict");
const { promisify } = require("node:util");

const m = new Memcached(process.argv[2], { retries: 0, timeout: 5000, poolSize: 1 });
const call = (name, ...args) => promisify(m[name].bind(m))(...args);

(async () => {
  assert.equal(await call("set", "nm:a", "alpha", 0), true);
  assert.equal(await call("get", "nm:a"), "alpha");
  assert.equal(await call("set", "nm:b", "x".repeat(3000), 0), true);
  assert.deepEqual(await call("getMulti", ["nm:a", "nm:b", "nm:none"]), { "nm:a": "alpha", "nm:b": "x".repeat(3000) });
  // this client reports NOT_STORED as an error carrying notStored
  await assert.rejects(call("add", "nm:a", "no", 0), (err) => err.notStored === true);
  assert.equal(await call("replace", "nm:a", "ALPHA", 0), true);
  assert.equal(await call("append", "nm:a", "!"), true);
  assert.equal(await call("prepend", "nm:a", "?"), true);
  const g = await call("gets", "nm:a");
  assert.equal(g["nm:a"], "?ALPHA!");
  assert.equal(await call("cas", "nm:a", "swapped", g.cas, 0), true);
  assert.equal(await call("set", "nm:n", "41", 0), true);
  assert.equal(await call("incr", "nm:n", 1), 42);
  assert.equal(await call("decr", "nm:n", 50), 0);
  assert.equal(await call("touch", "nm:a", 60), true);
  assert.equal(await call("del", "nm:a"), true);
  assert.equal(await call("get", "nm:a"), undefined);
  m.end();
  console.log("npm memcached session ok");
})().catch((err) => {
  console.error(err);
  m.end();
  process.exit(1);
});
