// -u: become another user once set-up is done (sockets bound, TAP and DPDK
// opened), as memcached does when started as root: supplementary groups
// dropped, then the user's group, then the user. Without root, -u is
// ignored (memcached's "only when run as root").
import { chownSync } from "node:fs";
import { EX_OSERR, HostError } from "./errors.js";
import { libc } from "./libc.js";

/** sysexits.h EX_NOUSER, memcached's status for an unknown -u user. */
export const EX_NOUSER = 67;

export class PrivilegeError extends HostError {
  constructor(code: string, message: string, readonly exitCode: number) {
    super(code, message);
  }
}

export function runningAsRoot(): boolean {
  return process.getuid?.() === 0 || process.geteuid?.() === 0;
}

/**
 * As root: switches to `user` for good, handing it `owned` first (a UNIX
 * socket file, so the user can remove it at exit). Not root: nothing.
 * Returns whether the identity changed.
 */
export function dropPrivileges(user: string, owned: readonly string[] = []): boolean {
  if (!runningAsRoot()) return false;
  const pw = libc().getpwnam(user);
  if (pw === undefined) throw new PrivilegeError("ERR_NO_USER", `can't find the user ${user} to switch to`, EX_NOUSER);
  for (const path of owned) chownSync(path, pw.uid, pw.gid);
  try {
    process.setgroups?.([]);
  } catch (err) {
    // EPERM: already without them; memcached goes on then too
    if ((err as NodeJS.ErrnoException).code !== "EPERM") {
      throw new PrivilegeError("ERR_SETGROUPS", `failed to drop supplementary groups: ${(err as Error).message}`, EX_OSERR);
    }
  }
  try {
    process.setgid?.(pw.gid);
    process.setuid?.(pw.uid);
  } catch {
    throw new PrivilegeError("ERR_SETUID", `failed to assume identity of user ${user}`, EX_OSERR);
  }
  return true;
}
