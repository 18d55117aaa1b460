import type { Compiled, CompiledBatch } from "../expression/compile.js";
import type { Type } from "../expression/types.js";
import type { EvalScope, Value } from "../expression/value.js";
import type { MissingPolicy } from "../model/playbook.js";
import type { AggregateSpec } from "./aggregates.js";

/**
 * What compiled expressions read for one account: its fields (`a`), its
 * event aggregates (`x`), and what
 * the evaluation has computed so far: metrics (`m`), segments (`g`), health
 * (`h`), tier, onboarding (`o`). One object is reused for every account.
 */
export interface AccountScope extends EvalScope {
  a: Record<string, Value>;
  /** the account's event aggregates, in the order of `CompiledPlaybook.aggregates` */
  x: readonly Value[];
  m: Record<string, Value>;
  g: Record<string, Value>;
  h: Record<string, Value>;
  tier: Value;
  o: Record<string, Value>;
}

export type Fn = Compiled<AccountScope>;

export interface FieldContract {
  name: string;
  type: Type;
  default?: string | number | boolean | null;
}

export interface ComponentPlan {
  name: string;
  /** the override target that replaces this component's score: health.<name> */
  overrideKey: string;
  /** share of the score (weights normalised to sum to 1) */
  weight: number;
  missing: MissingPolicy;
  /** the names the score reads, shown by `explain` */
  inputs: { name: string; read: Fn }[];
}

export interface HealthModelPlan {
  name: string;
  when: Fn | undefined;
  priority: number;
  components: ComponentPlan[];
  /** all component scores in one call, into `scoreBuffer` (in component order) */
  scoreAll: CompiledBatch<AccountScope>;
  scoreBuffer: Value[];
  /**
   * Writes the health results into the scope's `h` in one go, with the
   * property names fixed in code (each component's score, null for
   * components of other models), so reading them stays fast.
   */
  publish: (h: Record<string, Value>, scores: readonly (number | null)[], score: number | null, status: string | null, trend: number | null) => void;
  caps: { when: Fn; text: string; description: string; status?: "yellow" | "red"; score?: number }[];
  green: number;
  yellow: number;
  trendDays: number | undefined;
}

export interface MilestonePlan {
  name: string;
  due: { days: number; months: number };
  after: string | undefined;
  done: Fn;
}

export interface ActionPlan {
  kind: "email" | "task" | "offer" | "webhook";
  /** template, task title, offer or URL */
  target: string;
  recipient: Fn | undefined;
  priority: number;
  details: Record<string, string>;
  /** an email whose template is transactional: it passes frequency caps and quiet hours (never suppression) */
  transactional?: boolean;
}

export interface TriggerPlan {
  name: string;
  tiers: string[];
  segments: string[];
  /** the top-level parts of the condition (for `explain` and action reasons), each with the value a comparison reads */
  parts: { text: string; value: Fn; subject?: { text: string; value: Fn } }[];
  joiner: "and" | "or" | undefined;
  goal: Fn | undefined;
  fire: "on_enter" | "on_enter_catch_up" | "while_true";
  cooldownDays: number | undefined;
  /** once ever; once per value of a date field (the renewal date it follows); N per window */
  limit: "once" | { renewalField: string } | { max: number; perDays: number } | undefined;
  holdout: number;
  enrollExisting: boolean;
  priority: number;
  steps: { waitDays: number; actions: ActionPlan[] }[];
}

/** Quiet hours (minutes after local midnight; `from` after `to` spans midnight) and business days. */
export interface DeliveryPolicy {
  quietFrom: number | undefined;
  quietTo: number | undefined;
  businessDaysOnly: boolean;
}

export type EvaluationStep =
  | { kind: "metric"; name: string; value: Fn }
  | { kind: "segment"; name: string; value: Fn }
  | { kind: "health" }
  | { kind: "tier" }
  | { kind: "onboarding" };

/** A checked playbook turned into plain functions and plans, ready for every account and day. */
export interface CompiledPlaybook {
  name: string;
  version: number | undefined;
  /** identifies the playbook's meaning: stored with each score to tell data changes from playbook edits */
  hash: string;
  seed: string;
  fields: FieldContract[];
  timezoneField: string | undefined;
  steps: EvaluationStep[];
  /** a new record of every metric, in the order the steps compute them */
  newMetrics: () => Record<string, Value>;
  /** a new record of every segment, in the order the steps compute them */
  newSegments: () => Record<string, Value>;
  metricNames: string[];
  segmentNames: string[];
  healthModels: HealthModelPlan[];
  /** the models chosen by their condition, in precedence order (the default last) */
  regularHealthModels: HealthModelPlan[];
  graceHealthModel: HealthModelPlan | undefined;
  onboardingHealthModel: HealthModelPlan | undefined;
  componentNames: string[];
  tiers: {
    rules: { tier: string; text: string }[];
    /** the index of the first rule that matches, or -1 */
    firstMatch: (scope: AccountScope) => number;
    hysteresisDays: number;
    names: string[];
  } | undefined;
  onboarding: { start: Fn; dueSoonDays: number; withinDays: number | undefined; milestones: MilestonePlan[]; healthModel: string | undefined } | undefined;
  triggers: TriggerPlan[];
  triggerNames: ReadonlySet<string>;
  /** every trigger's condition in one call, into `conditionBuffer` (in trigger order) */
  conditionsAll: CompiledBatch<AccountScope>;
  conditionBuffer: Value[];
  caps: { channel: string; max: number; perDays: number }[];
  suppress: Fn | undefined;
  /** the kinds of action suppression holds back */
  suppressKinds: ReadonlySet<string>;
  /** when actions that reach the customer may go out, in the account's time zone */
  delivery: DeliveryPolicy;
  grace: { days: number; since: Fn | undefined; noRed: boolean; healthModel: string | undefined } | undefined;
  /** tasks one owner can take on per week (simulate reports the weeks over it) */
  taskCapacity: number | undefined;
  overrides: { allowed: Set<string>; maxDays: number | undefined };
  /** the longest look-back any state needs (trend, caps, limits), in days */
  historyDays: number;
  /** scores are kept between runs (a health model has a trend window) */
  keepsScores: boolean;
  /** the event aggregates the expressions read, computed for each account before it is evaluated */
  aggregates: AggregateSpec[];
  /** the contract fields evaluation reads (expressions, the time zone, the renewal date): what the data engine hands over */
  fieldsRead: string[];
}
