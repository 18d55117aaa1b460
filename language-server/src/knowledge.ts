/**
 * What the editor says about the language itself: the keywords of each
 * `.play` block and what they mean, shown in completion and hover.
 */
export const BLOCK_KEYWORDS: Record<string, string[]> = {
  "": ["playbook"],
  playbook: ["version", "description", "seed", "account", "events", "metric", "segment", "health", "tiers", "onboarding", "template", "offer", "trigger", "policies", "overrides"],
  health: ["cap", "status", "missing", "trend"],
  tiers: [],
  onboarding: [],
  template: ["subject", "body", "file", "text", "category", "transactional"],
  offer: ["product", "discount", "expires"],
  trigger: ["for", "when", "fire", "cooldown", "limit", "holdout", "enroll", "goal", "email", "task", "offer", "webhook", "step"],
  step: ["email", "task", "offer", "webhook"],
  policies: ["cap", "quiet_hours", "business_days_only", "task_capacity", "suppress", "grace"],
  overrides: ["allow", "max"],
};

export const KEYWORD_DOCS: Record<string, string> = {
  playbook: "A playbook: `playbook \"name\" [extends \"./base.play\"] { ... }`.",
  account: "The account data contract: each field's name and type (`arr: money`, `nps: int?`).",
  events: "The usage event types accounts produce, and their properties.",
  metric: "A named value computed from the account's data: `metric utilization = seats_active / seats_purchased`.",
  segment: "A named true/false condition: `segment renewal_window = days_until(renewal_date) <= 90`.",
  health: "The health score: weighted components (`adoption 40% = ...`), caps, status bands and trend. `health <name> when ... priority N extends default { }` adds a model for some accounts.",
  tiers: "Touch tiers, checked in order: `high_touch when arr >= 100_000`, ending with `tech_touch otherwise`. `tiers hysteresis 30d` makes a move wait.",
  onboarding: "Onboarding milestones: `kickoff due 7d done when kickoff_held`, optionally `after` another milestone.",
  template: "An email template (Liquid): `template \"name\" { subject \"...\" body \"...\" }` or `file \"templates/x.liquid\"`.",
  offer: "An upsell or cross-sell offer, or, in a trigger, the action of making it.",
  trigger: "A play: scope (`for`), condition (`when`), firing, limits and actions.",
  for: "Limits a trigger to tiers and segments: `for tech_touch, renewal_window`.",
  when: "The condition.",
  fire: "`fire on_enter` (default): when the condition becomes true. `fire while_true`: every run it holds, subject to the cooldown.",
  cooldown: "The least time between two entries of the same account, e.g. `cooldown 14d`.",
  limit: "Entry limits: `limit once`, `limit once_per_renewal`, `limit 3 per 90d`.",
  holdout: "A share of eligible accounts that gets no action, decided by a stable hash, to measure the effect: `holdout 10%`.",
  enroll: "`enroll existing` (default) enrolls accounts that already match when the trigger first runs; `enroll new` leaves them out.",
  goal: "When this holds, the account leaves the sequence.",
  email: "Sends an email template: `email \"template\" [priority N] to admin_email`.",
  task: "Creates a CSM task: `task \"Call the champion\" [due 3d] [priority N] [owner csm_email]`.",
  webhook: "Calls a URL: `webhook \"https://...\"`.",
  step: "A step of a sequence: `step wait 7d { ... }`.",
  cap: "In health: `cap yellow when champion_left` or `cap 60 when ...`. In policies: `cap email 2 per 7d`.",
  status: "Status bands: `status green >= 70, yellow >= 40` (below yellow is red).",
  missing: "What a component scores when its input is missing: a number, `zero`, or `skip` (leave it out and reweight).",
  trend: "Compare the score with its value this long ago: `trend 30d`.",
  policies: "Frequency caps, quiet hours, business days, suppression and the grace period for new accounts.",
  overrides: "What CSMs may set by hand: `allow tier, health.status, health.<component>` and `max 90d`.",
  quiet_hours: "No automated action between these times, in the account's time zone: `quiet_hours \"20:00\" to \"08:00\"`.",
  suppress: "Accounts that get no automated action: `suppress when unsubscribed`.",
  grace: "New accounts: `grace 30d since contract_start no_red [health onboarding_model]`.",
};

export const KPI_DOCS: Record<string, string> = {
  churn: "Customer (logo) churn rate: churned customers in the period / customers at the start x 100.",
  nrr: "Net revenue retention: (start MRR + expansion - contraction - churn) / start MRR x 100.",
  grr: "Gross revenue retention: (start MRR - contraction - churn) / start MRR x 100; never above 100.",
  nps: "Net Promoter Score: % promoters (9-10) - % detractors (0-6), from -100 to 100.",
  arr: "Annual recurring revenue: MRR x 12.",
  mrr: "Monthly recurring revenue: the sum of monthly subscription fees.",
  ltv: "Lifetime value: average revenue per account x gross margin / churn rate.",
  utilization: "Seats in use / seats purchased.",
};

export const DURATIONS = ["1d", "3d", "7d", "14d", "30d", "60d", "90d", "2w", "1mo", "3mo", "6mo", "1y"];
export const TYPES = ["int", "number", "money", "percent", "string", "bool", "date", "datetime", "duration", "email", "enum()"];
