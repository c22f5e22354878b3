// Types for traces.mjs (used by test/differential/eviction.test.ts).
import type { EvictionClient } from "./client.mjs";
export interface TraceContext {
  mb: number;
  seed: number;
  requests: number;
  expired(): boolean;
  progress(done: number, total: number): void;
}
export const TRACES: Record<string, { run(c: EvictionClient, ctx: TraceContext): Promise<Record<string, number>>; metric: string }>;
export function rng(seed: number): () => number;
export function zipfSampler(n: number, theta: number, rand: () => number): () => number;
