import type { AccountRow } from "../data/reader.js";
import type { CompiledPlaybook } from "../engine/compiled.js";
import type { AccountDecision } from "../engine/decision.js";
import type { CompactDetail, HistoryLayout } from "./state-store.js";

/** The names of the values an account's evaluation reads, in the order a history detail keeps them: fields, then event aggregates by their call. */
export function inputNames(plan: CompiledPlaybook): string[] {
  return [...plan.fieldsRead, ...plan.aggregates.map((spec) => spec.key)];
}

/** The values an account's evaluation read, in inputNames' order. */
function inputValues(plan: CompiledPlaybook, row: AccountRow): unknown[] {
  const values: unknown[] = [];
  for (const name of plan.fieldsRead) values.push(row.fields[name] ?? null);
  for (let i = 0; i < plan.aggregates.length; i++) values.push(row.aggregates[i] ?? null);
  return values;
}

/** The values an account's evaluation read, by name. */
export function inputsRead(plan: CompiledPlaybook, row: AccountRow): Record<string, unknown> {
  const values = inputValues(plan, row);
  return Object.fromEntries(inputNames(plan).map((name, i) => [name, values[i]]));
}

/** The names of what the health history keeps of a day: the values read, and each health model's components with their weights. */
export function historyLayout(plan: CompiledPlaybook): HistoryLayout {
  return {
    inputs: inputNames(plan),
    models: Object.fromEntries(plan.healthModels.map((model) => [model.name, model.components.map((c): [string, number] => [c.name, c.weight])])),
  };
}

/** What the health history keeps of a day, in the order of its layout (`layout`, its id): the model and its component scores, the values read, the actions. */
export function historyDetail(plan: CompiledPlaybook, layout: string, decision: AccountDecision, row: AccountRow): CompactDetail {
  return [
    layout,
    decision.health?.model ?? null,
    (decision.health?.components ?? []).map((c) => c.score),
    inputValues(plan, row),
    decision.actions.map((a) => [a.trigger, a.kind, a.target, a.status]),
  ];
}
