import { RESERVED_NAMES } from "../../expression/check.js";
import type { Expr } from "../../expression/ast.js";
import { durationDays } from "../../expression/literals.js";
import { printExpr } from "../../expression/print.js";
import type { CheckContext } from "./context.js";
import { define } from "./definitions.js";
import type { PlaybookEnvironment } from "./environment.js";

/** A condition on one field as an interval of its values, when it has that simple form. */
interface Interval {
  field: string;
  low: number;
  lowOpen: boolean;
  high: number;
  highOpen: boolean;
}

function constantValue(expr: Expr): number | undefined {
  switch (expr.kind) {
    case "number":
    case "percent":
    case "date":
      return expr.value;
    case "duration":
      return durationDays(expr);
    case "unary":
      return expr.op === "-" ? (constantValue(expr.operand) === undefined ? undefined : -constantValue(expr.operand)!) : undefined;
    default:
      return undefined;
  }
}

const FLIP: Record<string, string> = { "<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==" };

/** `arr >= 100_000`, `20_000 <= arr and arr < 100_000` as intervals; anything else is undefined. */
export function intervalOf(expr: Expr): Interval | undefined {
  if (expr.kind === "bool" && expr.value) return { field: "*", low: -Infinity, lowOpen: false, high: Infinity, highOpen: false };
  if (expr.kind !== "binary") return undefined;
  if (expr.op === "and") {
    const a = intervalOf(expr.left);
    const b = intervalOf(expr.right);
    if (!a || !b || a.field !== b.field) return undefined;
    const low = a.low > b.low || (a.low === b.low && a.lowOpen) ? a : b;
    const high = a.high < b.high || (a.high === b.high && a.highOpen) ? a : b;
    return { field: a.field, low: low.low, lowOpen: low.lowOpen, high: high.high, highOpen: high.highOpen };
  }
  let op = expr.op as string;
  let ref = expr.left;
  let value = constantValue(expr.right);
  if (ref.kind !== "ref") {
    ref = expr.right;
    value = constantValue(expr.left);
    op = FLIP[op] ?? op;
  }
  if (ref.kind !== "ref" || value === undefined) return undefined;
  const field = ref.path.join(".");
  switch (op) {
    case ">=":
      return { field, low: value, lowOpen: false, high: Infinity, highOpen: false };
    case ">":
      return { field, low: value, lowOpen: true, high: Infinity, highOpen: false };
    case "<=":
      return { field, low: -Infinity, lowOpen: false, high: value, highOpen: false };
    case "<":
      return { field, low: -Infinity, lowOpen: false, high: value, highOpen: true };
    case "==":
      return { field, low: value, lowOpen: false, high: value, highOpen: false };
    default:
      return undefined;
  }
}

/** A condition on one field as a union of intervals of its values: `or`, `not` and `!=` included. */
export interface IntervalSet {
  field: string;
  parts: Interval[];
}

const nonEmpty = (i: Interval) => i.low < i.high || (i.low === i.high && !i.lowOpen && !i.highOpen);

function intersect(a: Interval, b: Interval): Interval {
  const low = a.low > b.low ? a : b.low > a.low ? b : { low: a.low, lowOpen: a.lowOpen || b.lowOpen };
  const high = a.high < b.high ? a : b.high < a.high ? b : { high: a.high, highOpen: a.highOpen || b.highOpen };
  return { field: a.field === "*" ? b.field : a.field, low: low.low, lowOpen: low.lowOpen, high: high.high, highOpen: high.highOpen };
}

/** The values no part covers, as intervals. */
function complement(field: string, parts: readonly Interval[]): Interval[] {
  const gaps: Interval[] = [];
  let start = -Infinity;
  let startOpen = false;
  for (const part of [...parts].sort((a, b) => a.low - b.low || Number(a.lowOpen) - Number(b.lowOpen))) {
    const gap = { field, low: start, lowOpen: startOpen, high: part.low, highOpen: !part.lowOpen };
    if (nonEmpty(gap) && (gap.low !== -Infinity || gap.high !== -Infinity)) gaps.push(gap);
    if (part.high > start) [start, startOpen] = [part.high, !part.highOpen];
    else if (part.high === start) startOpen = startOpen || !part.highOpen;
  }
  if (start !== Infinity) gaps.push({ field, low: start, lowOpen: startOpen, high: Infinity, highOpen: false });
  return gaps.filter(nonEmpty);
}

/** `arr >= 100_000 or plan_arr < 5`-style conditions on one field as a union of intervals; anything else is undefined. */
export function intervalSetOf(expr: Expr): IntervalSet | undefined {
  if (expr.kind === "unary" && expr.op === "not") {
    const inner = intervalSetOf(expr.operand);
    return inner && inner.field !== "*" ? { field: inner.field, parts: complement(inner.field, inner.parts) } : undefined;
  }
  if (expr.kind === "binary" && (expr.op === "or" || expr.op === "and")) {
    const a = intervalSetOf(expr.left);
    const b = intervalSetOf(expr.right);
    if (!a || !b) return undefined;
    if (a.field !== b.field && a.field !== "*" && b.field !== "*") return undefined;
    const field = a.field === "*" ? b.field : a.field;
    if (expr.op === "or") return a.field === "*" || b.field === "*" ? { field: "*", parts: [ALL] } : { field, parts: [...a.parts, ...b.parts] };
    return { field, parts: a.parts.flatMap((x) => b.parts.map((y) => intersect(x, y))).filter(nonEmpty) };
  }
  if (expr.kind === "binary" && expr.op === "!=") {
    const point = intervalOf({ ...expr, op: "==" } as Expr);
    return point ? { field: point.field, parts: complement(point.field, [point]) } : undefined;
  }
  const single = intervalOf(expr);
  return single ? { field: single.field, parts: [single] } : undefined;
}

const ALL: Interval = { field: "*", low: -Infinity, lowOpen: false, high: Infinity, highOpen: false };

/** Whether `inner` lies within the union of `covers` (all on the same field). */
function coveredBy(inner: Interval, covers: Interval[]): boolean {
  const sorted = covers.filter((c) => c.field === inner.field || c.field === "*").sort((a, b) => a.low - b.low || Number(a.lowOpen) - Number(b.lowOpen));
  // Every value of `inner` below `reach` is covered; `reach` itself is when `reachCovered` (or when `inner` leaves it out).
  let reach = inner.low;
  let reachCovered = inner.lowOpen;
  for (const cover of sorted) {
    const startsInTime = cover.low < reach || (cover.low === reach && (!cover.lowOpen || reachCovered));
    if (!startsInTime) break;
    if (cover.high > reach) [reach, reachCovered] = [cover.high, !cover.highOpen];
    else if (cover.high === reach) reachCovered = reachCovered || !cover.highOpen;
  }
  return reach > inner.high || (reach === inner.high && (reachCovered || inner.highOpen));
}

/** Tier rules: true/false conditions, a default, and no rule that can never match. */
export function checkTiers(ctx: CheckContext, env: PlaybookEnvironment): void {
  const rules = ctx.model.tiers?.rules ?? [];
  const earlier: { interval: IntervalSet | undefined; text: string; tier: string }[] = [];
  let otherwiseAt: number | undefined;
  rules.forEach((rule, index) => {
    if (!rule || typeof rule.tier !== "string") return;
    const path = ["tiers", "rules", index];
    if (RESERVED_NAMES.has(rule.tier)) ctx.report("TL2018", [...path, "tier"], `\`${rule.tier}\` is a reserved word and cannot be used as a name`);
    else if (!ctx.symbols.lookup("tier", rule.tier)) define(ctx, "tier", rule.tier, [...path, "tier"], rule.description ? { description: rule.description } : {});
    else ctx.referenceValue("tier", rule.tier, [...path, "tier"]);
    if (otherwiseAt !== undefined) {
      ctx.report("TL4002", path, `tier rule \`${rule.tier}\` comes after \`${rules[otherwiseAt]!.tier} otherwise\` and can never match: rules are checked in order and \`otherwise\` takes every account left`, { at: "key" });
      return;
    }
    if (rule.when === undefined) {
      otherwiseAt = index;
      return;
    }
    const checked = env.within("tier", [...path, "when"], () => ctx.checkExpressionAt([...path, "when"], env, { expect: "bool", role: `the condition of tier \`${rule.tier}\`` }));
    if (!checked) return;
    const interval = intervalSetOf(checked.expr);
    const text = printExpr(checked.expr);
    const same = earlier.find((e) => e.text === text);
    const shadowing = interval ? earlier.filter((e) => e.interval && (e.interval.field === interval.field || e.interval.field === "*")) : [];
    const covers = shadowing.flatMap((e) => e.interval!.parts);
    if (same) {
      ctx.report("TL4003", path, `tier rule \`${rule.tier}\` can never match: tier \`${same.tier}\` above has the same condition`, { at: "key" });
    } else if (interval && shadowing.length > 0 && interval.parts.every((part) => coveredBy(part, covers))) {
      const names = shadowing.map((e) => `\`${e.tier}\``).join(", ");
      ctx.report("TL4003", path, `tier rule \`${rule.tier}\` can never match: every account with \`${text}\` already matches ${names} above; put the narrower rule first`, { at: "key" });
    }
    earlier.push({ interval, text, tier: rule.tier });
  });
  if (rules.length > 0 && otherwiseAt === undefined) {
    ctx.report("TL4006", ["tiers"], "no tier rule is the default: accounts that match no rule get no tier; end with a rule such as `tech_touch otherwise`", { at: "key" });
  }
}
