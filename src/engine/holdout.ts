/**
 * A stable number in [0, 1) for (seed, trigger, account): FNV-1a over the
 * three, so holdout membership never flips between runs or machines.
 */
export function holdoutDraw(seed: string, trigger: string, account: string): number {
  let hash = 0x811c9dc5;
  const text = `${seed}\u0000${trigger}\u0000${account}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  // One more avalanche round so nearby ids spread evenly.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b) >>> 0;
  hash ^= hash >>> 13;
  return (hash >>> 0) / 0x100000000;
}
