/**
 * Fixed-size bitsets over message sequence numbers: one bit per message keeps the record of a
 * million-message run in kilobytes (a receiver × publisher pair costs capacity / 8 bytes).
 */

export function createBitset(capacity: number): Uint32Array {
  return new Uint32Array(Math.ceil(Math.max(capacity, 1) / 32));
}

/** Sets bit `i`; returns true when it was already set. */
export function testAndSet(bits: Uint32Array, i: number): boolean {
  const w = i >>> 5;
  const m = 1 << (i & 31);
  const old = bits[w] as number;
  if ((old & m) !== 0) return true;
  bits[w] = old | m;
  return false;
}

export function hasBit(bits: Uint32Array, i: number): boolean {
  return ((bits[i >>> 5] as number) & (1 << (i & 31))) !== 0;
}

function popcount32(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

function maskFor(word: number, first: number, end: number): number {
  const lo = Math.max(first - word * 32, 0);
  const hi = Math.min(end - word * 32, 32);
  if (hi <= lo) return 0;
  const width = hi - lo;
  return width === 32 ? 0xffffffff : (((1 << width) - 1) << lo) >>> 0;
}

/** Number of set bits in [first, end) of the union of `sets` (a shared group: any member). */
export function countUnion(sets: readonly Uint32Array[], first: number, end: number): number {
  if (end <= first || sets.length === 0) return 0;
  const w0 = first >>> 5;
  const w1 = (end - 1) >>> 5;
  let n = 0;
  for (let w = w0; w <= w1; w++) {
    let word = 0;
    for (let s = 0; s < sets.length; s++) word |= (sets[s] as Uint32Array)[w] as number;
    if (word === 0) continue;
    if (w === w0 || w === w1) word &= maskFor(w, first, end);
    n += popcount32(word);
  }
  return n;
}

/** Number of set bits in [first, end). */
export function countBits(bits: Uint32Array, first: number, end: number): number {
  return countUnion([bits], first, end);
}

/** Sequence ranges [first, end), 0-based. */
export type SeqRange = readonly [number, number];

/** The set bits of `bits` as ranges (at most `max` bits read). */
export function rangesOf(bits: Uint32Array, max = 100_000): SeqRange[] {
  const out: Array<[number, number]> = [];
  let n = 0;
  for (let w = 0; w < bits.length && n < max; w++) {
    const word = bits[w] as number;
    if (word === 0) continue;
    for (let b = 0; b < 32; b++) {
      if ((word & (1 << b)) === 0) continue;
      const s = w * 32 + b;
      n++;
      const last = out[out.length - 1];
      if (last !== undefined && last[1] === s) last[1] = s + 1;
      else out.push([s, s + 1]);
    }
  }
  return out;
}
