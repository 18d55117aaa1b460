import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { AccountState } from "../engine/state.js";

/**
 * What the engine remembers between runs, in an embedded SQLite file: each
 * account's state (as JSON), its health history with the playbook version
 * that produced each score, and the runs made.
 */
export class StateStore {
  private readonly db: Database.Database;
  private readonly getState: Database.Statement;
  private readonly putState: Database.Statement;
  private readonly putHealth: Database.Statement;
  private readonly putRun: Database.Statement;

  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS account_state (account_id TEXT PRIMARY KEY, day INTEGER NOT NULL, state TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS health_history (
        account_id TEXT NOT NULL, day INTEGER NOT NULL, score REAL, status TEXT, tier TEXT, playbook TEXT NOT NULL,
        PRIMARY KEY (account_id, day));
      CREATE TABLE IF NOT EXISTS trigger_activation (trigger TEXT PRIMARY KEY, day INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS runs (day INTEGER NOT NULL, playbook TEXT NOT NULL, version INTEGER, accounts INTEGER NOT NULL, rejected INTEGER NOT NULL, PRIMARY KEY (day, playbook));
    `);
    this.getState = this.db.prepare("SELECT state FROM account_state WHERE account_id = ?");
    this.putState = this.db.prepare("INSERT INTO account_state (account_id, day, state) VALUES (?, ?, ?) ON CONFLICT(account_id) DO UPDATE SET day = excluded.day, state = excluded.state");
    this.putHealth = this.db.prepare("INSERT OR REPLACE INTO health_history (account_id, day, score, status, tier, playbook) VALUES (?, ?, ?, ?, ?, ?)");
    this.putRun = this.db.prepare("INSERT OR REPLACE INTO runs (day, playbook, version, accounts, rejected) VALUES (?, ?, ?, ?, ?)");
  }

  /** The latest day any run evaluated, or undefined for a fresh store. */
  latestDay(): number | undefined {
    const row = this.db.prepare("SELECT MAX(day) AS day FROM runs").get() as { day: number | null };
    return row.day ?? undefined;
  }

  /**
   * The day each trigger was first run, recording `day` for triggers seen
   * for the first time: `enroll new` leaves out only the accounts that
   * already matched on that day.
   */
  activations(triggers: readonly string[], day: number): Map<string, number> {
    const insert = this.db.prepare("INSERT OR IGNORE INTO trigger_activation (trigger, day) VALUES (?, ?)");
    for (const trigger of triggers) insert.run(trigger, day);
    const rows = this.db.prepare("SELECT trigger, day FROM trigger_activation").all() as { trigger: string; day: number }[];
    return new Map(rows.map((row) => [row.trigger, row.day]));
  }

  get(accountId: string): AccountState | undefined {
    const row = this.getState.get(accountId) as { state: string } | undefined;
    return row ? (JSON.parse(row.state) as AccountState) : undefined;
  }

  put(accountId: string, state: AccountState, tier: string | null): void {
    this.putState.run(accountId, state.day, JSON.stringify(state));
    if (state.health) this.putHealth.run(accountId, state.day, state.health.score, state.health.status, tier, state.playbook);
  }

  recordRun(day: number, playbook: string, version: number | undefined, accounts: number, rejected: number): void {
    this.putRun.run(day, playbook, version ?? null, accounts, rejected);
  }

  begin(): void {
    this.db.exec("BEGIN");
  }

  commit(): void {
    this.db.exec("COMMIT");
  }

  rollback(): void {
    if (this.db.inTransaction) this.db.exec("ROLLBACK");
  }

  close(): void {
    this.db.close();
  }
}
