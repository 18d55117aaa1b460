import { DataEngine, DataError } from "../data/duckdb.js";
import { Rejections, type RejectGroup } from "../data/rejects.js";
import type { AccountDecision } from "../engine/decision.js";
import { isoDateOf } from "../expression/literals.js";
import type { Project } from "../run/project.js";
import { parseAsOf, preparePlaybook, RunStopped } from "../run/run.js";
import { captureFigures, rateByDecile, rocAuc, type Alert, type CaptureFigures, type Churn, type DecileRow } from "./backtest.js";
import { loadHistory, loadMrr, loadOutcomes, type MrrRow, type OutcomeRow } from "./history.js";
import { replay } from "./replay.js";

export interface SimulateOptions {
  from: string;
  to: string;
  /** days between evaluations: 1 or 7 */
  step: number;
  /** days after a signal within which a churn counts as foreseen */
  horizonDays: number;
  strict?: boolean;
  /** called after each account with the accounts done and the total */
  progress?: (done: number, total: number) => void;
}

export interface DayCounts {
  date: string;
  accounts: number;
  status: { green: number; yellow: number; red: number; none: number };
  tiers: Record<string, number>;
  actions: Record<string, number>;
}

export interface SimulatedAction {
  date: string;
  account: string;
  trigger: string;
  kind: string;
  target: string;
  status: string;
  reason: string;
}

export interface SignalFigures extends Omit<CaptureFigures, "leadTimes"> {
  signal: string;
}

export interface Backtest {
  /** where the churns come from */
  churnSource: "outcomes" | "mrr";
  horizonDays: number;
  /** the last day the outcomes are known for: signals whose horizon ends later are not scored */
  knownUntil: string;
  churns: number;
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
  backtest: Backtest | null;
  /** why there is no backtest, when there is none */
  backtestMissing?: string;
  rejected: number;
  /** the rejected rows' problems, grouped, with examples (file, line, field) */
  rejectGroups: RejectGroup[];
  warnings: string[];
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
      churns.push({ account, day: Date.UTC(1970 + Math.floor(next / 12), next % 12, 1) / 86_400_000 });
    }
  }
  // A month after the last one in the file is not known to be without revenue.
  const lastMonth = Math.max(...rows.map((r) => r.month));
  const lastKnown = Date.UTC(1970 + Math.floor(lastMonth / 12), lastMonth % 12, 1) / 86_400_000;
  return churns.filter((c) => c.day <= lastKnown);
}

/**
 * Replays a project's playbook over its history from `from` to `to`, and
 * backtests it against the churns the history records.
 */
export async function simulateProject(project: Project, options: SimulateOptions): Promise<SimulationReport> {
  const from = parseAsOf(options.from);
  const to = parseAsOf(options.to);
  if (to < from) throw new RunStopped(`--to (${options.to}) is before --from (${options.from})`);
  const history = project.history;
  if (!history?.snapshots) throw new RunStopped(`${project.configFile} has no history snapshots: add history: { snapshots: <file with an as_of column> } to replay the past`);
  const { plan, checked } = preparePlaybook(project);
  const engine = await DataEngine.open();
  const rejections = new Rejections();
  try {
    const strict = options.strict === true;
    const data = await loadHistory(engine, plan, checked.environment.eventTypes, { snapshots: history.snapshots, events: history.events, timezone: project.timezone }, from, to, rejections, strict);
    const outcomes: OutcomeRow[] = history.outcomes ? await loadOutcomes(engine, history.outcomes, project.idField, rejections) : [];
    const mrr: MrrRow[] = history.mrr ? await loadMrr(engine, history.mrr, project.idField, rejections) : [];
    const first = rejections.firstRecord();
    if (strict && first) throw new RunStopped(`${first.file}:${first.line}${first.problems[0]?.field ? `: field \`${first.problems[0].field}\`` : ""}: ${first.problems[0]?.message ?? "cannot be read"} (--strict stops at the first bad row)`);
    const churns: Churn[] = history.outcomes ? outcomes.filter((o) => o.outcome === "churned").map((o) => ({ account: o.account, day: o.day })) : churnsFromMrr(mrr);
    const churnsByAccount = new Map<string, number[]>();
    for (const churn of churns) churnsByAccount.set(churn.account, [...(churnsByAccount.get(churn.account) ?? []), churn.day]);

    const days = new Map<number, DayCounts>();
    const actions: SimulatedAction[] = [];
    const alerts = new Map<string, Alert[]>([["health.status == red", []], ...plan.triggers.map((t): [string, Alert[]] => [t.name, []])]);
    const scored: { account: string; day: number; score: number }[] = [];
    const statusDays = new Map<string, { day: number; status: string | null; score: number | null }[]>();
    let accountDays = 0;
    let done = 0;
    let previousStatus: string | null = null;
    let currentAccount = "";
    replay(plan, data, { from, to, step: options.step, churns: churnsByAccount }, (account, decision: AccountDecision, state) => {
      if (account.id !== currentAccount) {
        if (currentAccount !== "") options.progress?.(++done, data.accounts.length);
        currentAccount = account.id;
        previousStatus = null;
      }
      accountDays++;
      let counts = days.get(decision.day);
      if (!counts) days.set(decision.day, (counts = { date: isoDateOf(decision.day), accounts: 0, status: { green: 0, yellow: 0, red: 0, none: 0 }, tiers: {}, actions: {} }));
      counts.accounts++;
      const status = decision.health?.status ?? null;
      counts.status[status ?? "none"]++;
      const tier = decision.tier?.value ?? "(none)";
      counts.tiers[tier] = (counts.tiers[tier] ?? 0) + 1;
      for (const action of decision.actions) {
        counts.actions[action.kind] = (counts.actions[action.kind] ?? 0) + 1;
        actions.push({ date: isoDateOf(decision.day), account: account.id, trigger: action.trigger, kind: action.kind, target: action.target, status: action.status, reason: action.reason });
      }
      // A trigger entered today (held-out entries included: the signal fired) has today as its last entry.
      for (const trigger of plan.triggers) if (state.triggers[trigger.name]?.lastEntered === decision.day) alerts.get(trigger.name)!.push({ account: account.id, day: decision.day });
      if (status === "red" && previousStatus !== "red") alerts.get("health.status == red")!.push({ account: account.id, day: decision.day });
      previousStatus = status;
      const score = decision.health?.score ?? null;
      if (score !== null) scored.push({ account: account.id, day: decision.day, score });
      const trail = statusDays.get(account.id) ?? [];
      trail.push({ day: decision.day, status, score });
      statusDays.set(account.id, trail);
    });
    if (currentAccount !== "") options.progress?.(++done, data.accounts.length);
    if (accountDays === 0) throw new RunStopped(`no account of ${history.snapshots.file} exists between ${options.from} and ${options.to}: nothing was replayed`);

    const report: SimulationReport = {
      playbook: { name: plan.name, version: plan.version ?? null, hash: plan.hash },
      from: isoDateOf(from),
      to: isoDateOf(to),
      step: options.step === 7 ? "week" : "day",
      accounts: data.accounts.length,
      accountDays,
      days: [...days.values()].sort((a, b) => (a.date < b.date ? -1 : 1)),
      actions: actions.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0)),
      backtest: null,
      rejected: rejections.records,
      rejectGroups: rejections.groups(),
      warnings: data.warnings,
    };
    if (!history.outcomes && !history.mrr) {
      report.backtestMissing = "the history names neither outcomes nor mrr: there is no churn to backtest against";
      return report;
    }
    const horizon = options.horizonDays;
    const lastOutcome = Math.max(to, ...churns.map((c) => c.day), ...outcomes.map((o) => o.day));
    const replayed = new Set(data.accounts.map((a) => a.id));
    const inReplay = churns.filter((c) => replayed.has(c.account) && c.day > from && c.day <= to + horizon && (statusDays.get(c.account) ?? []).some((d) => d.day >= c.day - horizon && d.day < c.day));
    const signals = [...alerts].map(([signal, list]) => {
      const { leadTimes: _, ...figures } = captureFigures(list, inReplay, horizon, lastOutcome);
      return { signal, ...figures };
    });
    const churnDays = churnsByAccount;
    const covered = scored.filter((s) => s.day + horizon <= lastOutcome);
    const positive = covered.map((s) => (churnDays.get(s.account) ?? []).some((c) => c > s.day && c <= s.day + horizon));
    const greenChurn = inReplay.flatMap((c) => {
      const green = (statusDays.get(c.account) ?? []).filter((d) => d.status === "green" && d.day >= c.day - horizon && d.day < c.day).at(-1);
      return green ? [{ account: c.account, churned: isoDateOf(c.day), lastGreen: isoDateOf(green.day), score: green.score }] : [];
    });
    report.backtest = {
      churnSource: history.outcomes ? "outcomes" : "mrr",
      horizonDays: horizon,
      knownUntil: isoDateOf(lastOutcome),
      churns: inReplay.length,
      signals,
      auc: rocAuc(covered.map((s) => -s.score), positive),
      accountDaysScored: covered.length,
      deciles: rateByDecile(covered.map((s) => s.score), positive),
      greenChurn,
    };
    return report;
  } catch (error) {
    throw error instanceof DataError ? new RunStopped(error.message) : error;
  } finally {
    engine.close();
  }
}
