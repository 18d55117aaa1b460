import type { Value } from "../expression/value.js";

export type ActionStatus = "planned" | "held_out" | "capped" | "suppressed";

/** One action the playbook decided for an account on a day, whether or not it goes out. */
export interface ActionDecision {
  trigger: string;
  step: number;
  kind: "email" | "task" | "offer" | "webhook";
  /** template, task title, offer or URL */
  target: string;
  /** the address or owner, when the action has one */
  to: string | null;
  priority: number;
  status: ActionStatus;
  reason: string;
  details?: Record<string, string>;
  /** a transactional email: not capped, not held by quiet hours; suppression still holds it */
  transactional?: boolean;
  /**
   * When a planned action that reaches the customer would go out: the first
   * moment the playbook's quiet hours and business days allow from the start
   * of the next day, in the account's time zone (ISO 8601 with its offset).
   */
  sendAt?: string;
}

export interface ComponentResult {
  name: string;
  /** normalised weight, 0..1, as declared */
  weight: number;
  /** the values the component's score reads */
  inputs: Record<string, Value>;
  /** the 0..100 score, or null when left out */
  score: number | null;
  /** weight x score, after reweighting for left-out components */
  contribution: number;
  missing: boolean;
  overridden: boolean;
}

export interface HealthResult {
  model: string;
  score: number | null;
  status: "green" | "yellow" | "red" | null;
  trend: number | null;
  components: ComponentResult[];
  caps: string[];
  grace: boolean;
}

export interface MilestoneResult {
  name: string;
  /** outside_window: the account started longer ago than the onboarding window, so its milestones are not tracked */
  status: "done" | "on_track" | "due_soon" | "overdue" | "outside_window";
  due: number;
  /** the first day it was seen done; null when not done, or done before tracking began */
  doneOn: number | null;
  /** already done on the first day the account was evaluated: when it happened is not known */
  beforeTracking: boolean;
}

export interface TriggerResult {
  name: string;
  inScope: boolean;
  /** the trigger's condition holds (in scope or not: it acts only when both are true) */
  condition: boolean;
  /** entered today */
  entered: boolean;
  /** why it did or did not act */
  reason: string;
  /** the value of each top-level part of the condition, for explain */
  parts: { text: string; value: Value }[];
  decidedBy: string | undefined;
}

/** Everything the engine decided about one account on one day. */
export interface AccountDecision {
  account: string;
  day: number;
  metrics: Record<string, Value>;
  segments: Record<string, boolean>;
  health: HealthResult | undefined;
  /**
   * value: the tier in effect (a hand-set override included); computed: what
   * the rules say today; held: the rules' tier after hysteresis, which is
   * what is remembered; previous: what was remembered before this run.
   */
  tier: { value: string | null; computed: string | null; previous: string | null; pending: string | null; held: string | null } | undefined;
  onboarding: { completion: number; complete: boolean; timeToValue: number | null; milestones: MilestoneResult[] } | undefined;
  triggers: TriggerResult[];
  actions: ActionDecision[];
  notices: string[];
}
