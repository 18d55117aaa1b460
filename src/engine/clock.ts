import { DateTime, IANAZone } from "luxon";
import { MS_PER_DAY, type EvalScope } from "../expression/value.js";
import type { DeliveryPolicy } from "./compiled.js";

export type DayClock = Pick<EvalScope, "asOfDay" | "asOfMs" | "windowStart" | "localDay"> & {
  /** the IANA zone of this calendar */
  zone?: string;
  /** when an action decided on this day may first go out under a delivery policy (cached per policy) */
  sendTime?: (policy: DeliveryPolicy) => SendTime;
};

/** When an action would go out, and why then. */
export interface SendTime {
  /** ISO 8601 with the zone's offset */
  iso: string;
  /** the same instant, in ms since the epoch */
  ms: number;
  /** what moved it later than the start of the next day, if anything */
  held: string | undefined;
}

const knownZones = new Map<string, boolean>();

/** Whether a time zone name is one luxon (and the IANA database) knows (remembered: asking luxon builds a formatter). */
export function isKnownTimeZone(zone: string): boolean {
  let known = knownZones.get(zone);
  if (known === undefined) {
    known = IANAZone.isValidZone(zone);
    if (knownZones.size < 10_000) knownZones.set(zone, known);
  }
  return known;
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
      const known = zone !== "UTC" && isKnownTimeZone(zone);
      const base = known ? zonedDayClock(zone, this.asOfDay) : utcDayClock(this.asOfDay);
      const name = known ? zone : "UTC";
      const times = new WeakMap<DeliveryPolicy, SendTime>();
      clock = {
        ...base,
        zone: name,
        sendTime: (policy) => {
          let time = times.get(policy);
          if (!time) {
            time = firstSendTime(name, this.asOfDay, policy);
            times.set(policy, time);
          }
          return time;
        },
      };
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
 * The local day of an account's latest event, from the latest instant (events
 * stamped with a zone) and the latest wall-clock time (zone-less events, read
 * in the account's zone): whichever is later; null when there is neither.
 */
export function lastLocalDay(instant: number | null, wallClock: number | null, clock: Pick<DayClock, "localDay">): number | null {
  const zoned = instant === null ? null : clock.localDay(instant);
  const local = wallClock === null ? null : Math.floor(wallClock / MS_PER_DAY);
  return zoned === null ? local : local === null ? zoned : Math.max(zoned, local);
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

function clockText(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

/**
 * The first moment from the start of the day after `asOfDay`, in `zone`,
 * that is outside the quiet hours and (when asked) on a weekday: when an
 * action decided that day goes out.
 */
export function firstSendTime(zone: string, asOfDay: number, policy: DeliveryPolicy): SendTime {
  const date = new Date((asOfDay + 1) * MS_PER_DAY);
  const start = DateTime.fromObject({ year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() }, { zone });
  return nextAllowedTime(zone, start.toMillis(), policy);
}

/**
 * The first moment at or after `fromMs` that is outside the quiet hours, on a
 * weekday when business days are asked for, and not on one of `holidays`
 * (local dates), in `zone`. Walks forward a step at a time, so a
 * Friday-night decision under quiet hours lands on Monday morning.
 */
export function nextAllowedTime(zone: string, fromMs: number, policy: DeliveryPolicy, holidays: ReadonlySet<string> = NO_HOLIDAYS): SendTime {
  let at = DateTime.fromMillis(fromMs, { zone: zone === "UTC" || isKnownTimeZone(zone) ? zone : "UTC" });
  const reasons = new Set<string>();
  const { quietFrom: from, quietTo: to } = policy;
  for (let step = 0; step < 60; step++) {
    if (holidays.size > 0 && holidays.has(at.toISODate()!)) {
      at = at.plus({ days: 1 }).startOf("day");
      reasons.add("a holiday");
      continue;
    }
    if (policy.businessDaysOnly && at.weekday >= 6) {
      at = at.plus({ days: 8 - at.weekday }).startOf("day");
      reasons.add("business days only");
      continue;
    }
    if (from !== undefined && to !== undefined && from !== to) {
      const minute = at.hour * 60 + at.minute;
      const quiet = from < to ? minute >= from && minute < to : minute >= from || minute < to;
      if (quiet) {
        const day = from > to && minute >= from ? at.plus({ days: 1 }) : at;
        at = day.set({ hour: Math.floor(to / 60), minute: to % 60, second: 0, millisecond: 0 });
        reasons.add(`quiet hours ${clockText(from)}-${clockText(to)}`);
        continue;
      }
    }
    break;
  }
  return { iso: at.toISO({ suppressMilliseconds: true })!, ms: at.toMillis(), held: reasons.size > 0 ? [...reasons].join(", ") : undefined };
}

const NO_HOLIDAYS: ReadonlySet<string> = new Set();

/**
 * A zone's UTC offset (ms) at `fromMs`, and each change after it until
 * `toMs` (daylight saving), to the minute: what a replay needs to put an
 * instant on its local day without a time zone lookup per event.
 */
export function offsetChanges(zone: string, fromMs: number, toMs: number): { offset: number; changes: { at: number; offset: number }[] } {
  const offsetAt = (ms: number) => (zone === "UTC" || !isKnownTimeZone(zone) ? 0 : DateTime.fromMillis(ms, { zone }).offset * 60_000);
  const first = offsetAt(fromMs);
  const changes: { at: number; offset: number }[] = [];
  let previous = first;
  const step = 6 * 3_600_000;
  for (let at = fromMs + step; at <= toMs + step; at += step) {
    const offset = offsetAt(at);
    if (offset === previous) continue;
    // The change lies in (at - step, at]: find its minute.
    let low = at - step;
    let high = at;
    while (high - low > 60_000) {
      const mid = low + Math.floor((high - low) / 120_000) * 60_000;
      if (offsetAt(mid) === previous) low = mid;
      else high = mid;
    }
    changes.push({ at: high, offset });
    previous = offset;
  }
  return { offset: first, changes };
}
