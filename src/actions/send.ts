import { confinedReader } from "../language/confine.js";
import type { CompiledPlaybook } from "../engine/compiled.js";
import type { Project } from "../run/project.js";
import { preparePlaybook, runEveryPlaybook, RunStopped, type RunOptions, type RunResult } from "../run/run.js";
import { StateStore } from "../run/state-store.js";
import { deliverDue, type DeliveryReport, type PlaybookRules } from "./deliver.js";
import { OutboxLedger, type ActionKind } from "./ledger.js";
import { ActionPlanner } from "./plan.js";
import { loadDeliverySettings, missingSettings, type DeliverySettings } from "./settings.js";

export interface SendOptions {
  /** the delivery clock (ms since the epoch); the real one unless injected */
  now?: () => number;
  env?: NodeJS.ProcessEnv;
  progress?: (done: number, total: number) => void;
  sleep?: (ms: number) => Promise<void>;
}

export interface SendResult {
  /** one per playbook of the project */
  runs: RunResult[];
  /** actions this run put into the ledger that were not there before */
  recorded: number;
  /** of those, how many could not be prepared (recorded as failed), with a few examples */
  unprepared: { count: number; examples: string[] };
  delivery: DeliveryReport;
}

/** The kinds of action a playbook can decide: what delivery must be set up for. */
function actionKinds(plan: CompiledPlaybook): Set<ActionKind> {
  return new Set(plan.triggers.flatMap((t) => t.steps.flatMap((s) => s.actions.map((a) => a.kind))));
}

function rulesOf(plan: CompiledPlaybook): PlaybookRules {
  return { delivery: plan.delivery, caps: plan.caps.map((c) => ({ channel: c.channel as ActionKind | "any", max: c.max, perDays: c.perDays })) };
}

/** Every playbook of the project, compiled: their names, rules and the action kinds they use. */
function projectPlans(project: Project): CompiledPlaybook[] {
  return project.playbooks.map((file) => preparePlaybook(project, file).plan);
}

/** The settings the plans' actions need, or a RunStopped naming every one that is missing. */
function settingsFor(project: Project, plans: readonly CompiledPlaybook[], env: NodeJS.ProcessEnv | undefined): DeliverySettings {
  const settings = loadDeliverySettings(project, env);
  const kinds = new Set(plans.flatMap((plan) => [...actionKinds(plan)]));
  const missing = missingSettings(settings, kinds, /^https?:\/\//.test(project.delivery.tasks));
  if (missing.length > 0) throw new RunStopped(`--send needs ${missing.join("; ")}. Nothing was evaluated or sent.`);
  return settings;
}

/**
 * `run --send`: each playbook's run, with every decided action recorded in
 * the outbox ledger inside that run's own transaction, then one delivery
 * pass over the ledger, under the caps of every playbook. If the process
 * dies after a run committed, its actions are in the ledger and the next
 * pass delivers them; if it dies before, nothing was decided.
 */
export async function runAndSend(project: Project, runOptions: RunOptions, options: SendOptions = {}): Promise<SendResult> {
  const now = options.now ?? Date.now;
  const plans = projectPlans(project);
  const settings = settingsFor(project, plans, options.env);
  if (runOptions.useState === false) throw new RunStopped("--send needs the state file (it keeps the outbox ledger): drop --no-state");
  const planners: ActionPlanner[] = [];
  const runs = await runEveryPlaybook(project, {
    ...runOptions,
    recordActions: ({ database, plan, checked }) => {
      const planner = new ActionPlanner(new OutboxLedger(database), plan, checked, settings, confinedReader(project.allowedFolders), now);
      planners.push(planner);
      return (decision, row) => planner.add(decision, row);
    },
  });
  const delivery = await deliverOutbox(project, runOptions.statePath ?? project.state, settings, new Map(plans.map((plan) => [plan.name, rulesOf(plan)])), { ...options, now });
  return {
    runs,
    recorded: planners.reduce((sum, p) => sum + p.recorded, 0),
    unprepared: { count: planners.reduce((sum, p) => sum + p.unprepared, 0), examples: planners.flatMap((p) => [...p.problems]).slice(0, 5) },
    delivery,
  };
}

/** A delivery pass on its own (`touchline outbox deliver`, `outbox retry`): what is due now goes out. */
export async function deliverProject(project: Project, statePath: string | undefined, options: SendOptions = {}): Promise<DeliveryReport> {
  const plans = projectPlans(project);
  const settings = settingsFor(project, plans, options.env);
  return deliverOutbox(project, statePath ?? project.state, settings, new Map(plans.map((plan) => [plan.name, rulesOf(plan)])), options);
}

async function deliverOutbox(project: Project, statePath: string, settings: DeliverySettings, rules: Map<string, PlaybookRules>, options: SendOptions): Promise<DeliveryReport> {
  const store = StateStore.forWriting(statePath, 30_000);
  try {
    const ledger = new OutboxLedger(store.database);
    return await deliverDue(ledger, settings, {
      now: options.now ?? Date.now,
      ...(options.sleep ? { sleep: options.sleep } : {}),
      rules,
      holidays: project.delivery.holidays,
      rate: project.delivery.rate,
      maxAttempts: project.delivery.maxAttempts,
      timeoutMs: project.delivery.timeoutMs,
      tasks: project.delivery.tasks,
      journalFolder: `${statePath}.journal`,
      ...(options.progress ? { progress: options.progress } : {}),
    });
  } finally {
    store.close();
  }
}

/** Opens a project's ledger for commands that read or change it (outbox, suppress, unsubscribe). */
export function withLedger<T>(statePath: string, work: (ledger: OutboxLedger, store: StateStore) => T): T {
  const store = StateStore.forWriting(statePath, 30_000);
  try {
    return work(new OutboxLedger(store.database), store);
  } finally {
    store.close();
  }
}
