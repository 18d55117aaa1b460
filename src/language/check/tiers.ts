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

/** Whether `inner` lies within the union of `covers` (all on the same field). */
function coveredBy(inner: Interval, covers: Interval[]): boolean {
  const sorted = covers.filter((c) => c.field === inner.field || c.field === "*").sort((a, b) => a.low - b.low);
  let reach = inner.low;
  let reachOpen = inner.lowOpen;
  for (const cover of sorted) {
    const startsInTime = cover.low < reach || (cover.low === reach && (!cover.lowOpen || reachOpen));
    if (!startsInTime) break;
    if (cover.high > reach || (cover.high === reach && !cover.highOpen && reachOpen)) {
      reach = cover.high;
      reachOpen = cover.highOpen;
    }
  }
  return reach > inner.high || (reach === inner.high && (!reachOpen || inner.highOpen));
}

/** Tier rules: true/false conditions, a default, and no rule that can never match. */
export function checkTiers(ctx: CheckContext, env: PlaybookEnvironment): void {
  const rules = ctx.model.tiers?.rules ?? [];
  const earlier: { interval: Interval | undefined; text: string; tier: string }[] = [];
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
    const interval = intervalOf(checked.expr);
    const text = printExpr(checked.expr);
    const same = earlier.find((e) => e.text === text);
    const shadowing = interval ? earlier.filter((e) => e.interval && (e.interval.field === interval.field || e.interval.field === "*")) : [];
    if (same) {
      ctx.report("TL4003", path, `tier rule \`${rule.tier}\` can never match: tier \`${same.tier}\` above has the same condition`, { at: "key" });
    } else if (interval && shadowing.length > 0 && coveredBy(interval, shadowing.map((e) => e.interval!))) {
      const names = shadowing.map((e) => `\`${e.tier}\``).join(", ");
      ctx.report("TL4003", path, `tier rule \`${rule.tier}\` can never match: every account with \`${text}\` already matches ${names} above; put the narrower rule first`, { at: "key" });
    }
    earlier.push({ interval, text, tier: rule.tier });
  });
  if (rules.length > 0 && otherwiseAt === undefined) {
    ctx.report("TL4006", ["tiers"], "no tier rule is the default: accounts that match no rule get no tier; end with a rule such as `tech_touch otherwise`", { at: "key" });
  }
}
