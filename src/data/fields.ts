import type { Type } from "../expression/types.js";
import { NESTED } from "./sources.js";
import type { Sql } from "./sql.js";

/**
 * How a value read as text becomes a value of its type, in SQL: `value` is
 * the typed value (numbers as DOUBLE; dates as days since 1970; date-times
 * as milliseconds), `problem` a short code when the text does not fit
 * (NULL when it does). The same rules hold for every input format.
 */
export interface FieldSql {
  readonly value: string;
  readonly problem: string;
}

const DATE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T]00:00(:00([.]0+)?)?)?$";
/** A zone only after a clock time, and as DuckDB's casts read it: Z or an offset right after it, UTC after a space. */
const DATETIME = "^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?(Z|z|[+-][0-9]{2}(:?[0-9]{2})?|\\s+UTC)?)?$";
/** A zone after a clock time: a date alone (2024-10-17, whose "-17" is no offset) is wall-clock time in the account's zone. */
export const ZONE_SUFFIX = "[0-9]:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?\\s*(Z|z|[+-][0-9]{2}(:?[0-9]{2})?|UTC)$";
/**
 * Milliseconds since 1970 of a date-time text that names its zone, by
 * DuckDB's zone-aware cast; a time without seconds before its zone
 * (`19:00Z`, `19:00+02`, `19:00 UTC`, valid ISO 8601) is read with `:00`
 * added, as the cast reads no zone after hours and minutes alone.
 */
export function zonedInstantMs(text: string): string {
  return `epoch_ms(COALESCE(TRY_CAST(${text} AS TIMESTAMPTZ), TRY_CAST(regexp_replace(${text}, '^([0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2})([^0-9:.])', '\\1:00\\2') AS TIMESTAMPTZ)))`;
}

const DURATION = "^[0-9]+(d|w|mo|y)$";
const EMAIL = "^[^@\\s]+@[^@\\s]+$";
export const TRUE_WORDS = ["true", "t", "yes", "y", "1"];
export const FALSE_WORDS = ["false", "f", "no", "n", "0"];

/**
 * The typing of one value. `text` is an SQL expression of the trimmed text,
 * NULL when the input had nothing there; `required` says whether nothing is
 * a problem (the caller applies defaults first).
 */
export function typeFromText(sql: Sql, type: Type, text: string, required: boolean): FieldSql {
  // Each part binds its parameters only when the caller writes it into the statement.
  const parts = typing(sql, type, text, required);
  return {
    get value() {
      return parts.value();
    },
    get problem() {
      return parts.problem();
    },
  };
}

function typing(sql: Sql, type: Type, text: string, required: boolean): { value: () => string; problem: () => string } {
  const missing = required ? "'missing'" : "NULL";
  const guard = (checks: string) => `CASE WHEN ${text} IS NULL THEN ${missing} WHEN starts_with(${text}, ${sql.param(NESTED.slice(0, 1))}) THEN 'nested' ${checks} END`;
  const number = `TRY_CAST(${text} AS DOUBLE)`;
  // DuckDB's own number reading decides what a number is (12, -3.5, .5, 1e6): no regular expression per value.
  // It also reads "inf" and "nan", which are not numbers here; a real number too large for a double reads as infinity.
  const notNumber = (value: string) => `WHEN ${value} IS NULL OR isnan(${value}) THEN 'number' WHEN isinf(${value}) THEN (CASE WHEN regexp_matches(${text}, '[0-9]') THEN 'finite' ELSE 'number' END)`;
  switch (type.name) {
    case "int":
      return {
        value: () => number,
        problem: () => guard(`${notNumber(number)} WHEN ${number} <> trunc(${number}) THEN 'whole' WHEN abs(${number}) > 9007199254740991 THEN 'finite'`),
      };
    case "number":
    case "money":
      return { value: () => number, problem: () => guard(notNumber(number)) };
    case "percent": {
      const signed = `ends_with(${text}, '%')`;
      const body = `rtrim(${text}, '%')`;
      const value = `CASE WHEN ${signed} THEN TRY_CAST(${body} AS DOUBLE) / 100 ELSE ${number} END`;
      return {
        value: () => value,
        problem: () => guard(
          `WHEN ${value} IS NULL OR isnan(${value}) THEN 'percent' WHEN isinf(${value}) THEN (CASE WHEN regexp_matches(${text}, '[0-9]') THEN 'finite' ELSE 'percent' END) WHEN NOT ${signed} AND (${number} < 0 OR ${number} > 1) THEN 'percent_range'`,
        ),
      };
    }
    case "bool": {
      const word = `lower(${text})`;
      return {
        value: () => `CASE WHEN ${sql.oneOf(word, TRUE_WORDS)} THEN true WHEN ${sql.oneOf(word, FALSE_WORDS)} THEN false END`,
        problem: () => guard(`WHEN NOT (${sql.oneOf(`lower(${text})`, [...TRUE_WORDS, ...FALSE_WORDS])}) THEN 'bool'`),
      };
    }
    case "date": {
      const date = `TRY_CAST(left(${text}, 10) AS DATE)`;
      return {
        value: () => `CAST(date_diff('day', DATE '1970-01-01', ${date}) AS DOUBLE)`,
        problem: () => guard(`WHEN NOT regexp_full_match(${text}, '${DATE}') THEN 'date' WHEN ${date} IS NULL THEN 'calendar'`),
      };
    }
    case "datetime": {
      const zoned = `regexp_matches(${text}, '${ZONE_SUFFIX}')`;
      const value = `CAST(CASE WHEN ${zoned} THEN ${zonedInstantMs(text)} ELSE epoch_ms(TRY_CAST(${text} AS TIMESTAMP)) END AS DOUBLE)`;
      return {
        value: () => value,
        problem: () => guard(`WHEN NOT regexp_full_match(${text}, '${DATETIME}') THEN 'datetime' WHEN ${value} IS NULL THEN 'calendar'`),
      };
    }
    case "duration": {
      const count = `TRY_CAST(regexp_extract(${text}, '^[0-9]+') AS DOUBLE)`;
      const unit = `regexp_extract(${text}, '(d|w|mo|y)$')`;
      const days = `CASE ${unit} WHEN 'd' THEN ${count} WHEN 'w' THEN ${count} * 7 WHEN 'mo' THEN floor(${count} / 12) * 365 + (${count} - floor(${count} / 12) * 12) * 30 WHEN 'y' THEN ${count} * 365 END`;
      return {
        value: () => `CASE WHEN ${number} IS NOT NULL THEN ${number} ELSE ${days} END`,
        problem: () => guard(`WHEN NOT (regexp_full_match(${text}, '${DURATION}') OR (${number} IS NOT NULL AND NOT isnan(${number}))) THEN 'duration' WHEN isinf(${number}) THEN 'finite'`),
      };
    }
    case "email":
      return { value: () => text, problem: () => guard(`WHEN NOT regexp_full_match(${text}, '${EMAIL}') THEN 'email'`) };
    case "enum":
      return { value: () => text, problem: () => guard(`WHEN NOT (${sql.oneOf(text, type.values ?? [])}) THEN 'enum'`) };
    default:
      return { value: () => text, problem: () => guard("") };
  }
}

/** What a value of each type looks like, for messages. */
export const EXPECTED: Record<string, string> = {
  int: "a whole number",
  number: "a number",
  money: "an amount",
  percent: "a percentage (40% or 0.4)",
  bool: "true or false",
  date: "a date as YYYY-MM-DD",
  datetime: "a date and time (ISO 8601)",
  duration: "a duration such as 14d",
  email: "an email address",
  string: "a text",
};

/** The message for a problem code of one value. */
export function problemMessage(code: string, type: Type, field: string, raw: string | null): string {
  const got = raw === null ? "nothing" : raw.startsWith(NESTED.slice(0, 1)) ? "an object or a list" : JSON.stringify(raw);
  const expected = type.name === "enum" ? `one of ${(type.values ?? []).join(", ")}` : (EXPECTED[type.name] ?? type.name);
  switch (code) {
    case "missing":
      return `is missing required field \`${field}\``;
    case "finite":
      return `expected ${expected}, got ${got}: too large to be a number`;
    case "whole":
      return `expected ${expected}, got ${got}, which has decimals`;
    case "calendar":
      return `expected ${expected}, got ${got} (no such calendar date)`;
    case "percent_range":
      return `expected ${expected}, got ${got}: a number without % must be a fraction from 0 to 1; write ${got === "nothing" ? "it" : `${raw}%`} for a percentage`;
    case "bool":
      return `expected ${expected}, got ${got} (true/false, yes/no, 1/0)`;
    default:
      return `expected ${expected}, got ${got}`;
  }
}
