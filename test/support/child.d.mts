// Types for child.mjs.
import type { ChildProcess } from "node:child_process";

export interface Child {
  readonly child: ChildProcess;
  /** Exit code, or the signal's name. */
  readonly exited: Promise<number | string>;
  output(): string;
  stdout(): string;
  /** SIGTERM (SIGKILL after graceMs); resolves to the exit code. */
  stop(graceMs?: number): Promise<number | string>;
}

/** Runs `node dist/wasmcached.mjs args`; resolves once the output matches `ready` (rejects if it exits or times out first). */
export function startWasmcached(
  args: readonly string[],
  ready: RegExp,
  opts?: { timeoutMs?: number; stdin?: "pipe" | "ignore" },
): Promise<Child>;
