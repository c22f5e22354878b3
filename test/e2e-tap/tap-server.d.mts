// Types for tap-server.mjs (plain JS so bench/tap.mjs can use it without a build).
export const python: string;
export const PORT: number;
export interface ExecResult {
  status: number | null;
  stdout: string;
  stderr: string;
}
export interface TapServer {
  readonly ns: string;
  readonly ifname: string;
  /** The server's address; the kernel side (inside the namespace) is kernelIp, in the same /24. */
  readonly ip: string;
  readonly kernelIp: string;
  readonly port: number;
  readonly pid: number;
  output(): string;
  /** Runs argv inside the namespace (`ip netns exec`), without blocking the event loop. */
  exec(argv: string[], timeoutMs?: number): Promise<ExecResult>;
  /** SIGTERM by PID (SIGKILL after 5 s), then deletes the namespace; resolves with the exit code or signal. */
  stop(): Promise<number | string>;
}
export function requireTapPrivileges(): void;
/** Runs `ip netns exec ns argv` to completion without blocking the event loop. */
export function execIn(ns: string, argv: string[], timeoutMs: number): Promise<ExecResult>;
export function startTapServer(args: string[], opts?: { cpu?: number }): Promise<TapServer>;
export function report(r: ExecResult, server: TapServer): string;
