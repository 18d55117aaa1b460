import type { EventQuery, EventSeries, Value } from "../expression/value.js";

/** One usage event: whose, when (ms since the epoch), what, with which properties. */
export interface UsageEvent {
  accountId: string;
  at: number;
  type: string;
  properties: Record<string, Value>;
}

interface MutableSeries {
  times: number[];
  properties: Record<string, Value>[];
}

/**
 * Usage events held in memory, indexed by account and type and sorted by
 * time. It is the oracle the data engine's SQL aggregates are tested
 * against, and what the language server's preview uses for a small sample.
 */
export class EventStore {
  private readonly accounts = new Map<string, Map<string, MutableSeries>>();
  private sorted = true;
  size = 0;

  add(event: UsageEvent): void {
    let byType = this.accounts.get(event.accountId);
    if (!byType) {
      byType = new Map();
      this.accounts.set(event.accountId, byType);
    }
    let series = byType.get(event.type);
    if (!series) {
      series = { times: [], properties: [] };
      byType.set(event.type, series);
    }
    if (series.times.length > 0 && series.times[series.times.length - 1]! > event.at) this.sorted = false;
    series.times.push(event.at);
    series.properties.push(event.properties);
    this.size++;
  }

  /** Sorts each series by time (stable) once all events are in. */
  seal(): void {
    if (this.sorted) return;
    for (const byType of this.accounts.values()) {
      for (const series of byType.values()) {
        const order = series.times.map((_, i) => i).sort((a, b) => series.times[a]! - series.times[b]! || a - b);
        series.times = order.map((i) => series.times[i]!);
        series.properties = order.map((i) => series.properties[i]!);
      }
    }
    this.sorted = true;
  }

  /** One account's events (an account without any has empty series). */
  forAccount(accountId: string): EventQuery {
    this.seal();
    const byType = this.accounts.get(accountId);
    if (!byType) return NO_EVENTS;
    return { series: (type: string): EventSeries | undefined => byType.get(type) };
  }
}

const NO_EVENTS: EventQuery = { series: () => undefined };
