// Types for client.mjs (used by test/differential/eviction.test.ts).
export type Op = { get: number } | { set: number; vlen: number; ttl?: number };
export interface EvictionClient {
  errors: { count: number; first: string | null };
  run(ops: Op[]): Promise<number[]>;
  stats(): Promise<Record<string, string>>;
  close(): void;
}
export function connectClient(port: number, opts?: { batchTimeoutMs?: number }): Promise<EvictionClient>;
