// Errors the host reports to the operator. Each carries a stable `code` (for
// tests and scripts) and the process exit status it maps to.

/** sysexits.h values, as memcached uses them. */
export const EX_USAGE = 64;
export const EX_SOFTWARE = 70;
export const EX_OSERR = 71;
export const EX_CONFIG = 78;

export abstract class HostError extends Error {
  abstract readonly exitCode: number;
  constructor(readonly code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A bad command line: unknown flag, missing or malformed value, inconsistent limits. */
export class UsageError extends HostError {
  readonly exitCode = EX_USAGE;
}

/** The configuration cannot be laid out in one 32-bit Wasm memory. */
export class LayoutError extends HostError {
  readonly exitCode = EX_CONFIG;
}

/** A .wasm module is missing, malformed, breaks the ABI, or failed in a worker. */
export class ModuleError extends HostError {
  readonly exitCode = EX_SOFTWARE;
}

/** A system call failed (socket, bind, listen, epoll, ...). `errno` is the C errno. */
export class SysError extends HostError {
  readonly exitCode = EX_OSERR;
  constructor(code: string, readonly call: string, readonly errno: number, message: string) {
    super(code, message);
  }
}
