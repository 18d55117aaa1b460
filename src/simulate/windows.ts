import { exactAverage, exactNumber } from "../data/exact.js";
import type { AggregateSpec } from "../engine/aggregates.js";
import type { Value } from "../expression/value.js";
import type { AccountHistory } from "./history.js";

/**
 * An account's event aggregates on one day of a replay, from its daily
 * partials: the same values a run of that day computes in SQL (the tests
 * hold the two to equality, not closeness), by summing the days of each
 * window. Sums stay exact until the one conversion in exact.ts.
 */
export function aggregatesOn(specs: readonly AggregateSpec[], account: AccountHistory, firstDay: number, day: number): Value[] {
  const today = day - firstDay;
  return specs.map((spec, a) => {
    const partial = account.partials[a];
    const window = spec.windowDays ?? 0;
    const from = Math.max(0, today - window + 1);
    switch (spec.fn) {
      case "count":
        return partial ? total(partial as Float64Array, from, today) : 0;
      case "trend": {
        if (!partial) return 0;
        const counts = partial as Float64Array;
        return total(counts, from, today) - total(counts, Math.max(0, today - 2 * window + 1), from - 1);
      }
      case "sum":
      case "avg": {
        let sum = 0n;
        let values = 0;
        if (partial) {
          const sums = partial as bigint[];
          const counts = account.counts[a]!;
          for (let i = from; i <= today; i++) {
            if (counts[i] === 0) continue;
            sum += sums[i]!;
            values += counts[i]!;
          }
        }
        return spec.fn === "sum" ? exactNumber(sum) : exactAverage(values === 0 ? null : sum, values);
      }
      case "min_of":
      case "max_of": {
        let best: number | null = null;
        const extremes = partial as Float64Array | undefined;
        for (let i = from; extremes && i <= today; i++) {
          const value = extremes[i]!;
          if (Number.isNaN(value)) continue;
          if (best === null || (spec.fn === "min_of" ? value < best : value > best)) best = value;
        }
        return best;
      }
      case "distinct": {
        const seen = new Set<string>();
        const days = partial as (string[] | undefined)[] | undefined;
        for (let i = from; days && i <= today; i++) for (const value of days[i] ?? []) seen.add(value);
        return seen.size;
      }
      case "days_since_last": {
        const counts = partial as Float64Array | undefined;
        for (let i = today; counts && i >= 0; i--) if (counts[i]! > 0) return today - i;
        const before = account.lastBefore[a];
        return before === undefined ? null : day - before;
      }
    }
  });
}

function total(counts: Float64Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i <= to; i++) sum += counts[i]!;
  return sum;
}
