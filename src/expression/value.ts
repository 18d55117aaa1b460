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

/** Answers the time-window questions of the event functions (count, sum, days since...). */
export interface EventQuery {
  /** Number of events of `type` with fromMs < timestamp <= toMs. */
  count(type: string, fromMs: number, toMs: number): number;
  /** Values of numeric or text property `property` of those events, in time order. */
  values(type: string, property: string, fromMs: number, toMs: number): readonly Value[];
  /** Timestamp (ms) of the latest event of `type` at or before `toMs`, or undefined. */
  lastAt(type: string, toMs: number): number | undefined;
}

/** What every compiled expression reads besides the names it binds: the instant and the events. */
export interface EvalScope {
  /** the evaluation instant, as a local calendar day (days since 1970-01-01) */
  asOfDay: number;
  /** the evaluation instant in ms since the epoch */
  asOfMs: number;
  events?: EventQuery | undefined;
}

export const MS_PER_DAY = 86_400_000;
