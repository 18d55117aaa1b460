import { epochDayOf, isoDateOf } from "../expression/literals.js";
import { DataError, EngineSettingError } from "../data/duckdb.js";
import { OutputError, PathConflict } from "../run/files.js";
import { readFileSync } from "node:fs";
import { loadProject, ProjectError, ProjectNotFound, ProjectSchemaError } from "../run/project.js";
import { checkProjectFile } from "../run/project-check.js";
import { StateError, StateWriteError } from "../run/state-store.js";
import type { RejectGroup } from "../data/rejects.js";
import { parseAsOf, PlaybookInvalid, runEveryPlaybook, RunStopped, type RunResult } from "../run/run.js";
import { renderDiagnostic } from "../text/code-frame.js";
import { EXIT, paintFor, shownPath, UsageError, type Io } from "./output.js";
import { counted } from "../text/counted.js";
import { renderTable, thousands } from "./table.js";
import { SettingsError } from "../actions/settings.js";

export interface RunCommandOptions {
  asOf: string;
  out: string[];
  strict: boolean;
  state?: string | undefined;
  noState: boolean;
  rejects?: string | undefined;
  /** seconds to wait for another run holding the state file */
  wait?: string | undefined;
  progress: boolean;
  /** deliver what the playbook decides */
  send?: boolean;
  /** the delivery clock, ISO 8601 (default: now) */
  now?: string | undefined;
}

/** --as-of is a calendar date: anything else is the command used wrongly (exit 2), found before any work. */
export function checkAsOf(text: string): void {
  try {
    parseAsOf(text);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Turns project, data and playbook problems into messages and exit codes; shared by run and explain. */
export async function withProject<T>(projectPath: string, io: Io, work: () => Promise<T>): Promise<T | number> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof PathConflict || error instanceof OutputError || error instanceof StateWriteError || error instanceof SettingsError || error instanceof EngineSettingError || error instanceof ProjectNotFound) {
      io.err(`touchline: ${error.message}`);
      return EXIT.usage;
    }
    if (error instanceof RunStopped && error.rejected && error.rejected.count > 0) {
      io.err(`Rejected input (${rowCount(error.rejected.count)}${error.rejected.path ? `; all listed in ${shownPath(error.rejected.path)}` : ""}):`);
      io.err(renderRejectGroups(error.rejected.groups, error.rejected.accounts).join("\n"));
    }
    if (error instanceof ProjectSchemaError) {
      // The same diagnostics as `touchline check`, each at its line, all of them (not the first only).
      const file = error.configFile;
      const checked = checkProjectFile(file, readFileSync(file, "utf8"));
      const errors = checked.diagnostics.filter((d) => d.severity === "error");
      const paint = paintFor(io);
      for (const d of errors) io.err(renderDiagnostic(d, checked.source, paint, shownPath(file)));
      if (errors.length === 0) io.err(`touchline: ${error.message}`);
      else io.err(`touchline: ${shownPath(file)} has errors; fix them first`);
      return EXIT.problems;
    }
    if (error instanceof ProjectError || error instanceof RunStopped || error instanceof StateError || error instanceof DataError) {
      io.err(`touchline: ${error.message}`);
      return EXIT.problems;
    }
    if (error instanceof PlaybookInvalid) {
      const paint = paintFor(io);
      for (const d of error.checked.diagnostics.filter((x) => x.severity === "error")) {
        const source = error.checked.layers.find((l) => l.source.path === d.file)?.source;
        io.err(renderDiagnostic(d, source, paint, shownPath(d.file)));
      }
      const file = shownPath(error.checked.layers[0]?.source.path ?? projectPath);
      io.err(`touchline: the playbook ${file} has errors; fix them first (touchline check ${file} shows them all)`);
      return EXIT.problems;
    }
    throw error;
  }
}

/** A progress bar on standard error, shown once a run has taken more than a second. */
function progressReporter(io: Io, enabled: boolean): { tick: (done: number) => void; end: () => void } {
  const start = Date.now();
  let shown = false;
  return {
    tick(done) {
      if (!enabled || Date.now() - start < 1000) return;
      shown = true;
      const rate = Math.round(done / ((Date.now() - start) / 1000));
      process.stderr.write(`\r  evaluated ${thousands(done)} accounts (${thousands(rate)}/s)   `);
    },
    end() {
      if (shown) process.stderr.write("\n");
    },
  };
}

/** `touchline run`: a dry run of a project's playbook on one day. */
export async function runRun(projectPath: string, options: RunCommandOptions, io: Io): Promise<number> {
  checkAsOf(options.asOf);
  if (options.noState && options.state) throw new UsageError("--state and --no-state cannot be used together");
  const wait = options.wait === undefined ? undefined : Number(options.wait);
  if (wait !== undefined && (!Number.isFinite(wait) || wait < 0 || !/^[0-9]+(\.[0-9]+)?$/.test(options.wait!))) throw new UsageError(`--wait takes a number of seconds, not ${options.wait}`);
  return withProject(projectPath, io, async () => {
    const project = loadProject(projectPath);
    const progress = progressReporter(io, options.progress);
    const runOptions = {
      asOf: options.asOf,
      strict: options.strict,
      out: options.out,
      useState: !options.noState,
      ...(options.state ? { statePath: options.state } : {}),
      ...(options.rejects ? { rejectsPath: options.rejects } : {}),
      ...(wait !== undefined ? { waitMs: wait * 1000 } : {}),
      progress: progress.tick,
    };
    if (!options.send) {
      const results = await runEveryPlaybook(project, runOptions);
      progress.end();
      const said = new Set<string>();
      io.out(results.map((result) => renderRunSummary(result, undefined, said)).join("\n\n"));
      return EXIT.ok;
    }
    if (options.noState) throw new UsageError("--send needs the state file (it keeps the outbox ledger): drop --no-state");
    const now = clockOption(options.now);
    // Loaded only to send: a dry run never loads the SMTP client.
    const [{ runAndSend }, { renderDelivery }] = await Promise.all([import("../actions/send.js"), import("./outbox-command.js")]);
    const sent = await runAndSend(project, runOptions, { now, progress: deliveryProgress(io, options.progress) });
    progress.end();
    const said = new Set<string>();
    io.out(sent.runs.map((run) => renderRunSummary(run, "Sending: its actions are recorded in the outbox and delivered below.", said)).join("\n\n"));
    io.out("");
    io.out(`Sending: ${thousands(sent.recorded)} new actions recorded in the outbox.`);
    if (sent.unprepared.count > 0) {
      io.out(`${thousands(sent.unprepared.count)} actions could not be prepared and are recorded as failed (touchline outbox --state failed lists them):`);
      for (const example of sent.unprepared.examples) io.out(`  ${example}`);
    }
    io.out("");
    io.out(renderDelivery(sent.delivery));
    return sent.unprepared.count + sent.delivery.failed + sent.delivery.dead + sent.delivery.deferred > 0 ? EXIT.problems : EXIT.ok;
  });
}

const STATUSES = ["green", "yellow", "red", "no score"];

/** `--now`: the delivery clock, for a replay of a delivery or a test; the real clock when absent. */
export function clockOption(text: string | undefined): () => number {
  if (text === undefined) return Date.now;
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(ms) || epochDayOf(text.slice(0, 10)) === undefined) throw new UsageError(`--now takes a date and time such as 2026-03-02T09:00:00Z, not ${JSON.stringify(text)}`);
  return () => ms;
}

/** Progress of a long delivery pass on standard error. */
export function deliveryProgress(io: Io, enabled: boolean): (done: number, total: number) => void {
  return (done, total) => {
    if (enabled && total >= 200) process.stderr.write(`\r  delivered ${thousands(done)} of ${thousands(total)}   ${done === total ? "\n" : ""}`);
  };
}

/**
 * One playbook's run, for the terminal. `said` collects the warnings already
 * printed for the playbooks before it: the playbooks of a project read the
 * same data, and the same warning about it is not repeated for each.
 */
export function renderRunSummary(result: RunResult, mode = "Dry run: nothing was sent.", said = new Set<string>()): string {
  const { plan, summary } = result;
  const lines: string[] = [];
  lines.push(`Playbook ${plan.name}${plan.version !== undefined ? ` v${plan.version}` : ""} (${plan.hash}) as of ${isoDateOf(result.day)}: ${counted(summary.accounts, "account")} evaluated${result.rejected > 0 ? `, ${rowCount(result.rejected)} rejected` : ""}.`);
  lines.push(mode);
  const repeated = result.warnings.filter((warning) => said.has(warning));
  for (const warning of result.warnings) if (!said.has(warning)) lines.push(`warning: ${warning}`);
  if (repeated.length > 0) lines.push(`warning: ${repeated.length === 1 ? "the same warning" : `the same ${repeated.length} warnings`} about the data as above`);
  for (const warning of result.warnings) said.add(warning);
  if (result.rejected > 0) {
    lines.push("");
    lines.push(`Rejected input (${rowCount(result.rejected)}; all listed in ${shownPath(result.rejectsPath ?? "")}):`);
    lines.push(...renderRejectGroups(result.rejectGroups, result.data.accounts));
  }
  lines.push("");
  const statuses = STATUSES.filter((s) => [...summary.byTier.values()].some((row) => row.has(s)));
  const tierRows = [...summary.byTier.entries()]
    .sort(([a], [b]) => tierOrder(result, a) - tierOrder(result, b))
    .map(([tier, row]) => [tier, [...row.values()].reduce((a, b) => a + b, 0), ...statuses.map((s) => row.get(s) ?? 0)]);
  if (summary.accounts > 0) lines.push(renderTable([plan.tiers ? "tier" : "", "accounts", ...statuses], tierRows));
  if (plan.onboarding) {
    lines.push("");
    if (summary.overdue.size === 0) lines.push("Onboarding: no milestone is overdue.");
    else {
      lines.push(`Onboarding: ${thousands(summary.accountsWithOverdue)} accounts have overdue milestones.`);
      lines.push(renderTable(["milestone", "overdue"], plan.onboarding.milestones.filter((m) => summary.overdue.has(m.name)).map((m) => [m.name, summary.overdue.get(m.name)!])));
    }
  }
  lines.push("");
  const STATUS_NAMES = ["planned", "held_out", "capped", "suppressed"];
  const counts = STATUS_NAMES.map((s) => `${thousands(summary.actionCounts.get(s) ?? 0)} ${s.replace("_", " ")}`).join(", ");
  if (summary.actions.length === 0) lines.push("Actions: none.");
  else {
    lines.push(`Actions: ${counts}.`);
    const rows: (string | number)[][] = [];
    for (const trigger of result.plan.triggers.map((t) => t.name).filter((name) => summary.byTrigger.has(name))) {
      for (const [what, statuses] of summary.byTrigger.get(trigger)!) rows.push([trigger, what, ...STATUS_NAMES.map((s) => statuses.get(s) ?? 0)]);
    }
    lines.push(renderTable(["trigger", "action", ...STATUS_NAMES.map((s) => s.replace("_", " "))], rows));
    lines.push("");
    lines.push(`First ${summary.actions.length} actions:`);
    lines.push(renderTable(["account", "trigger", "action", "to", "status", "reason"], summary.actions.map((a) => [a.account, a.trigger, `${a.kind} ${a.target}`, a.to ?? "", a.status.replace("_", " "), a.reason])));
    if (summary.actionsLeftOut > 0) lines.push(`... ${thousands(summary.actionsLeftOut)} more in ${result.outputs.length > 0 ? shownPath(result.outputs[0]!) : "--out decisions.jsonl (write them all with it)"}`);
  }
  for (const output of result.outputs) lines.push(`Wrote ${shownPath(output)}`);
  return lines.join("\n");
}

function tierOrder(result: RunResult, tier: string): number {
  const index = result.plan.tiers?.names.indexOf(tier) ?? -1;
  return index < 0 ? Number.MAX_SAFE_INTEGER : index;
}

/**
 * What reading one account (explain, preview) left out: the warnings and the
 * rejected rows. Lines that cannot be read at all and the overrides file are
 * read whole, so not every row listed need be this account's: each names its
 * file and line. A block already said (by another playbook's section) is not repeated.
 */
export function renderInputLeftOut(result: RunResult, said = new Set<string>()): string[] {
  const lines = renderWarningsAndRejects(result, 0, ", not counted here");
  if (lines.length === 0) return [];
  const key = lines.join("\n");
  if (said.has(key)) return ["The same input was left out as above."];
  said.add(key);
  return lines;
}

/**
 * What reading the input found, as the commands that print it in one block
 * say it: a line per warning, then the rejected rows under their count
 * (`note` after it), grouped as renderRejectGroups does.
 */
export function renderWarningsAndRejects(read: { warnings: readonly string[]; rejected: number; rejectGroups: readonly RejectGroup[] }, accounts: number, note = ""): string[] {
  const lines = read.warnings.map((warning) => `warning: ${warning}`);
  if (read.rejected > 0) lines.push(`Rejected input (${rowCount(read.rejected)}${note}):`, ...renderRejectGroups(read.rejectGroups, accounts));
  return lines;
}

/** "1 row", "2,500 rows" */
export function rowCount(rows: number): string {
  return counted(rows, "row");
}

/** What fixes a column where most rows fail alike, by the kind of problem. */
function commonFix(field: string, kind: string): string {
  switch (kind) {
    case "duplicate":
      return `the file has several rows per \`${field}\` (orders, a history?): the accounts input needs one row per account (a join takes the latest with latest: <column>)`;
    case "missing":
      return `make \`${field}\` optional in the playbook's account block (${field}: <type>?) or give it a default (${field}: <type> = <value>)`;
    case "date":
    case "datetime":
    case "calendar":
      return `dates are read as ISO 8601 (2024-10-16, 2024-10-16 19:00:00); write the column that way in the export, or declare \`${field}\` as a string`;
    case "whole":
      return `declare \`${field}\` as number or money if its values have decimals`;
    case "id":
      return `name the column that holds the account id in touchline.yaml (id: <column>)`;
    default:
      return `declare \`${field}\` with the type its values have (string, bool?...), or map its values in touchline.yaml (values: { ${field}: { "as exported": value } })`;
  }
}

/**
 * Rejected input as a person reads it: a few rows of a kind are listed one
 * per line; more of the same kind (one column, one problem) are one line
 * with a count and the first lines, and a hint when most rows fail alike.
 */
export function renderRejectGroups(groups: readonly RejectGroup[], accounts: number, limit = 12): string[] {
  const lines: string[] = [];
  const where = shownPath;
  for (const group of groups.slice(0, limit)) {
    const field = group.field ? `: field \`${group.field}\`` : "";
    if (group.count <= 3) {
      for (const example of group.examples) lines.push(`  ${where(group.file)}:${example.line}${field}: ${example.message}`);
      continue;
    }
    const first = group.examples[0]!;
    lines.push(`  ${where(group.file)}${field}: ${thousands(group.count)} rows: ${first.message} (lines ${group.examples.map((e) => e.line).join(", ")}, ...)`);
    if (group.field && accounts > 0 && group.count >= accounts / 2) lines.push(`    most rows fail the same way: ${commonFix(group.field, group.kind)}`);
  }
  if (groups.length > limit) lines.push(`  ... and ${groups.length - limit} more kinds of problems`);
  return lines;
}
