// Spin locks with bounded spinning. Nothing here blocks forever: a lock not
// won within SPIN_LIMIT tries reports failure and the caller degrades
// (NO_MEMORY, or a miss), so a trapped holder cannot hang every core.

export const SPIN_LIMIT: u32 = 1 << 26;

/** Seqlock-style bucket lock: take it by moving the version from even to odd. Returns the even version held, or 1 on failure. */
export function lockVersion(p: usize): u32 {
  for (let i: u32 = 0; i < SPIN_LIMIT; i++) {
    let v = atomic.load<u32>(p);
    if ((v & 1) == 0 && atomic.cmpxchg<u32>(p, v, v + 1) == v) return v;
  }
  return 1;
}

/** Release after changing what the lock covers: readers see a new version. */
@inline export function unlockVersion(p: usize, held: u32): void { atomic.store<u32>(p, held + 2); }

/** Release after only reading: readers that overlapped need not retry. */
@inline export function unlockVersionClean(p: usize, held: u32): void { atomic.store<u32>(p, held); }

/** Plain mutex word (0 free, 1 held). */
export function lockWord(p: usize): bool {
  for (let i: u32 = 0; i < SPIN_LIMIT; i++) {
    if (atomic.load<u32>(p) == 0 && atomic.cmpxchg<u32>(p, 0, 1) == 0) return true;
  }
  return false;
}

@inline export function unlockWord(p: usize): void { atomic.store<u32>(p, 0); }
