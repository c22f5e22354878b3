// app_init's validation: one distinct code per problem (config.ts Err).
import { Ctl } from "../../shared/control";
import { Cfg, Err } from "../config";
import { app_init, app_region_size } from "../module";
import { CONN_BYTES } from "../conn";
import { St, State } from "../stats";
import { control, defaults, init, MAX_CONNS, regionBase, set, setCtl, state, stat32 } from "./harness";

function initWith(field: u32, v: u32): i32 {
  defaults();
  set(field, v);
  return init();
}

describe("settings", () => {
  it("accepts the defaults and starts in state init", () => {
    defaults();
    expect(init()).toBe(0);
    expect(state()).toBe(State.INIT);
    expect(stat32(St.OPEN)).toBe(0);
  });
  it("refuses a missing magic", () => {
    expect(initWith(Cfg.MAGIC, 0)).toBe(Err.MAGIC);
  });
  it("refuses connection counts of 0 and over Ctl.MAX_CONNS", () => {
    expect(initWith(Cfg.CONNS, 0)).toBe(Err.CONNS);
    expect(initWith(Cfg.CONNS, MAX_CONNS + 1)).toBe(Err.CONNS);
    expect(initWith(Cfg.CONNS, MAX_CONNS)).toBe(0);
  });
  it("refuses depths outside 1..64", () => {
    expect(initWith(Cfg.DEPTH, 0)).toBe(Err.DEPTH);
    expect(initWith(Cfg.DEPTH, 65)).toBe(Err.DEPTH);
    expect(initWith(Cfg.DEPTH, 64)).toBe(0);
  });
  it("refuses an empty key space", () => {
    expect(initWith(Cfg.KEYS, 0)).toBe(Err.KEYS);
  });
  it("refuses key sizes outside 4..250", () => {
    expect(initWith(Cfg.KEY_SIZE, 3)).toBe(Err.KEY_SIZE);
    expect(initWith(Cfg.KEY_SIZE, 251)).toBe(Err.KEY_SIZE);
    expect(initWith(Cfg.KEY_SIZE, 250)).toBe(0);
  });
  it("refuses keys whose index does not fit the key size", () => {
    defaults();
    set(Cfg.KEY_SIZE, 4);
    set(Cfg.KEYS, 1000); // k999 fits
    expect(init()).toBe(0);
    set(Cfg.KEYS, 1001); // k1000 does not
    expect(init()).toBe(Err.KEY_FIT);
    set(Cfg.KEY_SIZE, 11);
    set(Cfg.KEYS, 0xFFFFFFFF); // k4294967294 fits exactly
    expect(init()).toBe(0);
  });
  it("refuses values over 1 MiB", () => {
    expect(initWith(Cfg.VALUE_SIZE, (1 << 20) + 1)).toBe(Err.VALUE_SIZE);
    expect(initWith(Cfg.VALUE_SIZE, 1 << 20)).toBe(0);
    expect(initWith(Cfg.VALUE_SIZE, 0)).toBe(0);
  });
  it("refuses a set permille over 1000", () => {
    expect(initWith(Cfg.SET_PERMILLE, 1001)).toBe(Err.SET_PERMILLE);
    expect(initWith(Cfg.SET_PERMILLE, 1000)).toBe(0);
  });
  it("refuses a run with neither a request count nor a duration", () => {
    defaults();
    set(Cfg.REQUESTS, 0);
    expect(init()).toBe(Err.NO_END);
    set(Cfg.DURATION_MS, 100);
    expect(init()).toBe(0);
  });
  it("refuses a missing server address or port", () => {
    expect(initWith(Cfg.SERVER_IP, 0)).toBe(Err.SERVER);
    expect(initWith(Cfg.SERVER_PORT, 0)).toBe(Err.SERVER);
    expect(initWith(Cfg.SERVER_PORT, 65536)).toBe(Err.SERVER);
  });
  it("refuses unknown flags", () => {
    expect(initWith(Cfg.FLAGS, 2)).toBe(Err.FLAGS);
    expect(initWith(Cfg.FLAGS, 1)).toBe(0);
  });
  it("refuses a core past Ctl.N_CORES", () => {
    defaults();
    expect(app_init(control(), 1, regionBase(), app_region_size(MAX_CONNS))).toBe(Err.CORE);
    setCtl(Ctl.N_CORES, 0);
    expect(init()).toBe(Err.CORE);
  });
  it("refuses a region smaller than app_region_size(Ctl.MAX_CONNS)", () => {
    defaults();
    expect(app_init(control(), 0, regionBase(), app_region_size(MAX_CONNS) - 1)).toBe(Err.REGION);
  });
  it("sizes the region by connections, not by value size", () => {
    expect(app_region_size(10) - app_region_size(9)).toBeGreaterThanOrEqual(<usize>CONN_BYTES);
    expect(app_region_size(16) - app_region_size(0)).toBeLessThanOrEqual(<usize>(16 * CONN_BYTES + 64));
    expect(app_region_size(0xFFFFFFFF)).toBe(<usize>0xFFFFFFC0);
  });
});
