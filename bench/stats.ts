/** Median and spread of a set of timings. */
export interface Summary {
  median: number;
  p95: number;
  min: number;
  max: number;
  runs: number;
}

export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { median: at(0.5), p95: at(0.95), min: sorted[0]!, max: sorted[sorted.length - 1]!, runs: sorted.length };
}

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * Times a baseline and a candidate in alternating batches after one warm-up
 * pass each, so drift (GC, frequency, other load) affects both alike.
 */
export function alternate(baseline: () => void, candidate: () => void, batches: number): { baseline: number[]; candidate: number[] } {
  baseline();
  candidate();
  const times = { baseline: [] as number[], candidate: [] as number[] };
  for (let b = 0; b < batches; b++) {
    let start = nowMs();
    baseline();
    times.baseline.push(nowMs() - start);
    start = nowMs();
    candidate();
    times.candidate.push(nowMs() - start);
  }
  return times;
}

/** Times `fn` `runs` times after `warmup` untimed calls, in milliseconds per call. */
export function time(fn: () => void, runs: number, warmup = 3): number[] {
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = nowMs();
    fn();
    samples.push(nowMs() - start);
  }
  return samples;
}
