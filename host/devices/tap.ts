// A TAP device: Ethernet frames between the kernel and our userspace stack,
// one read()/write() per frame on /dev/net/tun, straight into and out of the
// memory the descriptors index (the shared Wasm memory: no copy in JS).
//
// The kernel's side of the TAP is an ordinary interface (address it, bring
// it up, move it to a network namespace: our fd keeps working). Our stack is
// the peer at the other end of the wire, so it needs its own MAC address; the
// MAC reported here is the kernel interface's.
import { UsageError } from "../errors.js";
import {
  AF_INET,
  EACCES,
  EAGAIN,
  EBUSY,
  EINTR,
  EINVAL,
  EIO,
  ENOBUFS,
  ENODEV,
  ENOENT,
  EPERM,
  type Libc,
  O_CLOEXEC,
  O_NONBLOCK,
  O_RDWR,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  libc,
  sysError,
} from "../libc.js";
import { type Burst, type Counters, type Device, ETH_HEADER } from "./device.js";

/** Interface names are at most IFNAMSIZ - 1 = 15 bytes. */
export const IFNAMSIZ = 16;
export const TUN_PATH = "/dev/net/tun";
/** _IOW('T', 202, int); the same on x86_64 and aarch64. */
export const TUNSETIFF = 0x400454ca;
export const IFF_TAP = 0x0002;
export const IFF_NO_PI = 0x1000;
export const SIOCGIFMTU = 0x8921;
export const SIOCGIFHWADDR = 0x8927;
/** struct ifreq: the name, then a 24-byte union (flags u16, mtu i32, sockaddr). */
const IFREQ_SIZE = 40;
const IFR_UNION = 16;
/** Nothing more to read. */
const READ_STOP = [EAGAIN];
/** Queue full, or the interface is down (EIO): the rest of the burst is lost, as on a wire. */
const WRITE_STOP = [EAGAIN, ENOBUFS, EIO];

/** Checks an interface name the way the kernel will (dev_valid_name); throws UsageError ERR_TAP_NAME. */
export function checkTapName(name: string): void {
  const bytes = Buffer.byteLength(name);
  if (bytes === 0 || bytes >= IFNAMSIZ) {
    throw new UsageError("ERR_TAP_NAME", `TAP name "${name}" must be 1 to ${IFNAMSIZ - 1} bytes long (it is ${bytes})`);
  }
  if (name === "." || name === ".." || /[\s/:]/.test(name) || /[^\x21-\x7e]/.test(name)) {
    throw new UsageError("ERR_TAP_NAME", `TAP name "${name}" may not be "." or ".." or contain '/', ':', spaces or non-ASCII`);
  }
}

/** The error for a failed open/TUNSETIFF, with a stable code and what to do about it. */
export function tapOpenError(c: Libc, call: string, errno: number, name: string): Error {
  const ctx = `TAP ${name}`;
  switch (errno) {
    case ENOENT:
    case ENODEV:
      return sysError(c, "ERR_TAP_NO_TUN", call, errno, `${ctx}: ${TUN_PATH} is missing (load the tun module: modprobe tun)`);
    case EPERM:
    case EACCES:
      return sysError(c, "ERR_TAP_PERMISSION", call, errno, `${ctx}: creating a TAP device needs root or CAP_NET_ADMIN`);
    case EBUSY:
      return sysError(c, "ERR_TAP_BUSY", call, errno, `${ctx}: the device is already open in another process or fd`);
    case EINVAL:
      return sysError(c, "ERR_TAP_NOT_TAP", call, errno, `${ctx}: an interface of that name exists and is not a TAP device`);
    default:
      return sysError(c, "ERR_TAP_OPEN", call, errno, ctx);
  }
}

function ifreq(name: string): Uint8Array {
  const r = new Uint8Array(IFREQ_SIZE);
  Buffer.from(r.buffer).write(name, "latin1");
  return r;
}

/** SIOCGIFHWADDR and SIOCGIFMTU on a throwaway socket (in this thread's network namespace). */
function interfaceInfo(c: Libc, name: string): { mac: Uint8Array; mtu: number } {
  const s = c.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) throw sysError(c, "ERR_TAP_OPEN", "socket", c.errno(), `TAP ${name}`);
  try {
    const hw = ifreq(name);
    if (c.ioctl(s, SIOCGIFHWADDR, hw) < 0) throw sysError(c, "ERR_TAP_OPEN", "ioctl(SIOCGIFHWADDR)", c.errno(), `TAP ${name}`);
    const mt = ifreq(name);
    if (c.ioctl(s, SIOCGIFMTU, mt) < 0) throw sysError(c, "ERR_TAP_OPEN", "ioctl(SIOCGIFMTU)", c.errno(), `TAP ${name}`);
    // ifr_hwaddr is a struct sockaddr: sa_family (u16), then the 6 address bytes.
    const mac = hw.slice(IFR_UNION + 2, IFR_UNION + 8);
    const mtu = new DataView(mt.buffer).getInt32(IFR_UNION, true);
    return { mac, mtu };
  } finally {
    c.close(s);
  }
}

export class TapDevice implements Device {
  readonly name: string;
  /** The kernel interface's MAC address (not ours: our stack is the other end of the wire). */
  readonly kernelMac: Uint8Array;
  /** The interface's MTU when opened. */
  readonly mtu: number;
  readonly maxFrame: number;
  private fdNum: number;
  private memBytes: Uint8Array | undefined;
  private memBase = 0;
  private rx = 0;
  private tx = 0;
  private rxBytes = 0;
  private txBytes = 0;
  private rxOversize = 0;
  private txDropped = 0;

  private constructor(private readonly c: Libc, fd: number, readonly ifname: string, info: { mac: Uint8Array; mtu: number }) {
    this.fdNum = fd;
    this.name = `tap:${ifname}`;
    this.kernelMac = info.mac;
    this.mtu = info.mtu;
    this.maxFrame = info.mtu + ETH_HEADER;
  }

  /**
   * Creates (or attaches to a persistent) TAP interface `ifname`, non-blocking,
   * without packet information headers. It is gone when closed unless persistent.
   */
  static open(ifname: string, c: Libc = libc()): TapDevice {
    checkTapName(ifname);
    const fd = c.open(TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) throw tapOpenError(c, `open(${TUN_PATH})`, c.errno(), ifname);
    try {
      const req = ifreq(ifname);
      new DataView(req.buffer).setUint16(IFR_UNION, IFF_TAP | IFF_NO_PI, true);
      if (c.ioctl(fd, TUNSETIFF, req) < 0) throw tapOpenError(c, "ioctl(TUNSETIFF)", c.errno(), ifname);
      return new TapDevice(c, fd, ifname, interfaceInfo(c, ifname));
    } catch (err) {
      c.close(fd);
      throw err;
    }
  }

  /**
   * A TapDevice over an fd that `open` returned in another thread of this
   * process (file descriptors belong to the process): the main thread opens
   * the TAP, so that errors come before any worker starts, and the worker
   * that polls it adopts the fd.
   */
  static adopt(fd: number, ifname: string, info: { mac: Uint8Array; mtu: number }, c: Libc = libc()): TapDevice {
    return new TapDevice(c, fd, ifname, info);
  }

  get fd(): number {
    return this.fdNum;
  }

  /** Raw address of `bytes[0]`, computed once per memory. */
  private base(bytes: Uint8Array): number {
    if (this.fdNum < 0) throw new Error(`${this.name} is closed`);
    if (bytes !== this.memBytes) {
      this.memBase = this.c.address(bytes);
      this.memBytes = bytes;
    }
    return this.memBase;
  }

  /** After a failed read/write: true for EINTR (try again), false for an errno in `stop` (end the burst); throws otherwise. */
  private interrupted(call: string, stop: readonly number[]): boolean {
    const errno = this.c.errno();
    if (errno === EINTR) return true;
    if (stop.includes(errno)) return false;
    throw sysError(this.c, "ERR_TAP_IO", call, errno, this.name);
  }

  receive(rx: Burst, max: number, _now: number): number {
    const { c } = this;
    const base = this.base(rx.bytes);
    let n = 0;
    while (n < max) {
      const cap = rx.len(n);
      const r = c.read(this.fdNum, base + rx.addr(n), cap);
      if (r < 0) {
        if (this.interrupted("read", READ_STOP)) continue;
        break;
      }
      if (r > cap) {
        // The kernel reports the frame's length even when the buffer was shorter.
        this.rxOversize++;
        continue;
      }
      rx.setLen(n, r);
      this.rx++;
      this.rxBytes += r;
      n++;
    }
    return n;
  }

  transmit(tx: Burst, count: number, _now: number): number {
    const { c } = this;
    const base = this.base(tx.bytes);
    let i = 0;
    while (i < count) {
      const len = tx.len(i);
      const r = c.write(this.fdNum, base + tx.addr(i), len);
      if (r < 0) {
        if (this.interrupted("write", WRITE_STOP)) continue;
        break;
      }
      this.tx++;
      this.txBytes += len;
      i++;
    }
    this.txDropped += count - i;
    return i;
  }

  pollAt(_now: number): number {
    return Infinity;
  }

  counters(): Counters {
    const { rx, tx, rxBytes, txBytes, rxOversize, txDropped } = this;
    return { rx, tx, rxBytes, txBytes, rxOversize, txDropped };
  }

  close(): void {
    if (this.fdNum < 0) return;
    this.c.close(this.fdNum);
    this.fdNum = -1;
  }
}
