import type { CallNode, Expr } from "./ast.js";
import { FUNCTIONS, linearScale, type FunctionSpec } from "./functions.js";
import { durationDays } from "./literals.js";
import type { Type } from "./types.js";
import { MS_PER_DAY, type EvalScope, type EventFilter, type RangeValue, type Value } from "./value.js";

export type Compiled<S extends EvalScope = EvalScope> = (scope: S) => Value;

/**
 * How a name (a field, a metric...) is read from the engine's scope: a
 * function, or a property path into the scope (`["account", "arr"]` reads
 * `scope.account.arr`), which compiles to a plain property access.
 */
export type Binding<S extends EvalScope> = Compiled<S> | { readonly property: readonly string[] };

/** Supplies the binding of each name an expression uses. */
export type Binder<S extends EvalScope> = (path: readonly string[], type: Type) => Binding<S>;

/**
 * Supplies a precomputed value for an event aggregate call (the engine reads
 * aggregates computed by the data engine); undefined compiles the call itself.
 */
export type AggregateBinder<S extends EvalScope> = (call: CallNode) => Binding<S> | undefined;

/** Helpers the generated code calls; part of Touchline, never built from user text. */
const RUNTIME = {
  addMonthsToDay,
  linearScale,
  inRange(value: number, low: number, high: number): boolean {
    return low <= high ? value >= low && value <= high : value >= high && value <= low;
  },
  contains(container: Value, value: Value): boolean {
    return Array.isArray(container) ? container.includes(value) : RUNTIME.inRange(value as number, (container as RangeValue).low, (container as RangeValue).high);
  },
  addMonthsToDateTime(ms: number, months: number, days: number): number {
    const day = Math.floor(ms / MS_PER_DAY);
    return (addMonthsToDay(day, months) + days) * MS_PER_DAY + (ms - day * MS_PER_DAY);
  },
};

/** Compiler state for one expression: bound names, hoisted constants, temporaries. */
class CodeGenerator<S extends EvalScope> {
  readonly bindings: Compiled<S>[] = [];
  readonly constants: unknown[] = [];
  readonly functions: FunctionSpec[] = [];
  private temps = 0;

  constructor(
    private readonly types: ReadonlyMap<Expr, Type>,
    private readonly bind: Binder<S>,
    private readonly aggregate?: AggregateBinder<S>,
  ) {}

  temp(): string {
    return `t${this.temps++}`;
  }

  declarations(): string {
    return this.temps === 0 ? "" : `let ${Array.from({ length: this.temps }, (_, i) => `t${i}`).join(", ")};`;
  }

  private constant(value: unknown): string {
    this.constants.push(value);
    return `k[${this.constants.length - 1}]`;
  }

  private mayBeMissing(node: Expr): boolean {
    const type = this.types.get(node);
    return type === undefined || type.nullable || type.name === "unknown";
  }

  private typeName(node: Expr): string | undefined {
    return this.types.get(node)?.name;
  }

  /**
   * Evaluates `parts` once each, in order; if any may be missing and is,
   * the whole is missing (null). `build` gets the variable names.
   */
  private strict(parts: Expr[], build: (names: string[]) => string): string {
    const names: string[] = [];
    const assignments: string[] = [];
    const checks: string[] = [];
    for (const part of parts) {
      const code = this.gen(part);
      if (isSimple(code) || (parts.length === 1 && !this.mayBeMissing(part))) {
        names.push(isSimple(code) ? code : `(${code})`);
        continue;
      }
      const t = this.temp();
      names.push(t);
      assignments.push(`${t} = ${code}`);
      if (this.mayBeMissing(part)) checks.push(`${t} === null`);
    }
    // Parts are pure, so each is evaluated once, in order, before the missing checks.
    const result = checks.length === 0 ? build(names) : `${checks.join(" || ")} ? null : ${build(names)}`;
    return assignments.length === 0 ? `(${result})` : `(${assignments.join(", ")}, ${result})`;
  }

  gen(node: Expr): string {
    switch (node.kind) {
      case "number":
      case "percent":
      case "date":
      case "datetime":
        return numberLiteral(node.value);
      case "duration":
        return numberLiteral(durationDays(node));
      case "string":
        return JSON.stringify(node.value);
      case "bool":
        return node.value ? "true" : "false";
      case "null":
      case "error":
        return "null";
      case "ref":
        return this.read(this.bind(node.path, this.types.get(node) ?? { name: "unknown", nullable: true }));
      case "unary":
        return node.op === "not" ? this.strict([node.operand], ([v]) => `!${v}`) : this.strict([node.operand], ([v]) => `-${v}`);
      case "binary":
        return this.binary(node);
      case "range": {
        if (isConstant(node.low) && isConstant(node.high)) {
          return this.constant({ low: constantNumber(node.low), high: constantNumber(node.high) } satisfies RangeValue);
        }
        return this.strict([node.low, node.high], ([l, h]) => `{ low: ${l}, high: ${h} }`);
      }
      case "list":
        if (node.items.every(isConstant)) return this.constant(node.items.map(constantValue));
        return `[${node.items.map((item) => this.gen(item)).join(", ")}]`;
      case "in": {
        const negate = node.negated ? "!" : "";
        if (node.set.kind === "list" && node.set.items.every(isConstant)) {
          const set = this.constant(new Set(node.set.items.map(constantValue)));
          return this.strict([node.value], ([v]) => `${negate}${set}.has(${v})`);
        }
        if (node.set.kind === "range") {
          const range = node.set;
          return this.strict([node.value, range.low, range.high], ([v, l, h]) => `${negate}r.inRange(${v}, ${l}, ${h})`);
        }
        return this.strict([node.value, node.set], ([v, c]) => `${negate}r.contains(${c}, ${v})`);
      }
      case "call":
        return this.call(node);
      case "bands": {
        const value = this.temp();
        const cases = node.cases.map((c) => {
          const test = c.match.kind === "range"
            ? this.bandRange(value, c.match.low, c.match.high)
            : `${value} === ${this.gen(c.match)}`;
          return `${test} ? ${this.gen(c.score)} : `;
        });
        const otherwise = node.otherwise ? this.gen(node.otherwise) : "null";
        return `((${value} = ${this.gen(node.value)}) === null ? null : ${cases.join("")}${otherwise})`;
      }
    }
  }

  private read(binding: Binding<S>): string {
    // Property names are written as JSON string literals, never as code.
    if (typeof binding !== "function") return `s${binding.property.map((p) => `[${JSON.stringify(p)}]`).join("")}`;
    this.bindings.push(binding);
    return `b[${this.bindings.length - 1}](s)`;
  }

  private bandRange(value: string, low: Expr, high: Expr): string {
    if (isConstant(low) && isConstant(high)) {
      const [a, b] = [constantNumber(low), constantNumber(high)];
      const [min, max] = a <= b ? [a, b] : [b, a];
      return `(${value} >= ${numberLiteral(min)} && ${value} <= ${numberLiteral(max)})`;
    }
    return `r.inRange(${value}, ${this.gen(low)}, ${this.gen(high)})`;
  }

  private call(node: Extract<Expr, { kind: "call" }>): string {
    const spec = FUNCTIONS.get(node.name);
    if (!spec) return "null";
    const precomputed = spec.usesEvents ? this.aggregate?.(node) : undefined;
    if (precomputed) return this.read(precomputed);
    if (spec.name === "scale" && node.args[1]?.kind === "range" && isConstant(node.args[1].low) && isConstant(node.args[1].high)) {
      // The most common health component: fold the range into two constants.
      const low = constantNumber(node.args[1].low);
      const high = constantNumber(node.args[1].high);
      if (low !== high) {
        const factor = numberLiteral(100 / (high - low));
        const t = this.temp();
        return this.strict([node.args[0]!], ([v]) => `(${t} = (${v} - ${numberLiteral(low)}) * ${factor}, ${t} < 0 ? 0 : ${t} > 100 ? 100 : ${t})`);
      }
    }
    if (spec.inline && spec.propagatesMissing) return this.strict(node.args, (names) => spec.inline!(names));
    if (spec.inline && node.args.every((a) => !this.mayBeMissing(a))) return `(${spec.inline(node.args.map((a) => this.gen(a)))})`;
    this.functions.push(spec);
    const index = this.functions.length - 1;
    if (spec.propagatesMissing) return this.strict(node.args, (names) => `f[${index}].impl(s, [${names.join(", ")}])`);
    const filter = node.filter ? `, ${this.constant(compileEventFilter(node.filter, this.types))}` : "";
    return `f[${index}].impl(s, [${node.args.map((a) => this.gen(a)).join(", ")}]${filter})`;
  }

  private binary(node: Extract<Expr, { kind: "binary" }>): string {
    const { op, left, right } = node;
    if (op === "and" || op === "or") {
      if (!this.mayBeMissing(left) && !this.mayBeMissing(right)) return `(${this.gen(left)} ${op === "and" ? "&&" : "||"} ${this.gen(right)})`;
      const [l, r] = [this.temp(), this.temp()];
      const decisive = op === "and" ? "false" : "true";
      return `((${l} = ${this.gen(left)}) === ${decisive} ? ${decisive} : (${r} = ${this.gen(right)}) === ${decisive} ? ${decisive} : (${l} === null || ${r} === null ? null : ${op === "and" ? "true" : "false"}))`;
    }
    if (op === "??") {
      const t = this.temp();
      return `((${t} = ${this.gen(left)}) === null ? ${this.gen(right)} : ${t})`;
    }
    if ((op === "==" || op === "!=") && (left.kind === "null" || right.kind === "null")) {
      const side = left.kind === "null" ? right : left;
      return `(${this.gen(side)} ${op === "==" ? "===" : "!=="} null)`;
    }
    const calendar = this.calendarArithmetic(node);
    if (calendar) return calendar;
    const [lt, rt] = [this.typeName(left), this.typeName(right)];
    // Dates are days and date-times milliseconds: scale a date when it meets a date-time.
    const scaleLeft = lt === "date" && rt === "datetime" ? ` * ${MS_PER_DAY}` : "";
    const scaleRight = rt === "date" && lt === "datetime" ? ` * ${MS_PER_DAY}` : "";
    // A duration (days) added to a date-time is brought to milliseconds.
    const durationLeft = rt === "datetime" && lt === "duration" ? ` * ${MS_PER_DAY}` : "";
    const durationRight = lt === "datetime" && rt === "duration" ? ` * ${MS_PER_DAY}` : "";
    return this.strict([left, right], ([l, r]) => {
      const a = `${l}${scaleLeft}${durationLeft}`;
      const b = `${r}${scaleRight}${durationRight}`;
      switch (op) {
        case "+":
          return `${a} + ${b}`;
        case "-":
          return lt === "datetime" && rt === "datetime" ? `(${a} - ${b}) / ${MS_PER_DAY}` : `${a} - ${b}`;
        case "*":
          return `${a} * ${b}`;
        case "/":
          // A ratio with nothing to divide by counts as 0, never Infinity or NaN.
          return `(${b} === 0 ? 0 : ${a} / ${b})`;
        case "==":
          return `${a} === ${b}`;
        case "!=":
          return `${a} !== ${b}`;
        default:
          return `${a} ${op} ${b}`;
      }
    });
  }

  /** `renewal_date - 3mo` moves by calendar months, keeping the day or the month's last day. */
  private calendarArithmetic(node: Extract<Expr, { kind: "binary" }>): string | undefined {
    const { op, left, right } = node;
    if (op !== "+" && op !== "-") return undefined;
    const dateLike = (e: Expr) => this.typeName(e) === "date" || this.typeName(e) === "datetime";
    let dateExpr: Expr | undefined;
    let duration: Extract<Expr, { kind: "duration" }> | undefined;
    if (dateLike(left) && right.kind === "duration") [dateExpr, duration] = [left, right];
    else if (op === "+" && left.kind === "duration" && dateLike(right)) [dateExpr, duration] = [right, left];
    if (!dateExpr || !duration || duration.months === 0) return undefined;
    const sign = op === "-" ? -1 : 1;
    const months = numberLiteral(duration.months * sign);
    const days = numberLiteral(duration.days * sign);
    const isDateTime = this.typeName(dateExpr) === "datetime";
    return this.strict([dateExpr], ([d]) => (isDateTime ? `r.addMonthsToDateTime(${d}, ${months}, ${days})` : `r.addMonthsToDay(${d}, ${months}) + ${days}`));
  }
}

/**
 * Compiles a checked expression once into a JavaScript function that the
 * engine calls for every account and replayed day, at close to the speed of
 * hand-written code. The generated source is built only from the tree's
 * structure: numbers are written by `String(number)`, texts by
 * `JSON.stringify`, names become indices into the bound accessors and
 * functions indices into Touchline's own function table. No user text is
 * ever turned into code, so no expression can reach JavaScript globals or
 * prototypes.
 */
export function compileExpression<S extends EvalScope>(expr: Expr, types: ReadonlyMap<Expr, Type>, bind: Binder<S>, aggregate?: AggregateBinder<S>): Compiled<S> {
  const generator = new CodeGenerator<S>(types, bind, aggregate);
  const body = generator.gen(expr);
  return build(generator, `return function compiledExpression(s) { ${generator.declarations()} return ${body}; };`) as Compiled<S>;
}

/** Fills `out[i]` with the value of the i-th expression of a batch. */
export type CompiledBatch<S extends EvalScope = EvalScope> = (scope: S, out: Value[]) => void;

/**
 * Compiles several expressions into one function that evaluates them all:
 * one call per account instead of one per expression, for the many trigger
 * conditions and health components a playbook evaluates together.
 */
export function compileExpressionBatch<S extends EvalScope>(items: readonly { expr: Expr; types: ReadonlyMap<Expr, Type> }[], bind: Binder<S>, aggregate?: AggregateBinder<S>): CompiledBatch<S> {
  const generator = new CodeGenerator<S>(new Map(items.flatMap((item) => [...item.types])), bind, aggregate);
  const assignments = items.map((item, index) => `o[${index}] = ${generator.gen(item.expr)};`);
  return build(generator, `return function compiledBatch(s, o) { ${generator.declarations()} ${assignments.join(" ")} };`) as CompiledBatch<S>;
}

/**
 * Compiles ordered conditions into one function returning the index of the
 * first that is true, or -1: tier rules, decided in one call per account.
 */
export function compileFirstTrue<S extends EvalScope>(items: readonly { expr: Expr; types: ReadonlyMap<Expr, Type> }[], bind: Binder<S>, aggregate?: AggregateBinder<S>): (scope: S) => number {
  const generator = new CodeGenerator<S>(new Map(items.flatMap((item) => [...item.types])), bind, aggregate);
  const tests = items.map((item, index) => `if (${generator.gen(item.expr)} === true) return ${index};`);
  return build(generator, `return function compiledFirstTrue(s) { ${generator.declarations()} ${tests.join(" ")} return -1; };`) as (scope: S) => number;
}

/**
 * An event aggregate's `where` condition as a predicate over one event's
 * properties: its names read the properties object directly.
 */
export function compileEventFilter(filter: Expr, types: ReadonlyMap<Expr, Type>): EventFilter {
  const condition = compileExpression(filter, types, (path) => ({ property: [path[0]!] }));
  return (properties) => condition(properties as unknown as EvalScope) === true;
}

function build<S extends EvalScope>(generator: CodeGenerator<S>, body: string): unknown {
  const factory = new Function("b", "k", "f", "r", `"use strict"; ${body}`) as (b: unknown, k: unknown, f: unknown, r: unknown) => unknown;
  return factory(generator.bindings, generator.constants, generator.functions, RUNTIME);
}

function numberLiteral(value: number): string {
  if (!Number.isFinite(value)) return "null";
  return Object.is(value, -0) ? "-0" : String(value);
}

/** Code that is cheap and safe to repeat: a literal, a constant, the clock. */
function isSimple(code: string): boolean {
  return /^-?[0-9.e+]+$/.test(code) || /^k\[\d+\]$/.test(code) || /^"(?:[^"\\]|\\.)*"$/.test(code) || code === "s.asOfDay" || code === "s.asOfMs" || code === "true" || code === "false" || code === "null";
}

function isConstant(expr: Expr): boolean {
  return ["number", "percent", "string", "bool", "null", "date", "datetime", "duration"].includes(expr.kind) || (expr.kind === "unary" && expr.op === "-" && isConstant(expr.operand));
}

function constantValue(expr: Expr): Value {
  switch (expr.kind) {
    case "number":
    case "percent":
    case "date":
    case "datetime":
      return expr.value;
    case "duration":
      return durationDays(expr);
    case "string":
    case "bool":
      return expr.value;
    case "unary":
      return -(constantValue(expr.operand) as number);
    default:
      return null;
  }
}

function constantNumber(expr: Expr): number {
  return constantValue(expr) as number;
}

/** Adds calendar months to an epoch day, clamping to the target month's last day (Jan 31 + 1mo = Feb 28/29). */
export function addMonthsToDay(epochDay: number, months: number): number {
  if (months === 0) return epochDay;
  const { year, month, day } = civilFromDays(epochDay);
  const total = year * 12 + (month - 1) + months;
  const targetYear = Math.floor(total / 12);
  const targetMonth = total - targetYear * 12 + 1;
  return daysFromCivil(targetYear, targetMonth, Math.min(day, daysInMonth(targetYear, targetMonth)));
}

// Calendar arithmetic without Date objects (Howard Hinnant's algorithms): onboarding due dates run for every account.
function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
