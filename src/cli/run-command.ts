import { relative } from "node:path";
import { isoDateOf } from "../expression/literals.js";
import { loadProject, ProjectError } from "../run/project.js";
import { describeProblem, PlaybookInvalid, runProject, RunStopped, type RunResult } from "../run/run.js";
import { renderDiagnostic } from "../text/code-frame.js";
import { EXIT, paintFor, UsageError, type Io } from "./output.js";
import { renderTable, thousands } from "./table.js";

export interface RunCommandOptions {
  asOf: string;
  out: string[];
  strict: boolean;
  state?: string | undefined;
  noState: boolean;
  rejects?: string | undefined;
  progress: boolean;
}

/** Turns project and playbook problems into messages and exit codes; shared by run and explain. */
export async function withProject<T>(projectPath: string, io: Io, work: () => Promise<T>): Promise<T | number> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ProjectError || error instanceof RunStopped) {
      io.err(`touchline: ${error.message}`);
      return EXIT.problems;
    }
    if (error instanceof PlaybookInvalid) {
      const paint = paintFor(io);
      for (const d of error.checked.diagnostics.filter((x) => x.severity === "error")) {
        const source = error.checked.layers.find((l) => l.source.path === d.file)?.source;
        io.err(renderDiagnostic(d, source, paint, relative(process.cwd(), d.file)));
      }
      io.err(`touchline: the playbook of ${projectPath} has errors; fix them first (touchline check shows them all)`);
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
  if (options.noState && options.state) throw new UsageError("--state and --no-state cannot be used together");
  return withProject(projectPath, io, async () => {
    const project = loadProject(projectPath);
    const progress = progressReporter(io, options.progress);
    const result = await runProject(project, {
      asOf: options.asOf,
      strict: options.strict,
      out: options.out,
      useState: !options.noState,
      ...(options.state ? { statePath: options.state } : {}),
      ...(options.rejects ? { rejectsPath: options.rejects } : {}),
      progress: progress.tick,
    });
    progress.end();
    io.out(renderRunSummary(result));
    return EXIT.ok;
  });
}

const STATUSES = ["green", "yellow", "red", "no score"];

export function renderRunSummary(result: RunResult): string {
  const { plan, summary } = result;
  const lines: string[] = [];
  lines.push(`Playbook ${plan.name}${plan.version !== undefined ? ` v${plan.version}` : ""} (${plan.hash}) as of ${isoDateOf(result.day)}: ${thousands(summary.accounts)} accounts evaluated${result.rejected > 0 ? `, ${thousands(result.rejected)} rows rejected` : ""}.`);
  lines.push("Dry run: nothing was sent.");
  for (const warning of result.warnings) lines.push(`warning: ${warning}`);
  if (result.problems.length > 0) {
    lines.push("");
    lines.push(`Rejected input (${result.problems.length} problem${result.problems.length === 1 ? "" : "s"}; all listed in ${relative(process.cwd(), result.rejectsPath ?? "")}):`);
    for (const problem of result.problems.slice(0, 10)) lines.push(`  ${describeProblem({ ...problem, file: relative(process.cwd(), problem.file) })}`);
    if (result.problems.length > 10) lines.push(`  ... and ${result.problems.length - 10} more`);
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
  const counts = ["planned", "held_out", "capped", "suppressed"].map((s) => `${thousands(summary.actionCounts.get(s) ?? 0)} ${s.replace("_", " ")}`).join(", ");
  if (summary.actions.length === 0) lines.push("Actions: none.");
  else {
    lines.push(`Actions: ${counts}.`);
    lines.push(renderTable(["account", "trigger", "action", "to", "status", "reason"], summary.actions.map((a) => [a.account, a.trigger, `${a.kind} ${a.target}`, a.to ?? "", a.status.replace("_", " "), a.reason])));
    if (summary.actionsLeftOut > 0) lines.push(`... and ${thousands(summary.actionsLeftOut)} more actions (write them all with --out decisions.jsonl)`);
  }
  for (const output of result.outputs) lines.push(`Wrote ${relative(process.cwd(), output)}`);
  return lines.join("\n");
}

function tierOrder(result: RunResult, tier: string): number {
  const index = result.plan.tiers?.names.indexOf(tier) ?? -1;
  return index < 0 ? Number.MAX_SAFE_INTEGER : index;
}
