import { DataEngine, DataError } from "../data/duckdb.js";
import { Rejections, type RejectGroup } from "../data/rejects.js";
import type { Project } from "../run/project.js";
import { RunStopped } from "../run/run.js";
import { loadMrr, loadOutcomes } from "./history.js";
import { FORMULAS, monthlyFigures, monthText, renewalRate, type MonthFigures } from "./kpi.js";

export interface PortfolioReport {
  months: (MonthFigures & { upForRenewal: number | null; renewed: number | null; renewalRate: number | null })[];
  formulas: Record<string, string>;
  rejected: number;
  rejectGroups: RejectGroup[];
}

/** Portfolio KPIs by month from the history's revenue (and renewals from its outcomes). */
export async function portfolioKpis(project: Project): Promise<PortfolioReport> {
  const history = project.history;
  if (!history?.mrr) throw new RunStopped(`${project.configFile} names no history mrr: add history: { mrr: <file with account_id, month, mrr> } for revenue KPIs`);
  const engine = await DataEngine.open();
  const rejections = new Rejections();
  try {
    const rows = await loadMrr(engine, history.mrr, project.idField, rejections);
    if (rows.length === 0) throw new RunStopped(`${history.mrr.file} has no usable rows: no KPI can be computed`);
    const outcomes = history.outcomes ? await loadOutcomes(engine, history.outcomes, project.idField, rejections) : undefined;
    const first = Math.min(...rows.map((r) => r.month));
    const last = Math.max(...rows.map((r) => r.month));
    if (last === first) throw new RunStopped(`${history.mrr.file} covers one month only (${monthText(first)}): a month's movements compare it with the month before, so at least two months are needed`);
    // The first month has no month before it in the file: its movements would all read as new.
    const months = monthlyFigures(rows, first + 1, last).map((figures) => {
      const inMonth = (outcome: string) => (outcomes ? outcomes.filter((o) => o.outcome === outcome && monthText(monthOf(o.day)) === figures.month).length : null);
      const due = inMonth("renewal_due");
      const renewed = inMonth("renewed");
      return { ...figures, upForRenewal: due, renewed, renewalRate: due === null || renewed === null ? null : renewalRate(due, renewed) };
    });
    return { months, formulas: { ...FORMULAS, renewalRate: "outcomes renewed in the month / outcomes renewal_due in the month x 100" }, rejected: rejections.records, rejectGroups: rejections.groups() };
  } catch (error) {
    throw error instanceof DataError ? new RunStopped(error.message) : error;
  } finally {
    engine.close();
  }
}

function monthOf(day: number): number {
  const date = new Date(day * 86_400_000);
  return (date.getUTCFullYear() - 1970) * 12 + date.getUTCMonth();
}
