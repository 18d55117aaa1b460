import { record } from "./records.js";
import { addMonthsToDay } from "../expression/compile.js";
import { isoDateOf } from "../expression/literals.js";
import type { Value } from "../expression/value.js";
import type { DayClock } from "./clock.js";
import type { AccountScope, CompiledPlaybook, HealthModelPlan, TriggerPlan } from "./compiled.js";
import type { AccountDecision, ActionDecision, ComponentResult, HealthResult, MilestoneResult, TriggerResult } from "./decision.js";
import { holdoutDraw } from "./holdout.js";
import type { ManualOverride } from "./overrides.js";
import type { AccountState, TriggerState } from "./state.js";

export interface AccountInput {
  id: string;
  /** the validated row, in runtime values (dates as epoch days) */
  fields: Record<string, Value>;
  clock: DayClock;
  /** the account's event aggregates, in the order of `plan.aggregates` (computed by the data engine) */
  aggregates: readonly Value[];
  /**
   * what was remembered from before this day (the state store gives the
   * state from before the day when that day was evaluated already, so a
   * day run twice decides nothing new)
   */
  previous: AccountState | undefined;
  overrides: readonly ManualOverride[];
  /** the day each trigger was first run (from the state store); absent: today */
  activations?: ReadonlyMap<string, number>;
  /** fill explain details (inputs of components, each trigger's result, parts of conditions) */
  explain?: boolean;
}

const round2 = (value: number) => Math.round(value * 100) / 100;

/**
 * Actions decided and trigger entries are remembered for at least a year,
 * whatever today's playbook needs: a cap or limit removed for a while and
 * put back still counts what happened before.
 */
const MIN_RETENTION_DAYS = 366;
const retentionDays = (plan: CompiledPlaybook) => Math.max(plan.historyDays, MIN_RETENTION_DAYS);
const NO_INPUTS: Record<string, Value> = Object.freeze({}) as Record<string, Value>;
const NO_CAPS: string[] = [];
const NONE: never[] = Object.freeze([]) as never[];
const NOTHING: Readonly<Record<string, never>> = Object.freeze({});
const STATUS_RANK = { green: 0, yellow: 1, red: 2 } as const;

/**
 * Evaluates a compiled playbook for one account on one day, from its row,
 * its events and what was remembered from earlier runs. Pure: the same
 * inputs give the same decision and the same next state.
 */
export function evaluateAccount(plan: CompiledPlaybook, input: AccountInput): { decision: AccountDecision; state: AccountState } {
  const day = input.clock.asOfDay;
  const previous = input.previous;
  const scope = scopeFor(plan, input);
  const notices: string[] = [];
  const overrides = activeOverrides(input.overrides, day, notices);
  const decision: AccountDecision = {
    account: input.id,
    day,
    metrics: scope.m,
    segments: scope.g as Record<string, boolean>,
    health: undefined,
    tier: undefined,
    onboarding: undefined,
    triggers: [],
    actions: [],
    notices,
  };
  const state: AccountState = {
    day,
    playbook: plan.hash,
    tier: previous?.tier ?? null,
    tierSince: previous?.tierSince ?? null,
    pending: previous?.pending ?? null,
    health: plan.healthModels.length === 0 ? (previous?.health ?? null) : null,
    // Parts nothing will write stay shared empty values: a large run allocates less per account.
    // Without a health section today, the last score and its history wait for it to come back.
    scores: previous ? (plan.healthModels.length === 0 ? previous.scores : daysWithin(previous.scores, day - plan.historyDays - 1, day)) : plan.keepsScores ? [] : NONE,
    // Milestones and triggers the playbook no longer has keep their history, in case they come back.
    // Shared with the state before until a milestone is done (evaluateOnboarding copies it then): most days none is.
    milestonesDone: previous ? previous.milestonesDone : plan.onboarding ? record<number>() : (NOTHING as Record<string, number>),
    ...(previous ? (previous.trackedSince !== undefined ? { trackedSince: previous.trackedSince } : {}) : { trackedSince: day }),
    triggers: previous ? retiredTriggers(plan, previous.triggers) : (NOTHING as Record<string, TriggerState>),
    sent: previous ? daysWithin(previous.sent, day - retentionDays(plan), day) : NONE,
  };

  for (const step of plan.steps) {
    switch (step.kind) {
      case "metric":
        scope.m[step.name] = step.value(scope);
        break;
      case "segment":
        scope.g[step.name] = step.value(scope) === true;
        break;
      case "health":
        decision.health = evaluateHealth(plan, scope, state, overrides, input.explain === true);
        break;
      case "tier":
        decision.tier = evaluateTier(plan, scope, state, overrides, notices);
        break;
      case "onboarding":
        decision.onboarding = evaluateOnboarding(plan, scope, state);
        break;
    }
  }

  const suppressed = plan.suppress?.(scope) === true;
  const explain = input.explain === true;
  plan.conditionsAll(scope, plan.conditionBuffer);
  const conditions = plan.conditionBuffer;
  const remembered = previous?.triggers;
  const own = Object.hasOwn;
  for (let index = 0; index < plan.triggers.length; index++) {
    const trigger = plan.triggers[index]!;
    const before = remembered && own(remembered, trigger.name) ? remembered[trigger.name] : undefined;
    // Most triggers, for most accounts, neither hold nor remember anything: nothing to do.
    if (conditions[index] !== true && before === undefined && !explain) continue;
    const activated = input.activations?.get(trigger.name) ?? day;
    const result = evaluateTrigger(plan, trigger, conditions[index] === true, scope, input.id, before, activated >= day, state, decision.actions, explain);
    if (result && explain) decision.triggers.push(result);
  }
  if (suppressed) {
    for (const action of decision.actions) {
      if (action.status === "planned" && plan.suppressKinds.has(action.kind)) Object.assign(action, { status: "suppressed", reason: "the account is suppressed by the playbook's policy" });
    }
  }
  applyFrequencyCaps(plan, decision.actions, state);
  for (const action of decision.actions) {
    if (action.status !== "planned") continue;
    if ((state.sent as unknown) === NONE) state.sent = [];
    state.sent.push([day, action.kind]);
    // What reaches the customer waits for the quiet hours and business days of the account's zone.
    if (action.kind !== "task" && !action.transactional && input.clock.sendTime) {
      const time = input.clock.sendTime(plan.delivery);
      action.sendAt = time.iso;
      if (time.held) action.reason = `${action.reason}; goes out ${time.iso} (${time.held})`;
    }
  }
  return { decision, state };
}

/**
 * The entries of a remembered list (scores, actions sent) whose day is in
 * [from, before), in order: a new list. The lists are in day order (each
 * evaluation keeps the days before its own and appends its own), so the
 * entries kept are one slice: a replay does this for every account every day,
 * and testing each entry was a fifth of its evaluation's own time.
 */
function daysWithin<T extends readonly [number, ...unknown[]]>(entries: readonly T[], from: number, before: number): T[] {
  let start = 0;
  while (start < entries.length && entries[start]![0] < from) start++;
  let end = entries.length;
  while (end > start && entries[end - 1]![0] >= before) end--;
  return entries.slice(start, end);
}

/** The remembered state of triggers the playbook no longer has: kept as it was, so a trigger put back resumes its cooldowns and limits. */
function retiredTriggers(plan: CompiledPlaybook, remembered: Record<string, TriggerState>): Record<string, TriggerState> {
  let kept: Record<string, TriggerState> | undefined;
  for (const name of Object.keys(remembered)) {
    if (plan.triggerNames.has(name)) continue;
    kept ??= record<TriggerState>();
    kept[name] = remembered[name]!;
  }
  return kept ?? (NOTHING as Record<string, TriggerState>);
}

const scopes = new WeakMap<CompiledPlaybook, AccountScope>();

/**
 * The scope compiled expressions read, reused from one account to the next
 * (evaluation is synchronous): only the metrics and segments, which the
 * decision keeps, are new objects; health and onboarding are rewritten whole.
 */
function scopeFor(plan: CompiledPlaybook, input: AccountInput): AccountScope {
  const clock = input.clock;
  let scope = scopes.get(plan);
  if (!scope) {
    scope = { asOfDay: 0, asOfMs: 0, windowStart: clock.windowStart, localDay: clock.localDay, events: undefined, a: record(), x: [], m: plan.newMetrics(), g: plan.newSegments(), h: record(), tier: null, o: record() };
    scopes.set(plan, scope);
  }
  scope.asOfDay = clock.asOfDay;
  scope.asOfMs = clock.asOfMs;
  scope.windowStart = clock.windowStart;
  scope.localDay = clock.localDay;
  scope.a = input.fields;
  scope.x = input.aggregates;
  scope.m = plan.newMetrics();
  scope.g = plan.newSegments();
  scope.tier = null;
  return scope;
}

const NO_OVERRIDES: ReadonlyMap<string, ManualOverride> = new Map();

function activeOverrides(overrides: readonly ManualOverride[], day: number, notices: string[]): ReadonlyMap<string, ManualOverride> {
  if (overrides.length === 0) return NO_OVERRIDES;
  const active = new Map<string, ManualOverride>();
  for (const override of overrides) {
    if (override.expires < day) {
      notices.push(`the override of ${override.target} by ${override.owner} expired on ${isoDateOf(override.expires)} and is no longer applied`);
      continue;
    }
    active.set(override.target, override);
  }
  return active;
}

/** The grace-period model for new accounts, the onboarding model until onboarding is done, else the first whose condition holds. */
function chooseHealthModel(plan: CompiledPlaybook, scope: AccountScope, state: AccountState, grace: boolean): HealthModelPlan {
  if (grace && plan.graceHealthModel) return plan.graceHealthModel;
  if (plan.onboardingHealthModel && plan.onboarding && Object.keys(state.milestonesDone).length < plan.onboarding.milestones.length) return plan.onboardingHealthModel;
  const models = plan.regularHealthModels;
  for (let i = 0; i < models.length; i++) {
    const model = models[i]!;
    if (!model.when || model.when(scope) === true) return model;
  }
  return models[models.length - 1] ?? plan.healthModels[0]!;
}

function inGrace(plan: CompiledPlaybook, scope: AccountScope): boolean {
  if (!plan.grace?.since) return false;
  const since = plan.grace.since(scope);
  return typeof since === "number" && scope.asOfDay - since < plan.grace.days;
}

function evaluateHealth(plan: CompiledPlaybook, scope: AccountScope, state: AccountState, overrides: ReadonlyMap<string, ManualOverride>, explain: boolean): HealthResult {
  const grace = inGrace(plan, scope);
  const model = chooseHealthModel(plan, scope, state, grace);
  const count = model.components.length;
  // Per component: the score and flags (1 missing, 2 set by hand); the detailed list is built when read.
  const scores: (number | null)[] = new Array(count);
  const flags: number[] = new Array(count);
  const inputs: Record<string, Value>[] | undefined = explain ? [] : undefined;
  let weighted = 0;
  let presentWeight = 0;
  model.scoreAll(scope, model.scoreBuffer);
  for (let index = 0; index < model.components.length; index++) {
    const component = model.components[index]!;
    let score: number | null;
    let overridden = false;
    const override = overrides.size > 0 ? overrides.get(component.overrideKey) : undefined;
    if (override && typeof override.value === "number") {
      score = override.value;
      overridden = true;
    } else {
      const raw = model.scoreBuffer[index];
      score = typeof raw === "number" && !Number.isNaN(raw) ? Math.max(0, Math.min(100, raw)) : null;
    }
    let missing = false;
    if (score === null) {
      missing = true;
      score = component.missing === "skip" ? null : component.missing === "zero" ? 0 : component.missing;
    }
    if (score !== null) {
      weighted += component.weight * score;
      presentWeight += component.weight;
    }
    // The buffer now holds the final score, which `publish` hands to expressions as health.<component>.
    model.scoreBuffer[index] = score;
    scores[index] = score;
    flags[index] = (missing ? 1 : 0) | (overridden ? 2 : 0);
    if (inputs) {
      const values: Record<string, Value> = {};
      for (const input of component.inputs) values[input.name] = input.read(scope);
      inputs.push(values);
    }
  }
  let score: number | null = presentWeight === 0 ? null : weighted / presentWeight;
  let caps: string[] = NO_CAPS;
  let worstCap: "yellow" | "red" | undefined;
  for (const cap of model.caps) {
    if (cap.when(scope) !== true) continue;
    if (caps === NO_CAPS) caps = [];
    caps.push(cap.description);
    if (cap.score !== undefined && score !== null) score = Math.min(score, cap.score);
    if (cap.status && (!worstCap || STATUS_RANK[cap.status] > STATUS_RANK[worstCap])) worstCap = cap.status;
  }
  // The status is decided on the score as it is shown (two decimals): a score that reads 70 is green under `green >= 70`.
  if (score !== null) score = round2(score);
  let status: HealthResult["status"] = score === null ? null : score >= model.green ? "green" : score >= model.yellow ? "yellow" : "red";
  if (status && worstCap && STATUS_RANK[worstCap] > STATUS_RANK[status]) status = worstCap;
  if (grace && plan.grace?.noRed && status === "red") {
    status = "yellow";
    if (caps === NO_CAPS) caps = [];
    caps.push("never red during the grace period for new accounts");
  }
  const statusOverride = overrides.get("health.status");
  if (statusOverride && (statusOverride.value === "green" || statusOverride.value === "yellow" || statusOverride.value === "red")) status = statusOverride.value;
  let trend: number | null = null;
  if (model.trendDays !== undefined && score !== null) {
    const target = scope.asOfDay - model.trendDays;
    let past: number | undefined;
    const scores = state.scores;
    for (let i = 0; i < scores.length; i++) if (scores[i]![0] <= target) past = scores[i]![1];
    if (past !== undefined) trend = round2(score - past);
  }
  model.publish(scope.h, model.scoreBuffer as (number | null)[], score, status, trend);
  if (score !== null && plan.keepsScores) state.scores.push([scope.asOfDay, score]);
  state.health = { score, status, model: model.name };
  return new HealthOutcome(model, score, status, trend, caps, grace, scores, flags, presentWeight, inputs);
}

/**
 * A health result whose per-component detail is built on first read: a run
 * writes it once, and most accounts of a benchmark never need it at all.
 */
class HealthOutcome implements HealthResult {
  readonly model: string;
  private built: ComponentResult[] | undefined;

  constructor(
    private readonly plan: HealthModelPlan,
    readonly score: number | null,
    readonly status: HealthResult["status"],
    readonly trend: number | null,
    readonly caps: string[],
    readonly grace: boolean,
    private readonly scores: (number | null)[],
    private readonly flags: number[],
    private readonly presentWeight: number,
    private readonly inputs: Record<string, Value>[] | undefined,
  ) {
    this.model = plan.name;
  }

  get components(): ComponentResult[] {
    this.built ??= this.plan.components.map((component, index) => {
      const score = this.scores[index]!;
      return {
        name: component.name,
        weight: component.weight,
        inputs: this.inputs?.[index] ?? NO_INPUTS,
        score,
        contribution: score === null || this.presentWeight === 0 ? 0 : round2((component.weight / this.presentWeight) * score),
        missing: (this.flags[index]! & 1) !== 0,
        overridden: (this.flags[index]! & 2) !== 0,
      };
    });
    return this.built;
  }
}

function evaluateTier(plan: CompiledPlaybook, scope: AccountScope, state: AccountState, overrides: ReadonlyMap<string, ManualOverride>, notices: string[]): AccountDecision["tier"] {
  const tiers = plan.tiers!;
  const match = tiers.firstMatch(scope);
  const computed: string | null = match < 0 ? null : tiers.rules[match]!.tier;
  const previous = state.tier;
  const day = scope.asOfDay;
  let value = computed;
  if (state.tierSince !== null && previous !== computed && tiers.hysteresisDays > 0) {
    // A move must hold for the hysteresis period before it takes effect.
    if (state.pending?.tier === computed) {
      if (day - state.pending.since >= tiers.hysteresisDays) state.pending = null;
      else value = previous;
    } else {
      state.pending = { tier: computed, since: day };
      value = previous;
    }
  } else {
    state.pending = null;
  }
  if (value !== previous || state.tierSince === null) state.tierSince = day;
  state.tier = value;
  const override = overrides.get("tier");
  if (override && typeof override.value === "string") {
    notices.push(`tier set by hand to ${override.value} by ${override.owner} until ${isoDateOf(override.expires)}: ${override.reason}`);
    value = override.value;
  }
  scope.tier = value;
  return { value, computed, previous: previous, pending: state.tier === computed ? null : state.pending?.tier ?? null, held: state.tier };
}

function evaluateOnboarding(plan: CompiledPlaybook, scope: AccountScope, state: AccountState): AccountDecision["onboarding"] {
  const onboarding = plan.onboarding!;
  const start = onboarding.start(scope);
  const day = scope.asOfDay;
  const results: MilestoneResult[] = [];
  const dueOf = new Map<string, number>();
  const doneOf = new Map<string, number | null>();
  // Accounts that started longer ago than the onboarding window are not tracked: never overdue.
  const outsideWindow = onboarding.withinDays !== undefined && typeof start === "number" && day - start > onboarding.withinDays;
  let done = 0;
  let beforeTracking = false;
  // The list of done milestones may be the previous state's: copied before the first one is added, never changed in place.
  let copied = false;
  for (const milestone of onboarding.milestones) {
    // After a milestone done before tracking, the day tracking began is the base: the latest its unknown done day can
    // be, so no account is called overdue on a guess (with no state, every day is that first day).
    const base = milestone.after !== undefined ? doneOf.get(milestone.after) ?? dueOf.get(milestone.after) : typeof start === "number" ? start : undefined;
    const due = base === undefined || base === null ? day : addMonthsToDay(base, milestone.due.months) + milestone.due.days;
    dueOf.set(milestone.name, due);
    let doneOn: number | null = Object.hasOwn(state.milestonesDone, milestone.name) ? state.milestonesDone[milestone.name]! : null;
    if (doneOn === null && milestone.done(scope) === true) {
      doneOn = day;
      if (!copied) state.milestonesDone = Object.assign(record<number>(), state.milestonesDone);
      copied = true;
      state.milestonesDone[milestone.name] = day;
    }
    // Done on the first day the account was ever evaluated: done before tracking began, on a day nobody saw.
    const early = doneOn !== null && state.trackedSince !== undefined && doneOn === state.trackedSince;
    if (early) beforeTracking = true;
    doneOf.set(milestone.name, doneOn);
    const status: MilestoneResult["status"] =
      doneOn !== null ? "done" : outsideWindow ? "outside_window" : day > due ? "overdue" : due - day <= onboarding.dueSoonDays ? "due_soon" : "on_track";
    if (status === "done") done++;
    results.push({ name: milestone.name, status, due, doneOn: early ? null : doneOn, beforeTracking: early });
    scope.o[milestone.name] = status;
  }
  const total = onboarding.milestones.length;
  const complete = total > 0 && done === total;
  scope.o.completion = total === 0 ? 1 : done / total;
  scope.o.complete = complete;
  let lastDone = -Infinity;
  for (const result of results) if (result.doneOn !== null && result.doneOn > lastDone) lastDone = result.doneOn;
  // Time to value only when every milestone was seen done: a first run knows no real done dates.
  const timeToValue = complete && !beforeTracking && typeof start === "number" ? lastDone - start : null;
  return { completion: total === 0 ? 1 : done / total, complete, timeToValue, milestones: results };
}

/**
 * Decides one trigger for one account. Returns the trigger's result for
 * `explain`; in a plain run, an account the trigger never touched needs
 * neither a result nor remembered state, which keeps large runs fast.
 */
function evaluateTrigger(plan: CompiledPlaybook, trigger: TriggerPlan, holds: boolean, scope: AccountScope, accountId: string, before: TriggerState | undefined, firstActivation: boolean, state: AccountState, actions: ActionDecision[], explain: boolean): TriggerResult | undefined {
  const day = scope.asOfDay;
  const inScope = (trigger.tiers.length === 0 || trigger.tiers.includes(scope.tier as string)) && segmentsHold(trigger.segments, scope);
  const condition = inScope && holds;
  if (!before && !condition && !explain) return undefined;
  const ts: TriggerState = before
    ? { ...before, entries: before.entries.filter((d) => d > day - retentionDays(plan) - 1) }
    : { active: false, entries: [], entryCount: 0, lastEntered: null, renewalKey: null, step: null, nextStepDay: null };
  if (state.triggers === NOTHING) state.triggers = record<TriggerState>();
  state.triggers[trigger.name] = ts;
  const parts = explain ? trigger.parts.map((p) => ({ text: p.text, value: p.value(scope) })) : [];
  const decidedBy = explain ? decidingPart(trigger, parts) : undefined;
  // The condition as written, whatever the scope: explain shows both, and the part that decided it.
  const result: TriggerResult = { name: trigger.name, inScope, condition: holds, entered: false, reason: "", parts, decidedBy };
  const goalReached = trigger.goal?.(scope) === true;

  // A running sequence: stop at the goal, else take the steps that are due.
  if (ts.step !== null && goalReached) {
    ts.step = null;
    ts.nextStepDay = null;
    result.reason = "goal reached: left the sequence";
  }
  const wasActive = ts.active;
  ts.active = condition;
  const catchUp = trigger.fire === "on_enter_catch_up";
  if (!condition && ts.waiting) delete ts.waiting;
  let entryReason = "";
  if (ts.step === null && !result.reason) {
    // on_enter fires when the condition becomes true; on_enter_catch_up also when a cooldown that held that entry back ends.
    const entering = condition && (trigger.fire === "while_true" || !wasActive || (catchUp && ts.waiting === true));
    if (!inScope) result.reason = "not in scope";
    else if (!condition) result.reason = "condition does not hold";
    else if (!entering) result.reason = catchUp ? "condition still holds since an earlier day (fires on entering)" : "condition still holds since an earlier day (fires on entering; an entry a cooldown held back is not caught up)";
    else if (!before && firstActivation && !trigger.enrollExisting && trigger.fire !== "while_true") result.reason = "already matched when the trigger was first activated (enroll new)";
    else {
      const blocked = entryBlocked(plan, trigger, ts, scope, day, goalReached);
      if (blocked) {
        result.reason = blocked;
        if (catchUp && ts.lastEntered !== null && blocked.startsWith("cooling down")) {
          ts.waiting = true;
          result.reason = `${blocked}; it fires then if the condition still holds`;
        }
      } else {
        if (ts.waiting) delete ts.waiting;
        entryReason = conditionReason(trigger, scope, wasActive);
        result.entered = true;
        ts.entries.push(day);
        ts.entryCount++;
        ts.lastEntered = day;
        ts.renewalKey = typeof trigger.limit === "object" && "renewalField" in trigger.limit ? ((scope.a[trigger.limit.renewalField] as number | null) ?? null) : null;
        if (trigger.holdout > 0 && holdoutDraw(plan.seed, trigger.name, accountId) < trigger.holdout) {
          result.reason = `held out (${Math.round(trigger.holdout * 100)}% of accounts get no action, to measure the effect)`;
          for (const action of trigger.steps.flatMap((s) => s.actions)) actions.push(actionDecision(trigger, 0, action, scope, "held_out", "in the holdout group"));
          return result;
        }
        ts.step = 0;
        ts.nextStepDay = day + (trigger.steps[0]?.waitDays ?? 0);
        result.reason = "entered";
      }
    }
  }
  while (ts.step !== null && ts.nextStepDay !== null && ts.nextStepDay <= day) {
    const stepIndex = ts.step;
    const step = trigger.steps[stepIndex]!;
    for (const action of step.actions) actions.push(actionDecision(trigger, stepIndex, action, scope, "planned", stepIndex === 0 ? entryReason || conditionReason(trigger, scope, true) : `step ${stepIndex + 1} of the sequence`));
    const next = trigger.steps[stepIndex + 1];
    ts.step = next ? stepIndex + 1 : null;
    ts.nextStepDay = next ? day + next.waitDays : null;
    if (!result.reason || result.reason === "condition still holds since an earlier day (fires on entering)" || result.reason === "condition does not hold") result.reason = `sequence step ${stepIndex + 1}`;
    if (next && next.waitDays === 0) continue;
    break;
  }
  return result;
}

/**
 * Why a trigger's actions were planned, in the words of its condition: the
 * parts that hold, each with the value it read (`health.adoption < 40
 * (health.adoption = 32.5)`). Computed only for accounts that enter.
 */
function conditionReason(trigger: TriggerPlan, scope: AccountScope, wasActive: boolean): string {
  const holding: string[] = [];
  for (const part of trigger.parts) {
    if (part.value(scope) !== true) continue;
    const subject = part.subject ? ` (${part.subject.text} = ${describeValue(part.subject.value(scope))})` : "";
    holding.push(`${part.text}${subject}`);
    if (trigger.joiner === "or") break;
  }
  const what = holding.length > 0 ? holding.join(" and ") : "its condition";
  if (trigger.fire === "while_true" && wasActive) return `${what} still holds`;
  // A trigger with a scope enters when its condition holds in scope: which of the two changed is not remembered.
  const scoped = [...(trigger.tiers.length > 0 ? [`tier ${String(scope.tier)}`] : []), ...trigger.segments.map((s) => `segment ${s}`)];
  return scoped.length > 0 ? `${what} holds, in scope (${scoped.join(", ")})` : `${what} became true`;
}

function describeValue(value: Value): string {
  if (typeof value === "number") return String(Math.round(value * 1000) / 1000);
  if (value === null) return "missing";
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

function segmentsHold(segments: readonly string[], scope: AccountScope): boolean {
  for (let i = 0; i < segments.length; i++) if (scope.g[segments[i]!] !== true) return false;
  return true;
}

function entryBlocked(plan: CompiledPlaybook, trigger: TriggerPlan, ts: TriggerState, scope: AccountScope, day: number, goalReached: boolean): string | undefined {
  if (trigger.cooldownDays !== undefined && ts.lastEntered !== null && day - ts.lastEntered < trigger.cooldownDays) {
    return `cooling down until ${isoDateOf(ts.lastEntered + trigger.cooldownDays)}`;
  }
  if (trigger.limit === "once" && ts.entryCount > 0) return "limit: once per account, already entered";
  const limit = trigger.limit;
  if (typeof limit === "object" && "renewalField" in limit) {
    if (ts.entryCount > 0 && ts.renewalKey === (scope.a[limit.renewalField] ?? null)) return `limit: once per renewal, already entered for this ${limit.renewalField}`;
  } else if (typeof limit === "object") {
    const recent = ts.entries.filter((d) => d > day - limit.perDays).length;
    if (recent >= limit.max) return `limit: ${limit.max} per ${limit.perDays} days reached`;
  }
  if (goalReached) return "its goal is already reached";
  return undefined;
}

function decidingPart(trigger: TriggerPlan, parts: { text: string; value: Value }[]): string | undefined {
  if (parts.length === 0) return undefined;
  if (trigger.joiner === "and") return (parts.find((p) => p.value !== true) ?? parts[parts.length - 1])!.text;
  if (trigger.joiner === "or") return (parts.find((p) => p.value === true) ?? parts[parts.length - 1])!.text;
  return parts[0]!.text;
}

function actionDecision(trigger: TriggerPlan, step: number, action: TriggerPlan["steps"][number]["actions"][number], scope: AccountScope, status: ActionDecision["status"], reason: string): ActionDecision {
  const to = action.recipient?.(scope);
  return {
    trigger: trigger.name,
    step,
    kind: action.kind,
    target: action.target,
    to: typeof to === "string" ? to : null,
    priority: action.priority,
    status,
    reason,
    ...(Object.keys(action.details).length > 0 ? { details: action.details } : {}),
    ...(action.transactional ? { transactional: true } : {}),
  };
}

/** When a cap lets only some actions out, the highest priority wins; the rest are recorded as capped. */
function applyFrequencyCaps(plan: CompiledPlaybook, actions: ActionDecision[], state: AccountState): void {
  if (actions.length === 0) return;
  const day = state.day;
  for (const cap of plan.caps) {
    const matches = (kind: string) => cap.channel === "any" || cap.channel === kind;
    let used = 0;
    for (const [d, kind] of state.sent) if (d > day - cap.perDays && matches(kind)) used++;
    let allowed = cap.max - used;
    let planned = 0;
    for (const action of actions) if (action.status === "planned" && !action.transactional && matches(action.kind)) planned++;
    // Within the cap: nothing to choose between.
    if (planned <= allowed) continue;
    const candidates = actions
      .map((action, index) => ({ action, index }))
      .filter(({ action }) => action.status === "planned" && !action.transactional && matches(action.kind))
      .sort((a, b) => b.action.priority - a.action.priority || (a.action.trigger < b.action.trigger ? -1 : a.action.trigger > b.action.trigger ? 1 : a.index - b.index));
    for (const { action } of candidates) {
      if (allowed > 0) {
        allowed--;
        continue;
      }
      action.status = "capped";
      action.reason = `frequency cap: at most ${cap.max} ${cap.channel === "any" ? "actions" : cap.channel} per ${cap.perDays} days; higher-priority actions went first`;
    }
  }
}
