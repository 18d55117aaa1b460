import { T, type Type, withNullable } from "./types.js";
import type { EvalScope, EventFilter, EventSeries, RangeValue, Value } from "./value.js";

/** What an argument must be; the checker turns a mismatch into TL2005. */
export type ParamKind = "numeric" | "date" | "text" | "bool" | "any" | "range" | "duration" | "event" | "property";

export interface ParamSpec {
  name: string;
  kind: ParamKind;
  optional?: boolean;
}

/**
 * One function of the expression language: its signature and documentation
 * (served by `check`, hover and completion alike) and its implementation.
 */
export interface FunctionSpec {
  name: string;
  signature: string;
  doc: string;
  params: ParamSpec[];
  /** the last parameter may repeat */
  variadic?: boolean;
  /** reads usage events: the engine must supply an event log */
  usesEvents?: boolean;
  /** a missing (null) argument makes the result missing; the checker marks the result nullable */
  propagatesMissing: boolean;
  result(args: readonly Type[]): Type;
  /** `filter`: an event aggregate's compiled `where` condition */
  impl(scope: EvalScope, args: readonly Value[], filter?: EventFilter): Value;
  /**
   * The same computation as JavaScript source over already-evaluated,
   * non-missing argument expressions (`args`) and the scope variable `s`,
   * so the compiler can inline it. Written here, never from user text.
   */
  inline?(args: readonly string[]): string;
}

const num = (value: Value): number => value as number;

function windowDays(value: Value): number {
  return num(value);
}

function numericResult(args: readonly Type[]): Type {
  const names = new Set(args.map((a) => a.name));
  if (names.size === 1 && (names.has("int") || names.has("money") || names.has("percent"))) return { name: args[0]!.name, nullable: false };
  return names.has("money") ? T.money : T.number;
}

/** Linear score 0..100: `low` maps to 0, `high` to 100, clamped; a reversed range means lower is better. */
export function linearScale(value: number, range: RangeValue): number {
  if (range.high === range.low) return value >= range.high ? 100 : 0;
  const fraction = (value - range.low) / (range.high - range.low);
  return Math.max(0, Math.min(100, fraction * 100));
}

/** First index with times[i] >= value. */
function lowerBound(times: readonly number[], value: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (times[mid]! < value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Visits the events of a type with fromMs <= time < toMs that pass the filter; returns how many. */
function eachEvent(scope: EvalScope, type: Value, fromMs: number, toMs: number, filter: EventFilter | undefined, visit?: (properties: Readonly<Record<string, Value>>) => void): number {
  const series: EventSeries | undefined = scope.events?.series(type as string);
  if (!series) return 0;
  let count = 0;
  for (let i = lowerBound(series.times, fromMs), end = lowerBound(series.times, toMs); i < end; i++) {
    const properties = series.properties[i]!;
    if (filter && !filter(properties)) continue;
    count++;
    visit?.(properties);
  }
  return count;
}

/** Numeric values of a property over the last `days` local days, today included. Loops, never spreads: one account may have millions. */
function numericValues(scope: EvalScope, args: readonly Value[], filter: EventFilter | undefined): number[] {
  const property = args[1] as string;
  const out: number[] = [];
  eachEvent(scope, args[0]!, scope.windowStart(windowDays(args[2]!)), scope.asOfMs, filter, (properties) => {
    const value = properties[property];
    if (typeof value === "number") out.push(value);
  });
  return out;
}

function smallest(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  let result = values[0]!;
  for (let i = 1; i < values.length; i++) if (values[i]! < result) result = values[i]!;
  return result;
}

function largest(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  let result = values[0]!;
  for (let i = 1; i < values.length; i++) if (values[i]! > result) result = values[i]!;
  return result;
}

const PROPERTY_WINDOW_PARAMS: ParamSpec[] = [
  { name: "event", kind: "event" },
  { name: "property", kind: "property" },
  { name: "window", kind: "duration" },
];

/** sum, avg, min_of, max_of: a numeric property of one event type, over a window, reduced to one number. */
function propertyAggregate(name: string, returns: string, doc: string, result: Type, reduce: (values: number[]) => number | null): FunctionSpec {
  return {
    name,
    signature: `${name}(event: "type", property: "name", window: duration): ${returns}`,
    doc,
    params: PROPERTY_WINDOW_PARAMS,
    usesEvents: true,
    propagatesMissing: false,
    result: () => result,
    impl: (scope, args, filter) => reduce(numericValues(scope, args, filter)),
  };
}

const DEFINITIONS: FunctionSpec[] = [
  {
    name: "today",
    inline: () => "s.asOfDay",
    signature: "today(): date",
    doc: "The day the playbook is evaluated for (the `--as-of` date), in the account's time zone.",
    params: [],
    propagatesMissing: false,
    result: () => T.date,
    impl: (scope) => scope.asOfDay,
  },
  {
    name: "now",
    inline: () => "s.asOfMs",
    signature: "now(): datetime",
    doc: "The instant the playbook is evaluated for.",
    params: [],
    propagatesMissing: false,
    result: () => T.datetime,
    impl: (scope) => scope.asOfMs,
  },
  {
    name: "days_since",
    inline: ([day]) => `(s.asOfDay - ${day})`,
    signature: "days_since(day: date): int",
    doc: "Whole days from `day` to today. Negative when `day` is in the future.",
    params: [{ name: "day", kind: "date" }],
    propagatesMissing: true,
    result: () => T.int,
    impl: (scope, [day]) => scope.asOfDay - num(day!),
  },
  {
    name: "days_until",
    inline: ([day]) => `(${day} - s.asOfDay)`,
    signature: "days_until(day: date): int",
    doc: "Whole days from today to `day`, for example to a renewal date. Negative once `day` has passed.",
    params: [{ name: "day", kind: "date" }],
    propagatesMissing: true,
    result: () => T.int,
    impl: (scope, [day]) => num(day!) - scope.asOfDay,
  },
  {
    name: "scale",
    signature: "scale(value: number, low .. high): number",
    doc: "A linear score from 0 to 100: `low` or worse scores 0, `high` or better scores 100. Write the range high-to-low (`20 .. 0`) when less is better.",
    params: [
      { name: "value", kind: "numeric" },
      { name: "range", kind: "range" },
    ],
    propagatesMissing: true,
    result: () => T.number,
    impl: (_, [value, range]) => linearScale(num(value!), range as RangeValue),
  },
  {
    name: "min",
    inline: (args) => `Math.min(${args.join(", ")})`,
    signature: "min(a: number, b: number, ...): number",
    doc: "The smallest of its arguments.",
    params: [{ name: "values", kind: "numeric" }],
    variadic: true,
    propagatesMissing: true,
    result: numericResult,
    impl: (_, args) => Math.min(...(args as number[])),
  },
  {
    name: "max",
    inline: (args) => `Math.max(${args.join(", ")})`,
    signature: "max(a: number, b: number, ...): number",
    doc: "The largest of its arguments.",
    params: [{ name: "values", kind: "numeric" }],
    variadic: true,
    propagatesMissing: true,
    result: numericResult,
    impl: (_, args) => Math.max(...(args as number[])),
  },
  {
    name: "clamp",
    inline: ([value, low, high]) => `Math.max(${low}, Math.min(${high}, ${value}))`,
    signature: "clamp(value: number, low: number, high: number): number",
    doc: "`value` limited to the range from `low` to `high`.",
    params: [
      { name: "value", kind: "numeric" },
      { name: "low", kind: "numeric" },
      { name: "high", kind: "numeric" },
    ],
    propagatesMissing: true,
    result: (args) => numericResult(args.slice(0, 1)),
    impl: (_, [value, low, high]) => Math.max(num(low!), Math.min(num(high!), num(value!))),
  },
  {
    name: "abs",
    inline: ([value]) => `Math.abs(${value})`,
    signature: "abs(value: number): number",
    doc: "The value without its sign.",
    params: [{ name: "value", kind: "numeric" }],
    propagatesMissing: true,
    result: (args) => numericResult(args),
    impl: (_, [value]) => Math.abs(num(value!)),
  },
  {
    name: "round",
    signature: "round(value: number, digits?: int): number",
    doc: "`value` rounded half away from zero to `digits` decimals (0 when left out).",
    params: [
      { name: "value", kind: "numeric" },
      { name: "digits", kind: "numeric", optional: true },
    ],
    propagatesMissing: true,
    result: (args) => (args.length === 1 ? T.int : T.number),
    impl: (_, [value, digits]) => {
      const factor = 10 ** (digits === undefined ? 0 : num(digits));
      const scaled = Math.abs(num(value!)) * factor;
      return (Math.sign(num(value!)) * Math.round(scaled)) / factor;
    },
  },
  {
    name: "if",
    signature: "if(condition: bool, then: T, otherwise: T): T",
    doc: "`then` when `condition` holds, else `otherwise`.",
    params: [
      { name: "condition", kind: "bool" },
      { name: "then", kind: "any" },
      { name: "otherwise", kind: "any" },
    ],
    propagatesMissing: false,
    result: (args) => withNullable(args[1]!.name === "null" ? withNullable(args[2]!, true) : args[1]!, args[1]!.nullable || args[2]!.nullable),
    impl: (_, [condition, then, otherwise]) => (condition === true ? then! : otherwise!),
  },
  {
    name: "lower",
    signature: "lower(text: string): string",
    doc: "The text in lower case.",
    params: [{ name: "text", kind: "text" }],
    propagatesMissing: true,
    result: () => T.string,
    impl: (_, [text]) => (text as string).toLowerCase(),
  },
  {
    name: "contains",
    signature: "contains(text: string, part: string): bool",
    doc: "Whether `text` contains `part` (case-sensitive).",
    params: [
      { name: "text", kind: "text" },
      { name: "part", kind: "text" },
    ],
    propagatesMissing: true,
    result: () => T.bool,
    impl: (_, [text, part]) => (text as string).includes(part as string),
  },
  {
    name: "starts_with",
    signature: "starts_with(text: string, prefix: string): bool",
    doc: "Whether `text` begins with `prefix`.",
    params: [
      { name: "text", kind: "text" },
      { name: "prefix", kind: "text" },
    ],
    propagatesMissing: true,
    result: () => T.bool,
    impl: (_, [text, prefix]) => (text as string).startsWith(prefix as string),
  },
  {
    name: "length",
    signature: "length(text: string): int",
    doc: "The number of characters in `text`.",
    params: [{ name: "text", kind: "text" }],
    propagatesMissing: true,
    result: () => T.int,
    impl: (_, [text]) => [...(text as string)].length,
  },
  {
    name: "count",
    signature: 'count(event: "type", window: duration): int',
    doc: 'How many usage events of a type the account had in the last `window` of local days, today included, e.g. `count("login", 30d)`.',
    params: [
      { name: "event", kind: "event" },
      { name: "window", kind: "duration" },
    ],
    usesEvents: true,
    propagatesMissing: false,
    result: () => T.int,
    impl: (scope, [type, window], filter) => eachEvent(scope, type!, scope.windowStart(windowDays(window!)), scope.asOfMs, filter),
  },
  propertyAggregate("sum", "number", 'The total of a numeric event property over the last `window`, e.g. `sum("session", "minutes", 30d)`.', T.number, (values) =>
    values.reduce((a, b) => a + b, 0),
  ),
  propertyAggregate("avg", "number?", "The average of a numeric event property over the last `window`; missing when there was no such event.", withNullable(T.number, true), (values) =>
    values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length,
  ),
  propertyAggregate("min_of", "number?", "The smallest value of a numeric event property over the last `window`; missing when there was no such event.", withNullable(T.number, true), (values) =>
    smallest(values),
  ),
  propertyAggregate("max_of", "number?", "The largest value of a numeric event property over the last `window`; missing when there was no such event.", withNullable(T.number, true), (values) =>
    largest(values),
  ),
  {
    name: "distinct",
    signature: 'distinct(event: "type", property: "name", window: duration): int',
    doc: 'How many different values a property took over the last `window`, e.g. active users: `distinct("login", "user_id", 30d)`.',
    params: PROPERTY_WINDOW_PARAMS,
    usesEvents: true,
    propagatesMissing: false,
    result: () => T.int,
    impl: (scope, [type, property, window], filter) => {
      const seen = new Set<Value>();
      eachEvent(scope, type!, scope.windowStart(windowDays(window!)), scope.asOfMs, filter, (properties) => {
        const value = properties[property as string];
        if (value !== null && value !== undefined) seen.add(value);
      });
      return seen.size;
    },
  },
  {
    name: "days_since_last",
    signature: 'days_since_last(event: "type"): int?',
    doc: "Local days since the account's latest event of a type (0 when it happened today); missing when it never had one.",
    params: [{ name: "event", kind: "event" }],
    usesEvents: true,
    propagatesMissing: false,
    result: () => withNullable(T.int, true),
    impl: (scope, [type], filter) => {
      const series = scope.events?.series(type as string);
      if (!series) return null;
      for (let i = lowerBound(series.times, scope.asOfMs) - 1; i >= 0; i--) {
        if (!filter || filter(series.properties[i]!)) return scope.asOfDay - scope.localDay(series.times[i]!);
      }
      return null;
    },
  },
  {
    name: "trend",
    signature: 'trend(event: "type", window: duration): int',
    doc: "Events in the last `window` minus events in the `window` before it: negative when usage is falling.",
    params: [
      { name: "event", kind: "event" },
      { name: "window", kind: "duration" },
    ],
    usesEvents: true,
    propagatesMissing: false,
    result: () => T.int,
    impl: (scope, [type, window], filter) => {
      const days = windowDays(window!);
      const middle = scope.windowStart(days);
      return eachEvent(scope, type!, middle, scope.asOfMs, filter) - eachEvent(scope, type!, scope.windowStart(2 * days), middle, filter);
    },
  },
];

/** Every function of the expression language, by name. */
export const FUNCTIONS: ReadonlyMap<string, FunctionSpec> = new Map(DEFINITIONS.map((spec) => [spec.name, spec]));
