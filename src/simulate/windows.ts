import { exactAverage, exactNumber } from "../data/exact.js";
import type { AggregateSpec } from "../engine/aggregates.js";
import type { Value } from "../expression/value.js";
import type { AccountHistory, DistinctDays } from "./history.js";

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
        return partial ? total(account, a, from, today) : 0;
      case "trend": {
        if (!partial) return 0;
        return total(account, a, from, today) - total(account, a, Math.max(0, today - 2 * window + 1), from - 1);
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
      case "distinct":
        return partial ? distinct(account, a, from, today) : 0;
      case "days_since_last": {
        const counts = partial as Float64Array | undefined;
        for (let i = today; counts && i >= 0; i--) if (counts[i]! > 0) return today - i;
        const before = account.lastBefore[a];
        return before === undefined ? null : day - before;
      }
    }
  });
}

/** The events of days from..to: a difference of running totals, made once per account and aggregate. */
function total(account: AccountHistory, aggregate: number, from: number, to: number): number {
  if (to < from) return 0;
  let running = account.running[aggregate];
  if (!running) {
    const counts = account.partials[aggregate] as Float64Array;
    running = new Float64Array(counts.length + 1);
    for (let i = 0; i < counts.length; i++) running[i + 1] = running[i]! + counts[i]!;
    account.running[aggregate] = running;
  }
  return running[to + 1]! - running[from]!;
}

/** The values seen in a window of days, with how many of its days saw each. */
export interface DistinctWindow {
  from: number;
  to: number;
  days: Int32Array;
  size: number;
}

/**
 * The distinct values of days from..to. A replay asks for windows that move
 * forward day by day, so the last window is kept and slid: the days that
 * left it are taken out and the new days put in, instead of counting every
 * day of the window again.
 */
function distinct(account: AccountHistory, aggregate: number, from: number, to: number): number {
  const { offsets, values, size } = account.partials[aggregate] as DistinctDays;
  let window = account.windows[aggregate];
  if (!window || from < window.from || to < window.to || from > window.to) {
    window = { from, to: from - 1, days: window?.days.fill(0) ?? new Int32Array(size), size: 0 };
    account.windows[aggregate] = window;
  }
  const seen = window.days;
  for (let day = window.from; day < from; day++) {
    for (let k = offsets[day]!; k < offsets[day + 1]!; k++) if (--seen[values[k]!]! === 0) window.size--;
  }
  for (let day = window.to + 1; day <= to; day++) {
    for (let k = offsets[day]!; k < offsets[day + 1]!; k++) if (seen[values[k]!]!++ === 0) window.size++;
  }
  window.from = from;
  window.to = to;
  return window.size;
}
