import { existsSync, unlinkSync } from "node:fs";
import type Database from "better-sqlite3";
import { dirname, join } from "node:path";
import { DataEngine, DataError } from "../data/duckdb.js";
import { ProjectData, type AccountRow, type DataSummary } from "../data/reader.js";
import { Rejections, type RejectGroup } from "../data/rejects.js";
import { compilePlaybook } from "../engine/compile.js";
import type { CompiledPlaybook } from "../engine/compiled.js";
import type { AccountDecision } from "../engine/decision.js";
import { evaluateAccount } from "../engine/evaluate.js";
import type { ManualOverride } from "../engine/overrides.js";
import type { AccountState } from "../engine/state.js";
import { epochDayOf, isoDateOf } from "../expression/literals.js";
import { checkText, type CheckedPlaybook } from "../language/index.js";
import { confinedReader } from "../language/confine.js";
import { hasErrors } from "../text/diagnostic.js";
import { assertSeparatePaths, FileSink, OutputError } from "./files.js";
import { DecisionWriter } from "./output.js";
import { readOverrides } from "./overrides.js";
import type { Project } from "./project.js";
import { historyDetail, historyLayout, inputsRead } from "./history-detail.js";
import { StateStore } from "./state-store.js";
import { RunSummary } from "./summary.js";

/** The playbook of a project has errors: the run stops before reading any data. */
export class PlaybookInvalid extends Error {
  constructor(readonly checked: CheckedPlaybook) {
    super("the playbook has errors");
  }
}

/** A problem that stops the run (bad data with --strict, nothing usable, too many rejects): exit 1. */
export class RunStopped extends Error {
  constructor(
    message: string,
    /** the rejected input behind it, when that is the reason (written to the rejects file all the same) */
    readonly rejected?: { count: number; groups: RejectGroup[]; path: string | undefined; accounts: number },
  ) {
    super(message);
  }
}

export interface RunOptions {
  asOf: string;
  /** the fields the project's other playbooks read (a run of several): their columns are not warned of as unknown */
  alsoRead?: readonly string[];
  strict?: boolean;
  /** decision files to write: .jsonl or .csv */
  out?: string[];
  /** false: remember nothing between runs */
  useState?: boolean;
  statePath?: string;
  rejectsPath?: string;
  /** how long to wait for another run holding the state file (ms) */
  waitMs?: number;
  /** called now and then with the number of accounts done */
  progress?: (done: number) => void;
  /** only this account: evaluate it with explanations, and write nothing */
  explainAccount?: string;
  /** which of the project's playbooks (its file): the first by default */
  playbook?: string;
  /**
   * Records each account's decided actions in the state file, inside the
   * run's transaction (the outbox ledger): given the open state database,
   * returns what is called with each decision.
   */
  recordActions?: (context: { database: Database.Database; plan: CompiledPlaybook; checked: CheckedPlaybook }) => (decision: AccountDecision, row: AccountRow) => void;
}

export interface RunResult {
  plan: CompiledPlaybook;
  checked: CheckedPlaybook;
  day: number;
  summary: RunSummary;
  data: DataSummary;
  /** rejected input records, and their problems grouped for the terminal */
  rejected: number;
  rejectGroups: RejectGroup[];
  warnings: string[];
  rejectsPath: string | undefined;
  outputs: string[];
  /** with explainAccount: its decision and its state before this run */
  explained?: {
    decision: AccountDecision;
    before: AccountState | undefined;
    history: ReturnType<StateStore["healthHistory"]>;
    /** the values the evaluation read (fields, and aggregates by their call) and the account's zone */
    inputs: Record<string, unknown>;
    zone: string;
    /** the latest day the state holds, when it is later than the day explained */
    stateDay: number | undefined;
    /** every field of the account as read */
    fields: AccountRow["fields"];
  };
}

const NO_OVERRIDES: readonly ManualOverride[] = [];

/** --strict: the first rejected row stops the command, named by its file, line and field. */
export function stopAtFirstBadRow(rejections: Rejections): void {
  const first = rejections.firstRecord();
  if (first) throw new RunStopped(`${first.file}:${first.line}${first.problems[0]?.field ? `: field \`${first.problems[0].field}\`` : ""}: ${first.problems[0]?.message ?? "cannot be read"} (--strict stops at the first bad row)`);
}

export function parseAsOf(text: string): number {
  const day = epochDayOf(text);
  if (day === undefined) throw new RunStopped(`--as-of must be a calendar date as YYYY-MM-DD, not ${JSON.stringify(text)}`);
  return day;
}

/** Loads, checks and compiles one of a project's playbooks (the first by default), reading only inside the project's allowed folders. */
export function preparePlaybook(project: Project, file = project.playbook): { checked: CheckedPlaybook; plan: CompiledPlaybook } {
  const read = confinedReader(project.allowedFolders);
  const text = read(file);
  if (typeof text !== "string") throw new RunStopped(`${project.configFile}: the playbook ${file} cannot be read${text ? `: ${text.refused}` : ""}`);
  const checked = checkText(file, text, read);
  if (hasErrors(checked.diagnostics)) throw new PlaybookInvalid(checked);
  return { checked, plan: compilePlaybook(checked) };
}

/**
 * Runs every playbook of a project on the same day, one after the other,
 * each in its own transaction and with its own state. With several
 * playbooks, each writes its own decision and rejects files: the playbook's
 * name goes before the extension (decisions.jsonl -> decisions.b2b-saas.jsonl).
 */
export async function runEveryPlaybook(project: Project, options: RunOptions): Promise<RunResult[]> {
  const plans = project.playbooks.map((file) => {
    const { plan } = preparePlaybook(project, file);
    return { file, name: plan.name, fields: plan.fields.map((f) => f.name) };
  });
  const clash = plans.find((p, i) => plans.findIndex((q) => q.name === p.name) !== i);
  if (clash) throw new RunStopped(`${project.configFile}: two playbooks are named ${clash.name}; each playbook of a project needs its own name (it keeps its state and its actions under it)`);
  const results: RunResult[] = [];
  for (const { file, name } of plans) {
    const several = plans.length > 1;
    const alsoRead = plans.filter((p) => p.file !== file).flatMap((p) => p.fields);
    const statePath = options.statePath ?? project.state;
    const run = runProject(project, {
        ...options,
        playbook: file,
        alsoRead,
        ...(several && options.out ? { out: options.out.map((path) => withName(path, name)) } : {}),
        ...(several ? { rejectsPath: withName(options.rejectsPath ?? join(dirname(statePath), "rejects.jsonl"), name) } : {}),
    });
    try {
      results.push(await run);
    } catch (error) {
      // Each playbook's run is its own transaction: say which one stopped, and what the ones before it did.
      if (!(error instanceof RunStopped) || results.length === 0) throw error;
      const done = results.map((r) => r.plan.name).join(", ");
      throw new RunStopped(`playbook ${name}: ${error.message}. The run of ${done} before it was recorded${options.recordActions ? " (its actions are in the outbox, not yet delivered)" : ""}; fix this and run the day again: nothing is decided twice`, error.rejected);
    }
  }
  return results;
}

function withName(path: string, name: string): string {
  const dot = path.lastIndexOf(".");
  return dot > path.lastIndexOf("/") ? `${path.slice(0, dot)}.${name}${path.slice(dot)}` : `${path}.${name}`;
}

/** Every file a run reads: no output may be one of them. */
function inputsOf(project: Project, checked: CheckedPlaybook): { what: string; path: string }[] {
  return [...checked.layers.map((layer) => ({ what: "the playbook", path: layer.source.path })), ...projectInputs(project)];
}

/** Every file a project reads (its history included), which no output may overwrite. */
export function projectInputs(project: Project): { what: string; path: string }[] {
  const events = [...project.events, ...(project.history?.events ?? [])];
  const history = project.history;
  const sources = [
    project.accounts, ...project.accounts.joins, ...events, ...events.flatMap((e) => (e.lookup ? [e.lookup] : [])), ...(project.overrides ? [project.overrides] : []),
    ...(history?.snapshots ? [history.snapshots] : []), ...(history?.mrr ? [history.mrr] : []), ...(history?.outcomes ? [history.outcomes] : []),
  ];
  return [{ what: "the project file", path: project.configFile }, ...project.playbooks.map((path) => ({ what: "the playbook", path })), ...sources.map((source) => ({ what: "an input", path: source.file }))];
}

/**
 * Evaluates a project's playbook for every account on one day. DuckDB
 * reads and checks every input and computes the event aggregates; the
 * valid accounts stream through the engine in input order; decisions go to
 * temporary files; the new state is committed in one transaction; only
 * then do the files get their names. Nothing is sent.
 */
export async function runProject(project: Project, options: RunOptions): Promise<RunResult> {
  const day = parseAsOf(options.asOf);
  const { checked, plan } = preparePlaybook(project, options.playbook);
  // A project with several playbooks keeps each one's state apart, under its name.
  const scope = project.statePerPlaybook ? plan.name : undefined;
  const explaining = options.explainAccount !== undefined;
  const useState = options.useState !== false;
  const statePath = options.statePath ?? project.state;
  const outputs = explaining ? [] : (options.out ?? []);
  const rejectsPath = explaining ? undefined : (options.rejectsPath ?? join(dirname(statePath), "rejects.jsonl"));
  assertSeparatePaths(inputsOf(project, checked), [
    ...(useState ? [{ what: "the state file", path: statePath }] : []),
    ...(rejectsPath ? [{ what: "the rejects file", path: rejectsPath }] : []),
    ...outputs.map((path) => ({ what: "the output", path })),
  ]);

  const engine = await DataEngine.open();
  const rejectSink = rejectsPath ? new FileSink(rejectsPath) : undefined;
  const rejections = new Rejections(rejectSink ? (line) => rejectSink.write(`${line}\n`) : undefined);
  const writers: DecisionWriter[] = [];
  let store: StateStore | undefined;
  try {
    // The state is taken first: a run that has to wait, or is refused, learns it before reading any data.
    if (explaining) {
      store = useState ? StateStore.forReading(statePath, scope) : undefined;
    } else if (useState) {
      store = StateStore.forWriting(statePath, options.waitMs, scope);
      store.beginRun(day, isoDateOf);
      store.pruneHistory(day, HISTORY_DAYS);
    }
    const overrides = project.overrides ? await readOverrides(engine, project.overrides, project.idField, plan, day, rejections) : new Map<string, ManualOverride[]>();
    const data = await ProjectData.open(engine, { accounts: project.accounts, events: project.events, timezone: project.timezone }, plan, checked.environment.eventTypes, {
      day,
      rejections,
      strict: options.strict === true,
      account: options.explainAccount,
      allFields: explaining || options.recordActions !== undefined,
      ...(options.alsoRead ? { alsoRead: options.alsoRead } : {}),
    });
    if (options.strict) stopAtFirstBadRow(rejections);
    const unusable = whyUnusable(project, data.summary, rejections.records, options.explainAccount);
    if (unusable) {
      // Nothing is evaluated, but the person fixing the input needs the list of what was wrong.
      let path: string | undefined;
      if (rejectSink && rejections.records > 0) {
        rejectSink.finish();
        rejectSink.publish();
        path = rejectsPath;
      }
      throw new RunStopped(unusable, { count: rejections.records, groups: rejections.groups(), path, accounts: data.summary.accounts });
    }

    if (options.recordActions && (!store || explaining)) throw new RunStopped("recording actions needs the state file: it keeps the outbox ledger");
    const recordActions = store && options.recordActions ? options.recordActions({ database: store.database, plan, checked }) : undefined;
    const summary = new RunSummary();
    let explained: RunResult["explained"];
    const activations = store?.activations(plan.triggers.map((t) => t.name), day, !explaining);
    const layout = store && !explaining ? store.recordLayout(historyLayout(plan)) : "";
    for (const path of outputs) writers.push(new DecisionWriter(path, plan, engine));
    for await (const batch of data.batches(options.explainAccount)) {
      const remembered = store?.statesBefore(batch.map((row) => row.id), day);
      for (const row of batch) {
        const previous = remembered?.get(row.id);
        const { decision, state } = evaluateAccount(plan, {
          id: row.id,
          fields: row.fields,
          clock: row.clock,
          aggregates: row.aggregates,
          previous,
          overrides: overrides.get(row.id) ?? NO_OVERRIDES,
          ...(activations ? { activations } : {}),
          explain: explaining,
        });
        if (explaining) {
          explained = { decision, before: previous, history: store?.healthHistory(row.id) ?? [], inputs: inputsRead(plan, row), zone: row.zone, stateDay: store?.latestDay(), fields: row.fields };
          continue;
        }
        store?.put(row.id, state, decision.tier?.value ?? null, previous, decision.actions.length > 0, () => historyDetail(plan, layout, decision, row));
        summary.add(decision);
        recordActions?.(decision, row);
        for (const writer of writers) writer.write(decision);
      }
      options.progress?.(summary.accounts);
    }
    // Everything is written under temporary names first: a full disk stops the run before the state moves.
    for (const writer of writers) await writer.sink.finish();
    rejectSink?.finish();
    if (store && !explaining) {
      store.recordRun(day, plan.hash, plan.version, summary.accounts, rejections.records);
      store.commit();
    }
    for (const writer of writers) writer.sink.publish();
    if (rejectSink) {
      if (rejections.records > 0) rejectSink.publish();
      else {
        rejectSink.discard();
        // An earlier run's rejects would describe input that is no longer there.
        if (existsSync(rejectsPath!)) unlinkSync(rejectsPath!);
      }
    }
    const warnings = data.summary.warnings;
    return {
      plan,
      checked,
      day,
      summary,
      data: data.summary,
      rejected: rejections.records,
      rejectGroups: rejections.groups(),
      warnings,
      rejectsPath: rejections.records > 0 ? rejectsPath : undefined,
      outputs,
      ...(explained ? { explained } : {}),
    };
  } catch (error) {
    store?.rollback();
    for (const writer of writers) writer.sink.discard();
    rejectSink?.discard();
    throw error instanceof DataError ? new RunStopped(error.message) : error;
  } finally {
    store?.close();
    engine.close();
  }
}

/** How long the health history keeps rows: the longest `explain --since` reaches back. */
export const HISTORY_DAYS = 400;

/**
 * Why a run cannot use its input, if it cannot: no accounts at all, none
 * valid, or more rejected rows than `max_rejects` allows. Such a run fails
 * loudly and records nothing in the state.
 */
function whyUnusable(project: Project, data: DataSummary, rejected: number, account: string | undefined): string | undefined {
  const file = project.accounts.file;
  // One account asked for (explain, preview): only its own rows were read.
  if (account !== undefined && data.accounts === 0) return `${file} has no account ${account} (ids are matched exactly, case included)`;
  if (account !== undefined) return data.valid === 0 ? `the row of account ${account} in ${file} is rejected (above): fix it to see this account` : undefined;
  if (data.accounts === 0) return `${file} has no account rows: nothing to evaluate (is it the right file?)`;
  if (data.valid === 0) return `none of the ${data.accounts.toLocaleString("en-US")} account rows of ${file} is usable (all rejected): nothing was evaluated`;
  const limit = project.maxRejects;
  if (!limit) {
    // Without a limit set, a run on a minority of the accounts is taken for a misdeclared input, not a dirty one.
    // Rejected rows include those the reader could not split into fields, which are in no count of records read.
    const rows = data.valid + data.rejectedAccounts;
    if (data.rejectedAccounts * 2 <= rows) return undefined;
    const share = Math.floor((data.rejectedAccounts * 100) / rows);
    return `${data.rejectedAccounts.toLocaleString("en-US")} of the ${rows.toLocaleString("en-US")} account rows of ${file} were rejected (${share}%): more than half, which looks like a declaration that does not fit the file (the problems above say why) rather than a few bad rows; nothing was evaluated. Fix it, or set max_rejects in touchline.yaml to say how many rejects a run may have (max_rejects: 100% runs on what is left)`;
  }
  const allowed = "count" in limit ? limit.count : Math.floor((limit.percent / 100) * data.accounts);
  if (rejected <= allowed) return undefined;
  return `${rejected === 1 ? "1 input row was" : `${rejected.toLocaleString("en-US")} input rows were`} rejected, more than max_rejects allows (${"count" in limit ? limit.count : `${limit.percent}% of ${data.accounts.toLocaleString("en-US")} accounts = ${allowed}`}): nothing was evaluated`;
}

export { OutputError };
