import type { Expr } from "./ast.js";
import { FUNCTIONS } from "./functions.js";
import { durationDays } from "./literals.js";
import type { Type } from "./types.js";
import { MS_PER_DAY, type EvalScope, type RangeValue, type Value } from "./value.js";

export type Compiled<S extends EvalScope = EvalScope> = (scope: S) => Value;

/** Supplies the code that reads a name (a field, a metric...) from the engine's scope. */
export type Binder<S extends EvalScope> = (path: readonly string[], type: Type) => Compiled<S>;

/**
 * Compiles a checked expression once into a tree of plain closures, which the
 * engine then calls for every account and every replayed day. No text is ever
 * turned into code: names reach data only through `bind`, so an expression
 * cannot touch JavaScript globals or prototypes.
 */
export function compileExpression<S extends EvalScope>(expr: Expr, types: ReadonlyMap<Expr, Type>, bind: Binder<S>): Compiled<S> {
  const typeOf = (node: Expr): Type | undefined => types.get(node);
  const compile = (node: Expr): Compiled<S> => {
    switch (node.kind) {
      case "number":
      case "percent":
      case "date":
      case "datetime":
        return constant(node.value);
      case "duration":
        return constant(durationDays(node));
      case "string":
        return constant(node.value);
      case "bool":
        return constant(node.value);
      case "null":
      case "error":
        return constant(null);
      case "ref":
        return bind(node.path, typeOf(node) ?? { name: "unknown", nullable: true });
      case "unary": {
        const operand = compile(node.operand);
        if (node.op === "not") return (s) => {
          const v = operand(s);
          return v === null ? null : !v;
        };
        return (s) => {
          const v = operand(s);
          return v === null ? null : -(v as number);
        };
      }
      case "binary":
        return compileBinary(node.op, node.left, node.right);
      case "range": {
        const low = compile(node.low);
        const high = compile(node.high);
        if (isConstant(node.low) && isConstant(node.high)) {
          const range: RangeValue = { low: low(undefined as unknown as S) as number, high: high(undefined as unknown as S) as number };
          return () => range;
        }
        return (s) => {
          const l = low(s);
          const h = high(s);
          return l === null || h === null ? null : { low: l as number, high: h as number };
        };
      }
      case "list": {
        const items = node.items.map(compile);
        return (s) => items.map((item) => item(s));
      }
      case "in": {
        const value = compile(node.value);
        const negated = node.negated;
        if (node.set.kind === "list" && node.set.items.every(isConstant)) {
          const members = new Set(node.set.items.map((item) => compile(item)(undefined as unknown as S)));
          return (s) => {
            const v = value(s);
            return v === null ? null : members.has(v) !== negated;
          };
        }
        const set = compile(node.set);
        return (s) => {
          const v = value(s);
          const container = set(s);
          if (v === null || container === null) return null;
          const found = Array.isArray(container) ? container.includes(v) : inRange(v as number, container as RangeValue);
          return found !== negated;
        };
      }
      case "call": {
        const spec = FUNCTIONS.get(node.name);
        if (!spec) return constant(null);
        const args = node.args.map(compile);
        const impl = spec.impl;
        if (spec.propagatesMissing) {
          return (s) => {
            const values: Value[] = new Array(args.length);
            for (let i = 0; i < args.length; i++) {
              const v = args[i]!(s);
              if (v === null) return null;
              values[i] = v;
            }
            return impl(s, values);
          };
        }
        return (s) => impl(s, args.map((arg) => arg(s)));
      }
      case "bands": {
        const value = compile(node.value);
        const cases = node.cases.map((c) => ({ match: c.match.kind === "range" ? compileRangeTest(c.match.low, c.match.high) : compileEquality(c.match), score: compile(c.score) }));
        const otherwise = node.otherwise ? compile(node.otherwise) : constant<S>(null);
        return (s) => {
          const v = value(s);
          if (v === null) return null;
          for (const c of cases) if (c.match(s, v)) return c.score(s);
          return otherwise(s);
        };
      }
    }
  };

  const compileRangeTest = (lowExpr: Expr, highExpr: Expr) => {
    const low = compile(lowExpr);
    const high = compile(highExpr);
    return (s: S, v: Value) => {
      const l = low(s);
      const h = high(s);
      return l !== null && h !== null && inRange(v as number, { low: l as number, high: h as number });
    };
  };

  const compileEquality = (matchExpr: Expr) => {
    const match = compile(matchExpr);
    return (s: S, v: Value) => match(s) === v;
  };

  /** Date-times are milliseconds and dates days: bring a date up to milliseconds when compared with a date-time. */
  const scaled = (node: Expr, other: Expr): Compiled<S> => {
    const own = compile(node);
    if (typeOf(node)?.name === "date" && typeOf(other)?.name === "datetime") {
      return (s) => {
        const v = own(s);
        return v === null ? null : (v as number) * MS_PER_DAY;
      };
    }
    return own;
  };

  const compileBinary = (op: string, leftExpr: Expr, rightExpr: Expr): Compiled<S> => {
    if (op === "and" || op === "or") {
      const left = compile(leftExpr);
      const right = compile(rightExpr);
      if (op === "and") {
        return (s) => {
          const l = left(s);
          if (l === false) return false;
          const r = right(s);
          if (r === false) return false;
          return l === null || r === null ? null : true;
        };
      }
      return (s) => {
        const l = left(s);
        if (l === true) return true;
        const r = right(s);
        if (r === true) return true;
        return l === null || r === null ? null : false;
      };
    }
    if (op === "??") {
      const left = compile(leftExpr);
      const right = compile(rightExpr);
      return (s) => {
        const l = left(s);
        return l === null ? right(s) : l;
      };
    }
    if ((op === "==" || op === "!=") && (leftExpr.kind === "null" || rightExpr.kind === "null")) {
      const side = compile(leftExpr.kind === "null" ? rightExpr : leftExpr);
      return op === "==" ? (s) => side(s) === null : (s) => side(s) !== null;
    }
    const calendar = calendarArithmetic(op, leftExpr, rightExpr);
    if (calendar) return calendar;
    const left = scaled(leftExpr, rightExpr);
    const right = scaled(rightExpr, leftExpr);
    const leftType = typeOf(leftExpr)?.name;
    const rightType = typeOf(rightExpr)?.name;
    // A duration added to a date-time is in days: bring it to milliseconds.
    const durationFactorRight = leftType === "datetime" && rightType === "duration" ? MS_PER_DAY : 1;
    const durationFactorLeft = rightType === "datetime" && leftType === "duration" ? MS_PER_DAY : 1;
    const datetimeDifference = leftType === "datetime" && rightType === "datetime" && op === "-";
    switch (op) {
      case "+":
        if (typeof constantOf(leftExpr) === "string" || leftType === "string" || leftType === "email" || leftType === "enum") {
          return nullSafe(left, right, (l, r) => `${l as string}${r as string}`);
        }
        return nullSafe(left, right, (l, r) => (l as number) * durationFactorLeft + (r as number) * durationFactorRight);
      case "-":
        if (datetimeDifference) return nullSafe(left, right, (l, r) => ((l as number) - (r as number)) / MS_PER_DAY);
        return nullSafe(left, right, (l, r) => (l as number) - (r as number) * durationFactorRight);
      case "*":
        return nullSafe(left, right, (l, r) => (l as number) * (r as number));
      case "/":
        // A ratio with nothing to divide by counts as 0, never Infinity or NaN.
        return nullSafe(left, right, (l, r) => ((r as number) === 0 ? 0 : (l as number) / (r as number)));
      case "==":
        return nullSafe(left, right, (l, r) => l === r);
      case "!=":
        return nullSafe(left, right, (l, r) => l !== r);
      case "<":
        return nullSafe(left, right, (l, r) => (l as number) < (r as number));
      case "<=":
        return nullSafe(left, right, (l, r) => (l as number) <= (r as number));
      case ">":
        return nullSafe(left, right, (l, r) => (l as number) > (r as number));
      default:
        return nullSafe(left, right, (l, r) => (l as number) >= (r as number));
    }
  };

  /** `renewal_date - 3mo` moves by calendar months, keeping the day or the month's last day. */
  const calendarArithmetic = (op: string, leftExpr: Expr, rightExpr: Expr): Compiled<S> | undefined => {
    const leftType = typeOf(leftExpr)?.name;
    if (op !== "+" && op !== "-") return undefined;
    const [dateExpr, durationExpr] =
      (leftType === "date" || leftType === "datetime") && rightExpr.kind === "duration"
        ? [leftExpr, rightExpr]
        : leftExpr.kind === "duration" && op === "+" && (typeOf(rightExpr)?.name === "date" || typeOf(rightExpr)?.name === "datetime")
          ? [rightExpr, leftExpr]
          : [undefined, undefined];
    if (!dateExpr || durationExpr?.kind !== "duration" || durationExpr.months === 0) return undefined;
    const sign = op === "-" ? -1 : 1;
    const months = durationExpr.months * sign;
    const days = durationExpr.days * sign;
    const date = compile(dateExpr);
    const isDateTime = typeOf(dateExpr)?.name === "datetime";
    return (s) => {
      const v = date(s);
      if (v === null) return null;
      if (!isDateTime) return addMonthsToDay(v as number, months) + days;
      const ms = v as number;
      const day = Math.floor(ms / MS_PER_DAY);
      return (addMonthsToDay(day, months) + days) * MS_PER_DAY + (ms - day * MS_PER_DAY);
    };
  };

  return compile(expr);
}

function constant<S extends EvalScope>(value: Value): Compiled<S> {
  return () => value;
}

function isConstant(expr: Expr): boolean {
  return ["number", "percent", "string", "bool", "null", "date", "datetime", "duration"].includes(expr.kind) || (expr.kind === "unary" && expr.op === "-" && isConstant(expr.operand));
}

function constantOf(expr: Expr): Value | undefined {
  return expr.kind === "string" ? expr.value : undefined;
}

function nullSafe<S extends EvalScope>(left: Compiled<S>, right: Compiled<S>, combine: (l: Value, r: Value) => Value): Compiled<S> {
  return (s) => {
    const l = left(s);
    if (l === null) return null;
    const r = right(s);
    if (r === null) return null;
    return combine(l, r);
  };
}

function inRange(value: number, range: RangeValue): boolean {
  return range.low <= range.high ? value >= range.low && value <= range.high : value >= range.high && value <= range.low;
}

/** Adds calendar months to an epoch day, clamping to the target month's last day (Jan 31 + 1mo = Feb 28/29). */
export function addMonthsToDay(epochDay: number, months: number): number {
  const date = new Date(epochDay * MS_PER_DAY);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + months;
  const targetYear = year + Math.floor(month / 12);
  const targetMonth = ((month % 12) + 12) % 12;
  const lastDay = new Date(Date.UTC(targetYear, targetMonth + 1, 0)).getUTCDate();
  const day = Math.min(date.getUTCDate(), lastDay);
  return Date.UTC(targetYear, targetMonth, day) / MS_PER_DAY;
}
