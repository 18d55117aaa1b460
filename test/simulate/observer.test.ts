import { describe, expect, it } from "vitest";
import type { CompiledPlaybook } from "../../src/engine/compiled.js";
import type { AccountDecision, ActionDecision, MilestoneResult } from "../../src/engine/decision.js";
import type { AccountState } from "../../src/engine/state.js";
import { epochDayOf } from "../../src/expression/literals.js";
import { compareReplays } from "../../src/simulate/compare.js";
import { AccountTrail, ReplayObserver, weekOf } from "../../src/simulate/observer.js";

// Only what the observer reads of a compiled playbook.
const plan = { triggers: [{ name: "call" }], onboarding: { milestones: [{ name: "kickoff" }, { name: "live" }] }, taskCapacity: 2 } as unknown as CompiledPlaybook;
const day = (iso: string) => epochDayOf(iso)!;
const state = { triggers: {} } as unknown as AccountState;

function decision(iso: string, options: { tier?: string; status?: "green" | "yellow" | "red"; tasks?: (string | null)[]; milestones?: Partial<MilestoneResult>[]; complete?: boolean; timeToValue?: number | null }): AccountDecision {
  const actions = (options.tasks ?? []).map((to): ActionDecision => ({ trigger: "call", step: 0, kind: "task", target: "Call", to, priority: 0, status: "planned", reason: "" }) as ActionDecision);
  return {
    account: "",
    day: day(iso),
    metrics: {},
    segments: {},
    health: options.status ? ({ model: "default", score: 50, status: options.status, trend: null, components: [], caps: [], grace: false } as AccountDecision["health"]) : undefined,
    tier: options.tier ? { value: options.tier, computed: options.tier, previous: null, pending: null, held: null } : undefined,
    onboarding: options.milestones
      ? { completion: 0, complete: options.complete ?? false, timeToValue: options.timeToValue ?? null, milestones: options.milestones.map((m) => ({ name: "", status: "on_track", due: 0, doneOn: null, beforeTracking: false, ...m }) as MilestoneResult) }
      : undefined,
    triggers: [],
    actions,
    notices: [],
  };
}

describe("what a replay observes, worked by hand", () => {
  it("weeks start on Monday", () => {
    expect(weekOf(day("2026-03-02"))).toBe(day("2026-03-02")); // a Monday
    expect(weekOf(day("2026-03-08"))).toBe(day("2026-03-02")); // the Sunday after
    expect(weekOf(day("2026-03-09"))).toBe(day("2026-03-09"));
  });

  it("counts planned tasks per owner per week and flags the weeks over the capacity", () => {
    const observer = new ReplayObserver(plan);
    observer.observe("A", decision("2026-03-02", { tasks: ["ann"] }), state);
    observer.observe("A", decision("2026-03-04", { tasks: ["ann", "ann"] }), state);
    observer.observe("A", decision("2026-03-09", { tasks: ["ann"] }), state);
    observer.observe("B", decision("2026-03-08", { tasks: ["bob", null] }), state);
    expect(observer.taskLoadList()).toEqual([
      { owner: "(no owner)", week: "2026-03-02", tasks: 1, overCapacity: false },
      { owner: "ann", week: "2026-03-02", tasks: 3, overCapacity: true },
      { owner: "bob", week: "2026-03-02", tasks: 1, overCapacity: false },
      { owner: "ann", week: "2026-03-09", tasks: 1, overCapacity: false },
    ]);
  });

  it("counts tier moves between an account's replayed days, never across accounts", () => {
    const observer = new ReplayObserver(plan);
    for (const [iso, tier] of [["2026-03-01", "high"], ["2026-03-02", "low"], ["2026-03-03", "low"], ["2026-03-04", "high"]] as const) observer.observe("A", decision(iso, { tier }), state);
    observer.observe("B", decision("2026-03-01", { tier: "low" }), state);
    observer.observe("B", decision("2026-03-02", { tier: "high" }), state);
    expect(observer.tierMoveList()).toEqual([
      { from: "low", to: "high", count: 2 },
      { from: "high", to: "low", count: 1 },
    ]);
  });

  it("counts milestones reached during the replay and the time to value of accounts that completed onboarding in it", () => {
    const observer = new ReplayObserver(plan);
    // A: kickoff done before tracking; live reached on day 2; complete then, 40 days after its start.
    observer.observe("A", decision("2026-03-01", { milestones: [{ name: "kickoff", status: "done", doneOn: null, beforeTracking: true }, { name: "live" }] }), state);
    observer.observe("A", decision("2026-03-02", { milestones: [{ name: "kickoff", status: "done", doneOn: null, beforeTracking: true }, { name: "live", status: "done", doneOn: day("2026-03-02") }], complete: true, timeToValue: 40 }), state);
    // B: complete on its first replayed day: when is not known, so it is not counted.
    observer.observe("B", decision("2026-03-01", { milestones: [{ name: "kickoff", status: "done", beforeTracking: true }, { name: "live", status: "done", beforeTracking: true }], complete: true }), state);
    // C: both milestones on day 2, complete 10 days after its start.
    observer.observe("C", decision("2026-03-01", { milestones: [{ name: "kickoff" }, { name: "live" }] }), state);
    observer.observe("C", decision("2026-03-02", { milestones: [{ name: "kickoff", status: "done", doneOn: day("2026-03-02") }, { name: "live", status: "done", doneOn: day("2026-03-02") }], complete: true, timeToValue: 10 }), state);
    observer.observe("C", decision("2026-03-03", { milestones: [{ name: "kickoff", status: "done", doneOn: day("2026-03-02") }, { name: "live", status: "done", doneOn: day("2026-03-02") }], complete: true, timeToValue: 10 }), state);
    expect(observer.onboardingFigures()).toEqual({ completed: 2, medianTimeToValue: 25, p90TimeToValue: 40, milestones: [{ name: "kickoff", reached: 1 }, { name: "live", reached: 2 }] });
    const second = observer.dayList()[1]!;
    expect(second.onboarding).toEqual({ tracked: 2, complete: 2, milestones: { kickoff: 2, live: 2 } });
  });

  it("sees a red signal when an account turns red, not on every red day", () => {
    const observer = new ReplayObserver(plan);
    for (const [iso, status] of [["2026-03-01", "red"], ["2026-03-02", "red"], ["2026-03-03", "green"], ["2026-03-04", "red"]] as const) observer.observe("A", decision(iso, { status }), state);
    expect(observer.alerts.get("health.status == red")).toEqual([{ account: "A", day: day("2026-03-01") }, { account: "A", day: day("2026-03-04") }]);
  });
});

describe("two replays compared", () => {
  it("counts the days status and tier differ, and the actions added and removed per trigger", () => {
    const names: (string | null)[] = [null, "h", "l"];
    const statusName = { g: "green", y: "yellow", r: "red" } as Record<string, string>;
    const trail = (statuses: string, tiers: string) => {
      const t = new AccountTrail(names);
      [...statuses].forEach((s, i) => t.push(i, statusName[s]!, names.indexOf(tiers[i]!), null));
      return t;
    };
    const action = (date: string, account: string, trigger: string) => ({ date, account, trigger, kind: "email", target: "t", to: null, status: "planned", reason: "" });
    const baseline = {
      trails: new Map([["A", trail("gggr", "hhhh")], ["B", trail("yy", "ll")]]),
      actions: [action("d1", "A", "x"), action("d1", "A", "x"), action("d2", "B", "x"), action("d3", "A", "y")],
    };
    const other = {
      trails: new Map([["A", trail("ggrr", "hhll")], ["B", trail("y", "l")]]),
      actions: [action("d1", "A", "x"), action("d2", "B", "x"), action("d4", "B", "x"), action("d3", "A", "z")],
    };
    const differences = compareReplays(baseline, other);
    // B's second day is replayed by the baseline only: not compared.
    expect(differences).toMatchObject({ accountDaysCompared: 5, statusDaysDiffering: 1, tierDaysDiffering: 2, accountsDiffering: [{ account: "A", statusDays: 1, tierDays: 2 }] });
    expect(differences.actions).toEqual([
      { trigger: "x", kind: "email", baseline: 3, other: 3, added: 1, removed: 1 },
      { trigger: "y", kind: "email", baseline: 1, other: 0, added: 0, removed: 1 },
      { trigger: "z", kind: "email", baseline: 0, other: 1, added: 1, removed: 0 },
    ]);
  });
});
