/** A range value such as `0.2 .. 0.9`; `low` may exceed `high` (a reversed scale). */
export interface RangeValue {
  readonly low: number;
  readonly high: number;
}

/**
 * What an expression evaluates to. Dates are days since 1970-01-01, date-times
 * milliseconds since the epoch, durations days: plain numbers, so evaluating
 * allocates nothing.
 */
export type Value = number | string | boolean | null | RangeValue | readonly Value[];

/** The events of one type for one account: timestamps (ms) ascending, and each event's properties. */
export interface EventSeries {
  readonly times: readonly number[];
  readonly properties: readonly Readonly<Record<string, Value>>[];
}

/** One account's usage events, by type: what the event aggregates of the in-memory path read. */
export interface EventQuery {
  series(type: string): EventSeries | undefined;
}

/** Keeps an event when its properties pass an aggregate's `where` filter. */
export type EventFilter = (properties: Readonly<Record<string, Value>>) => boolean;

/**
 * What every compiled expression reads besides the names it binds: the day
 * it is evaluated for, in the account's own time zone, and its events.
 */
export interface EvalScope {
  /** the local calendar day evaluated (days since 1970-01-01) */
  asOfDay: number;
  /** the end of that local day (exclusive), in ms since the epoch: "now" */
  asOfMs: number;
  /** where a window of the last `days` local days starts, in ms (the start of day asOfDay - days + 1) */
  windowStart(days: number): number;
  /** the local calendar day of an instant */
  localDay(ms: number): number;
  events?: EventQuery | undefined;
}

/** The clock of UTC, for evaluations without a time zone. */
export function utcClock(asOfDay: number): Pick<EvalScope, "asOfDay" | "asOfMs" | "windowStart" | "localDay"> {
  return {
    asOfDay,
    asOfMs: (asOfDay + 1) * MS_PER_DAY,
    windowStart: (days) => (asOfDay + 1 - days) * MS_PER_DAY,
    localDay: (ms) => Math.floor(ms / MS_PER_DAY),
  };
}

export const MS_PER_DAY = 86_400_000;
