import type { CompiledPlaybook } from "../engine/compiled.js";
import type { AccountDecision } from "../engine/decision.js";
import type { AccountState } from "../engine/state.js";
import { isoDateOf } from "../expression/literals.js";
import type { Alert } from "./backtest.js";
import { median } from "./backtest.js";

/** One replayed day, counted over every account that existed on it. */
export interface DayCounts {
  date: string;
  accounts: number;
  status: { green: number; yellow: number; red: number; none: number };
  tiers: Record<string, number>;
  /** actions decided that day, by kind (planned, held out, capped and suppressed alike) */
  actions: Record<string, number>;
  /** accounts whose onboarding is tracked (not outside its window), those complete, and per milestone those done */
  onboarding: { tracked: number; complete: number; milestones: Record<string, number> };
}

export interface SimulatedAction {
  date: string;
  account: string;
  trigger: string;
  kind: string;
  target: string;
  /** who receives it: the address of an email, the owner of a task */
  to: string | null;
  status: string;
  reason: string;
}

/** Planned tasks per owner in a week (weeks start on Monday), against the playbook's `task_capacity`. */
export interface TaskLoad {
  owner: string;
  week: string;
  tasks: number;
  overCapacity: boolean;
}

export interface TierMove {
  from: string;
  to: string;
  count: number;
}

/** Onboarding as it really happened: a milestone is done on the first replayed day its condition held. */
export interface OnboardingFigures {
  /** accounts that completed onboarding during the replay (done before it began is not counted) */
  completed: number;
  /** days from the onboarding start to the last milestone, for those accounts */
  medianTimeToValue: number | null;
  p90TimeToValue: number | null;
  /** per milestone, the accounts that reached it during the replay */
  milestones: { name: string; reached: number }[];
}

/** One account's day, kept to backtest and compare. */
export interface AccountDay {
  day: number;
  status: string | null;
  tier: string | null;
  score: number | null;
}

const STATUSES = [null, "green", "yellow", "red"] as const;

export interface TrailData {
  days: Int32Array<ArrayBuffer>;
  statuses: Uint8Array<ArrayBuffer>;
  tiers: Uint16Array<ArrayBuffer>;
  scores: Float64Array<ArrayBuffer>;
}

/**
 * What an observer collected over some accounts, as plain data: a replay
 * split over threads gives one per thread, and `absorb` adds them up in
 * account order to what one observer of every account would have collected.
 */
export interface ObserverPart {
  days: [number, DayCounts][];
  actions: SimulatedAction[];
  alerts: [string, Alert[]][];
  trails: [string, TrailData][];
  tierNames: (string | null)[];
  accountDays: number;
  taskLoad: [string, number][];
  tierMoves: [string, number][];
  timeToValue: number[];
  milestonesReached: [string, number][];
}

/** Adds `count` to the number under `key`. */
function add<K>(map: Map<K, number>, key: K, count: number): void {
  map.set(key, (map.get(key) ?? 0) + count);
}

/** Adds each count of `more` to `into`: keys new to `into` come after its own, in `more`'s order, as one pass over both would have met them. */
function addCounts(into: Record<string, number>, more: Readonly<Record<string, number>>): void {
  for (const key of Object.keys(more)) into[key] = (into[key] ?? 0) + more[key]!;
}

/**
 * One account's replayed days in typed arrays (a year of 10,000 accounts is
 * millions of days: objects would take hundreds of megabytes).
 */
export class AccountTrail {
  length = 0;
  private dayOf = new Int32Array(16);
  private statusOf = new Uint8Array(16);
  private tierOf = new Uint16Array(16);
  private scoreOf = new Float64Array(16);

  constructor(private readonly tierNames: (string | null)[]) {}

  /** The trail as plain arrays (its own copies), to cross to another thread. */
  data(): TrailData {
    return { days: this.dayOf.slice(0, this.length), statuses: this.statusOf.slice(0, this.length), tiers: this.tierOf.slice(0, this.length), scores: this.scoreOf.slice(0, this.length) };
  }

  /** A trail from `data`, its tiers renumbered by `tierNumber` (from the numbering it was made with to `tierNames`'). */
  static of(tierNames: (string | null)[], data: TrailData, tierNumber: readonly number[]): AccountTrail {
    const trail = new AccountTrail(tierNames);
    trail.length = data.days.length;
    trail.dayOf = data.days;
    trail.statusOf = data.statuses;
    trail.tierOf = data.tiers.map((tier) => tierNumber[tier]!);
    trail.scoreOf = data.scores;
    return trail;
  }

  push(day: number, status: string | null, tier: number, score: number | null): void {
    if (this.length === this.dayOf.length) {
      const grow = <T extends Int32Array | Uint8Array | Uint16Array | Float64Array>(array: T): T => {
        const bigger = new (array.constructor as new (n: number) => T)(array.length * 2);
        bigger.set(array);
        return bigger;
      };
      this.dayOf = grow(this.dayOf);
      this.statusOf = grow(this.statusOf);
      this.tierOf = grow(this.tierOf);
      this.scoreOf = grow(this.scoreOf);
    }
    this.dayOf[this.length] = day;
    this.statusOf[this.length] = status === "green" ? 1 : status === "yellow" ? 2 : status === "red" ? 3 : 0;
    this.tierOf[this.length] = tier;
    this.scoreOf[this.length] = score ?? Number.NaN;
    this.length++;
  }

  day(i: number): number {
    return this.dayOf[i]!;
  }

  status(i: number): string | null {
    return STATUSES[this.statusOf[i]!]!;
  }

  tier(i: number): string | null {
    return this.tierNames[this.tierOf[i]!]!;
  }

  score(i: number): number | null {
    const score = this.scoreOf[i]!;
    return Number.isNaN(score) ? null : score;
  }

  /** The days from `from` up to (not including) `to`, as objects. */
  between(from: number, to: number): AccountDay[] {
    const days: AccountDay[] = [];
    for (let i = 0; i < this.length; i++) {
      const day = this.dayOf[i]!;
      if (day >= from && day < to) days.push({ day, status: this.status(i), tier: this.tier(i), score: this.score(i) });
    }
    return days;
  }
}

const RED_SIGNAL = "health.status == red";

/** The Monday of an epoch day's week (1970-01-01 was a Thursday). */
export function weekOf(day: number): number {
  return day - ((((day + 3) % 7) + 7) % 7);
}

function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/**
 * Collects what a replay did, account-day by account-day: counts per day,
 * every action, the signals a backtest scores, each account's trail, CSM
 * task load, tier moves and onboarding as it happened.
 */
export class ReplayObserver {
  readonly days = new Map<number, DayCounts>();
  readonly actions: SimulatedAction[] = [];
  readonly alerts: Map<string, Alert[]>;
  readonly trails = new Map<string, AccountTrail>();
  /** tier names by number in the trails (0: none) */
  private readonly tierNames: (string | null)[] = [null];
  private readonly tierNumbers = new Map<string | null, number>([[null, 0]]);
  accountDays = 0;
  private readonly taskLoad = new Map<string, number>();
  private readonly tierMoves = new Map<string, number>();
  private readonly timeToValue: number[] = [];
  private readonly milestonesReached = new Map<string, number>();
  private current: { id: string; trail: AccountTrail; complete: boolean | undefined; done: Set<string>; status: string | null; tier: string | null } | undefined;

  constructor(private readonly plan: CompiledPlaybook) {
    this.alerts = new Map<string, Alert[]>([[RED_SIGNAL, []], ...plan.triggers.map((t): [string, Alert[]] => [t.name, []])]);
    for (const milestone of plan.onboarding?.milestones ?? []) this.milestonesReached.set(milestone.name, 0);
  }

  /** Takes one evaluated account-day; account-days arrive account by account, each in day order. */
  observe(account: string, decision: AccountDecision, state: AccountState): void {
    if (this.current?.id !== account) {
      const trail = new AccountTrail(this.tierNames);
      this.trails.set(account, trail);
      this.current = { id: account, trail, complete: undefined, done: new Set(), status: null, tier: null };
    }
    const current = this.current;
    const previous = current.trail.length > 0 ? { status: current.status, tier: current.tier } : undefined;
    this.accountDays++;
    const counts = this.dayCounts(decision.day);
    counts.accounts++;
    const status = decision.health?.status ?? null;
    counts.status[status ?? "none"]++;
    const tier = decision.tier?.value ?? null;
    counts.tiers[tier ?? "(none)"] = (counts.tiers[tier ?? "(none)"] ?? 0) + 1;
    if (previous && previous.tier !== tier) {
      const key = `${previous.tier ?? "(none)"}\u0000${tier ?? "(none)"}`;
      this.tierMoves.set(key, (this.tierMoves.get(key) ?? 0) + 1);
    }
    const date = isoDateOf(decision.day);
    for (const action of decision.actions) {
      counts.actions[action.kind] = (counts.actions[action.kind] ?? 0) + 1;
      this.actions.push({ date, account, trigger: action.trigger, kind: action.kind, target: action.target, to: action.to, status: action.status, reason: action.reason });
      if (action.kind === "task" && action.status === "planned") {
        const key = `${action.to ?? "(no owner)"}\u0000${weekOf(decision.day)}`;
        this.taskLoad.set(key, (this.taskLoad.get(key) ?? 0) + 1);
      }
    }
    this.observeOnboarding(decision, counts);
    // A trigger entered today (held-out entries included: the signal fired) has today as its last entry.
    for (const trigger of this.plan.triggers) if (state.triggers[trigger.name]?.lastEntered === decision.day) this.alerts.get(trigger.name)!.push({ account, day: decision.day });
    if (status === "red" && previous?.status !== "red") this.alerts.get(RED_SIGNAL)!.push({ account, day: decision.day });
    let tierNumber = this.tierNumbers.get(tier);
    if (tierNumber === undefined) {
      tierNumber = this.tierNames.length;
      this.tierNames.push(tier);
      this.tierNumbers.set(tier, tierNumber);
    }
    current.trail.push(decision.day, status, tierNumber, decision.health?.score ?? null);
    current.status = status;
    current.tier = tier;
  }

  /** What this observer collected, as plain data (see ObserverPart). */
  part(): ObserverPart {
    return {
      days: [...this.days],
      actions: this.actions,
      alerts: [...this.alerts],
      trails: [...this.trails].map(([account, trail]) => [account, trail.data()]),
      tierNames: this.tierNames,
      accountDays: this.accountDays,
      taskLoad: [...this.taskLoad],
      tierMoves: [...this.tierMoves],
      timeToValue: this.timeToValue,
      milestonesReached: [...this.milestonesReached],
    };
  }

  /**
   * Adds what another observer collected over the accounts that follow this
   * one's: parts absorbed in account order give what one observer of every
   * account would have, to the order of keys in each day's counts.
   */
  absorb(part: ObserverPart): void {
    const tierNumber = part.tierNames.map((tier) => {
      let number = this.tierNumbers.get(tier);
      if (number === undefined) {
        number = this.tierNames.length;
        this.tierNames.push(tier);
        this.tierNumbers.set(tier, number);
      }
      return number;
    });
    for (const [day, counts] of part.days) {
      const mine = this.days.get(day);
      if (!mine) {
        this.days.set(day, counts);
        continue;
      }
      mine.accounts += counts.accounts;
      addCounts(mine.status, counts.status);
      addCounts(mine.tiers, counts.tiers);
      addCounts(mine.actions, counts.actions);
      mine.onboarding.tracked += counts.onboarding.tracked;
      mine.onboarding.complete += counts.onboarding.complete;
      addCounts(mine.onboarding.milestones, counts.onboarding.milestones);
    }
    for (const action of part.actions) this.actions.push(action);
    for (const [signal, alerts] of part.alerts) {
      const mine = this.alerts.get(signal)!;
      for (const alert of alerts) mine.push(alert);
    }
    for (const [account, trail] of part.trails) this.trails.set(account, AccountTrail.of(this.tierNames, trail, tierNumber));
    this.accountDays += part.accountDays;
    for (const [key, count] of part.taskLoad) add(this.taskLoad, key, count);
    for (const [key, count] of part.tierMoves) add(this.tierMoves, key, count);
    for (const days of part.timeToValue) this.timeToValue.push(days);
    for (const [name, count] of part.milestonesReached) add(this.milestonesReached, name, count);
  }

  private observeOnboarding(decision: AccountDecision, counts: DayCounts): void {
    const onboarding = decision.onboarding;
    const current = this.current!;
    if (!onboarding || onboarding.milestones.every((m) => m.status === "outside_window")) return;
    counts.onboarding.tracked++;
    if (onboarding.complete) counts.onboarding.complete++;
    for (const milestone of onboarding.milestones) {
      if (milestone.status !== "done") continue;
      counts.onboarding.milestones[milestone.name] = (counts.onboarding.milestones[milestone.name] ?? 0) + 1;
      // Reached in the replay: done on a replayed day, not already done when the account was first seen.
      if (!milestone.beforeTracking && milestone.doneOn !== null && !current.done.has(milestone.name)) {
        current.done.add(milestone.name);
        this.milestonesReached.set(milestone.name, (this.milestonesReached.get(milestone.name) ?? 0) + 1);
      }
    }
    if (onboarding.complete && current.complete === false && onboarding.timeToValue !== null) this.timeToValue.push(onboarding.timeToValue);
    current.complete = onboarding.complete;
  }

  private dayCounts(day: number): DayCounts {
    let counts = this.days.get(day);
    if (!counts) {
      const milestones = Object.fromEntries((this.plan.onboarding?.milestones ?? []).map((m) => [m.name, 0]));
      this.days.set(day, (counts = { date: isoDateOf(day), accounts: 0, status: { green: 0, yellow: 0, red: 0, none: 0 }, tiers: {}, actions: {}, onboarding: { tracked: 0, complete: 0, milestones } }));
    }
    return counts;
  }

  dayList(): DayCounts[] {
    return [...this.days.values()].sort((a, b) => (a.date < b.date ? -1 : 1));
  }

  actionList(): SimulatedAction[] {
    return this.actions.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  }

  taskLoadList(): TaskLoad[] {
    const capacity = this.plan.taskCapacity;
    return [...this.taskLoad]
      .map(([key, tasks]) => {
        const [owner, week] = key.split("\u0000") as [string, string];
        return { owner, week: isoDateOf(Number(week)), tasks, overCapacity: capacity !== undefined && tasks > capacity };
      })
      .sort((a, b) => (a.week < b.week ? -1 : a.week > b.week ? 1 : a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0));
  }

  tierMoveList(): TierMove[] {
    return [...this.tierMoves]
      .map(([key, count]) => {
        const [from, to] = key.split("\u0000") as [string, string];
        return { from, to, count };
      })
      .sort((a, b) => b.count - a.count || (a.from < b.from ? -1 : a.from > b.from ? 1 : a.to < b.to ? -1 : 1));
  }

  onboardingFigures(): OnboardingFigures | null {
    if (!this.plan.onboarding) return null;
    return {
      completed: this.timeToValue.length,
      medianTimeToValue: median(this.timeToValue),
      p90TimeToValue: quantile(this.timeToValue, 0.9),
      milestones: [...this.milestonesReached].map(([name, reached]) => ({ name, reached })),
    };
  }
}
