import { Calendars, type DayClock } from "../engine/clock.js";
import type { CompiledPlaybook } from "../engine/compiled.js";
import type { AccountDecision } from "../engine/decision.js";
import { evaluateAccount } from "../engine/evaluate.js";
import type { AccountState } from "../engine/state.js";
import type { Value } from "../expression/value.js";
import type { AccountHistory, HistoryData } from "./history.js";
import { aggregatesOn } from "./windows.js";

export interface ReplayOptions {
  from: number;
  to: number;
  /** days between evaluations: 1 (daily) or 7 (weekly) */
  step: number;
  /** per account, the days it churned: it leaves the replay then, until a later snapshot brings it back */
  churns?: ReadonlyMap<string, readonly number[]>;
}

/** What a replay tells its observer: each account-day evaluated, in account order, then day order. */
export type ReplayVisitor = (account: AccountHistory, decision: AccountDecision, state: AccountState, fields: Readonly<Record<string, Value>>) => void;

/**
 * Replays a playbook over history with exactly the rules of a live run:
 * every account, from its first snapshot, is evaluated on each replayed day
 * with the fields of its latest snapshot on or before that day, the events
 * up to the end of that day, and the state the previous day left; every
 * trigger counts as first run on `from`. Accounts are independent, so the
 * replay goes account by account and holds one state at a time. Manual
 * overrides are not applied: a replay shows what the rules would have done.
 * Returns each account's last state.
 */
export function replay(plan: CompiledPlaybook, history: Pick<HistoryData, "accounts" | "firstDay">, options: ReplayOptions, visit: ReplayVisitor): Map<string, AccountState> {
  const activations = new Map(plan.triggers.map((t) => [t.name, options.from]));
  const calendars = new Map<number, Calendars>();
  const clockOf = (day: number, zone: string): DayClock => {
    let calendar = calendars.get(day);
    if (!calendar) calendars.set(day, (calendar = new Calendars(day)));
    return calendar.clock(zone);
  };
  const finals = new Map<string, AccountState>();
  for (const account of history.accounts) {
    let state: AccountState | undefined;
    let snapshot = -1;
    const churns = options.churns?.get(account.id) ?? [];
    for (let day = options.from; day <= options.to; day += options.step) {
      while (snapshot + 1 < account.days.length && account.days[snapshot + 1]! <= day) snapshot++;
      if (snapshot < 0) continue;
      const since = account.days[snapshot]!;
      if (churns.some((churn) => churn >= since && churn <= day)) continue;
      const result = evaluateAccount(plan, {
        id: account.id,
        fields: account.fields[snapshot]!,
        clock: clockOf(day, account.zone),
        aggregates: aggregatesOn(plan.aggregates, account, history.firstDay, day),
        previous: state,
        overrides: [],
        activations,
      });
      state = result.state;
      visit(account, result.decision, state, account.fields[snapshot]!);
    }
    if (state) finals.set(account.id, state);
  }
  return finals;
}
