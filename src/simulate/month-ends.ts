import type { AccountDecision } from "../engine/decision.js";
import type { Value } from "../expression/value.js";
import { monthOfDay } from "./kpi.js";

/** What a month-ends observer collected, as plain data that crosses threads. */
export interface MonthEndsPart {
  tiers: [account: string, months: [month: number, tier: string][]][];
  nps: [month: number, answers: number[]][];
  onboarding: [month: number, counts: { tracked: number; complete: number }][];
}

/**
 * What `kpi` needs from a replay: each account's tier on its last replayed
 * day of each month, and, on each month's last day, the accounts' latest
 * NPS answers and onboarding. Parts from threads, absorbed in account
 * order, add up to what one observer of every account would have.
 */
export class MonthEndsObserver {
  /** account -> month -> tier on its last replayed day of the month */
  readonly tiers = new Map<string, Map<number, string>>();
  readonly nps = new Map<number, number[]>();
  readonly onboarding = new Map<number, { tracked: number; complete: number }>();

  /** `withNps`: the playbook reads an `nps` field, which the month's last day collects */
  constructor(private readonly withNps: boolean) {}

  observe(account: string, decision: AccountDecision, fields: Readonly<Record<string, Value>>): void {
    const month = monthOfDay(decision.day);
    if (decision.tier?.value) {
      let months = this.tiers.get(account);
      if (!months) this.tiers.set(account, (months = new Map()));
      months.set(month, decision.tier.value);
    }
    // Only the month's last day counts for NPS and onboarding: the portfolio as it stood at month end.
    if (monthOfDay(decision.day + 1) === month) return;
    const answer = this.withNps ? fields.nps : null;
    if (typeof answer === "number") (this.nps.get(month) ?? this.nps.set(month, []).get(month)!).push(answer);
    const onboarding = decision.onboarding;
    if (onboarding && !onboarding.milestones.every((m) => m.status === "outside_window")) {
      const counts = this.onboarding.get(month) ?? { tracked: 0, complete: 0 };
      counts.tracked++;
      if (onboarding.complete) counts.complete++;
      this.onboarding.set(month, counts);
    }
  }

  part(): MonthEndsPart {
    return { tiers: [...this.tiers].map(([account, months]) => [account, [...months]]), nps: [...this.nps], onboarding: [...this.onboarding] };
  }

  /** Adds the part of the accounts that follow this observer's. */
  absorb(part: MonthEndsPart): void {
    for (const [account, months] of part.tiers) this.tiers.set(account, new Map(months));
    for (const [month, answers] of part.nps) {
      const mine = this.nps.get(month);
      if (mine) mine.push(...answers);
      else this.nps.set(month, answers);
    }
    for (const [month, counts] of part.onboarding) {
      const mine = this.onboarding.get(month);
      if (mine) {
        mine.tracked += counts.tracked;
        mine.complete += counts.complete;
      } else this.onboarding.set(month, { ...counts });
    }
  }
}
