import { DataEngine, DataError } from "../data/duckdb.js";
import { Rejections, type RejectGroup } from "../data/rejects.js";
import type { Project } from "../run/project.js";
import { preparePlaybook, RunStopped } from "../run/run.js";
import { HISTORY_ENGINE_LIMITS, loadHistory, loadMrr, loadOutcomes, type MrrRow, type OutcomeRow } from "./history.js";
import { firstDayOfMonth, FORMULAS, monthlyFigures, monthOfDay, monthText, netPromoterScore, renewalRate, type MonthFigures, type NpsFigures } from "./kpi.js";
import type { MonthEndsObserver } from "./month-ends.js";
import { defaultThreads, replayOnThreads } from "./parallel.js";

export interface PortfolioMonth extends MonthFigures {
  upForRenewal: number | null;
  renewed: number | null;
  renewalRate: number | null;
  /** from the latest `nps` answer of each account replayed on the month's last day; null without snapshots or an nps field */
  nps: NpsFigures | null;
  /** accounts in their onboarding window on the month's last day, those that completed it, and the rate */
  onboarding: { tracked: number; complete: number; rate: number | null } | null;
}

export interface PortfolioReport {
  months: PortfolioMonth[];
  /** the same revenue figures per tier: an account counts in the tier it had on the month's last replayed day */
  tiers: { tier: string; months: MonthFigures[] }[];
  formulas: Record<string, string>;
  rejected: number;
  rejectGroups: RejectGroup[];
  /** what reading the history found worth saying (events of unknown accounts or types, a slower grouping) */
  warnings: string[];
}


/** What the replay saw of each account on the last day of each month it was replayed in, and the history's warnings. */
type MonthEnds = Pick<MonthEndsObserver, "tiers" | "nps" | "onboarding"> & { warnings: string[] };

/** How `kpi` works. */
export interface PortfolioOptions {
  /** threads replaying accounts side by side (default: as simulate); 1 replays on the main thread */
  threads?: number | undefined;
}

/**
 * Replays the playbook day by day over the months of the revenue history
 * (exactly as `simulate` does, on as many threads) to learn each account's
 * tier, NPS answer and onboarding at each month's end.
 */
async function replayMonthEnds(engine: DataEngine, project: Project, from: number, to: number, outcomes: readonly OutcomeRow[] | undefined, rejections: Rejections, threads: number | undefined): Promise<MonthEnds> {
  const history = project.history!;
  const { plan, checked } = preparePlaybook(project);
  const hasNps = plan.fields.some((f) => f.name === "nps");
  const data = await loadHistory(engine, plan, checked.environment.eventTypes, { snapshots: history.snapshots!, events: history.events, timezone: project.timezone }, from, to, rejections, false, hasNps ? ["nps"] : []);
  const churns = new Map<string, number[]>();
  for (const o of outcomes ?? []) if (o.outcome === "churned") (churns.get(o.account) ?? churns.set(o.account, []).get(o.account)!).push(o.day);
  const warnings = data.warnings;
  const observed = await replayOnThreads(project, project.playbook, plan, data, { from, to, step: 1, churns }, threads ?? defaultThreads(data.accounts.length), () => {}, { kind: "month-ends", nps: hasNps });
  return { tiers: observed.tiers, nps: observed.nps, onboarding: observed.onboarding, warnings };
}

/** An account's tier at a month's end: the one it had on its last replayed day up to then. */
function tierAt(tiers: ReadonlyMap<number, string> | undefined, month: number): string | undefined {
  let found: string | undefined;
  let foundMonth = -Infinity;
  for (const [m, tier] of tiers ?? []) if (m <= month && m > foundMonth) [found, foundMonth] = [tier, m];
  return found;
}

/**
 * Portfolio KPIs by month from the history's revenue (renewals from its
 * outcomes), and, when the history has snapshots, by tier, with NPS and
 * onboarding completion from a replay of the playbook.
 */
export async function portfolioKpis(project: Project, options: PortfolioOptions = {}): Promise<PortfolioReport> {
  const history = project.history;
  if (!history?.mrr) throw new RunStopped(`${project.configFile} names no history mrr: add history: { mrr: <file with account_id, month, mrr> } for revenue KPIs`);
  const engine = await DataEngine.open(HISTORY_ENGINE_LIMITS);
  const rejections = new Rejections();
  try {
    const rows: MrrRow[] = await loadMrr(engine, history.mrr, project.idField, rejections);
    if (rows.length === 0) throw new RunStopped(`${history.mrr.file} has no usable rows: no KPI can be computed`);
    const outcomes = history.outcomes ? await loadOutcomes(engine, history.outcomes, project.idField, rejections) : undefined;
    const first = Math.min(...rows.map((r) => r.month));
    const last = Math.max(...rows.map((r) => r.month));
    if (last === first) throw new RunStopped(`${history.mrr.file} covers one month only (${monthText(first)}): a month's movements compare it with the month before, so at least two months are needed`);
    // The first month has no month before it in the file: its movements would all read as new.
    const ends = history.snapshots ? await replayMonthEnds(engine, project, firstDayOfMonth(first), firstDayOfMonth(last + 1) - 1, outcomes, rejections, options.threads) : undefined;
    const months = monthlyFigures(rows, first + 1, last).map((figures, i): PortfolioMonth => {
      const month = first + 1 + i;
      const inMonth = (outcome: string) => (outcomes ? outcomes.filter((o) => o.outcome === outcome && monthOfDay(o.day) === month).length : null);
      const due = inMonth("renewal_due");
      const renewed = inMonth("renewed");
      const answers = ends?.nps.get(month);
      const onboarding = ends?.onboarding.get(month);
      return {
        ...figures,
        upForRenewal: due,
        renewed,
        renewalRate: due === null || renewed === null ? null : renewalRate(due, renewed),
        nps: ends && answers ? netPromoterScore(answers) : null,
        onboarding: ends ? { tracked: onboarding?.tracked ?? 0, complete: onboarding?.complete ?? 0, rate: onboarding && onboarding.tracked > 0 ? (onboarding.complete * 100) / onboarding.tracked : null } : null,
      };
    });
    const tiers: PortfolioReport["tiers"] = [];
    if (ends) {
      const names = [...new Set([...ends.tiers.values()].flatMap((m) => [...m.values()]))].sort();
      // An account's revenue movement in a month counts in the tier it had at that month's end (or last, if it left).
      for (const tier of names) tiers.push({ tier, months: monthlyFigures(rows, first + 1, last, (account, month) => tierAt(ends.tiers.get(account), month) === tier) });
    }
    return {
      months,
      tiers,
      formulas: {
        ...FORMULAS,
        renewalRate: "outcomes renewed in the month / outcomes renewal_due in the month x 100",
        nps: "% promoters (9-10) - % detractors (0-6) among the latest nps answers of the accounts replayed on the month's last day",
        onboardingCompletionRate: "accounts whose onboarding is complete / accounts in their onboarding window on the month's last day x 100",
        tiers: "each account's revenue counts in the tier the replay gave it on the month's last day (its last replayed day, if it left)",
      },
      rejected: rejections.records,
      rejectGroups: rejections.groups(),
      warnings: ends?.warnings ?? [],
    };
  } catch (error) {
    throw error instanceof DataError ? new RunStopped(error.message) : error;
  } finally {
    engine.close();
  }
}
