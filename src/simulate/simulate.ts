import { dirname, resolve } from "node:path";
import { DataEngine, DataError } from "../data/duckdb.js";
import { Rejections, type RejectGroup } from "../data/rejects.js";
import { isoDateOf } from "../expression/literals.js";
import type { Project } from "../run/project.js";
import { parseAsOf, preparePlaybook, RunStopped, stopAtFirstBadRow } from "../run/run.js";
import { captureFigures, rateByDecile, rocAuc, type CaptureFigures, type Churn, type DecileRow } from "./backtest.js";
import { firstDayOfMonth } from "./kpi.js";
import { compareReplays, type ReplayDifferences } from "./compare.js";
import { HISTORY_ENGINE_LIMITS, loadHistory, loadMrr, loadOutcomes, type MrrRow, type OutcomeRow } from "./history.js";
import { type ReplayObserver, type DayCounts, type OnboardingFigures, type SimulatedAction, type TaskLoad, type TierMove } from "./observer.js";
import { defaultThreads, replayOnThreads } from "./parallel.js";

export type { DayCounts, SimulatedAction } from "./observer.js";

export interface SimulateOptions {
  from: string;
  to: string;
  /** days between evaluations: 1 or 7 */
  step: number;
  /** days after a signal within which a churn counts as foreseen */
  horizonDays: number;
  strict?: boolean;
  /** another playbook replayed over the same history and compared with the project's */
  compare?: string | undefined;
  /** called as accounts are done with the accounts done and the total */
  progress?: (done: number, total: number) => void;
  /** threads replaying accounts side by side (default: one per core, up to 8, for 1,000 accounts or more each); 1 replays on the main thread */
  threads?: number | undefined;
}

export interface SignalFigures extends Omit<CaptureFigures, "leadTimes"> {
  signal: string;
  /** the churn capture curve: per lead time L (0, 7, 14, ... up to the horizon), the share of churns alerted at least L days before */
  capture: { leadDays: number; recall: number | null }[];
}

export interface Backtest {
  /** where the churns come from */
  churnSource: "outcomes" | "mrr";
  horizonDays: number;
  /** the last day the outcomes are known for: signals whose horizon ends later are not scored */
  knownUntil: string;
  churns: number;
  /** the accounts those churns are of (an account may churn, come back and churn again) */
  churnedAccounts: number;
  signals: SignalFigures[];
  /** ROC AUC of the health score (lower = riskier) for churn within the horizon, over the account-days scored */
  auc: number | null;
  accountDaysScored: number;
  deciles: DecileRow[];
  /** accounts green on some day within the horizon before they churned */
  greenChurn: { account: string; churned: string; lastGreen: string; score: number | null }[];
}

export interface SimulationReport {
  playbook: { name: string; version: number | null; hash: string };
  from: string;
  to: string;
  step: "day" | "week";
  accounts: number;
  accountDays: number;
  days: DayCounts[];
  actions: SimulatedAction[];
  /** planned CSM tasks per owner per week, and the playbook's weekly capacity per owner */
  taskLoad: TaskLoad[];
  taskCapacity: number | null;
  /** accounts moving from one tier to another between replayed days */
  tierMoves: TierMove[];
  onboarding: OnboardingFigures | null;
  backtest: Backtest | null;
  /** the other playbook (`--compare`): its own figures and where it differs */
  comparison?: Comparison;
  /** why there is no backtest, when there is none */
  backtestMissing?: string;
  rejected: number;
  /** the rejected rows' problems, grouped, with examples (file, line, field) */
  rejectGroups: RejectGroup[];
  warnings: string[];
}

export interface Comparison {
  file: string;
  playbook: { name: string; version: number | null; hash: string };
  days: DayCounts[];
  actions: number;
  taskLoad: TaskLoad[];
  backtest: Backtest | null;
  differences: ReplayDifferences;
}

/** The day revenue stopped: the first day of the first month without MRR after a month with it. */
function churnsFromMrr(rows: readonly MrrRow[]): Churn[] {
  const byAccount = new Map<string, Map<number, number>>();
  for (const row of rows) {
    const months = byAccount.get(row.account) ?? new Map<number, number>();
    months.set(row.month, (months.get(row.month) ?? 0) + row.mrr);
    byAccount.set(row.account, months);
  }
  const churns: Churn[] = [];
  for (const [account, months] of byAccount) {
    const paid = [...months].filter(([, mrr]) => mrr > 0).map(([m]) => m).sort((a, b) => a - b);
    for (const month of paid) {
      if ((months.get(month + 1) ?? 0) > 0) continue;
      const next = month + 1;
      churns.push({ account, day: firstDayOfMonth(next) });
    }
  }
  // A month after the last one in the file is not known to be without revenue.
  const lastMonth = Math.max(...rows.map((r) => r.month));
  const lastKnown = firstDayOfMonth(lastMonth);
  return churns.filter((c) => c.day <= lastKnown);
}

/**
 * Replays a project's playbook over its history from `from` to `to`, and
 * backtests it against the churns the history records; with `compare`,
 * replays that playbook too and reports where the two differ.
 */
export async function simulateProject(project: Project, options: SimulateOptions): Promise<SimulationReport> {
  const from = parseAsOf(options.from);
  const to = parseAsOf(options.to);
  if (to < from) throw new RunStopped(`--to (${options.to}) is before --from (${options.from})`);
  if (!project.history?.snapshots) throw new RunStopped(`${project.configFile} has no history snapshots: add history: { snapshots: <file with an as_of column> } to replay the past`);
  const engine = await DataEngine.open(HISTORY_ENGINE_LIMITS);
  try {
    const sides = options.compare === undefined ? 1 : 2;
    const progress = (side: number) => (done: number, total: number) => options.progress?.(side * total + done, total * sides);
    const baseline = await simulateSide(engine, project, from, to, options, progress(0));
    if (options.compare === undefined) return baseline.report;
    const file = resolve(options.compare);
    const otherProject: Project = { ...project, playbook: file, allowedFolders: [...project.allowedFolders, dirname(file)] };
    const other = await simulateSide(engine, otherProject, from, to, options, progress(1));
    baseline.report.comparison = {
      file: options.compare,
      playbook: other.report.playbook,
      days: other.report.days,
      actions: other.report.actions.length,
      taskLoad: other.report.taskLoad,
      backtest: other.report.backtest,
      differences: compareReplays(baseline.observer, other.observer),
    };
    return baseline.report;
  } catch (error) {
    throw error instanceof DataError ? new RunStopped(error.message) : error;
  } finally {
    engine.close();
  }
}

/** One playbook replayed over the project's history, with its backtest. */
async function simulateSide(engine: DataEngine, project: Project, from: number, to: number, options: SimulateOptions, progress: (done: number, total: number) => void): Promise<{ report: SimulationReport; observer: ReplayObserver }> {
  const history = project.history!;
  const snapshots = history.snapshots!;
  const { plan, checked } = preparePlaybook(project);
  const rejections = new Rejections();
  const strict = options.strict === true;
  const data = await loadHistory(engine, plan, checked.environment.eventTypes, { snapshots, events: history.events, timezone: project.timezone }, from, to, rejections, strict);
  const outcomes: OutcomeRow[] = history.outcomes ? await loadOutcomes(engine, history.outcomes, project.idField, rejections) : [];
  const mrr: MrrRow[] = history.mrr ? await loadMrr(engine, history.mrr, project.idField, rejections) : [];
  if (strict) stopAtFirstBadRow(rejections);
  // Outcomes of accounts the snapshots never show cannot be replayed: said, not dropped unseen.
  const known = new Set(data.accounts.map((a) => a.id));
  const strangers = [...new Set([...outcomes.map((o) => o.account), ...mrr.map((m) => m.account)].filter((id) => !known.has(id)))];
  if (strangers.length > 0) data.warnings.push(`${strangers.length} accounts in the outcomes or revenue are in no snapshot up to ${isoDateOf(to)} and are left out of the backtest (for example ${strangers.slice(0, 3).join(", ")})`);
  const churns: Churn[] = history.outcomes ? outcomes.filter((o) => o.outcome === "churned").map((o) => ({ account: o.account, day: o.day })) : churnsFromMrr(mrr);
  const churnsByAccount = new Map<string, number[]>();
  for (const churn of churns) (churnsByAccount.get(churn.account) ?? churnsByAccount.set(churn.account, []).get(churn.account)!).push(churn.day);

  const observer = await replayOnThreads(project, project.playbook, plan, data, { from, to, step: options.step, churns: churnsByAccount }, options.threads ?? defaultThreads(data.accounts.length), progress);
  if (observer.accountDays === 0) throw new RunStopped(`no account of ${snapshots.file} exists between ${isoDateOf(from)} and ${isoDateOf(to)}: nothing was replayed`);

  const report: SimulationReport = {
    playbook: { name: plan.name, version: plan.version ?? null, hash: plan.hash },
    from: isoDateOf(from),
    to: isoDateOf(to),
    step: options.step === 7 ? "week" : "day",
    accounts: data.accounts.length,
    accountDays: observer.accountDays,
    days: observer.dayList(),
    actions: observer.actionList(),
    taskLoad: observer.taskLoadList(),
    taskCapacity: plan.taskCapacity ?? null,
    tierMoves: observer.tierMoveList(),
    onboarding: observer.onboardingFigures(),
    backtest: null,
    rejected: rejections.records,
    rejectGroups: rejections.groups(),
    warnings: data.warnings,
  };
  if (!history.outcomes && !history.mrr) {
    report.backtestMissing = "the history names neither outcomes nor mrr: there is no churn to backtest against";
    return { report, observer };
  }
  const horizon = options.horizonDays;
  // Outcomes are known up to the last day the history records one (for revenue, the first day of its last month):
  // a signal whose horizon ends later cannot be scored, whatever --to says.
  const lastMrrMonth = mrr.length > 0 ? Math.max(...mrr.map((r) => r.month)) : undefined;
  const lastOutcome = history.outcomes ? Math.max(-Infinity, ...outcomes.map((o) => o.day)) : lastMrrMonth === undefined ? -Infinity : firstDayOfMonth(lastMrrMonth);
  if (!Number.isFinite(lastOutcome)) report.warnings.push(`${history.outcomes ? history.outcomes.file : history.mrr!.file} has no usable rows: there is nothing to backtest against`);
  else if (to + horizon > lastOutcome) {
    const last = isoDateOf(lastOutcome - horizon);
    report.warnings.push(from + horizon > lastOutcome
      ? `the outcomes end on ${isoDateOf(lastOutcome)}: no day replayed is followed by ${horizon} days of known outcomes, so no signal can be scored; replay earlier days or shorten --horizon`
      : `the outcomes end on ${isoDateOf(lastOutcome)}: signals after ${last} (less than ${horizon} days before it) are not scored`);
  }
  const trails = observer.trails;
  const inReplay = churns.filter((c) => trails.has(c.account) && c.day > from && c.day <= to + horizon && trails.get(c.account)!.between(c.day - horizon, c.day).length > 0);
  const signals = [...observer.alerts].map(([signal, list]) => {
    const { leadTimes, ...figures } = captureFigures(list, inReplay, horizon, lastOutcome);
    const capture: SignalFigures["capture"] = [];
    for (let lead = 0; lead <= horizon; lead += 7) capture.push({ leadDays: lead, recall: inReplay.length === 0 ? null : leadTimes.filter((t) => t >= lead).length / inReplay.length });
    return { signal, ...figures, capture };
  });
  // Millions of account-days: two flat arrays, not an object each.
  const risk: number[] = [];
  const positive: boolean[] = [];
  for (const [account, trail] of trails) {
    const churnDays = churnsByAccount.get(account) ?? [];
    for (let i = 0; i < trail.length; i++) {
      const day = trail.day(i);
      const score = trail.score(i);
      if (score === null || day + horizon > lastOutcome) continue;
      risk.push(score);
      positive.push(churnDays.some((c) => c > day && c <= day + horizon));
    }
  }
  const lastSnapshot = Math.max(...data.accounts.map((a) => a.days[a.days.length - 1]!));
  if (to > lastSnapshot) report.warnings.push(`the snapshots end on ${isoDateOf(lastSnapshot)}: the days after it reuse each account's last snapshot`);
  const greenChurn = inReplay.flatMap((c) => {
    const green = trails.get(c.account)!.between(c.day - horizon, c.day).filter((d) => d.status === "green").at(-1);
    return green ? [{ account: c.account, churned: isoDateOf(c.day), lastGreen: isoDateOf(green.day), score: green.score }] : [];
  });
  report.backtest = {
    churnSource: history.outcomes ? "outcomes" : "mrr",
    horizonDays: horizon,
    knownUntil: Number.isFinite(lastOutcome) ? isoDateOf(lastOutcome) : "-",
    churns: inReplay.length,
    churnedAccounts: new Set(inReplay.map((c) => c.account)).size,
    signals,
    auc: rocAuc(risk.map((score) => -score), positive),
    accountDaysScored: risk.length,
    deciles: rateByDecile(risk, positive),
    greenChurn,
  };
  return { report, observer };
}
