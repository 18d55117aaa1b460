import { spawnSync } from "node:child_process";

/** One process run: wall seconds, peak resident memory, and what it printed. */
export interface Measure {
  seconds: number;
  peakMb: number;
  output: string;
}

/** Runs a command under /usr/bin/time for its wall time and peak memory; a failed run stops the benchmark. */
export function measure(command: string[]): Measure {
  const result = spawnSync("/usr/bin/time", ["-f", "%M %e", ...command], { encoding: "utf8", maxBuffer: 1 << 28 });
  const last = result.stderr.trim().split("\n").pop() ?? "";
  const [kb, seconds] = last.split(" ").map(Number);
  if (result.status !== 0) throw new Error(`${command.join(" ")} failed:\n${result.stderr}`);
  return { seconds: seconds!, peakMb: kb! / 1024, output: result.stdout };
}

/** `rounds` runs of ours and of the baseline, alternating who goes first, so drift on a shared machine affects both alike. */
export function alternateRounds(rounds: number, ours: () => Measure, baseline: () => Measure): { ours: Measure[]; theirs: Measure[] } {
  const result = { ours: [] as Measure[], theirs: [] as Measure[] };
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      result.ours.push(ours());
      result.theirs.push(baseline());
    } else {
      result.theirs.push(baseline());
      result.ours.push(ours());
    }
  }
  return result;
}
