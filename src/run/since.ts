import { Calendars } from "../engine/clock.js";
import type { CompiledPlaybook } from "../engine/compiled.js";
import type { AccountDecision } from "../engine/decision.js";
import { evaluateAccount } from "../engine/evaluate.js";
import type { Value } from "../expression/value.js";
import { inputNames } from "./history-detail.js";
import type { HistoryRow } from "./state-store.js";

/** One component of the health score on the earlier day and today. */
export interface ComponentChange {
  name: string;
  before: { weight: number; score: number | null; contribution: number } | undefined;
  after: { weight: number; score: number | null; contribution: number } | undefined;
}

/** What moved an account's score between an earlier day and today, and why. */
export interface ScoreChange {
  /** the history row in effect on the day asked for: the last change on or before it */
  earlier: HistoryRow;
  scoreBefore: number | null;
  scoreAfter: number | null;
  components: ComponentChange[];
  /**
   * The change split in two, when the earlier day's inputs could be scored
   * again under today's playbook: what the playbook edit moved, and what the data moved.
   */
  split: { playbook: number; data: number; weightChanges: string[]; inputChanges: string[] } | undefined;
  /** why there is no split, when there is none */
  noSplit: string | undefined;
  /** status and tier moves, and actions, on the remembered days after the earlier one */
  between: HistoryRow[];
}

const round2 = (n: number) => Math.round(n * 100) / 100;

function contributions(components: readonly { name: string; weight: number; score: number | null }[]): Map<string, { weight: number; score: number | null; contribution: number }> {
  const present = components.reduce((sum, c) => sum + (c.score === null ? 0 : c.weight), 0);
  return new Map(components.map((c) => [c.name, { weight: c.weight, score: c.score, contribution: c.score === null || present === 0 ? 0 : round2((c.weight / present) * c.score) }]));
}

function same(a: unknown, b: unknown): boolean {
  return typeof a === "number" && typeof b === "number" ? Math.abs(a - b) < 1e-9 : a === b;
}

/**
 * Compares today's decision with what the state remembered for an earlier
 * day. When the playbook changed in between, the earlier day's inputs are
 * scored again under today's playbook: the difference from the remembered
 * score is the playbook's part, the rest is the data's.
 */
export function scoreChange(plan: CompiledPlaybook, today: AccountDecision, todayInputs: Record<string, unknown>, history: readonly HistoryRow[], sinceDay: number, zone: string, show: (value: unknown) => string): ScoreChange | undefined {
  const earlier = history.find((row) => row.day <= sinceDay);
  if (!earlier) return undefined;
  const between = history.filter((row) => row.day > earlier.day && row.day < today.day).reverse();
  const before = contributions(earlier.detail?.components ?? []);
  const after = contributions((today.health?.components ?? []).map((c) => ({ name: c.name, weight: c.weight, score: c.score })));
  const names = [...new Set([...after.keys(), ...before.keys()])];
  const components = names.map((name) => ({ name, before: before.get(name), after: after.get(name) }));
  const change: ScoreChange = { earlier, scoreBefore: earlier.score, scoreAfter: today.health?.score ?? null, components, split: undefined, noSplit: undefined, between };
  const inputs = earlier.detail?.inputs;
  if (!inputs) {
    change.noSplit = "the remembered day kept no inputs (written by an older Touchline, or its names are missing from the state file)";
    return change;
  }
  const missing = inputNames(plan).filter((name) => !Object.hasOwn(inputs, name));
  if (earlier.playbook !== plan.hash && missing.length > 0) {
    change.noSplit = `today's playbook reads ${missing.slice(0, 3).map((m) => `\`${m}\``).join(", ")}, which the remembered day did not keep`;
    return change;
  }
  // The earlier day's inputs, scored under today's playbook.
  const fields = Object.create(null) as Record<string, Value>;
  for (const name of plan.fieldsRead) fields[name] = (inputs[name] ?? null) as Value;
  const aggregates = plan.aggregates.map((a) => (inputs[a.key] ?? null) as Value);
  const rescored = evaluateAccount(plan, { id: today.account, fields, clock: new Calendars(earlier.day).clock(zone), aggregates, previous: undefined, overrides: [] }).decision;
  const rescoredScore = rescored.health?.score ?? null;
  if (rescoredScore === null || earlier.score === null || change.scoreAfter === null) return change;
  const weightChanges: string[] = [];
  for (const { name, before: b, after: a } of components) {
    if (!b || !a) weightChanges.push(a ? `${name} added` : `${name} removed`);
    else if (!same(b.weight, a.weight)) weightChanges.push(`${name} weight ${Math.round(b.weight * 1000) / 10}% -> ${Math.round(a.weight * 1000) / 10}%`);
  }
  const inputChanges = changedInputs(inputs, todayInputs, show);
  return { ...change, split: { playbook: round2(rescoredScore - earlier.score), data: round2(change.scoreAfter - rescoredScore), weightChanges, inputChanges } };
}

/** Inputs whose value differs between two days, as `name before -> after`, for the data's part of a change. */
export function changedInputs(before: Record<string, unknown>, after: Record<string, unknown>, show: (value: unknown) => string): string[] {
  const changes: string[] = [];
  for (const [name, value] of Object.entries(after)) {
    if (!Object.hasOwn(before, name) || same(before[name], value)) continue;
    changes.push(`${name} ${show(before[name])} -> ${show(value)}`);
  }
  return changes;
}
