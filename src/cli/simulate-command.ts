import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { assertSeparatePaths, FileSink, makeFolders, OutputError } from "../run/files.js";
import { epochDayOf } from "../expression/literals.js";
import { projectInputs } from "../run/run.js";
import { loadProject } from "../run/project.js";
import { htmlReport } from "../simulate/html-report.js";
import { portfolioKpis, type PortfolioReport } from "../simulate/portfolio.js";
import { simulateProject, type SimulationReport } from "../simulate/simulate.js";
import { renderWarningsAndRejects, withProject } from "./run-command.js";
import { UsageError, type Io } from "./output.js";
import { counted } from "../text/counted.js";
import { renderTable, thousands } from "./table.js";

export interface SimulateCommandOptions {
  from: string;
  to: string;
  step: string;
  horizon: string;
  compare?: string | undefined;
  out?: string | undefined;
  strict: boolean;
  progress: boolean;
  threads?: string | undefined;
}

const percent = (value: number | null) => (value === null ? "-" : `${(value * 100).toFixed(1)}%`);

/**
 * Progress on standard error: a line while the history is read, then a bar
 * with the time left. The pace is measured from the first accounts done:
 * the reading before them (a third of a large replay) says nothing of it.
 */
export function progressBar(enabled: boolean, write: (text: string) => void = (text) => void process.stderr.write(text), now: () => number = Date.now): { tick: (done: number, total: number) => void; end: () => void } {
  let first: { at: number; done: number } | undefined;
  let lastWrite = -Infinity;
  if (enabled) write("  reading the history...");
  return {
    tick(done, total) {
      if (!enabled) return;
      const at = now();
      first ??= { at, done };
      // Ten writes a second at most: a tick comes with every account.
      if (at - lastWrite < 100 && done < total) return;
      lastWrite = at;
      const width = 30;
      const filled = Math.round((done / total) * width);
      const pace = done > first.done && at > first.at ? (done - first.done) / (at - first.at) : undefined;
      const left = pace === undefined ? "working out the time left" : `about ${Math.round((total - done) / pace / 1000)}s left`;
      write(`\r  [${"#".repeat(filled)}${".".repeat(width - filled)}] ${thousands(done)}/${thousands(total)} accounts, ${left}   `);
    },
    end() {
      if (enabled) write("\n");
    },
  };
}

/** `touchline simulate`: the playbook replayed over the project's history, and backtested. */
export async function runSimulate(projectPath: string, options: SimulateCommandOptions, io: Io): Promise<number> {
  if (options.step !== "day" && options.step !== "week") throw new UsageError(`--step is day or week, not ${options.step}`);
  if (options.compare !== undefined && !existsSync(options.compare)) throw new UsageError(`--compare ${options.compare}: no such playbook file`);
  for (const [option, value] of [["--from", options.from], ["--to", options.to]] as const) if (epochDayOf(value) === undefined) throw new UsageError(`${option} must be a calendar date as YYYY-MM-DD, not ${JSON.stringify(value)}`);
  if (options.to < options.from) throw new UsageError(`--to (${options.to}) is before --from (${options.from})`);
  if (options.out !== undefined && existsSync(options.out) && !statSync(options.out).isDirectory()) throw new UsageError(`--out ${options.out} is a file: --out names a folder for the report files`);
  const horizon = /^([0-9]+)d$/.exec(options.horizon);
  if (!horizon || Number(horizon[1]) < 1) throw new UsageError(`--horizon is a number of days of at least 1, written like 90d, not ${options.horizon}`);
  const threads = threadsOption(options.threads);
  return withProject(projectPath, io, async () => {
    const project = loadProject(projectPath);
    // Refused before any work: a report file must never overwrite what the replay reads.
    if (options.out) assertSeparatePaths([...projectInputs(project), ...(options.compare ? [{ what: "the playbook compared", path: options.compare }] : [])], REPORT_FILES.map((name) => ({ what: `--out's ${name}`, path: join(options.out!, name) })));
    // The folder is made before the replay: a place that cannot be written stops the command before the work.
    if (options.out) {
      try {
        makeFolders(options.out);
      } catch (error) {
        throw new OutputError(`cannot create the folder ${options.out}: ${(error as Error).message}`);
      }
    }
    const bar = progressBar(options.progress);
    let report: SimulationReport;
    try {
      report = await simulateProject(project, { from: options.from, to: options.to, step: options.step === "week" ? 7 : 1, horizonDays: Number(horizon[1]), strict: options.strict, compare: options.compare, progress: bar.tick, threads });
    } finally {
      // Ended before any message: an error must not be written on the progress line.
      bar.end();
    }
    io.out(summary(report).join("\n"));
    if (options.out) {
      writeReport(options.out, report);
      io.out(`Wrote ${REPORT_FILES.join(", ")} to ${options.out}`);
    }
    return 0;
  });
}

function summary(report: SimulationReport): string[] {
  const lines = [`Playbook ${report.playbook.name}${report.playbook.version !== null ? ` v${report.playbook.version}` : ""} replayed ${report.step === "week" ? "weekly" : "daily"} from ${report.from} to ${report.to}: ${thousands(report.accounts)} accounts, ${thousands(report.accountDays)} account-days. Dry run: nothing was sent.`];
  lines.push(...renderWarningsAndRejects(report, report.accounts));
  const byKind = new Map<string, number>();
  for (const action of report.actions) byKind.set(`${action.trigger} ${action.kind}`, (byKind.get(`${action.trigger} ${action.kind}`) ?? 0) + 1);
  lines.push("", `Actions decided: ${thousands(report.actions.length)}`);
  if (byKind.size > 0) lines.push(renderTable(["trigger action", "count"], [...byKind].sort((a, b) => b[1] - a[1]).map(([k, n]) => [k, n])));
  lines.push(...taskLoadLines(report), ...movementLines(report));
  const backtest = report.backtest;
  if (!backtest) lines.push("", `No backtest: ${report.backtestMissing}`);
  else lines.push(...backtestLines(backtest));
  if (report.comparison) lines.push(...comparisonLines(report));
  return lines;
}

function taskLoadLines(report: SimulationReport): string[] {
  if (report.taskLoad.length === 0) return [];
  const owners = new Set(report.taskLoad.map((t) => t.owner));
  const busiest = [...report.taskLoad].sort((a, b) => b.tasks - a.tasks || (a.week < b.week ? -1 : 1))[0]!;
  const over = report.taskLoad.filter((t) => t.overCapacity);
  const lines = ["", `CSM tasks: ${thousands(report.taskLoad.reduce((n, t) => n + t.tasks, 0))} planned for ${counted(owners.size, "owner")}; busiest week: ${busiest.owner}, ${busiest.tasks} tasks in the week of ${busiest.week}.`];
  lines.push(`  The first day replayed (${report.from}) enrolls every account already matching a trigger (each trigger counts as first run then): that week carries the backlog.`);
  if (report.taskCapacity === null) lines.push("  (the playbook states no task_capacity: no week is flagged)");
  else if (over.length === 0) lines.push(`  No owner went over the capacity of ${report.taskCapacity} tasks a week.`);
  else {
    lines.push(`  ${thousands(over.length)} owner-weeks over the capacity of ${report.taskCapacity} tasks a week:`);
    lines.push(renderTable(["week", "owner", "tasks"], over.slice(0, 10).map((t) => [t.week, t.owner, t.tasks])));
    if (over.length > 10) lines.push(`  ... and ${thousands(over.length - 10)} more (task-load.csv with --out)`);
  }
  return lines;
}

function movementLines(report: SimulationReport): string[] {
  const lines: string[] = [];
  if (report.tierMoves.length > 0) lines.push("", "Tier moves:", renderTable(["from", "to", "moves"], report.tierMoves.map((m) => [m.from, m.to, m.count])));
  const onboarding = report.onboarding;
  if (onboarding) {
    const ttv = onboarding.medianTimeToValue === null ? "-" : `${onboarding.medianTimeToValue} days (90th percentile ${onboarding.p90TimeToValue} days)`;
    lines.push("", `Onboarding: ${thousands(onboarding.completed)} accounts completed it during the replay (accounts already complete on their first replayed day are not counted: when they finished is not known); median time to value ${ttv}.`);
    lines.push(`  milestones first reached during the replay: ${onboarding.milestones.map((m) => `${m.name} ${thousands(m.reached)}`).join(", ")}`);
  }
  return lines;
}

function comparisonLines(report: SimulationReport): string[] {
  const comparison = report.comparison!;
  const d = comparison.differences;
  const name = (p: SimulationReport["playbook"]) => `${p.name}${p.version !== null ? ` v${p.version}` : ""}`;
  const lines = ["", `Compared with ${comparison.file} (${name(comparison.playbook)}, ${comparison.playbook.hash.slice(0, 12)}) over the same ${thousands(d.accountDaysCompared)} account-days:`];
  lines.push(`  ${thousands(d.accountsDiffering.length)} accounts differ: status on ${thousands(d.statusDaysDiffering)} account-days, tier on ${thousands(d.tierDaysDiffering)}.`);
  if (d.accountsDiffering.length > 0) lines.push(`  most different: ${d.accountsDiffering.slice(0, 5).map((a) => `${a.account} (status ${a.statusDays}d, tier ${a.tierDays}d)`).join(", ")}`);
  lines.push(renderTable(["trigger", "action", name(report.playbook), name(comparison.playbook), "added", "removed"], d.actions.map((a) => [a.trigger, a.kind, a.baseline, a.other, a.added, a.removed])));
  const mine = report.backtest;
  const theirs = comparison.backtest;
  if (mine && theirs) {
    const signals = [...new Set([...mine.signals.map((s) => s.signal), ...theirs.signals.map((s) => s.signal)])];
    const of = (b: typeof mine, signal: string) => b.signals.find((s) => s.signal === signal);
    lines.push("  backtest side by side (precision / recall / median lead):");
    lines.push(renderTable(["signal", name(report.playbook), name(comparison.playbook)], signals.map((signal) => [signal, ...[of(mine, signal), of(theirs, signal)].map((s) => (s ? `${percent(s.precision)} / ${percent(s.recall)} / ${s.medianLeadTime ?? "-"}d` : "-"))])));
    lines.push(`  health score ROC AUC: ${mine.auc?.toFixed(3) ?? "-"} vs ${theirs.auc?.toFixed(3) ?? "-"}`);
  }
  return lines;
}

function backtestLines(backtest: NonNullable<SimulationReport["backtest"]>): string[] {
  const lines: string[] = [];
  lines.push("", `Backtest against ${thousands(backtest.churns)} churns (from ${backtest.churnSource}) within ${backtest.horizonDays} days, outcomes known until ${backtest.knownUntil}:`);
  lines.push(renderTable(["signal", "alerts scored", "precision", "recall", "median lead (days)"], backtest.signals.map((s) => [s.signal, s.alertsScored, percent(s.precision), percent(s.recall), s.medianLeadTime === null ? "-" : String(s.medianLeadTime)])));
  lines.push(`Health score ROC AUC for churn within ${backtest.horizonDays} days: ${backtest.auc === null ? "-" : backtest.auc.toFixed(3)} (${thousands(backtest.accountDaysScored)} account-days)`);
  const greenAccounts = new Set(backtest.greenChurn.map((g) => g.account)).size;
  const accounts = backtest.churnedAccounts === backtest.churns ? "" : ` (of ${thousands(backtest.churnedAccounts)} accounts)`;
  lines.push(`Green churn: ${thousands(backtest.greenChurn.length)} of ${thousands(backtest.churns)} churns${accounts} came from accounts that were green within the horizon before they left${greenAccounts === backtest.greenChurn.length ? "" : ` (${thousands(greenAccounts)} accounts)`}`);
  return lines;
}

const csvCell = (value: unknown) => {
  const text = value === null || value === undefined ? "" : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};
const csv = (header: string[], rows: unknown[][]) => `${[header, ...rows].map((r) => r.map(csvCell).join(",")).join("\n")}\n`;

const REPORT_FILES = ["report.html", "report.json", "days.csv", "actions.csv", "task-load.csv", "backtest.csv"] as const;

/** report.html (charts), report.json (everything) and CSV exports of the days, the actions and the backtest: each written whole under a temporary name, then renamed. */
function writeReport(folder: string, report: SimulationReport): string[] {
  const tiers = [...new Set(report.days.flatMap((d) => Object.keys(d.tiers)))].sort();
  const kinds = ["email", "task", "offer", "webhook"];
  const signals = report.backtest?.signals ?? [];
  const contents: [string, string][] = [
    ["report.html", htmlReport(report)],
    ["report.json", `${JSON.stringify(report, null, 2)}\n`],
    ["days.csv", csv(["date", "accounts", "green", "yellow", "red", "no_status", ...tiers.map((t) => `tier_${t}`), ...kinds.map((k) => `actions_${k}`)], report.days.map((d) => [d.date, d.accounts, d.status.green, d.status.yellow, d.status.red, d.status.none, ...tiers.map((t) => d.tiers[t] ?? 0), ...kinds.map((k) => d.actions[k] ?? 0)]))],
    ["actions.csv", csv(["date", "account", "trigger", "kind", "target", "to", "status", "reason"], report.actions.map((a) => [a.date, a.account, a.trigger, a.kind, a.target, a.to, a.status, a.reason]))],
    ["task-load.csv", csv(["week", "owner", "tasks", "over_capacity"], report.taskLoad.map((t) => [t.week, t.owner, t.tasks, t.overCapacity]))],
    ["backtest.csv", csv(["signal", "alerts_scored", "alerts_followed_by_churn", "precision", "churns", "churns_caught", "recall", "median_lead_time_days"], signals.map((s) => [s.signal, s.alertsScored, s.alertsFollowedByChurn, s.precision, s.churns, s.churnsCaught, s.recall, s.medianLeadTime]))],
  ];
  const sinks = contents.map(([name, text]) => {
    const sink = new FileSink(join(folder, name));
    sink.write(text);
    sink.finish();
    return sink;
  });
  // Only once every file is written whole do they get their names.
  for (const sink of sinks) sink.publish();
  return sinks.map((sink) => sink.path);
}

/** --threads: a whole number from 1 to 64, or undefined for the default. */
function threadsOption(text: string | undefined): number | undefined {
  const threads = text === undefined ? undefined : /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  if (threads !== undefined && !(threads >= 1 && threads <= 64)) throw new UsageError(`--threads is a whole number from 1 to 64, not ${text}`);
  return threads;
}

/** `touchline kpi`: portfolio KPIs by month, overall and by tier, each with its formula. */
export async function runKpi(projectPath: string, options: { format: string; threads?: string | undefined }, io: Io): Promise<number> {
  if (options.format !== "json" && options.format !== "csv" && options.format !== "table") throw new UsageError(`--format is table, json or csv, not ${options.format}`);
  const threads = threadsOption(options.threads);
  return withProject(projectPath, io, async () => {
    const report = await portfolioKpis(loadProject(projectPath), { threads });
    // Warnings and rejected rows are part of the table's story (stdout, as simulate prints them); with json or csv they stay off the data (stderr).
    const said = renderWarningsAndRejects(report, 0).join("\n");
    if (said && options.format !== "table") io.err(said);
    if (said && options.format === "table") io.out(`${said}\n`);
    if (options.format === "json") io.out(JSON.stringify(report, null, 2));
    else if (options.format === "csv") io.out(kpiCsv(report).trimEnd());
    else io.out(kpiTables(report).join("\n"));
    return 0;
  });
}

/** One row per month and tier (`all` for the whole portfolio); NPS and onboarding only on the `all` rows. */
function kpiCsv(report: PortfolioReport): string {
  const revenue = Object.keys(report.months[0] ?? {}).filter((c) => c !== "nps" && c !== "onboarding");
  const extra = ["nps", "promoters", "passives", "detractors", "nps_answers", "onboarding_tracked", "onboarding_complete", "onboarding_completion_rate"];
  // Rates and averages to 4 decimals: the CSV is read by people and spreadsheets, not compared bit for bit (the JSON keeps every digit).
  const round = (v: unknown) => (typeof v === "number" && !Number.isInteger(v) ? Math.round(v * 1e4) / 1e4 : v);
  const cells = (m: Record<string, unknown>) => revenue.map((c) => round(m[c] ?? null));
  const rows: unknown[][] = report.months.map((m) => ["all", ...cells(m as unknown as Record<string, unknown>), round(m.nps?.nps ?? null), m.nps?.promoters ?? null, m.nps?.passives ?? null, m.nps?.detractors ?? null, m.nps?.answers ?? null, m.onboarding?.tracked ?? null, m.onboarding?.complete ?? null, round(m.onboarding?.rate ?? null)]);
  for (const tier of report.tiers) for (const m of tier.months) rows.push([tier.tier, ...cells(m as unknown as Record<string, unknown>), ...extra.map(() => null)]);
  return csv(["tier", ...revenue, ...extra], rows);
}

/** The table's column names for the figures the formulas describe. */
const KPI_LABELS: Record<string, string> = {
  mrr: "MRR", arr: "ARR", customersStart: "customers at the start", logoChurnRate: "logo churn %", revenueChurnRate: "revenue churn %", grr: "GRR %", nrr: "NRR %",
  customerRetentionRate: "retention %", upsellRate: "upsell %", crossSellRate: "cross-sell %", arpa: "ARPA", ltv: "LTV", newMrr: "new", reactivationMrr: "reactivation",
  renewalRate: "renewal %", nps: "NPS", onboardingCompletionRate: "onboarded %", tiers: "by tier",
};

function kpiTables(report: PortfolioReport): string[] {
  const fixed = (v: number | null | undefined) => (v === null || v === undefined ? "-" : v.toFixed(1));
  // MRR = the month before's + new + reactivation + expansion - contraction - churn: every movement is shown, so a row adds up.
  const lines = [renderTable(["month", "customers", "MRR", "new", "reactivation", "expansion", "contraction", "churn", "logo churn %", "revenue churn %", "GRR %", "NRR %", "retention %", "renewal %", "NPS", "onboarded %"], report.months.map((m) => [m.month, m.customersEnd, Math.round(m.mrr), Math.round(m.newMrr), Math.round(m.reactivationMrr), Math.round(m.expansionMrr), Math.round(m.contractionMrr), Math.round(m.churnMrr), fixed(m.logoChurnRate), fixed(m.revenueChurnRate), fixed(m.grr), fixed(m.nrr), fixed(m.customerRetentionRate), fixed(m.renewalRate), fixed(m.nps?.nps), fixed(m.onboarding?.rate)]))];
  if (report.tiers.length > 0) lines.push("", "By tier: each account counts in the tier it had on the month's last day, so an account that changed tier starts a month in one table and ends it in another.");
  for (const tier of report.tiers) {
    lines.push("", `Tier ${tier.tier}:`);
    lines.push(renderTable(["month", "customers", "MRR", "expansion", "contraction", "churn", "logo churn %", "GRR %", "NRR %"], tier.months.map((m) => [m.month, m.customersEnd, Math.round(m.mrr), Math.round(m.expansionMrr), Math.round(m.contractionMrr), Math.round(m.churnMrr), fixed(m.logoChurnRate), fixed(m.grr), fixed(m.nrr)])));
  }
  lines.push("", "Formulas (ARR, ARPA, LTV, upsell and cross-sell are in --format json and csv):");
  for (const [name, formula] of Object.entries(report.formulas)) lines.push(`  ${KPI_LABELS[name] ?? name}: ${formula}`);
  return lines;
}
