// What the process calls itself, and the memcached release whose behaviour it
// reproduces (the `version` command answers with the latter: clients such as
// memccapable expect 1.6.x).
import pkg from "../package.json" with { type: "json" };

export const WASMCACHED_VERSION: string = pkg.version;
export const MEMCACHED_VERSION = "1.6.18";
