// Types for server.mjs (plain JS so the benchmarks can use it without a build).
export type ServerKind = "memcached" | "wasmcached";
export interface ServerHandle {
  kind: ServerKind;
  port: number;
  pid: number;
  argv: string[];
  output(): string;
  stop(): Promise<void>;
}
export const repoRoot: string;
export const wasmcachedEntry: string;
export function subjectKind(): ServerKind;
export function which(name: string): string | null;
export function requireTool(name: string, hint?: string): string;
export function freePort(): Promise<number>;
export function serverCommand(kind: ServerKind, port: number, args?: string[], opts?: { cpu?: number }): string[];
export function startServer(
  kind: ServerKind,
  args?: string[],
  opts?: { cpu?: number; timeoutMs?: number },
): Promise<ServerHandle>;
