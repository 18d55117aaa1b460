import type { DiagnosticCode } from "../text/diagnostic.js";
import type { Span } from "../text/source.js";
import { closestName } from "../text/suggest.js";
import type { BinaryNode, CallNode, Expr, RefNode } from "./ast.js";
import { FUNCTIONS, type ParamKind } from "./functions.js";
import { printExpr as exprText } from "./print.js";
import {
  formatType,
  isNumeric,
  isTextual,
  isUnknown,
  numericJoin,
  T,
  type Type,
  withNullable,
} from "./types.js";

/** What a name in an expression stands for. */
export interface NameInfo {
  type: Type;
  /** field, metric, segment, health, tier, onboarding... for messages and the symbol table */
  kind: string;
  description?: string;
  /** why a nullable value may be missing, for the message ("it uses `nps`, which is optional") */
  missingBecause?: string;
}

/**
 * The names and events an expression may use. The playbook checker builds
 * one from the data contract and the definitions; tests build small ones.
 */
export interface CheckEnvironment {
  resolve(path: readonly string[]): NameInfo | undefined;
  /** names one level below `prefix`, for "did you mean" and completion */
  namesUnder(prefix: readonly string[]): readonly string[];
  /** declared event types and their properties; undefined when the playbook declares none */
  eventTypes?: ReadonlyMap<string, ReadonlyMap<string, Type>>;
  onReference?(ref: RefNode, info: NameInfo): void;
  /** a name inside an event aggregate's `where` filter: a property of `event` */
  onFilterReference?(event: string, ref: RefNode, info: NameInfo): void;
  /** what an unknown name is not, for the message (default: a field or definition of the playbook) */
  unknownNameHint?: string;
}

export interface CheckOptions {
  /** missing values may flow through (health components with a missing-data policy) */
  allowMissing?: boolean;
  /** what the result must be */
  expect?: "bool" | "numeric";
  /** what the value is for, in messages: "the condition of trigger `x`" */
  role?: string;
}

export interface QuickFix {
  title: string;
  span: Span;
  newText: string;
}

export type Reporter = (code: DiagnosticCode, span: Span, message: string, fix?: QuickFix) => void;

export interface CheckedExpression {
  type: Type;
  /** the static type of every node, which the compiler relies on */
  types: Map<Expr, Type>;
  usesEvents: boolean;
}

/**
 * Names a playbook may not give to anything: JavaScript's own object
 * machinery uses them, and a name is never allowed to mean two things.
 */
export const RESERVED_NAMES = new Set(["prototype", ...Object.getOwnPropertyNames(Object.prototype)]);

const COMPARISON = new Set(["==", "!=", "<", "<=", ">", ">="]);

/**
 * Type-checks an expression against an environment. Never throws: every
 * problem is reported, and the offending node gets type `unknown` so one
 * mistake gives one message.
 */
export function checkExpression(expr: Expr, env: CheckEnvironment, report: Reporter, options: CheckOptions = {}): CheckedExpression {
  const checker = new Checker(env, report, options.allowMissing ?? false);
  const type = checker.check(expr);
  if (options.expect === "bool" && !isUnknown(type)) {
    if (type.name !== "bool") {
      report("TL2008", expr.span, `${options.role ?? "this condition"} must be true or false, but it is ${describe(type)}`);
    } else if (type.nullable && !options.allowMissing) {
      checker.reportMissing(expr, type, options.role ?? "this condition");
    }
  }
  if (options.expect === "numeric" && !isUnknown(type) && !isNumeric(type)) {
    report("TL2006", expr.span, `${options.role ?? "this value"} must be a number, but it is ${describe(type)}`);
  }
  return { type, types: checker.types, usesEvents: checker.usesEvents };
}

function describe(type: Type): string {
  return `${/^[aeiou]/.test(type.name) ? "an" : "a"} ${formatType(type)}`;
}

class Checker {
  readonly types = new Map<Expr, Type>();
  usesEvents = false;

  constructor(
    private readonly env: CheckEnvironment,
    private readonly report: Reporter,
    private readonly allowMissing: boolean,
  ) {}

  check(expr: Expr): Type {
    const type = this.infer(expr);
    this.types.set(expr, type);
    return type;
  }

  reportMissing(expr: Expr, type: Type, role: string): void {
    const because = this.missingReason(expr);
    const text = exprText(expr);
    this.report(
      "TL2007",
      expr.span,
      `${role} uses \`${text}\`, which may be missing${because}; say what to use when it is, e.g. \`${text} ?? ${fallbackFor(type)}\``,
      { title: `Use ${fallbackFor(type)} when \`${text}\` is missing`, span: expr.span, newText: `(${text} ?? ${fallbackFor(type)})` },
    );
  }

  private missingReason(expr: Expr): string {
    if (expr.kind === "ref") {
      const info = this.env.resolve(expr.path);
      if (info?.missingBecause) return ` (${info.missingBecause})`;
    }
    return "";
  }

  private infer(expr: Expr): Type {
    switch (expr.kind) {
      case "number":
        return Number.isInteger(expr.value) && !expr.text.includes(".") && !/e/i.test(expr.text) ? T.int : T.number;
      case "percent":
        return T.percent;
      case "string":
        return T.string;
      case "bool":
        return T.bool;
      case "null":
        return T.null;
      case "date":
        return T.date;
      case "datetime":
        return T.datetime;
      case "duration":
        return T.duration;
      case "error":
        return T.unknown;
      case "ref":
        return this.reference(expr);
      case "unary": {
        const operand = this.check(expr.operand);
        if (isUnknown(operand)) return T.unknown;
        if (expr.op === "not") {
          if (operand.name !== "bool") return this.mismatch(expr.span, `\`not\` needs true or false, but \`${exprText(expr.operand)}\` is ${describe(operand)}`);
          this.requirePresent(expr.operand, operand, "`not`");
          return T.bool;
        }
        if (!isNumeric(operand) && operand.name !== "duration") return this.mismatch(expr.span, `cannot negate ${describe(operand)}`);
        return operand;
      }
      case "binary":
        return this.binary(expr);
      case "range": {
        const low = this.check(expr.low);
        const high = this.check(expr.high);
        if (isUnknown(low) || isUnknown(high)) return { name: "range", nullable: false, element: T.unknown };
        if (!comparable(low, high)) return this.mismatch(expr.span, `a range needs two ends of the same kind, not ${describe(low)} and ${describe(high)}`);
        return { name: "range", nullable: false, element: isNumeric(low) ? numericJoin(low, high) : low };
      }
      case "list": {
        let element: Type | undefined;
        for (const item of expr.items) {
          const type = this.check(item);
          if (isUnknown(type)) continue;
          if (element && !comparable(element, type)) {
            this.mismatch(item.span, `a list needs items of one kind: ${describe(type)} does not fit with ${describe(element)}`);
            continue;
          }
          element ??= type;
        }
        return { name: "list", nullable: false, element: element ?? T.unknown };
      }
      case "in":
        return this.membership(expr.value, expr.set, expr.span);
      case "call":
        return this.call(expr);
      case "bands": {
        const value = this.check(expr.value);
        if (!isUnknown(value) && !isNumeric(value) && !isTextual(value)) this.mismatch(expr.value.span, `bands need a number or a text to sort into bands, not ${describe(value)}`);
        if (value.nullable && !this.allowMissing) this.reportMissing(expr.value, value, "`bands`");
        for (const band of expr.cases) {
          const match = this.check(band.match);
          const target = band.match.kind === "range" ? match.element ?? T.unknown : match;
          if (!isUnknown(value) && !isUnknown(target) && !comparable(withNullable(value, false), target)) {
            this.mismatch(band.match.span, `this band is ${describe(target)}, but the value sorted is ${describe(value)}`);
          }
          this.numericScore(band.score);
        }
        if (expr.otherwise) this.numericScore(expr.otherwise);
        return withNullable(T.number, value.nullable || expr.otherwise === undefined);
      }
    }
  }

  private numericScore(expr: Expr): void {
    const type = this.check(expr);
    if (!isUnknown(type) && !isNumeric(type)) this.mismatch(expr.span, `a band's score must be a number, not ${describe(type)}`);
  }

  private reference(ref: RefNode): Type {
    for (let i = 0; i < ref.path.length; i++) {
      if (RESERVED_NAMES.has(ref.path[i]!)) {
        this.report("TL2018", ref.segmentSpans[i]!, `\`${ref.path[i]}\` is a reserved word and cannot be used as a name`);
        return T.unknown;
      }
    }
    const info = this.env.resolve(ref.path);
    if (info) {
      this.env.onReference?.(ref, info);
      return info.type;
    }
    // Find the first segment that does not resolve, to point at it precisely.
    let depth = ref.path.length - 1;
    for (let i = 1; i < ref.path.length; i++) {
      if (this.env.namesUnder(ref.path.slice(0, i)).length === 0 && !this.env.resolve(ref.path.slice(0, i))) {
        depth = i - 1;
        break;
      }
    }
    const prefix = ref.path.slice(0, depth);
    const name = ref.path[depth]!;
    const span = ref.segmentSpans[depth]!;
    const suggestion = closestName(name, this.env.namesUnder(prefix));
    const where = prefix.length > 0 ? ` in \`${prefix.join(".")}\`` : "";
    // `plan == pro`: a value of an enum field written as a name; values are written in quotes.
    const enumField = prefix.length === 0 ? this.env.namesUnder([]).find((n) => this.env.resolve([n])?.type.values?.includes(name)) : undefined;
    if (enumField) {
      const quoted = JSON.stringify(name);
      this.report("TL2003", span, `unknown name \`${name}\`: \`${name}\` is a value of \`${enumField}\`, and values are written in quotes: ${quoted}`, { title: `Write ${quoted}`, span, newText: quoted });
    } else if (suggestion) {
      this.report("TL2003", span, `unknown name \`${name}\`${where}; did you mean \`${suggestion}\`?`, {
        title: `Change to \`${suggestion}\``,
        span,
        newText: suggestion,
      });
    } else {
      this.report("TL2003", span, `unknown name \`${name}\`${where}: ${this.env.unknownNameHint ?? "it is not a field of the data contract nor a metric, segment or other definition of this playbook"}`);
    }
    return T.unknown;
  }

  private requirePresent(expr: Expr, type: Type, role: string): void {
    if (type.nullable && type.name !== "null" && !this.allowMissing) this.reportMissing(expr, type, role);
  }

  private binary(expr: BinaryNode): Type {
    const left = this.check(expr.left);
    const right = this.check(expr.right);
    if (isUnknown(left) || isUnknown(right)) return expr.op === "and" || expr.op === "or" || COMPARISON.has(expr.op) ? T.bool : T.unknown;
    const op = expr.op;
    if (op === "??") {
      if (!left.nullable) {
        return left;
      }
      if (right.name !== "null" && left.name !== "null" && !comparable(withNullable(left, false), withNullable(right, false))) {
        return this.mismatch(expr.right.span, `the fallback after \`??\` must be ${describe(withNullable(left, false))}, not ${describe(right)}`);
      }
      const base = left.name === "null" ? right : isNumeric(left) && isNumeric(right) ? numericJoin(left, right) : left;
      return withNullable(base, right.nullable);
    }
    if (op === "and" || op === "or") {
      for (const [side, type] of [[expr.left, left], [expr.right, right]] as const) {
        if (type.name !== "bool") this.mismatch(side.span, `\`${op}\` joins conditions, but \`${exprText(side)}\` is ${describe(type)}`);
        else this.requirePresent(side, type, `\`${op}\``);
      }
      return withNullable(T.bool, this.allowMissing && (left.nullable || right.nullable));
    }
    if (COMPARISON.has(op)) return this.comparison(expr, left, right);
    return this.arithmetic(expr, left, right);
  }

  private comparison(expr: BinaryNode, left: Type, right: Type): Type {
    const op = expr.op;
    const nullCheck = (op === "==" || op === "!=") && (left.name === "null" || right.name === "null");
    if (nullCheck) return T.bool;
    if (left.name === "range" || right.name === "range") {
      return this.mismatch(expr.span, `a range can only be used with \`in\`, as in \`x in 1 .. 5\``);
    }
    if (!comparable(withNullable(left, false), withNullable(right, false))) {
      return this.mismatch(expr.span, `cannot compare ${describe(left)} with ${describe(right)}`);
    }
    if (op !== "==" && op !== "!=" && (left.name === "bool" || left.name === "enum" && right.name === "enum")) {
      if (left.name === "bool") return this.mismatch(expr.span, `\`${op}\` needs numbers, dates or durations, not true/false`);
    }
    this.checkEnumMember(left, expr.right);
    this.checkEnumMember(right, expr.left);
    this.requirePresent(expr.left, left, `the comparison \`${exprText(expr)}\``);
    this.requirePresent(expr.right, right, `the comparison \`${exprText(expr)}\``);
    return withNullable(T.bool, this.allowMissing && (left.nullable || right.nullable));
  }

  private checkEnumMember(enumSide: Type, other: Expr): void {
    if (enumSide.name !== "enum" || !enumSide.values || other.kind !== "string") return;
    if (enumSide.values.includes(other.value)) return;
    const suggestion = closestName(other.value, enumSide.values);
    const hint = suggestion ? `; did you mean "${suggestion}"?` : `; it can be ${enumSide.values.map((v) => `"${v}"`).join(", ")}`;
    this.report("TL2009", other.span, `"${other.value}" is not one of the values of this enum${hint}`,
      suggestion ? { title: `Change to "${suggestion}"`, span: other.span, newText: `"${suggestion}"` } : undefined);
  }

  private arithmetic(expr: BinaryNode, left: Type, right: Type): Type {
    const op = expr.op;
    const nullable = left.nullable || right.nullable;
    let result: Type | undefined;
    if (isNumeric(left) && isNumeric(right)) {
      if (op === "+" || op === "-") result = numericJoin(left, right);
      else if (op === "*") result = left.name === "int" && right.name === "int" ? T.int : left.name === "money" || right.name === "money" ? T.money : T.number;
      else result = left.name === "money" && right.name !== "money" ? T.money : T.number;
    } else if ((left.name === "date" || left.name === "datetime") && right.name === "duration" && (op === "+" || op === "-")) {
      result = { name: left.name, nullable: false };
    } else if (left.name === "duration" && (right.name === "date" || right.name === "datetime") && op === "+") {
      result = { name: right.name, nullable: false };
    } else if (left.name === right.name && (left.name === "date" || left.name === "datetime") && op === "-") {
      result = T.duration;
    } else if (left.name === "duration" && right.name === "duration" && (op === "+" || op === "-")) {
      result = T.duration;
    } else if (left.name === "duration" && isNumeric(right) && (op === "*" || op === "/")) {
      result = T.duration;
    } else if (isTextual(left) && isTextual(right) && op === "+") {
      result = T.string;
    }
    if (!result) return this.mismatch(expr.span, `cannot use \`${op}\` on ${describe(left)} and ${describe(right)}`);
    return withNullable(result, nullable);
  }

  private membership(value: Expr, set: Expr, span: Span): Type {
    const valueType = this.check(value);
    const setType = this.check(set);
    if (isUnknown(valueType) || isUnknown(setType)) return T.bool;
    if (setType.name !== "list" && setType.name !== "range") {
      return this.mismatch(set.span, `\`in\` needs a list such as ["a", "b"] or a range such as 1 .. 5, not ${describe(setType)}`);
    }
    const element = setType.element ?? T.unknown;
    if (!isUnknown(element) && !comparable(withNullable(valueType, false), element)) {
      return this.mismatch(span, `cannot look for ${describe(valueType)} in a ${setType.name} of ${formatType(element)}`);
    }
    if (set.kind === "list") for (const item of set.items) this.checkEnumMember(valueType, item);
    this.requirePresent(value, valueType, "`in`");
    return T.bool;
  }

  private call(call: CallNode): Type {
    const spec = FUNCTIONS.get(call.name);
    const argTypes = call.args.map((arg) => this.check(arg));
    if (!spec) {
      if (RESERVED_NAMES.has(call.name)) {
        this.report("TL2018", call.nameSpan, `\`${call.name}\` is a reserved word and cannot be called`);
        return T.unknown;
      }
      const suggestion = closestName(call.name, FUNCTIONS.keys());
      this.report("TL2004", call.nameSpan, `unknown function \`${call.name}\`${suggestion ? `; did you mean \`${suggestion}\`?` : ""}`,
        suggestion ? { title: `Change to \`${suggestion}\``, span: call.nameSpan, newText: suggestion } : undefined);
      return T.unknown;
    }
    if (spec.usesEvents) this.usesEvents = true;
    const required = spec.params.filter((p) => !p.optional).length;
    const tooMany = !spec.variadic && call.args.length > spec.params.length;
    if (call.args.length < required || tooMany) {
      this.report("TL2005", call.span, `\`${spec.name}\` takes ${describeArity(spec.params.length, required, spec.variadic)}, but was given ${call.args.length}: ${spec.signature}`);
      return T.unknown;
    }
    let ok = true;
    let anyMissing = false;
    call.args.forEach((arg, index) => {
      const param = spec.params[Math.min(index, spec.params.length - 1)]!;
      const type = argTypes[index]!;
      if (isUnknown(type)) {
        ok = false;
        return;
      }
      if (!this.argumentFits(param.kind, type, arg, call.args[0], spec.name)) {
        ok = false;
        this.report("TL2005", arg.span, `\`${param.name}\` of \`${spec.name}\` must be ${PARAM_KIND_TEXT[param.kind]}, not ${describe(type)}: ${spec.signature}`);
        return;
      }
      if (type.nullable && type.name !== "null") {
        if (spec.propagatesMissing) anyMissing = true;
        else if (param.kind !== "any" && !this.allowMissing) this.reportMissing(arg, type, `\`${spec.name}\``);
      }
    });
    if (spec.usesEvents) ok = this.eventAggregate(call, spec.params) && ok;
    else if (call.filter) {
      this.report("TL2023", call.filter.span, `only event aggregates (count, sum, avg, min_of, max_of, distinct, days_since_last, trend) take a \`where\` filter, not \`${spec.name}\``);
      ok = false;
    }
    if (!ok) return T.unknown;
    const result = spec.result(argTypes.map((t) => withNullable(t, false)));
    return withNullable(result, result.nullable || anyMissing);
  }

  /**
   * Event aggregates are computed by the data engine before any account is
   * evaluated, so their window is a duration written out (30d), and their
   * filter reads only the event's own properties.
   */
  private eventAggregate(call: CallNode, params: readonly { kind: ParamKind }[]): boolean {
    let ok = true;
    call.args.forEach((arg, index) => {
      if (params[index]?.kind === "duration" && arg.kind !== "duration") {
        this.report("TL2023", arg.span, `the window of \`${call.name}\` must be written as a duration such as 30d, not computed`);
        ok = false;
      }
    });
    const filter = call.filter;
    if (!filter) return ok;
    const event = call.args[0]?.kind === "string" ? call.args[0].value : undefined;
    const properties = event === undefined ? undefined : this.env.eventTypes?.get(event);
    if (!properties) {
      this.report("TL2023", filter.span, event === undefined ? "a `where` filter needs the event type first" : `declare the properties of "${event}" in the playbook's \`events\` to filter on them`);
      return false;
    }
    const filterEnv: CheckEnvironment = {
      resolve: (path) => (path.length === 1 && properties.has(path[0]!) ? { type: properties.get(path[0]!)!, kind: "event property" } : undefined),
      namesUnder: (prefix) => (prefix.length === 0 ? [...properties.keys()] : []),
      unknownNameHint: properties.size === 0 ? `"${event}" events declare no properties` : `"${event}" events have the properties ${[...properties.keys()].map((p) => `\`${p}\``).join(", ")}`,
      ...(this.env.onFilterReference ? { onReference: (ref: RefNode, info: NameInfo) => this.env.onFilterReference!(event!, ref, info) } : {}),
    };
    const checker = new Checker(filterEnv, this.report, false);
    const type = checker.check(filter);
    for (const [node, nodeType] of checker.types) this.types.set(node, nodeType);
    if (!isUnknown(type) && type.name !== "bool") {
      this.report("TL2008", filter.span, `the \`where\` filter must be true or false, but it is ${describe(type)}`);
      return false;
    }
    if (type.nullable) {
      checker.reportMissing(filter, type, "the `where` filter");
      return false;
    }
    const unsupported = unsupportedInFilter(filter);
    if (unsupported) {
      this.report("TL2023", unsupported.span, `${unsupported.what} cannot be used in a \`where\` filter, which reads only the event's properties, values and simple functions`);
      return false;
    }
    return ok && !isUnknown(type);
  }

  private argumentFits(kind: ParamKind, type: Type, arg: Expr, firstArg: Expr | undefined, fn: string): boolean {
    switch (kind) {
      case "numeric":
        return isNumeric(type);
      case "date":
        return type.name === "date" || type.name === "datetime";
      case "text":
        return isTextual(type);
      case "bool":
        return type.name === "bool";
      case "range":
        return type.name === "range" && (type.element === undefined || isNumeric(type.element) || isUnknown(type.element));
      case "duration":
        return type.name === "duration";
      case "event":
        return this.eventArgument(arg);
      case "property":
        return this.propertyArgument(arg, firstArg, fn);
      default:
        return true;
    }
  }

  private eventArgument(arg: Expr): boolean {
    if (arg.kind !== "string") return false;
    const events = this.env.eventTypes;
    if (events && !events.has(arg.value)) {
      const suggestion = closestName(arg.value, events.keys());
      this.report("TL2017", arg.span, `unknown event type "${arg.value}"${suggestion ? `; did you mean "${suggestion}"?` : `; the playbook declares ${[...events.keys()].map((e) => `"${e}"`).join(", ") || "no event types"}`}`,
        suggestion ? { title: `Change to "${suggestion}"`, span: arg.span, newText: `"${suggestion}"` } : undefined);
    }
    return true;
  }

  private propertyArgument(arg: Expr, eventArg: Expr | undefined, fn: string): boolean {
    if (arg.kind !== "string") return false;
    const properties = eventArg?.kind === "string" ? this.env.eventTypes?.get(eventArg.value) : undefined;
    // Sums and averages are exact only over values whose type is known: numeric properties are declared.
    if (fn !== "distinct" && eventArg?.kind === "string") {
      const type = properties?.get(arg.value);
      if (!this.env.eventTypes) {
        this.report("TL2017", arg.span, `\`${fn}\` needs the type of "${arg.value}": declare it in the playbook's \`events\`, e.g. ${eventArg.value} { ${arg.value}: number }`);
        return true;
      }
      if (type && !isNumeric(type)) {
        this.report("TL2005", arg.span, `\`${fn}\` adds up numbers, but "${arg.value}" of "${eventArg.value}" is ${describe(type)}`);
        return true;
      }
    }
    if (properties && !properties.has(arg.value)) {
      const suggestion = closestName(arg.value, properties.keys());
      this.report("TL2017", arg.span, `event "${(eventArg as { value: string }).value}" has no property "${arg.value}"${suggestion ? `; did you mean "${suggestion}"?` : ""}`,
        suggestion ? { title: `Change to "${suggestion}"`, span: arg.span, newText: `"${suggestion}"` } : undefined);
    }
    return true;
  }

  private mismatch(span: Span, message: string): Type {
    this.report("TL2006", span, message);
    return T.unknown;
  }
}

const PARAM_KIND_TEXT: Record<ParamKind, string> = {
  numeric: "a number",
  date: "a date",
  text: "a text",
  bool: "true or false",
  any: "a value",
  range: "a range of numbers such as 0 .. 100",
  duration: "a duration such as 30d",
  event: 'an event type in quotes, such as "login"',
  property: 'a property name in quotes, such as "minutes"',
};

function describeArity(total: number, required: number, variadic: boolean | undefined): string {
  if (variadic) return `at least ${required} argument${required === 1 ? "" : "s"}`;
  if (total === required) return `${total} argument${total === 1 ? "" : "s"}`;
  return `${required} to ${total} arguments`;
}

/** Can values of these two types be compared with each other? */
export function comparable(a: Type, b: Type): boolean {
  if (isUnknown(a) || isUnknown(b)) return true;
  if (isNumeric(a) && isNumeric(b)) return true;
  if (isTextual(a) && isTextual(b)) return true;
  const dateLike = (t: Type) => t.name === "date" || t.name === "datetime";
  if (dateLike(a) && dateLike(b)) return true;
  return a.name === b.name;
}

function fallbackFor(type: Type): string {
  if (isNumeric(type)) return "0";
  if (type.name === "bool") return "false";
  if (isTextual(type)) return '""';
  if (type.name === "duration") return "0d";
  return "null";
}

/** Functions an event filter may call: they have the same meaning in SQL and in the in-memory oracle. */
export const FILTER_FUNCTIONS = new Set(["lower", "contains", "starts_with", "length", "abs", "round", "min", "max", "clamp", "if"]);

/** The first part of a filter that the data engine cannot compute per event, if any. */
function unsupportedInFilter(expr: Expr): { span: Span; what: string } | undefined {
  let found: { span: Span; what: string } | undefined;
  const visit = (node: Expr): void => {
    if (found) return;
    switch (node.kind) {
      case "call":
        if (!FILTER_FUNCTIONS.has(node.name)) found = { span: node.nameSpan, what: `\`${node.name}\`` };
        else node.args.forEach(visit);
        return;
      case "bands":
        found = { span: node.span, what: "`bands`" };
        return;
      case "duration":
      case "date":
      case "datetime":
        found = { span: node.span, what: "a date or duration" };
        return;
      case "unary":
        visit(node.operand);
        return;
      case "binary":
        visit(node.left);
        visit(node.right);
        return;
      case "range":
        visit(node.low);
        visit(node.high);
        return;
      case "in":
        visit(node.value);
        visit(node.set);
        return;
      case "list":
        node.items.forEach(visit);
        return;
      default:
        return;
    }
  };
  visit(expr);
  return found;
}
