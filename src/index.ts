/**
 * Touchline as a library: the same pipeline the CLI runs, for scripts,
 * schedulers and services. Check a playbook, load a project, run it for a
 * day, explain one account, or evaluate accounts you hold in memory.
 *
 *   import { loadProject, run, explain } from "touchline";
 *   const project = loadProject("examples/saas-b2b");
 *   const result = await run(project, { asOf: "2026-03-01", useState: false });
 */
import { readFileSync } from "node:fs";
import { checkText, type CheckedPlaybook } from "./language/index.js";
import { loadProject, type Project } from "./run/project.js";
import { runProject, type RunOptions, type RunResult } from "./run/run.js";
import { RunStopped } from "./run/run.js";

export { loadProject, ProjectError, type Project } from "./run/project.js";
export { PlaybookInvalid, RunStopped, type RunOptions, type RunResult } from "./run/run.js";
export { compilePlaybook, PlaybookHasErrors } from "./engine/compile.js";
export { evaluateAccount, type AccountInput } from "./engine/evaluate.js";
export { Calendars, type DayClock } from "./engine/clock.js";
export { aggregatesInMemory, type AggregateSpec } from "./engine/aggregates.js";
export { EventStore, type UsageEvent } from "./engine/events.js";
export type { CompiledPlaybook } from "./engine/compiled.js";
export type { AccountDecision, ActionDecision, HealthResult, ComponentResult, MilestoneResult, TriggerResult } from "./engine/decision.js";
export type { AccountState } from "./engine/state.js";
export type { CheckedPlaybook } from "./language/index.js";
export type { Diagnostic } from "./text/diagnostic.js";
export { renderDiagnostic } from "./text/code-frame.js";
export { epochDayOf, isoDateOf } from "./expression/literals.js";
export type { Value } from "./expression/value.js";

/**
 * Checks a playbook file (or the given text for it): every diagnostic, the
 * merged model and the typed expressions. Never throws for a bad playbook;
 * look at `diagnostics` (errors have severity "error").
 */
export function checkPlaybook(path: string, text?: string): CheckedPlaybook {
  return checkText(path, text ?? readFileSync(path, "utf8"));
}

/** Runs a project's playbook for every account on one day (a project folder, its touchline.yaml, or a loaded Project). */
export async function run(project: Project | string, options: RunOptions): Promise<RunResult> {
  return runProject(typeof project === "string" ? loadProject(project) : project, options);
}

/** Why one account has its score, tier and actions on a day: its decision with every explanation, and what it remembered before. */
export async function explain(project: Project | string, accountId: string, options: { asOf: string; statePath?: string; useState?: boolean }): Promise<NonNullable<RunResult["explained"]> & { result: RunResult }> {
  const loaded = typeof project === "string" ? loadProject(project) : project;
  const result = await runProject(loaded, { ...options, explainAccount: accountId });
  if (!result.explained) throw new RunStopped(`account ${accountId} is not among the valid accounts of ${loaded.accounts.file}`);
  return { ...result.explained, result };
}
