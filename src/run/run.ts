import { createWriteStream, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { epochDayOf } from "../expression/literals.js";
import { Calendars, isKnownTimeZone } from "../engine/clock.js";
import { compilePlaybook } from "../engine/compile.js";
import type { CompiledPlaybook } from "../engine/compiled.js";
import type { AccountDecision } from "../engine/decision.js";
import { evaluateAccount } from "../engine/evaluate.js";
import type { EventStore } from "../engine/events.js";
import type { ManualOverride } from "../engine/overrides.js";
import { stateBefore, type AccountState } from "../engine/state.js";
import { checkText, readFromDisk, type CheckedPlaybook } from "../language/index.js";
import type { Diagnostic } from "../text/diagnostic.js";
import { readEvents, readOverrides } from "./inputs.js";
import { DecisionWriter } from "./output.js";
import type { Project } from "./project.js";
import { readRecords } from "./records.js";
import { RowValidator, type RowProblem } from "./rows.js";
import { StateStore } from "./state-store.js";
import { RunSummary } from "./summary.js";

/** The playbook of a project has errors: the run stops before reading any data. */
export class PlaybookInvalid extends Error {
  constructor(readonly checked: CheckedPlaybook) {
    super("the playbook has errors");
  }
}

/** A problem that stops the run (bad data with --strict, state from a later day). */
export class RunStopped extends Error {}

export interface RunOptions {
  asOf: string;
  strict?: boolean;
  /** decision files to write: .jsonl or .csv */
  out?: string[];
  /** false: remember nothing between runs */
  useState?: boolean;
  statePath?: string;
  rejectsPath?: string;
  /** called now and then with the number of accounts done */
  progress?: (done: number) => void;
  /** only this account: evaluate it with explanations, and remember nothing */
  explainAccount?: string;
}

export interface RunResult {
  plan: CompiledPlaybook;
  checked: CheckedPlaybook;
  day: number;
  summary: RunSummary;
  problems: RowProblem[];
  warnings: string[];
  rejected: number;
  rejectsPath: string | undefined;
  outputs: string[];
  /** with explainAccount: its decision and its state before this run */
  explained?: { decision: AccountDecision; before: AccountState | undefined };
}

const NO_OVERRIDES: readonly ManualOverride[] = [];

export function parseAsOf(text: string): number {
  const day = epochDayOf(text);
  if (day === undefined) throw new RunStopped(`--as-of must be a calendar date as YYYY-MM-DD, not ${JSON.stringify(text)}`);
  return day;
}

/** Loads, checks and compiles a project's playbook. */
export function preparePlaybook(project: Project): { checked: CheckedPlaybook; plan: CompiledPlaybook } {
  const text = readFromDisk(project.playbook);
  if (text === undefined) throw new RunStopped(`${project.configFile}: the playbook ${project.playbook} cannot be read`);
  const checked = checkText(project.playbook, text);
  if (checked.diagnostics.some((d: Diagnostic) => d.severity === "error")) throw new PlaybookInvalid(checked);
  return { checked, plan: compilePlaybook(checked) };
}

/**
 * Evaluates a project's playbook for every account on one day: reads the
 * accounts (streamed), validates each row against the data contract, applies
 * what earlier runs remembered, and writes decisions and the new state.
 * Nothing is sent: sending is a later capability.
 */
export async function runProject(project: Project, options: RunOptions): Promise<RunResult> {
  const day = parseAsOf(options.asOf);
  const { checked, plan } = preparePlaybook(project);
  const problems: RowProblem[] = [];
  const warnings: string[] = [];
  if (!isKnownTimeZone(project.timezone)) throw new RunStopped(`${project.configFile}: unknown time zone ${project.timezone}`);

  const overrides = project.overrides ? await readOverrides(project.overrides, project.idField, plan.overrides.allowed, plan.overrides.maxDays, problems) : new Map<string, ManualOverride[]>();
  const events: EventStore | undefined = project.events ? await readEvents(project.events, project.idField, checked.model, problems) : undefined;
  if (options.strict && problems.length > 0) throw new RunStopped(`${describeProblem(problems[0]!)} (--strict stops at the first bad row)`);

  const explaining = options.explainAccount !== undefined;
  const useState = options.useState !== false;
  const store = useState ? new StateStore(options.statePath ?? project.state) : undefined;
  const latest = store?.latestDay();
  if (store && latest !== undefined && latest > day && !explaining) {
    store.close();
    throw new RunStopped(`the state in ${options.statePath ?? project.state} is already at a later day; running an earlier day would rewrite history: use --state <new file> or --no-state`);
  }
  const writers = explaining ? [] : (options.out ?? []).map((path) => new DecisionWriter(path, plan));
  const validator = new RowValidator(plan.fields, project.idField);
  const calendars = new Calendars(day);
  const summary = new RunSummary();
  const seen = new Map<string, number>();
  const rejectsPath = explaining ? undefined : (options.rejectsPath ?? join(dirname(project.state), "rejects.jsonl"));
  let rejected = 0;
  let explained: RunResult["explained"];
  const rejectedRows: string[] = [];
  let checkedColumns = false;

  store?.begin();
  const activations = store?.activations(plan.triggers.map((t) => t.name), day);
  try {
    for await (const record of readRecords(project.accounts)) {
      const reject = (list: RowProblem[]) => {
        rejected++;
        problems.push(...list);
        if (options.strict) throw new RunStopped(`${describeProblem(list[0]!)} (--strict stops at the first bad row)`);
        rejectedRows.push(JSON.stringify({ file: project.accounts.file, line: record.line, problems: list.map((p) => ({ field: p.field ?? null, message: p.message })), row: record.values }));
      };
      if (!checkedColumns && !record.error) {
        checkedColumns = true;
        for (const { column, suggestion } of validator.unknownColumns(Object.keys(record.values))) {
          const message = `column \`${column}\` of ${project.accounts.file} is not in the playbook's data contract and is ignored${suggestion ? ` (did you mean \`${suggestion}\`?)` : ""}`;
          if (options.strict) throw new RunStopped(`${message} (--strict stops at unknown columns)`);
          warnings.push(message);
        }
      }
      if (record.error) {
        reject([{ file: project.accounts.file, line: record.line, field: undefined, message: record.error }]);
        continue;
      }
      // CSV and SQLite carry text (and 0/1 for booleans): read it as the contract's types.
      const result = validator.check(project.accounts.file, record.line, record.values, project.accounts.format === "csv" || project.accounts.format === "sqlite");
      if (!result.ok) {
        reject(result.problems);
        continue;
      }
      const firstLine = seen.get(result.id);
      if (firstLine !== undefined) {
        reject([{ file: project.accounts.file, line: record.line, field: project.idField, message: `duplicate account id ${result.id} (first on line ${firstLine}); this row is skipped` }]);
        continue;
      }
      seen.set(result.id, record.line);
      if (explaining && result.id !== options.explainAccount) continue;
      const zone = plan.timezoneField ? String(result.values[plan.timezoneField] ?? project.timezone) : project.timezone;
      const previous = store?.get(result.id);
      const { decision, state } = evaluateAccount(plan, {
        id: result.id,
        fields: result.values,
        clock: calendars.clock(zone),
        events: events?.forAccount(result.id),
        previous,
        overrides: overrides.get(result.id) ?? NO_OVERRIDES,
        ...(activations ? { activations } : {}),
        explain: explaining,
      });
      if (explaining) {
        explained = { decision, before: stateBefore(previous, day) };
        break;
      }
      store?.put(result.id, state, decision.tier?.value ?? null);
      summary.add(decision);
      for (const writer of writers) if (!writer.write(decision)) await new Promise((resolve) => setImmediate(resolve));
      if (summary.accounts % 1000 === 0) options.progress?.(summary.accounts);
    }
    if (store && !explaining) {
      store.recordRun(day, plan.hash, plan.version, summary.accounts, rejected);
      store.commit();
    } else store?.rollback();
  } catch (error) {
    store?.rollback();
    throw error;
  } finally {
    store?.close();
    await Promise.all(writers.map((w) => w.close()));
  }
  if (rejectsPath && (rejectedRows.length > 0 || problems.length > 0)) {
    mkdirSync(dirname(rejectsPath), { recursive: true });
    const out = createWriteStream(rejectsPath);
    for (const line of rejectedRows) out.write(`${line}\n`);
    for (const problem of problems.filter((p) => p.file !== project.accounts.file)) out.write(`${JSON.stringify({ file: problem.file, line: problem.line, problems: [{ field: problem.field ?? null, message: problem.message }] })}\n`);
    await new Promise<void>((resolve) => out.end(resolve));
  }
  return { plan, checked, day, summary, problems, warnings, rejected, rejectsPath: rejectedRows.length > 0 || problems.length > 0 ? rejectsPath : undefined, outputs: options.out ?? [], ...(explained ? { explained } : {}) };
}

export function describeProblem(problem: RowProblem): string {
  return `${problem.file}:${problem.line}${problem.field ? `: field \`${problem.field}\`` : ""}: ${problem.message}`;
}
