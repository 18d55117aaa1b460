import { DateTime } from "luxon";

const MS_PER_DAY = 86_400_000;

/** Days since 1970-01-01 for a calendar date, or undefined when no such date exists (2026-02-30). */
export function epochDayOf(text: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return undefined;
  return ms / MS_PER_DAY;
}

const isoDates = new Map<number, string>();

/** The ISO text of an epoch day (remembered: replays ask for the same few hundred days millions of times). */
export function isoDateOf(epochDay: number): string {
  let text = isoDates.get(epochDay);
  if (text === undefined) {
    text = new Date(epochDay * MS_PER_DAY).toISOString().slice(0, 10);
    if (isoDates.size < 100_000) isoDates.set(epochDay, text);
  }
  return text;
}

const ZONED_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch for an ISO date-time; a time without offset is read as UTC. */
export function epochMsOf(text: string): number | undefined {
  // The common, fully specified form is parsed natively (luxon is much slower, and only needed for the rest).
  if (ZONED_ISO.test(text)) {
    const ms = Date.parse(text);
    if (!Number.isNaN(ms) && epochDayOf(text.slice(0, 10)) !== undefined) return ms;
  }
  const parsed = DateTime.fromISO(text, { zone: "utc", setZone: true });
  return parsed.isValid ? parsed.toMillis() : undefined;
}

export interface DurationValue {
  days: number;
  months: number;
}

const DURATION_PATTERN = /^(\d[\d_]*)(mo|d|w|y)$/;

/** `7d`, `2w`, `3mo`, `1y`: months and years stay calendar units. */
export function durationOf(text: string): DurationValue | undefined {
  const match = DURATION_PATTERN.exec(text);
  if (!match) return undefined;
  const amount = numberOf(match[1]!);
  if (amount === undefined) return undefined;
  switch (match[2]) {
    case "d":
      return { days: amount, months: 0 };
    case "w":
      return { days: amount * 7, months: 0 };
    case "mo":
      return { days: 0, months: amount };
    default:
      return { days: 0, months: amount * 12 };
  }
}

/**
 * Days a duration stands for when durations are compared or counted: a month
 * counts as 30 days and a year as 365 (calendar arithmetic on dates uses real months).
 */
export function durationDays(duration: DurationValue): number {
  const years = Math.floor(duration.months / 12);
  return duration.days + years * 365 + (duration.months - years * 12) * 30;
}

/** A number as written with `_` separators; undefined for misplaced separators (`1__0`, `10_`). */
export function numberOf(text: string): number | undefined {
  if (/__|_$|_\.|\._/.test(text)) return undefined;
  const value = Number(text.replace(/_/g, ""));
  return Number.isFinite(value) ? value : undefined;
}

/** Reads a quoted string literal, resolving escapes. */
export function unquote(text: string): string {
  const body = text.slice(1, text.endsWith(text[0]!) && text.length > 1 ? -1 : undefined);
  return body.replace(/\\(u\{[0-9a-fA-F]{1,6}\}|u[0-9a-fA-F]{4}|.)/g, (_, escape: string) => {
    switch (escape[0]) {
      case "n":
        return escape.length === 1 ? "\n" : escape;
      case "t":
        return escape.length === 1 ? "\t" : escape;
      case "r":
        return escape.length === 1 ? "\r" : escape;
      case "u": {
        if (escape.length === 1) return "u";
        const hex = escape.startsWith("u{") ? escape.slice(2, -1) : escape.slice(1);
        const code = parseInt(hex, 16);
        return code <= 0x10ffff ? String.fromCodePoint(code) : "\uFFFD";
      }
      default:
        return escape;
    }
  });
}

/** A string literal as the formatter writes it: double quotes, escaped. */
export function quote(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\t/g, "\\t").replace(/\r/g, "\\r")}"`;
}
