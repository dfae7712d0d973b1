/** Deterministic pseudo-random numbers from strings (ids, sizes and timings in simulated output). */

/** FNV-1a hash of a string. */
export function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/** A number in [min, max] that only depends on `text`. */
export function stableNumber(text: string, min: number, max: number): number {
  return min + (hash(text) % (max - min + 1));
}
