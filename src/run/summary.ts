import type { AccountDecision, ActionDecision } from "../engine/decision.js";

export interface ActionLine extends ActionDecision {
  account: string;
}

/** Counts kept while accounts stream past: what the terminal summary shows. */
export class RunSummary {
  accounts = 0;
  readonly byTier = new Map<string, Map<string, number>>();
  readonly overdue = new Map<string, number>();
  accountsWithOverdue = 0;
  readonly actionCounts = new Map<string, number>();
  /** actions by trigger, then `kind target`, then status */
  readonly byTrigger = new Map<string, Map<string, Map<string, number>>>();
  /** the first actions in input order, for the terminal */
  readonly actions: ActionLine[] = [];
  actionsLeftOut = 0;

  constructor(private readonly actionLimit = 20) {}

  add(decision: AccountDecision): void {
    this.accounts++;
    const tier = decision.tier?.value ?? "(no tier)";
    const status = decision.health?.status ?? "no score";
    const row = this.byTier.get(tier) ?? new Map<string, number>();
    row.set(status, (row.get(status) ?? 0) + 1);
    this.byTier.set(tier, row);
    let anyOverdue = false;
    for (const milestone of decision.onboarding?.milestones ?? []) {
      if (milestone.status !== "overdue") continue;
      anyOverdue = true;
      this.overdue.set(milestone.name, (this.overdue.get(milestone.name) ?? 0) + 1);
    }
    if (anyOverdue) this.accountsWithOverdue++;
    for (const action of decision.actions) {
      this.actionCounts.set(action.status, (this.actionCounts.get(action.status) ?? 0) + 1);
      const trigger = this.byTrigger.get(action.trigger) ?? new Map<string, Map<string, number>>();
      this.byTrigger.set(action.trigger, trigger);
      const what = `${action.kind} ${action.target}`;
      const statuses = trigger.get(what) ?? new Map<string, number>();
      trigger.set(what, statuses);
      statuses.set(action.status, (statuses.get(action.status) ?? 0) + 1);
      if (this.actions.length < this.actionLimit) this.actions.push({ ...action, account: decision.account });
      else this.actionsLeftOut++;
    }
  }
}
