// Minimal types for the npm "memcached" client (it ships none).
declare module "memcached" {
  type Callback<T = unknown> = (err: Error | undefined | null, data: T) => void;
  class Memcached {
    constructor(location: string | string[], options?: Record<string, unknown>);
    set(key: string, value: unknown, lifetime: number, cb: Callback<boolean>): void;
    add(key: string, value: unknown, lifetime: number, cb: Callback<boolean>): void;
    replace(key: string, value: unknown, lifetime: number, cb: Callback<boolean>): void;
    append(key: string, value: unknown, cb: Callback<boolean>): void;
    prepend(key: string, value: unknown, cb: Callback<boolean>): void;
    cas(key: string, value: unknown, cas: string, lifetime: number, cb: Callback<boolean>): void;
    get(key: string, cb: Callback<unknown>): void;
    gets(key: string, cb: Callback<Record<string, unknown> | undefined>): void;
    getMulti(keys: string[], cb: Callback<Record<string, unknown>>): void;
    del(key: string, cb: Callback<boolean>): void;
    incr(key: string, amount: number, cb: Callback<number | boolean>): void;
    decr(key: string, amount: number, cb: Callback<number | boolean>): void;
    touch(key: string, lifetime: number, cb: Callback<boolean>): void;
    flush(cb: Callback<unknown>): void;
    end(): void;
  }
  export default Memcached;
}
