import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readSync, renameSync, statSync, unlinkSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import Database from "better-sqlite3";
import { encodeState, type AccountState } from "../engine/state.js";
import { makeFolders } from "./files.js";

/** What a history row keeps besides the score: enough to explain a change later. */
export interface HistoryDetail {
  model: string | null;
  components: { name: string; weight: number; score: number | null }[];
  /** the values the account's evaluation read that day: fields, and event aggregates by their call */
  inputs: Record<string, unknown>;
  actions: { trigger: string; kind: string; target: string; status: string }[];
}

/**
 * What names the values of a compact history detail, stored once under an
 * id made from its own text (so a layout never names another's values):
 * the inputs' names, and each health model's components with their
 * weights. A row then holds only values (a third of the bytes).
 */
export interface HistoryLayout {
  inputs: string[];
  models: Record<string, [name: string, weight: number][]>;
}

/** A history row's detail as written: its layout's id, the model, its component scores, the input values and the actions, in the layout's order. */
export type CompactDetail = [layout: string, model: string | null, scores: (number | null)[], inputs: unknown[], actions: [trigger: string, kind: string, target: string, status: string][]];

export interface HistoryRow {
  day: number;
  score: number | null;
  status: string | null;
  tier: string | null;
  playbook: string;
  detail: HistoryDetail | undefined;
}

/** The state file cannot be used as it is (not a state file, damaged, from a later day): exit 1, nothing written. */
export class StateError extends Error {}

/** The state file's disk is full or read-only: exit 2, nothing written. */
export class StateWriteError extends Error {}

/**
 * Touchline's mark in its state files; a file with tables but without it is
 * someone else's database. Format 2 writes history details compactly, named
 * by `history_layout` (format 1's details, objects with their names, still read).
 */
const FORMAT = 2;

/** Touchline 0.1 wrote its state files without a mark: they are recognised by their tables, and brought up to date. */
function isFirstFormat(tables: readonly string[]): boolean {
  return ["account_state", "health_history", "trigger_activation", "runs"].every((t) => tables.includes(t)) && !tables.includes("touchline");
}
const SQLITE_MAGIC = "SQLite format 3\u0000";

/**
 * Refuses a state file that cannot be Touchline's before SQLite opens it: a
 * folder, an empty file (a crash while creating it must not look like a
 * fresh start), another kind of file, or a truncated database.
 */
function inspectExisting(path: string): void {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return;
  }
  if (!stat.isFile()) throw new StateError(`the state file ${path} is not a regular file`);
  if (stat.size === 0) {
    throw new StateError(`the state file ${path} is empty, so it remembers nothing, and starting afresh would plan every action again; restore it from a backup, or delete it on purpose to start over`);
  }
  const header = Buffer.alloc(100);
  const fd = openSync(path, "r");
  try {
    readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  if (header.toString("latin1", 0, 16) !== SQLITE_MAGIC) throw new StateError(`the state file ${path} is not an SQLite database: is it the right file?`);
  const pageSize = header.readUInt16BE(16) === 1 ? 65536 : header.readUInt16BE(16);
  const pages = header.readUInt32BE(28);
  // The header's page count is valid when its change counters agree; a file shorter than that was cut off.
  if (header.readUInt32BE(24) === header.readUInt32BE(92) && pages > 0 && stat.size < pages * pageSize) {
    throw new StateError(`the state file ${path} is truncated (${stat.size} bytes of ${pages * pageSize}); restore it from a backup`);
  }
}

/**
 * A new state file is made complete under a temporary name and renamed into
 * place: a run killed while creating it leaves no empty file behind, so an
 * empty file at the state's path is never Touchline's own doing (and is refused).
 */
function createAtomically(path: string): void {
  if (existsSync(path)) return;
  try {
    makeFolders(dirname(path));
    const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.creating`);
    const db = new Database(temporary);
    try {
      // Set before the first table: 16 KiB pages hold a history row's detail and an outbox row without overflow pages, and a batch of rows in fewer pages (a third less time recording and claiming actions than 4 KiB).
      db.pragma("page_size = 16384");
      db.pragma("journal_mode = WAL");
      db.exec(SCHEMA);
    } finally {
      db.close();
    }
    // Another run may have made it first: theirs stands.
    if (existsSync(path)) unlinkSync(temporary);
    else renameSync(temporary, path);
  } catch (error) {
    throw translate(error, path);
  }
}

/** The names of compact history details, each under an id made from its text. */
const LAYOUT_TABLE = "CREATE TABLE IF NOT EXISTS history_layout (id TEXT PRIMARY KEY, layout TEXT NOT NULL) WITHOUT ROWID;";

/** The tables of a state file. */
const SCHEMA = `
  CREATE TABLE touchline (format INTEGER NOT NULL);
  INSERT INTO touchline (format) VALUES (${FORMAT});
  CREATE TABLE account_state (account_id TEXT PRIMARY KEY, day INTEGER NOT NULL, state TEXT NOT NULL, before TEXT) WITHOUT ROWID;
  CREATE TABLE health_history (
    account_id TEXT NOT NULL, day INTEGER NOT NULL, score REAL, status TEXT, tier TEXT, playbook TEXT NOT NULL, detail TEXT,
    PRIMARY KEY (account_id, day)) WITHOUT ROWID;
  CREATE TABLE trigger_activation (trigger TEXT PRIMARY KEY, day INTEGER NOT NULL);
  CREATE TABLE runs (day INTEGER NOT NULL, playbook TEXT NOT NULL, version INTEGER, accounts INTEGER NOT NULL, rejected INTEGER NOT NULL, PRIMARY KEY (day, playbook));
  ${LAYOUT_TABLE}
`;

/** Turns SQLite's errors into ones a person can act on. */
function translate(error: unknown, path: string): Error {
  const code = (error as { code?: string }).code ?? "";
  const message = (error as Error).message;
  if (code.startsWith("SQLITE_BUSY")) return new StateError(`another touchline run is using the state file ${path}; try again when it has finished (or wait longer with --wait)`);
  if (code === "SQLITE_FULL") return new StateWriteError(`the disk holding the state file ${path} is full; nothing was changed`);
  if (code.startsWith("SQLITE_READONLY") || code === "SQLITE_CANTOPEN" || code.startsWith("SQLITE_IOERR") || code === "SQLITE_PERM") return new StateWriteError(`the state file ${path} cannot be written (${message}); nothing was changed`);
  if (code === "SQLITE_NOTADB" || code.startsWith("SQLITE_CORRUPT")) return new StateError(`the state file ${path} is damaged (${message}); restore it from a backup`);
  if (error instanceof StateError || error instanceof StateWriteError) return error;
  return new StateError(`the state file ${path} cannot be used: ${message}`);
}

/**
 * What the engine remembers between runs, in an embedded SQLite file: each
 * account's state (as JSON), its health history with the playbook version
 * that produced each score, and the runs made. A run writes it in one
 * transaction taken before it reads what day the state is at, so two runs
 * can never interleave, and a killed run leaves the state as it was.
 */
export class StateStore {
  private readonly db: Database.Database;
  private getStates!: Database.Statement;
  private putState!: Database.Statement;
  private putHealth!: Database.Statement;

  /** put before account ids and trigger names when the project keeps a state per playbook */
  private readonly prefix: string;

  private constructor(
    readonly path: string,
    readOnly: boolean,
    waitMs: number,
    /** the playbook whose state this is, when a project keeps one per playbook */
    scope: string | undefined,
  ) {
    this.prefix = scope === undefined ? "" : `${scope}\u001f`;
    inspectExisting(path);
    let opened: Database.Database | undefined;
    try {
      if (!readOnly && path !== ":memory:") makeFolders(dirname(path));
      this.db = opened = new Database(path, { readonly: readOnly, fileMustExist: readOnly, timeout: waitMs });
      // Whose file it is is settled before anything is written to it, even a journal mode.
      this.assertOwn();
      if (!readOnly) {
        this.db.pragma("journal_mode = WAL");
        this.db.pragma("synchronous = NORMAL");
        this.db.pragma("cache_size = -65536");
      }
      this.prepareSchema(readOnly);
    } catch (error) {
      // A file refused, or an upgrade that failed, must not keep its handle (or a lock) in a process that goes on.
      try {
        if (opened?.inTransaction) opened.exec("ROLLBACK");
        opened?.close();
      } catch {
        // Closing is best effort: the refusal below is what matters.
      }
      throw translate(error, path);
    }
  }

  /** The open database: the outbox ledger lives in the same file and writes in the run's transaction. */
  get database(): Database.Database {
    return this.db;
  }

  /** Opens (or creates) the state file for a run that will write it. `waitMs`: how long to wait for another run holding it. */
  static forWriting(path: string, waitMs = 30_000, scope?: string): StateStore {
    if (path !== ":memory:") createAtomically(path);
    return new StateStore(path, false, waitMs, scope);
  }

  /** Opens an existing state file only to read it (explain); undefined when there is none. */
  static forReading(path: string, scope?: string): StateStore | undefined {
    try {
      statSync(path);
    } catch {
      return undefined;
    }
    return new StateStore(path, true, 5_000, scope);
  }

  private tables(): string[] {
    return (this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
  }

  private assertOwn(): void {
    const tables = this.tables();
    if (tables.length > 0 && !tables.includes("touchline") && !isFirstFormat(tables)) {
      throw new StateError(`the state file ${this.path} is an SQLite database, but not one of Touchline's (it has tables ${tables.slice(0, 3).join(", ")}); point --state at another file`);
    }
  }

  private prepareSchema(readOnly: boolean): void {
    const tables = this.tables();
    if (tables.includes("touchline")) {
      const row = this.db.prepare("SELECT format FROM touchline").get() as { format: number } | undefined;
      if (!row || row.format > FORMAT) throw new StateError(`the state file ${this.path} was written by a newer Touchline (format ${row?.format ?? "?"}); upgrade Touchline to use it`);
    } else if (isFirstFormat(tables)) {
      if (readOnly) throw new StateError(`the state file ${this.path} was written by Touchline 0.1; run \`touchline run\` once to bring it up to date`);
      // Touchline 0.1 kept the state before each day inside the state itself; it moves to its own column.
      this.db.exec(`
        BEGIN IMMEDIATE;
        CREATE TABLE touchline (format INTEGER NOT NULL);
        INSERT INTO touchline (format) VALUES (${FORMAT});
        ALTER TABLE account_state ADD COLUMN before TEXT;
        ALTER TABLE health_history ADD COLUMN detail TEXT;
        ${LAYOUT_TABLE}
        UPDATE account_state SET before = json_extract(state, '$.before'), state = json_remove(state, '$.before');
        COMMIT;
      `);
    } else if (!readOnly) {
      this.db.exec(SCHEMA);
    } else {
      return;
    }
    this.getStates = this.db.prepare("SELECT account_id, day, state, before FROM account_state WHERE account_id IN (SELECT value FROM json_each(?))");
    if (!readOnly) {
      // A new day keeps the day before's state as `before`; the same day again keeps the `before` it had.
      this.putState = this.db.prepare(
        `INSERT INTO account_state (account_id, day, state) VALUES (?, ?, ?)
         ON CONFLICT(account_id) DO UPDATE SET before = CASE WHEN account_state.day < excluded.day THEN account_state.state ELSE account_state.before END, day = excluded.day, state = excluded.state`,
      );
      this.putHealth = this.db.prepare("INSERT OR REPLACE INTO health_history (account_id, day, score, status, tier, playbook, detail) VALUES (?, ?, ?, ?, ?, ?, ?)");
    }
  }

  private guard<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw translate(error, this.path);
    }
  }

  /**
   * Starts the run's write transaction (waiting for another run that holds
   * it) and only then checks the day: a run of an earlier day than the
   * state already holds is refused, whoever got there first.
   */
  beginRun(day: number, describeDay: (day: number) => string): void {
    this.guard(() => this.db.exec("BEGIN IMMEDIATE"));
    this.upgradeFormat();
    const latest = this.latestDay();
    if (latest !== undefined && latest > day) {
      this.rollback();
      throw new StateError(`the state in ${this.path} is already at a later day (${describeDay(latest)}); running an earlier day would rewrite history: to look at that day, run it without --send and with --state <new file> or --no-state`);
    }
  }

  /**
   * Brings a format-1 file to format 2 (compact history details) inside the
   * run's transaction: read again under its lock, so a run that waited for
   * another's upgrade finds it done, and a run that records nothing leaves
   * the format as it was.
   */
  private upgradeFormat(): void {
    this.guard(() => {
      const row = this.db.prepare("SELECT format FROM touchline").get() as { format: number } | undefined;
      if (row && row.format < FORMAT) this.db.exec(`${LAYOUT_TABLE} UPDATE touchline SET format = ${FORMAT};`);
    });
  }

  /** The latest day any run evaluated, or undefined for a fresh store. */
  latestDay(): number | undefined {
    if (!this.hasSchema()) return undefined;
    const row = this.guard(() => this.db.prepare("SELECT MAX(day) AS day FROM runs").get() as { day: number | null });
    return row.day ?? undefined;
  }

  private hasSchema(): boolean {
    return this.getStates !== undefined;
  }

  /**
   * The day each trigger was first run, recording `day` for triggers seen
   * for the first time: `enroll new` leaves out only the accounts that
   * already matched on that day.
   */
  activations(triggers: readonly string[], day: number, record: boolean): Map<string, number> {
    if (!this.hasSchema()) return new Map();
    return this.guard(() => {
      if (record) {
        const insert = this.db.prepare("INSERT OR IGNORE INTO trigger_activation (trigger, day) VALUES (?, ?)");
        for (const trigger of triggers) insert.run(this.prefix + trigger, day);
      }
      const rows = this.db.prepare("SELECT trigger, day FROM trigger_activation").all() as { trigger: string; day: number }[];
      const own = rows.filter((row) => (this.prefix === "" ? !row.trigger.includes("\u001f") : row.trigger.startsWith(this.prefix)));
      return new Map(own.map((row) => [row.trigger.slice(this.prefix.length), row.day]));
    });
  }

  /**
   * What each account remembers from before `day`, for a batch of accounts
   * at once: its state, or, when `day` was already evaluated, the state it
   * had before that day (so a day run again decides nothing new).
   */
  statesBefore(accountIds: readonly string[], day: number): Map<string, AccountState> {
    const states = new Map<string, AccountState>();
    if (!this.hasSchema() || accountIds.length === 0) return states;
    const keys = this.prefix === "" ? accountIds : accountIds.map((id) => this.prefix + id);
    const rows = this.guard(() => this.getStates.all(JSON.stringify(keys)) as { account_id: string; day: number; state: string; before: string | null }[]);
    for (const row of rows) {
      const text = row.day >= day ? row.before : row.state;
      if (text !== null) states.set(row.account_id.slice(this.prefix.length), JSON.parse(text) as AccountState);
    }
    return states;
  }

  /**
   * Whether a run has evaluated this account (its id exactly as read, case
   * included), under no playbook name or under one of `scopes` when the
   * project keeps a state per playbook; undefined before the first run.
   */
  hasSeenAccount(accountId: string, scopes: readonly string[] | undefined): boolean | undefined {
    if (this.latestDay() === undefined) return undefined;
    const keys = scopes === undefined ? [accountId] : scopes.map((scope) => `${scope}\u001f${accountId}`);
    return this.guard(() => this.db.prepare("SELECT 1 FROM account_state WHERE account_id IN (SELECT value FROM json_each(?)) LIMIT 1").get(JSON.stringify(keys)) !== undefined);
  }

  /** What the state remembers of an account's health on the days it changed (or had actions), newest first. */
  healthHistory(accountId: string): HistoryRow[] {
    if (!this.hasSchema()) return [];
    const rows = this.guard(() => this.db.prepare("SELECT day, score, status, tier, playbook, detail FROM health_history WHERE account_id = ? ORDER BY day DESC").all(this.prefix + accountId) as (Omit<HistoryRow, "detail"> & { detail: string | null })[]);
    const layouts = new Map<string, HistoryLayout | undefined>();
    return rows.map((row) => ({ ...row, detail: row.detail ? this.expandDetail(JSON.parse(row.detail) as HistoryDetail | CompactDetail, layouts) : undefined }));
  }

  /** A history detail with its names: format 1 wrote them in each row, format 2 once per layout. */
  private expandDetail(detail: HistoryDetail | CompactDetail, layouts: Map<string, HistoryLayout | undefined>): HistoryDetail | undefined {
    if (!Array.isArray(detail)) return detail;
    const [id, model, scores, values, actions] = detail;
    if (!layouts.has(id)) {
      const row = this.guard(() => this.db.prepare("SELECT layout FROM history_layout WHERE id = ?").get(id) as { layout: string } | undefined);
      layouts.set(id, row ? (JSON.parse(row.layout) as HistoryLayout) : undefined);
    }
    const layout = layouts.get(id);
    if (!layout) return undefined;
    const inputs: Record<string, unknown> = {};
    layout.inputs.forEach((name, i) => (inputs[name] = values[i] ?? null));
    return {
      model,
      components: (model === null ? [] : (layout.models[model] ?? [])).map(([name, weight], i) => ({ name, weight, score: scores[i] ?? null })),
      inputs,
      actions: actions.map(([trigger, kind, target, status]) => ({ trigger, kind, target, status })),
    };
  }

  /** Stores the names of compact history details (once: the same layout has the same id); returns the id the details carry. */
  recordLayout(layout: HistoryLayout): string {
    const text = JSON.stringify(layout);
    const id = createHash("sha256").update(text).digest("hex").slice(0, 16);
    if (!this.hasSchema()) return id;
    this.guard(() => {
      this.db.prepare("INSERT OR IGNORE INTO history_layout (id, layout) VALUES (?, ?)").run(id, text);
      const stored = this.db.prepare("SELECT layout FROM history_layout WHERE id = ?").get(id) as { layout: string };
      // 64 bits of a hash make two layouts with one id all but impossible; were it to happen, rows must not take the other's names.
      if (stored.layout !== text) throw new StateError(`the state file ${this.path} names another history layout ${id}; point --state at another file`);
    });
    return id;
  }

  /**
   * Remembers an account's state after a day. Its health history gets a row
   * when the score, status, tier or playbook moved since the state before,
   * or when actions were decided: the history grows with change, not with
   * days, and `detail` (components, inputs, actions) is written only then.
   */
  put(accountId: string, state: AccountState, tier: string | null, previous: AccountState | undefined, acted: boolean, detail: () => CompactDetail): void {
    this.guard(() => {
      this.putState.run(this.prefix + accountId, state.day, encodeState(state));
      const health = state.health;
      const before = previous?.health;
      const moved = !previous || before?.score !== health?.score || before?.status !== health?.status || previous.tier !== state.tier || previous.playbook !== state.playbook;
      if ((health || acted) && (moved || acted)) {
        this.putHealth.run(this.prefix + accountId, state.day, health?.score ?? null, health?.status ?? null, tier, state.playbook, JSON.stringify(detail()));
      }
    });
  }

  /** Keeps the health history to its retention: rows older than `keepDays` before `day` go, except each account's last one before them. */
  pruneHistory(day: number, keepDays: number): void {
    if (!this.hasSchema()) return;
    const cutoff = day - keepDays;
    this.guard(() => {
      const oldest = this.db.prepare("SELECT MIN(day) AS day FROM runs").get() as { day: number | null };
      if (oldest.day === null || oldest.day >= cutoff) return;
      this.db
        .prepare("DELETE FROM health_history WHERE day < ? AND day < (SELECT MAX(h.day) FROM health_history h WHERE h.account_id = health_history.account_id AND h.day < ?)")
        .run(cutoff, cutoff);
    });
  }

  recordRun(day: number, playbook: string, version: number | undefined, accounts: number, rejected: number): void {
    this.guard(() => this.db.prepare("INSERT OR REPLACE INTO runs (day, playbook, version, accounts, rejected) VALUES (?, ?, ?, ?, ?)").run(day, playbook, version ?? null, accounts, rejected));
  }

  commit(): void {
    this.guard(() => this.db.exec("COMMIT"));
  }

  rollback(): void {
    try {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
    } catch {
      // A failed rollback leaves the transaction to SQLite's journal: the state stays as it was.
    }
  }

  close(): void {
    this.rollback();
    this.db.close();
  }
}
