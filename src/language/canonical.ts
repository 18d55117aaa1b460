import { parseExpression } from "../expression/parse.js";
import { printExpr } from "../expression/print.js";
import { Playbook as PlaybookSchema, type Playbook } from "../model/playbook.js";

/** The canonical text of an expression, or the text as written when it does not parse. */
export function canonicalExpression(text: string): string {
  const parsed = parseExpression(text);
  return parsed.problems.length === 0 ? printExpr(parsed.expr) : text.trim();
}

type Obj = Record<string, unknown>;

function mapValues(record: unknown, fn: (value: unknown) => unknown): unknown {
  if (typeof record !== "object" || record === null) return record;
  return Object.fromEntries(Object.entries(record as Obj).map(([key, value]) => [key, fn(value)]));
}

function withExpressions(value: unknown, keys: readonly string[]): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const copy: Obj = { ...(value as Obj) };
  for (const key of keys) if (typeof copy[key] === "string") copy[key] = canonicalExpression(copy[key] as string);
  return copy;
}

const expressionOrObject = (key: string) => (value: unknown) => (typeof value === "string" ? canonicalExpression(value) : withExpressions(value, [key]));

function canonicalHealth(model: unknown): unknown {
  const m = withExpressions(model, ["when"]) as Obj | undefined;
  if (!m || typeof m !== "object") return m;
  return {
    ...m,
    ...(m.components ? { components: mapValues(m.components, (c) => withExpressions(c, ["score"])) } : {}),
    ...(Array.isArray(m.caps) ? { caps: m.caps.map((c) => withExpressions(c, ["when"])) } : {}),
  };
}

const canonicalActions = (actions: unknown) => (Array.isArray(actions) ? actions.map((a) => withExpressions(a, ["to", "owner"])) : actions);

/**
 * The playbook with every expression written canonically. Two playbooks
 * mean the same when their canonical forms are equal: what `convert`
 * guarantees and what the round-trip tests compare.
 */
export function canonicalPlaybook(playbook: Playbook): Playbook {
  const p = playbook as unknown as Obj;
  const result: Obj = { ...p };
  if (p.metrics) result.metrics = mapValues(p.metrics, expressionOrObject("value"));
  if (p.segments) result.segments = mapValues(p.segments, expressionOrObject("when"));
  if (p.health) result.health = canonicalHealth(p.health);
  if (p.health_models) result.health_models = mapValues(p.health_models, canonicalHealth);
  if (p.tiers) {
    const tiers = p.tiers as Obj;
    result.tiers = { ...tiers, rules: Array.isArray(tiers.rules) ? tiers.rules.map((r) => withExpressions(r, ["when"])) : tiers.rules };
  }
  if (p.onboarding) {
    const o = withExpressions(p.onboarding, ["start"]) as Obj;
    result.onboarding = { ...o, milestones: mapValues(o.milestones, (m) => withExpressions(m, ["done_when"])) };
  }
  if (p.triggers) {
    result.triggers = mapValues(p.triggers, (t) => {
      const trigger = withExpressions(t, ["when", "goal"]) as Obj;
      return {
        ...trigger,
        ...(trigger.actions ? { actions: canonicalActions(trigger.actions) } : {}),
        ...(Array.isArray(trigger.steps) ? { steps: trigger.steps.map((s: Obj) => ({ ...s, actions: canonicalActions(s.actions) })) } : {}),
      };
    });
  }
  if (p.policies) {
    const policies = withExpressions(p.policies, ["suppress_when"]) as Obj;
    result.policies = { ...policies, ...(policies.grace_period ? { grace_period: withExpressions(policies.grace_period, ["since"]) } : {}) };
  }
  return result as unknown as Playbook;
}

/**
 * The text a playbook's hash is computed from: its canonical form with
 * every section's settings in the schema's order (the two notations write
 * them in different orders), while the order of named things (triggers,
 * metrics...) is kept as written. A playbook and its conversion to the other
 * notation have the same hash.
 */
export function canonicalText(playbook: Playbook): string {
  const canonical = canonicalPlaybook(playbook);
  const ordered = PlaybookSchema.safeParse(canonical);
  return JSON.stringify(ordered.success ? ordered.data : canonical);
}
