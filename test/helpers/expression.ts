import { checkExpression, type CheckEnvironment, type NameInfo } from "../../src/expression/check.js";
import { compileExpression } from "../../src/expression/compile.js";
import { epochDayOf } from "../../src/expression/literals.js";
import { parseExpression } from "../../src/expression/parse.js";
import { parseTypeText, type Type } from "../../src/expression/types.js";
import { utcClock, type EvalScope, type EventQuery, type Value } from "../../src/expression/value.js";

export interface FieldValue {
  type: string;
  value?: unknown;
}

export interface TestEvent {
  type: string;
  at: string;
  [property: string]: unknown;
}

/** A scope that also carries the test's field values. */
interface TestScope extends EvalScope {
  values: Map<string, Value>;
  fields: Record<string, Value>;
}

/** An in-memory event log for tests: each type's events sorted by time. */
export function eventLog(events: TestEvent[]): EventQuery {
  const timed = events.map((e) => ({ ...e, ms: Date.parse(e.at) })).sort((a, b) => a.ms - b.ms);
  return {
    series: (type) => {
      const ofType = timed.filter((e) => e.type === type);
      return { times: ofType.map((e) => e.ms), properties: ofType.map((e) => e as unknown as Record<string, Value>) };
    },
  };
}

/** Converts a field value as written in a test to the engine's representation. */
function runtimeValue(type: Type, value: unknown): Value {
  if (value === null || value === undefined) return null;
  if (type.name === "date") return epochDayOf(String(value)) ?? null;
  if (type.name === "datetime") return Date.parse(String(value));
  return value as Value;
}

export interface EvaluationResult {
  value?: Value;
  codes: string[];
  messages: string[];
  type?: string;
}

/**
 * Parses, checks, compiles and evaluates one expression the way the engine
 * will: the whole expression pipeline in one call, for tests.
 */
export function evaluate(text: string, fields: Record<string, FieldValue> = {}, options: { asOf?: string; events?: TestEvent[]; allowMissing?: boolean; expect?: "bool" | "numeric"; eventTypes?: Record<string, string[] | Record<string, string>>; binding?: "function" | "property" } = {}): EvaluationResult {
  const types = new Map(Object.entries(fields).map(([name, f]) => [name, parseTypeText(f.type)!]));
  const env: CheckEnvironment = {
    resolve: (path) => {
      const type = types.get(path.join("."));
      return type ? ({ type, kind: "field" } satisfies NameInfo) : undefined;
    },
    namesUnder: (prefix) => [...types.keys()].filter((n) => n.split(".").length === prefix.length + 1 && n.startsWith(prefix.join("."))).map((n) => n.split(".").pop()!),
    ...(options.eventTypes
      ? { eventTypes: new Map(Object.entries(options.eventTypes).map(([e, props]) => [e, new Map((Array.isArray(props) ? props.map((p) => [p, "string"]) : Object.entries(props)).map(([p, t]) => [p, parseTypeText(t!)!]))])) }
      : {}),
  };
  const parsed = parseExpression(text);
  const codes = parsed.problems.map((p) => p.code as string);
  const messages = parsed.problems.map((p) => p.message);
  const checked = checkExpression(parsed.expr, env, (code, _span, message) => {
    codes.push(code);
    messages.push(message);
  }, { allowMissing: options.allowMissing ?? false, ...(options.expect ? { expect: options.expect } : {}) });
  if (codes.length > 0) return { codes, messages };
  const values = new Map<string, Value>();
  for (const [name, field] of Object.entries(fields)) values.set(name, runtimeValue(types.get(name)!, field.value));
  const compiled = compileExpression<TestScope>(parsed.expr, checked.types, (path) => {
    const key = path.join(".");
    return options.binding === "property" ? { property: ["fields", key] } : (scope) => scope.values.get(key) ?? null;
  });
  const asOfDay = epochDayOf(options.asOf ?? "2026-03-01")!;
  const scope: TestScope = { ...utcClock(asOfDay), events: options.events ? eventLog(options.events) : undefined, values, fields: Object.fromEntries(values) };
  return { value: compiled(scope), codes, messages, type: checked.type.name + (checked.type.nullable ? "?" : "") };
}
