import { createHash } from "node:crypto";
import { walkExpr, type Expr } from "../expression/ast.js";
import { compileExpression, compileExpressionBatch, compileFirstTrue, type AggregateBinder, type Binding } from "../expression/compile.js";
import { durationDays, durationOf } from "../expression/literals.js";
import { printExpr } from "../expression/print.js";
import { parseTypeText, T, type Type } from "../expression/types.js";
import { canonicalText } from "../language/canonical.js";
import type { CheckedPlaybook } from "../language/check/index.js";
import { declaredComponentPath, healthModelPath } from "../language/check/environment.js";
import { normalisedWeights, percentValue } from "../language/check/health.js";
import { renewalFieldOf } from "../language/check/triggers.js";
import { pathKey, type ModelPath } from "../language/source-map.js";
import type { Value } from "../expression/value.js";
import { recordMaker } from "./records.js";
import type { Action, Playbook } from "../model/playbook.js";
import { DEFAULT_HEALTH_MODEL, fieldSpec } from "../model/resolve.js";
import { AggregateCatalog } from "./aggregates.js";
import type { AccountScope, ActionPlan, CompiledPlaybook, EvaluationStep, Fn, HealthModelPlan, MilestonePlan, TriggerPlan } from "./compiled.js";

/** Thrown when a playbook with errors is handed to the engine: check it first. */
export class PlaybookHasErrors extends Error {}

function days(duration: string | undefined): number | undefined {
  if (duration === undefined) return undefined;
  const parsed = durationOf(duration);
  return parsed ? durationDays(parsed) : undefined;
}

/**
 * Compiles a checked playbook for the engine: every expression becomes a
 * function, definitions are put in dependency order, weights normalised.
 * The playbook must have no errors.
 */
export function compilePlaybook(checked: CheckedPlaybook): CompiledPlaybook {
  const errors = checked.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new PlaybookHasErrors(`the playbook has ${errors.length} error(s); run touchline check`);
  const model = checked.model;
  const kinds = new Map<string, string>();
  for (const name of Object.keys(model.metrics ?? {})) kinds.set(name, "m");
  for (const name of Object.keys(model.segments ?? {})) kinds.set(name, "g");

  const compile = (path: ModelPath): Fn | undefined => {
    const typed = checked.expressions.get(pathKey(path));
    if (!typed) return undefined;
    return compileTyped(typed.expr, typed.types);
  };
  // Names reach the data only as property paths into the account scope.
  const fieldsRead = new Set<string>();
  const bindName = (path: readonly string[]): Binding<AccountScope> => {
    const [head, member] = path as [string, string | undefined];
    if (member === undefined && head !== "tier" && !kinds.has(head)) fieldsRead.add(head);
    if (member === undefined) return { property: head === "tier" ? ["tier"] : [kinds.get(head) ?? "a", head] };
    return { property: [head === "health" ? "h" : "o", member] };
  };
  // Event aggregates are computed before evaluation (by the data engine); expressions read them from `x`.
  const aggregates = new AggregateCatalog();
  const aggregateOf = (types: ReadonlyMap<Expr, Type>): AggregateBinder<AccountScope> => (call) => ({ property: ["x", String(aggregates.slotOf(call, types))] });
  const compileTyped = (expr: Expr, types: ReadonlyMap<Expr, Type>): Fn => compileExpression<AccountScope>(expr, types, bindName, aggregateOf(types));
  const required = (path: ModelPath): Fn => compile(path) ?? (() => null);
  const NULL_EXPR: Expr = { kind: "null", span: { start: 0, end: 0 } };
  const TRUE_EXPR: Expr = { kind: "bool", value: true, span: { start: 0, end: 0 } };
  const batch = (paths: ModelPath[]) => {
    const items = paths.map((path) => checked.expressions.get(pathKey(path)) ?? { expr: NULL_EXPR, types: new Map() });
    return compileExpressionBatch<AccountScope>(items, bindName, aggregateOf(new Map(items.flatMap((item) => [...item.types]))));
  };

  const tierMatcher = (items: { expr: Expr; types: ReadonlyMap<Expr, Type> }[]) =>
    compileFirstTrue<AccountScope>(items, bindName, aggregateOf(new Map(items.flatMap((item) => [...item.types]))));

  // Definitions in dependency order: what an expression reads is computed before it.
  const env = checked.environment;
  const nodes = new Set<string>([
    ...Object.keys(model.metrics ?? {}).map((m) => `metric:${m}`),
    ...Object.keys(model.segments ?? {}).map((s) => `segment:${s}`),
    ...(env.healthModels.size > 0 ? ["health"] : []),
    ...(model.tiers ? ["tier"] : []),
    ...(model.onboarding ? ["onboarding"] : []),
  ]);
  const dependsOn = new Map<string, Set<string>>();
  for (const edge of env.edges) {
    if (!nodes.has(edge.from) || !nodes.has(edge.to) || edge.from === edge.to) continue;
    if (!dependsOn.has(edge.from)) dependsOn.set(edge.from, new Set());
    dependsOn.get(edge.from)!.add(edge.to);
  }
  // A health model for onboarding accounts needs to know whether onboarding is complete.
  if (model.onboarding?.health_model && nodes.has("health") && nodes.has("onboarding")) {
    if (!dependsOn.has("health")) dependsOn.set("health", new Set());
    dependsOn.get("health")!.add("onboarding");
  }
  const ordered: string[] = [];
  const visited = new Set<string>();
  const visit = (node: string) => {
    if (visited.has(node)) return;
    visited.add(node);
    for (const dependency of [...(dependsOn.get(node) ?? [])].sort()) visit(dependency);
    ordered.push(node);
  };
  for (const node of nodes) visit(node);
  const steps: EvaluationStep[] = ordered.map((node) => {
    const [kind, name] = node.split(":");
    if (kind === "metric") {
      const spec = model.metrics![name!]!;
      return { kind: "metric", name: name!, value: required(typeof spec === "string" ? ["metrics", name!] : ["metrics", name!, "value"]) };
    }
    if (kind === "segment") {
      const spec = model.segments![name!]!;
      return { kind: "segment", name: name!, value: required(typeof spec === "string" ? ["segments", name!] : ["segments", name!, "when"]) };
    }
    return { kind: kind as "health" | "tier" | "onboarding" };
  });

  const healthModels: HealthModelPlan[] = [];
  for (const [name, health] of env.healthModels) {
    const weights = normalisedWeights(health);
    const components = Object.entries(health.components ?? {}).map(([component, spec]) => {
      const path = declaredComponentPath(model, name, component, "score");
      const typed = checked.expressions.get(pathKey(path));
      const inputs: { name: string; read: Fn }[] = [];
      if (typed) {
        const seen = new Set<string>();
        walkExpr(typed.expr, (node) => {
          if (node.kind !== "ref" || seen.has(node.path.join("."))) return;
          seen.add(node.path.join("."));
          const type = typed.types.get(node) ?? T.unknown;
          inputs.push({ name: node.path.join("."), read: compileTyped(node, new Map([[node, type]])) });
        });
      }
      return {
        name: component,
        overrideKey: `health.${component}`,
        weight: (weights.get(component) ?? 0) / 100,
        missing: spec.missing ?? health.missing ?? "skip",
        inputs,
      };
    });
    const scorePaths = Object.keys(health.components ?? {}).map((component) => declaredComponentPath(model, name, component, "score"));
    const declared = name === DEFAULT_HEALTH_MODEL ? model.health : model.health_models?.[name];
    const capsOwner = declared?.caps !== undefined ? name : health.extends ?? DEFAULT_HEALTH_MODEL;
    healthModels.push({
      name,
      when: name === DEFAULT_HEALTH_MODEL ? undefined : compile([...healthModelPath(name), "when"]),
      priority: health.priority ?? 0,
      components,
      scoreAll: batch(scorePaths),
      scoreBuffer: new Array<Value>(scorePaths.length).fill(null),
      publish: healthPublisher(name, components.map((c) => c.name), env.componentNames),
      caps: (health.caps ?? []).map((cap, index) => ({
        when: required([...healthModelPath(capsOwner), "caps", index, "when"]),
        text: cap.when,
        description: cap.status ? `at most ${cap.status} while ${cap.when}` : `at most ${cap.score} while ${cap.when}`,
        ...(cap.status ? { status: cap.status } : {}),
        ...(cap.score !== undefined ? { score: cap.score } : {}),
      })),
      green: health.status?.green ?? 70,
      yellow: health.status?.yellow ?? 40,
      trendDays: days(health.trend),
    });
  }
  // The model that applies is the first whose condition holds: highest priority first, default last.
  healthModels.sort((a, b) => (a.when ? 0 : 1) - (b.when ? 0 : 1) || b.priority - a.priority || (a.name < b.name ? -1 : 1));

  const tiers = model.tiers
    ? {
        rules: model.tiers.rules.map((rule) => ({ tier: rule.tier, text: rule.when ?? "otherwise" })),
        firstMatch: tierMatcher(model.tiers.rules.map((rule, index) => (rule.when === undefined ? { expr: TRUE_EXPR, types: new Map() } : checked.expressions.get(pathKey(["tiers", "rules", index, "when"])) ?? { expr: NULL_EXPR, types: new Map() }))),
        hysteresisDays: days(model.tiers.hysteresis) ?? 0,
        names: env.tierNames,
      }
    : undefined;

  const onboarding = model.onboarding
    ? {
        start: required(["onboarding", "start"]),
        dueSoonDays: days(model.onboarding.due_soon) ?? 3,
        withinDays: days(model.onboarding.within),
        milestones: orderMilestones(
          Object.entries(model.onboarding.milestones).map(([name, spec]) => ({
            name,
            due: durationOf(spec.due) ?? { days: 0, months: 0 },
            after: spec.after,
            done: required(["onboarding", "milestones", name, "done_when"]),
          })),
        ),
        healthModel: model.onboarding.health_model,
      }
    : undefined;

  const segmentNames = Object.keys(model.segments ?? {});
  const triggers: TriggerPlan[] = Object.entries(model.triggers ?? {}).map(([name, spec]) => {
    const path = ["triggers", name];
    const typed = checked.expressions.get(pathKey([...path, "when"]));
    const { parts, joiner } = typed ? conditionParts(typed.expr, typed.types, compileTyped) : { parts: [], joiner: undefined };
    const stepsSpec = spec.steps ?? [{ actions: spec.actions ?? [] }];
    const renewalField = renewalFieldOf(spec.limit, model.account);
    const limit = spec.limit === undefined ? undefined : spec.limit === "once" ? "once" : renewalField !== undefined ? { renewalField } : typeof spec.limit === "object" ? { max: spec.limit.max, perDays: days(spec.limit.per) ?? 0 } : undefined;
    return {
      name,
      tiers: (spec.for ?? []).filter((f) => env.tierNames.includes(f)),
      segments: (spec.for ?? []).filter((f) => segmentNames.includes(f)),
      parts,
      joiner,
      goal: compile([...path, "goal"]),
      fire: spec.fire ?? "on_enter",
      cooldownDays: days(spec.cooldown),
      limit,
      holdout: (percentValue(spec.holdout) ?? 0) / 100,
      enrollExisting: spec.enroll_existing ?? true,
      priority: spec.priority ?? 0,
      steps: stepsSpec.map((step, s) => ({
        waitDays: days(step.wait) ?? 0,
        actions: step.actions.map((action, a) => actionPlan(action, spec.steps ? [...path, "steps", s, "actions", a] : [...path, "actions", a], spec.priority ?? 0, compile, model.templates)),
      })),
    };
  });

  const grace = model.policies?.grace_period;
  const fields = Object.entries(model.account ?? {}).map(([name, entry]) => {
    const spec = fieldSpec(entry);
    return { name, type: parseTypeText(spec.type) ?? T.unknown, ...(spec.default !== undefined ? { default: spec.default } : {}) };
  });
  const timezoneField = fields.find((f) => f.name === "timezone" && f.type.name === "string")?.name;
  const caps = (model.policies?.frequency_caps ?? []).map((cap) => ({ channel: cap.channel, max: cap.max, perDays: days(cap.per) ?? 0 }));
  const historyDays = Math.max(
    1,
    ...healthModels.map((m) => m.trendDays ?? 0),
    ...caps.map((c) => c.perDays),
    ...triggers.map((t) => Math.max(t.cooldownDays ?? 0, typeof t.limit === "object" && "perDays" in t.limit ? t.limit.perDays : 0)),
    tiers?.hysteresisDays ?? 0,
  );
  return {
    name: model.playbook,
    version: model.version,
    hash: createHash("sha256").update(canonicalText(model)).digest("hex").slice(0, 12),
    seed: model.seed ?? model.playbook,
    fields,
    timezoneField,
    steps,
    newMetrics: recordMaker(steps.flatMap((step) => (step.kind === "metric" ? [step.name] : []))),
    newSegments: recordMaker(steps.flatMap((step) => (step.kind === "segment" ? [step.name] : []))),
    metricNames: Object.keys(model.metrics ?? {}),
    segmentNames,
    healthModels,
    regularHealthModels: healthModels.filter((m) => m.name !== grace?.health_model && m.name !== model.onboarding?.health_model),
    graceHealthModel: healthModels.find((m) => m.name === grace?.health_model),
    onboardingHealthModel: healthModels.find((m) => m.name === model.onboarding?.health_model),
    componentNames: env.componentNames,
    tiers,
    onboarding,
    triggers,
    triggerNames: new Set(triggers.map((t) => t.name)),
    conditionsAll: batch(triggers.map((t) => ["triggers", t.name, "when"])),
    conditionBuffer: new Array<Value>(triggers.length).fill(null),
    caps,
    suppress: compile(["policies", "suppress_when"]),
    suppressKinds: new Set(model.policies?.suppress_actions ?? ["email", "offer", "webhook"]),
    delivery: {
      quietFrom: minutesOf(model.policies?.quiet_hours?.from),
      quietTo: minutesOf(model.policies?.quiet_hours?.to),
      businessDaysOnly: model.policies?.business_days_only ?? false,
    },
    grace: grace ? { days: days(grace.for) ?? 0, since: compile(["policies", "grace_period", "since"]), noRed: grace.no_red ?? false, healthModel: grace.health_model } : undefined,
    taskCapacity: model.policies?.task_capacity,
    overrides: { allowed: new Set(model.overrides?.allow ?? []), maxDays: days(model.overrides?.max_duration) },
    historyDays,
    keepsScores: healthModels.some((m) => m.trendDays !== undefined),
    aggregates: aggregates.specs,
    fieldsRead: fields.filter((f) => fieldsRead.has(f.name) || f.name === timezoneField || triggers.some((t) => typeof t.limit === "object" && "renewalField" in t.limit && t.limit.renewalField === f.name)).map((f) => f.name),
  };
}

/**
 * A function that stores a health model's results under fixed property
 * names. The names are written as JSON string literals: no user text is
 * ever code.
 */
function healthPublisher(model: string, own: readonly string[], all: readonly string[]): HealthModelPlan["publish"] {
  const stores = [
    `h["score"] = score;`,
    `h["status"] = status;`,
    `h["trend"] = trend;`,
    `h["model"] = ${JSON.stringify(model)};`,
    ...all.map((name) => `h[${JSON.stringify(name)}] = ${own.includes(name) ? `scores[${own.indexOf(name)}]` : "null"};`),
  ];
  return new Function("h", "scores", "score", "status", "trend", `"use strict"; ${stores.join(" ")}`) as HealthModelPlan["publish"];
}

function actionPlan(action: Action, path: ModelPath, triggerPriority: number, compile: (path: ModelPath) => Fn | undefined, templates: Playbook["templates"]): ActionPlan {
  const priority = action.priority ?? triggerPriority;
  if ("email" in action) {
    const transactional = templates?.[action.email]?.transactional === true;
    return { kind: "email", target: action.email, recipient: compile([...path, "to"]), priority, details: {}, ...(transactional ? { transactional } : {}) };
  }
  if ("task" in action) return { kind: "task", target: action.task, recipient: compile([...path, "owner"]), priority, details: action.due ? { due: action.due } : {} };
  if ("offer" in action) {
    return { kind: "offer", target: action.offer, recipient: undefined, priority, details: { ...(action.discount ? { discount: action.discount } : {}), ...(action.expires ? { expires: action.expires } : {}) } };
  }
  return { kind: "webhook", target: action.webhook, recipient: undefined, priority, details: {} };
}

function minutesOf(time: string | undefined): number | undefined {
  if (time === undefined) return undefined;
  const [hours, minutes] = time.split(":").map(Number);
  return hours! * 60 + minutes!;
}

/** Milestones in an order where each comes after the one it waits for. */
function orderMilestones(milestones: MilestonePlan[]): MilestonePlan[] {
  const byName = new Map(milestones.map((m) => [m.name, m]));
  const ordered: MilestonePlan[] = [];
  const seen = new Set<string>();
  const visit = (m: MilestonePlan) => {
    if (seen.has(m.name)) return;
    seen.add(m.name);
    if (m.after && byName.has(m.after)) visit(byName.get(m.after)!);
    ordered.push(m);
  };
  milestones.forEach(visit);
  return ordered;
}

/** Splits `a and b and c` into its parts, so `explain` and action reasons can say which held and what they read. */
function conditionParts(expr: Expr, types: ReadonlyMap<Expr, Type>, compile: (e: Expr, t: ReadonlyMap<Expr, Type>) => Fn) {
  const describe = (part: Expr) => {
    // The value a comparison reads, unless the comparison already says it (`status == "red"`).
    const comparison = part.kind === "binary" && ["<", "<=", ">", ">=", "==", "!="].includes(part.op) && !isLiteral(part.left) && !(part.op === "==" && isLiteral(part.right)) ? part.left : undefined;
    return { text: printExpr(part), value: compile(part, types), ...(comparison ? { subject: { text: printExpr(comparison), value: compile(comparison, types) } } : {}) };
  };
  if (expr.kind !== "binary" || (expr.op !== "and" && expr.op !== "or")) return { parts: [describe(expr)], joiner: undefined };
  const op = expr.op;
  const parts: Expr[] = [];
  const flatten = (node: Expr) => {
    if (node.kind === "binary" && node.op === op) {
      flatten(node.left);
      flatten(node.right);
    } else parts.push(node);
  };
  flatten(expr);
  return { parts: parts.map(describe), joiner: op };
}

function isLiteral(expr: Expr): boolean {
  return ["number", "percent", "string", "bool", "null", "date", "datetime", "duration"].includes(expr.kind);
}
