/**
 * mulberry32: a small, fast, seedable PRNG. The same seed gives the same sequence, so a run that
 * draws (a `$share` member, the fault proxy's jitter and slices) can be repeated exactly.
 */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
