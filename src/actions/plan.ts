import type { AccountRow } from "../data/reader.js";
import type { CompiledPlaybook } from "../engine/compiled.js";
import type { AccountDecision, ActionDecision } from "../engine/decision.js";
import { durationDays, durationOf, isoDateOf } from "../expression/literals.js";
import { MS_PER_DAY } from "../expression/value.js";
import type { CheckedPlaybook } from "../language/index.js";
import { idempotencyKey, shortHash } from "./keys.js";
import type { NewOutboxRow, OutboxLedger } from "./ledger.js";
import { healthForTemplate, RenderError, templateValues, type TemplateContext, TemplateRenderer } from "./render.js";
import type { DeliverySettings } from "./settings.js";
import { signUnsubscribeToken, unsubscribeLink } from "./unsubscribe.js";

/** What the ledger keeps for each kind of action: everything delivery needs, so delivery needs no playbook. */
export interface EmailPayload {
  to: string;
  subject: string;
  html: string;
  text: string;
  unsubscribe: string;
}
export interface TaskPayload {
  title: string;
  description: string;
  assignee: string | null;
  due: string;
  priority: number;
  account: string;
  playbook: string;
  trigger: string;
}
export interface OfferPayload {
  offer_id: string;
  offer: string;
  product: string | null;
  discount: string | null;
  expires: string | null;
  account: string;
}
export interface WebhookPayload {
  url: string;
  body: Record<string, unknown>;
}

export const DEFAULT_CATEGORY = "tech-touch";

/**
 * Puts one account's planned actions of one day into the ledger, in the
 * run's transaction. Emails are rendered now, with the account as it was
 * decided on; a render problem is recorded against that action as failed,
 * and the other actions go on. Capped and suppressed decisions are recorded
 * too, so the ledger can say why something did not go out.
 */
export class ActionPlanner {
  private readonly renderer: TemplateRenderer;
  /** how many actions this run recorded that were not in the ledger before */
  recorded = 0;
  /** new actions that could not be prepared (a recipient that is not an address, a template that fails), and why */
  unprepared = 0;
  readonly problems = new Set<string>();

  constructor(
    private readonly ledger: OutboxLedger,
    private readonly plan: CompiledPlaybook,
    private readonly checked: CheckedPlaybook,
    private readonly settings: DeliverySettings,
    readFile: (path: string) => string | { refused: string } | undefined,
    private readonly now: () => number,
  ) {
    this.renderer = new TemplateRenderer(checked, readFile);
  }

  add(decision: AccountDecision, row: AccountRow): void {
    if (decision.actions.length === 0) return;
    const day = decision.day;
    let context: TemplateContext | undefined;
    for (const action of decision.actions) {
      if (action.status === "held_out") continue;
      const key = idempotencyKey(this.plan.name, decision.account, day, action);
      const category = action.kind === "email" ? (this.checked.model.templates?.[action.target]?.category ?? DEFAULT_CATEGORY) : null;
      const base: NewOutboxRow = {
        key,
        playbook: this.plan.name,
        trigger: action.trigger,
        step: action.step,
        account_id: decision.account,
        day: isoDateOf(day),
        kind: action.kind,
        target: action.target,
        recipient: action.to,
        priority: action.priority,
        transactional: action.transactional ? 1 : 0,
        category,
        zone: row.zone,
        payload: "",
        state: action.status === "planned" ? "planned" : action.status,
        reason: action.status === "planned" ? null : action.reason,
        send_at: action.sendAt ? Date.parse(action.sendAt) : (day + 1) * MS_PER_DAY,
        last_error: null,
      };
      if (action.status === "planned") {
        try {
          context ??= this.context(decision, row);
          base.payload = JSON.stringify(this.payload(action, decision, row, key, category, context));
        } catch (error) {
          if (!(error instanceof RenderError)) throw error;
          base.state = "failed";
          base.last_error = `${error.message}; fix it, then run this day again to prepare it`;
          base.payload = "";
        }
      }
      if (!this.ledger.record(base, this.now())) continue;
      this.recorded++;
      if (base.state === "failed") {
        this.unprepared++;
        if (this.problems.size < 5) this.problems.add(`${decision.account}: ${base.last_error}`);
      }
    }
  }

  private context(decision: AccountDecision, row: AccountRow): TemplateContext {
    return templateContext(this.plan, this.checked, decision, row.fields);
  }

  private payload(action: ActionDecision, decision: AccountDecision, row: AccountRow, key: string, category: string | null, context: TemplateContext): EmailPayload | TaskPayload | OfferPayload | WebhookPayload {
    switch (action.kind) {
      case "email": {
        const to = action.to ?? "";
        if (!isSingleAddress(to)) throw new RenderError(`the recipient ${JSON.stringify(to)} is not one email address`);
        const token = signUnsubscribeToken({ account: decision.account, address: to.toLowerCase(), category: category ?? DEFAULT_CATEGORY }, this.settings.unsubscribeSecret!);
        const unsubscribe = unsubscribeLink(this.settings.unsubscribeUrl!, token);
        const offer = offerOfEmail(this.plan, this.checked, action, decision);
        const message = this.renderer.render(action.target, { ...context, trigger: action.trigger, unsubscribe_url: unsubscribe, offer: offer as Record<string, unknown> | null });
        return { to, ...message, unsubscribe };
      }
      case "task": {
        const trigger = this.checked.model.triggers?.[action.trigger];
        const dueDays = action.details?.due ? durationDays(durationOf(action.details.due)!) : 0;
        return {
          title: action.target,
          description: `${trigger?.description ? `${trigger.description}. ` : ""}${action.reason}`,
          assignee: action.to,
          due: isoDateOf(decision.day + 1 + dueDays),
          priority: action.priority,
          account: decision.account,
          playbook: this.plan.name,
          trigger: action.trigger,
        };
      }
      case "offer":
        return offerRecord(this.plan, this.checked, action, decision);
      case "webhook":
        return {
          url: action.target,
          body: {
            event: "touchline.action",
            key,
            playbook: this.plan.name,
            trigger: action.trigger,
            step: action.step,
            account: decision.account,
            day: isoDateOf(decision.day),
            reason: action.reason,
            health: context.health,
            tier: context.tier,
            metrics: context.metrics,
          },
        };
    }
  }

}

/** The offer an action records: its id (from the action's key), product, discount and expiry (counted from the day after the decision). */
function offerRecord(plan: CompiledPlaybook, checked: CheckedPlaybook, action: ActionDecision, decision: AccountDecision): OfferPayload {
  const spec = checked.model.offers?.[action.target];
  const expires = action.details?.expires ?? spec?.expires;
  return {
    offer_id: shortHash(idempotencyKey(plan.name, decision.account, decision.day, action)).slice(0, 16),
    offer: action.target,
    product: spec?.product ?? null,
    discount: action.details?.discount ?? spec?.discount ?? null,
    expires: expires ? isoDateOf(decision.day + 1 + durationDays(durationOf(expires)!)) : null,
    account: decision.account,
  };
}

/** The offer an email carries (its template's `offer`): the one its trigger step planned the same day, if any. */
export function offerOfEmail(plan: CompiledPlaybook, checked: CheckedPlaybook, email: Pick<ActionDecision, "trigger" | "step">, decision: AccountDecision): OfferPayload | null {
  const offer = decision.actions.find((a) => a.kind === "offer" && a.trigger === email.trigger && a.step === email.step && a.status === "planned");
  return offer ? offerRecord(plan, checked, offer, decision) : null;
}

/** What a template reads about an account on the day its action was decided (the trigger, link and offer are filled per action). */
export function templateContext(plan: CompiledPlaybook, checked: CheckedPlaybook, decision: AccountDecision, fields: AccountRow["fields"]): TemplateContext {
  return {
    account: { id: decision.account, ...templateValues(fields, checked.environment.fields) },
    metrics: templateValues(decision.metrics, new Map()),
    health: healthForTemplate(decision.health),
    tier: decision.tier?.value ?? null,
    offer: null,
    unsubscribe_url: "",
    playbook: plan.name,
    trigger: "",
    today: isoDateOf(decision.day),
  };
}

/** One plain address: no display name, no list, no line breaks (nothing that could add a recipient or a header). */
export function isSingleAddress(text: string): boolean {
  return text.length <= 254 && /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/.test(text);
}
