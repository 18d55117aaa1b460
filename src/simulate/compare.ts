import type { AccountTrail, SimulatedAction } from "./observer.js";

/** Where two replays of the same history differ, account by account and trigger by trigger. */
export interface ReplayDifferences {
  /** account-days replayed by both */
  accountDaysCompared: number;
  statusDaysDiffering: number;
  tierDaysDiffering: number;
  /** accounts with at least one day of a different status or tier, most different first */
  accountsDiffering: { account: string; statusDays: number; tierDays: number }[];
  /** per trigger and action kind: how many each side decided, and those only the other decided (added) or only the baseline (removed) */
  actions: { trigger: string; kind: string; baseline: number; other: number; added: number; removed: number }[];
}

const actionKey = (a: SimulatedAction) => `${a.date}\u0000${a.account}\u0000${a.trigger}\u0000${a.kind}\u0000${a.target}`;

/**
 * Compares a baseline replay with another (a playbook's next version) over
 * the same history: the days an account's status or tier differ, and the
 * actions one side decided and the other did not, matched by day,
 * account, trigger, kind and target.
 */
export function compareReplays(
  baseline: { trails: ReadonlyMap<string, AccountTrail>; actions: readonly SimulatedAction[] },
  other: { trails: ReadonlyMap<string, AccountTrail>; actions: readonly SimulatedAction[] },
): ReplayDifferences {
  let compared = 0;
  let statusDaysDiffering = 0;
  let tierDaysDiffering = 0;
  const accountsDiffering: ReplayDifferences["accountsDiffering"] = [];
  for (const [account, mine] of baseline.trails) {
    const theirs = other.trails.get(account);
    let statusDays = 0;
    let tierDays = 0;
    // Both trails are in day order: walk them side by side.
    for (let i = 0, j = 0; theirs && i < mine.length && j < theirs.length; ) {
      if (mine.day(i) < theirs.day(j)) i++;
      else if (mine.day(i) > theirs.day(j)) j++;
      else {
        compared++;
        if (mine.status(i) !== theirs.status(j)) statusDays++;
        if (mine.tier(i) !== theirs.tier(j)) tierDays++;
        i++;
        j++;
      }
    }
    statusDaysDiffering += statusDays;
    tierDaysDiffering += tierDays;
    if (statusDays + tierDays > 0) accountsDiffering.push({ account, statusDays, tierDays });
  }
  accountsDiffering.sort((a, b) => b.statusDays + b.tierDays - (a.statusDays + a.tierDays) || (a.account < b.account ? -1 : 1));

  const tally = (actions: readonly SimulatedAction[]) => {
    const counts = new Map<string, number>();
    for (const action of actions) counts.set(actionKey(action), (counts.get(actionKey(action)) ?? 0) + 1);
    return counts;
  };
  const mine = tally(baseline.actions);
  const theirs = tally(other.actions);
  const rows = new Map<string, ReplayDifferences["actions"][number]>();
  const row = (trigger: string, kind: string) => {
    const key = `${trigger}\u0000${kind}`;
    let found = rows.get(key);
    if (!found) rows.set(key, (found = { trigger, kind, baseline: 0, other: 0, added: 0, removed: 0 }));
    return found;
  };
  for (const action of baseline.actions) row(action.trigger, action.kind).baseline++;
  for (const action of other.actions) row(action.trigger, action.kind).other++;
  for (const [key, count] of mine) {
    const [, , trigger, kind] = key.split("\u0000") as [string, string, string, string];
    row(trigger, kind).removed += Math.max(0, count - (theirs.get(key) ?? 0));
  }
  for (const [key, count] of theirs) {
    const [, , trigger, kind] = key.split("\u0000") as [string, string, string, string];
    row(trigger, kind).added += Math.max(0, count - (mine.get(key) ?? 0));
  }
  return {
    accountDaysCompared: compared,
    statusDaysDiffering,
    tierDaysDiffering,
    accountsDiffering,
    actions: [...rows.values()].sort((a, b) => (a.trigger < b.trigger ? -1 : a.trigger > b.trigger ? 1 : a.kind < b.kind ? -1 : 1)),
  };
}
