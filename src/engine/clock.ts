import { DateTime, IANAZone } from "luxon";
import { MS_PER_DAY, type EvalScope } from "../expression/value.js";

export type DayClock = Pick<EvalScope, "asOfDay" | "asOfMs" | "windowStart" | "localDay">;

/** Whether a time zone name is one luxon (and the IANA database) knows. */
export function isKnownTimeZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

/**
 * The calendar of one time zone around one evaluation day: where local days
 * start, so "the last 30 days" means the account's own 30 days, across
 * daylight-saving changes. Clocks are cached per zone and day.
 */
export class Calendars {
  private readonly clocks = new Map<string, DayClock>();

  constructor(readonly asOfDay: number) {}

  clock(zone: string): DayClock {
    let clock = this.clocks.get(zone);
    if (!clock) {
      clock = zone === "UTC" || !isKnownTimeZone(zone) ? utcDayClock(this.asOfDay) : zonedDayClock(zone, this.asOfDay);
      this.clocks.set(zone, clock);
    }
    return clock;
  }
}

function utcDayClock(asOfDay: number): DayClock {
  return {
    asOfDay,
    asOfMs: (asOfDay + 1) * MS_PER_DAY,
    windowStart: (days) => (asOfDay + 1 - days) * MS_PER_DAY,
    localDay: (ms) => Math.floor(ms / MS_PER_DAY),
  };
}

function zonedDayClock(zone: string, asOfDay: number): DayClock {
  const startOf = (day: number): number => {
    const date = new Date(day * MS_PER_DAY);
    return DateTime.fromObject({ year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() }, { zone }).toMillis();
  };
  const windowStarts = new Map<number, number>();
  return {
    asOfDay,
    asOfMs: startOf(asOfDay + 1),
    windowStart: (days) => {
      let start = windowStarts.get(days);
      if (start === undefined) {
        start = startOf(asOfDay + 1 - days);
        windowStarts.set(days, start);
      }
      return start;
    },
    localDay: (ms) => {
      const local = DateTime.fromMillis(ms, { zone });
      return Date.UTC(local.year, local.month - 1, local.day) / MS_PER_DAY;
    },
  };
}

/**
 * The instant of a wall-clock time in a zone, given as milliseconds as if
 * that time were UTC: how a date-time written without a zone is read in the
 * account's own time zone.
 */
export function localTimeToInstant(zone: string, localMs: number): number {
  if (zone === "UTC" || !isKnownTimeZone(zone)) return localMs;
  const local = DateTime.fromMillis(localMs, { zone: "UTC" });
  return DateTime.fromObject({ year: local.year, month: local.month, day: local.day, hour: local.hour, minute: local.minute, second: local.second, millisecond: local.millisecond }, { zone }).toMillis();
}
