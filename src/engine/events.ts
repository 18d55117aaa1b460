import type { EventQuery, Value } from "../expression/value.js";

/** One usage event as read from an input file. */
export interface UsageEvent {
  accountId: string;
  at: number;
  type: string;
  properties: Record<string, Value>;
}

interface AccountEvents {
  /** timestamps, sorted ascending, per event type */
  byType: Map<string, { times: number[]; properties: Record<string, Value>[] }>;
}

/** First index with times[i] >= value. */
function lowerBound(times: number[], value: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (times[mid]! < value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * Usage events indexed by account and type, sorted by time, so each window
 * question is two binary searches.
 */
export class EventStore {
  private readonly accounts = new Map<string, AccountEvents>();
  private sorted = true;
  size = 0;

  add(event: UsageEvent): void {
    let account = this.accounts.get(event.accountId);
    if (!account) {
      account = { byType: new Map() };
      this.accounts.set(event.accountId, account);
    }
    let series = account.byType.get(event.type);
    if (!series) {
      series = { times: [], properties: [] };
      account.byType.set(event.type, series);
    }
    if (series.times.length > 0 && series.times[series.times.length - 1]! > event.at) this.sorted = false;
    series.times.push(event.at);
    series.properties.push(event.properties);
    this.size++;
  }

  /** Sorts each series by time once all events are in. */
  seal(): void {
    if (this.sorted) return;
    for (const account of this.accounts.values()) {
      for (const series of account.byType.values()) {
        const order = series.times.map((_, i) => i).sort((a, b) => series.times[a]! - series.times[b]! || a - b);
        series.times = order.map((i) => series.times[i]!);
        series.properties = order.map((i) => series.properties[i]!);
      }
    }
    this.sorted = true;
  }

  /** The event questions for one account (an empty account answers zero). */
  forAccount(accountId: string): EventQuery {
    const account = this.accounts.get(accountId);
    if (!account) return NO_EVENTS;
    return {
      count(type, from, to) {
        const series = account.byType.get(type);
        return series ? lowerBound(series.times, to) - lowerBound(series.times, from) : 0;
      },
      values(type, property, from, to) {
        const series = account.byType.get(type);
        if (!series) return [];
        const out: Value[] = [];
        for (let i = lowerBound(series.times, from), end = lowerBound(series.times, to); i < end; i++) out.push(series.properties[i]![property] ?? null);
        return out;
      },
      lastAt(type, to) {
        const series = account.byType.get(type);
        if (!series) return undefined;
        const index = lowerBound(series.times, to) - 1;
        return index >= 0 ? series.times[index] : undefined;
      },
    };
  }
}

const NO_EVENTS: EventQuery = { count: () => 0, values: () => [], lastAt: () => undefined };
