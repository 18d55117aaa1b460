import { z } from "zod";

/**
 * The playbook model: the single source of truth. YAML playbooks are
 * validated against the JSON Schema generated from these definitions
 * (`schemas/playbook.schema.json`), `.play` files are parsed into the same
 * shape, and the checker, engine and language server read only this.
 */

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESOURCE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export const DURATION_PATTERN = "^[0-9][0-9_]*(d|w|mo|y)$";
export const PERCENT_PATTERN = "^[0-9]+(\\.[0-9]+)?%$";

const Name = z.string().regex(NAME, "a name: letters, digits and _, not starting with a digit");
const ResourceName = z.string().regex(RESOURCE);
const Expression = z.string().min(1).describe("An expression of the Touchline expression language");
const Duration = z.string().regex(new RegExp(DURATION_PATTERN)).describe("A duration: a whole number and d, w, mo or y (14d, 2w, 3mo, 1y)");
const Percent = z.string().regex(new RegExp(PERCENT_PATTERN)).describe("A percentage such as 40%");
const Description = z.string().describe("What this is for, shown on hover");
const Priority = z.number().int().min(0).max(1000).describe("Higher goes first when a frequency cap lets only some actions through");

export const FieldSpec = z
  .object({
    type: z.string().describe("int, number, money, percent, string, bool, date, datetime, duration, email or enum(a, b); add ? when the value may be missing"),
    description: Description.optional(),
    default: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional().describe("Used when an input row has no value"),
  })
  .strict();

/** A field is written either as its type alone (`arr: money`) or with details. */
export const FieldEntry = z.union([z.string(), FieldSpec]);

export const EventTypeSpec = z
  .object({
    description: Description.optional(),
    properties: z.record(Name, FieldEntry).optional().describe("The properties events of this type carry"),
  })
  .strict();

export const MetricSpec = z.union([
  Expression,
  z.object({ value: Expression, description: Description.optional() }).strict(),
]);

export const SegmentSpec = z.union([
  Expression,
  z.object({ when: Expression, description: Description.optional() }).strict(),
]);

export const MissingPolicy = z
  .union([z.number().min(0).max(100), z.enum(["skip", "zero"])])
  .describe("When the input is missing: a fixed score 0..100, `zero`, or `skip` (leave the component out and reweight the rest)");

export const HealthComponent = z
  .object({
    weight: Percent.optional().describe("Share of the health score"),
    score: Expression.optional().describe("A 0..100 score, e.g. scale(utilization, 0.2 .. 0.9)"),
    missing: MissingPolicy.optional(),
    description: Description.optional(),
  })
  .strict();

export const HealthCap = z
  .object({
    when: Expression,
    status: z.enum(["yellow", "red"]).optional().describe("The best status the account can have while the condition holds"),
    score: z.number().min(0).max(100).optional().describe("The highest score the account can have while the condition holds"),
    description: Description.optional(),
  })
  .strict();

export const StatusBands = z
  .object({
    green: z.number().min(0).max(100).describe("Lowest score that is green"),
    yellow: z.number().min(0).max(100).describe("Lowest score that is yellow; below it is red"),
  })
  .strict();

export const HealthModel = z
  .object({
    description: Description.optional(),
    when: Expression.optional().describe("Accounts this health model applies to (only for models in health_models)"),
    priority: z.number().int().optional().describe("Which model wins when several apply: the highest priority"),
    extends: Name.optional().describe("Another health model this one starts from; `default` is the playbook's `health`"),
    components: z.record(Name, HealthComponent).optional().describe("The parts of the score, each with a weight and a 0..100 score"),
    caps: z.array(HealthCap).optional().describe("Conditions that cap the status (a champion who left keeps an account at yellow at best)"),
    status: StatusBands.optional().describe("The score from which an account is green, and yellow; below that it is red"),
    missing: MissingPolicy.optional(),
    trend: Duration.optional().describe("Compare the score with its value this long ago"),
  })
  .strict();

export const TierRule = z
  .object({
    tier: Name.describe("The tier's name, e.g. high_touch"),
    when: Expression.optional().describe("Left out: the default tier (otherwise)"),
    description: Description.optional(),
  })
  .strict();

export const Tiers = z
  .object({
    hysteresis: Duration.optional().describe("A move to another tier must hold this long before it takes effect"),
    rules: z.array(TierRule).describe("Checked in order: an account gets the first tier whose condition holds; the last rule has no condition (otherwise)"),
  })
  .strict();

export const Milestone = z
  .object({
    due: Duration.describe("Due this long after the onboarding start, or after the milestone named in `after`"),
    after: Name.optional().describe("The milestone this one is due after (its due date counts from that one's done date)"),
    done_when: Expression,
    description: Description.optional(),
  })
  .strict();

export const Onboarding = z
  .object({
    start: Expression.describe("The date onboarding starts, e.g. contract_start"),
    due_soon: Duration.optional().describe("A milestone is due soon this long before its due date"),
    within: Duration.optional().describe("The onboarding window: milestones of accounts started longer ago than this are no longer tracked (never overdue)"),
    health_model: Name.optional().describe("The health model used while an account is onboarding"),
    milestones: z.record(Name, Milestone).describe("The steps of onboarding, each due some time after the start or after another"),
  })
  .strict();

export const EmailAction = z
  .object({ email: ResourceName.describe("The template to send"), to: Expression, priority: Priority.optional() })
  .strict();
export const TaskAction = z
  .object({
    task: z.string().min(1).describe("What the CSM should do"),
    owner: Expression.optional(),
    due: Duration.optional(),
    priority: Priority.optional(),
  })
  .strict();
export const OfferAction = z
  .object({ offer: ResourceName.describe("The offer to make"), discount: Percent.optional(), expires: Duration.optional(), priority: Priority.optional() })
  .strict();
export const WebhookAction = z
  .object({ webhook: z.string().min(1).describe("The URL to POST to"), priority: Priority.optional() })
  .strict();

export const Action = z.union([EmailAction, TaskAction, OfferAction, WebhookAction]);

export const Step = z
  .object({
    wait: Duration.optional().describe("How long after the previous step"),
    actions: z.array(Action).describe("What this step does"),
  })
  .strict();

export const ONCE_PER_RENEWAL = /^once_per_renewal(\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\))?$/;

export const EntryLimit = z.union([
  z.enum(["once", "once_per_renewal"]),
  z.string().regex(ONCE_PER_RENEWAL).describe("once_per_renewal(<date field>): once until that date moves"),
  z.object({ max: z.number().int().min(1).describe("How many entries"), per: Duration.describe("Within how long") }).strict(),
]);

export const Trigger = z
  .object({
    description: Description.optional(),
    for: z.array(Name).optional().describe("Tiers and segments the trigger is limited to"),
    when: Expression.optional(),
    fire: z
      .enum(["on_enter", "on_enter_catch_up", "while_true"])
      .optional()
      .describe("on_enter: when the condition becomes true (an entry a cooldown holds back is dropped); on_enter_catch_up: the same, but an entry held back fires when the cooldown ends if the condition still holds; while_true: every run it holds, subject to the cooldown"),
    cooldown: Duration.optional(),
    limit: EntryLimit.optional(),
    holdout: Percent.optional().describe("Share of eligible accounts that get no action, to measure the effect"),
    enroll_existing: z.boolean().optional().describe("Whether accounts that already match when the trigger is first activated are enrolled"),
    goal: Expression.optional().describe("When this holds, the account leaves the sequence"),
    priority: Priority.optional(),
    actions: z.array(Action).optional().describe("What the trigger does when an account enters it"),
    steps: z.array(Step).optional().describe("A sequence: each step's actions, the later ones after a wait"),
  })
  .strict();

export const Template = z
  .object({
    subject: z.string().describe("The email's subject; may use {{ account.<field> }} and {{ metrics.<name> }}"),
    body: z.string().optional().describe("Liquid template text: HTML when it has tags (a text part is derived from it), otherwise plain text"),
    file: z.string().optional().describe("A Liquid template file, relative to the playbook"),
    text: z.string().optional().describe("The plain-text part (Liquid); by default derived from the body"),
    category: ResourceName.optional().describe("What an unsubscribe link of this email stops: e.g. product-tips (default: tech-touch)"),
    transactional: z.boolean().optional().describe("A message the customer needs (a receipt, a security notice): passes frequency caps and quiet hours, never suppression, and needs no unsubscribe link"),
    description: Description.optional(),
  })
  .strict();

export const Offer = z
  .object({
    description: Description.optional(),
    product: z.string().optional().describe("The product or add-on offered"),
    discount: Percent.optional(),
    expires: Duration.optional(),
  })
  .strict();

export const FrequencyCap = z
  .object({
    channel: z.enum(["email", "task", "offer", "webhook", "any"]).describe("The kind of action capped, or any"),
    max: z.number().int().min(0).describe("At most this many per account"),
    per: Duration,
  })
  .strict();

export const Policies = z
  .object({
    frequency_caps: z.array(FrequencyCap).optional().describe("At most N actions of a kind per account within a period; the highest priority first"),
    quiet_hours: z
      .object({ from: z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/).describe("When quiet hours start, HH:MM local time"), to: z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/).describe("When they end, HH:MM local time") })
      .strict()
      .optional()
      .describe("Hours in the account's time zone when no customer-facing action goes out; it waits for the end"),
    business_days_only: z.boolean().optional().describe("Customer-facing actions go out Monday to Friday only, in the account's time zone"),
    task_capacity: z.number().int().min(1).optional().describe("Tasks one owner (a CSM) can take on per week: touchline simulate flags the weeks over it"),
    suppress_when: Expression.optional().describe("Accounts for which no automated action reaches the customer"),
    suppress_actions: z
      .array(z.enum(["email", "task", "offer", "webhook"]))
      .optional()
      .describe("What suppression holds back: by default what reaches the customer (email, offer, webhook), not CSMs' tasks"),
    grace_period: z
      .object({
        for: Duration,
        no_red: z.boolean().optional().describe("New accounts are never red during the grace period"),
        health_model: Name.optional().describe("The health model new accounts use during the grace period"),
        since: Expression.optional().describe("The date an account counts as new from, e.g. contract_start"),
      })
      .strict()
      .optional()
      .describe("New accounts get time before they are judged: never red, or a health model of their own"),
  })
  .strict();

export const Overrides = z
  .object({
    allow: z.array(z.string()).describe("What CSMs may override by hand: tier, health.status or health.<component>"),
    max_duration: Duration.optional().describe("The longest an override may last"),
  })
  .strict();

export const Playbook = z
  .object({
    playbook: ResourceName.describe("The playbook's name"),
    version: z.number().int().min(0).optional().describe("A number you raise with each change, shown in run and simulate output"),
    description: Description.optional(),
    extends: z.string().optional().describe("A base playbook file this one changes; only what differs is written here"),
    seed: z.string().optional().describe("Makes holdout membership stable; defaults to the playbook's name"),
    account: z.record(Name, FieldEntry).optional().describe("The account data contract: each field and its type"),
    events: z.record(ResourceName, EventTypeSpec).optional().describe("The usage event types and their properties"),
    metrics: z.record(Name, MetricSpec).optional().describe("Named values computed for each account: expressions over its fields, events and other metrics"),
    segments: z.record(Name, SegmentSpec).optional().describe("Named true/false conditions, to scope triggers and tiers"),
    health: HealthModel.optional().describe("The health score: weighted components, caps and status bands"),
    health_models: z.record(Name, HealthModel).optional().describe("Further health models for some accounts, chosen by `when` and `priority`"),
    tiers: Tiers.optional().describe("Touch tiers (high, low, tech touch): ordered rules, with optional hysteresis"),
    onboarding: Onboarding.optional().describe("Onboarding milestones, due from a start date, each done when its condition first holds"),
    triggers: z.record(Name, Trigger).optional().describe("Plays: a condition, its scope and limits, and the actions (email, task, offer, webhook) it takes"),
    templates: z.record(ResourceName, Template).optional().describe("Email templates (Liquid): subject and body, or a file"),
    offers: z.record(ResourceName, Offer).optional().describe("Upsell and cross-sell offers triggers can make"),
    policies: Policies.optional().describe("Rules over every action: frequency caps, quiet hours, business days, suppression, a grace period, task capacity"),
    overrides: Overrides.optional().describe("What CSMs may set by hand (tier, status, a component), and for how long at most"),
  })
  .strict();

export type Playbook = z.infer<typeof Playbook>;
export type FieldEntry = z.infer<typeof FieldEntry>;
export type FieldSpec = z.infer<typeof FieldSpec>;
export type HealthModel = z.infer<typeof HealthModel>;
export type HealthComponent = z.infer<typeof HealthComponent>;
export type Trigger = z.infer<typeof Trigger>;
export type Action = z.infer<typeof Action>;
export type Milestone = z.infer<typeof Milestone>;
export type MissingPolicy = z.infer<typeof MissingPolicy>;

/** The order sections are written in by the formatter and the converter. */
export const SECTION_ORDER = [
  "playbook", "version", "description", "extends", "seed", "account", "events", "metrics", "segments",
  "health", "health_models", "tiers", "onboarding", "templates", "offers", "triggers", "policies", "overrides",
] as const satisfies readonly (keyof Playbook)[];
