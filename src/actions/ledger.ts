import type Database from "better-sqlite3";

/** Where an action is in its life; every state but sent is explained by `reason` or `last_error`. */
export type OutboxState = "planned" | "waiting" | "sending" | "sent" | "failed" | "dead" | "suppressed" | "capped";
export const OUTBOX_STATES: readonly OutboxState[] = ["planned", "waiting", "sending", "sent", "failed", "dead", "suppressed", "capped"];
export type ActionKind = "email" | "task" | "offer" | "webhook";

/** One action in the outbox ledger. Times are milliseconds since the epoch. */
export interface OutboxRow {
  key: string;
  playbook: string;
  trigger: string;
  step: number;
  account_id: string;
  /** the day it was decided, YYYY-MM-DD */
  day: string;
  kind: ActionKind;
  target: string;
  recipient: string | null;
  priority: number;
  transactional: number;
  category: string | null;
  zone: string;
  /** what delivery needs, rendered when the action was decided (JSON); kept in its own table, read when the row is claimed */
  payload: string;
  state: OutboxState;
  reason: string | null;
  send_at: number;
  attempts: number;
  next_attempt_at: number | null;
  last_error: string | null;
  claimed_by: string | null;
  claimed_at: number | null;
  sent_at: number | null;
  message_id: string | null;
  created_at: number;
  updated_at: number;
}

/** What delivery reads of a due row: what its policies and its claim need (the rest stays in the ledger). */
export type DueRow = Pick<OutboxRow, "key" | "playbook" | "account_id" | "kind" | "recipient" | "priority" | "transactional" | "category" | "zone" | "state" | "send_at" | "attempts">;

export type NewOutboxRow = Pick<OutboxRow, "key" | "playbook" | "trigger" | "step" | "account_id" | "day" | "kind" | "target" | "recipient" | "priority" | "transactional" | "category" | "zone" | "payload" | "state" | "reason" | "send_at" | "last_error">;

export interface SuppressionRow {
  /** address or account */
  kind: "address" | "account";
  value: string;
  /** a category of email, or * for everything */
  category: string;
  reason: string;
  source: string;
  created_at: number;
}

export interface OutboxFilter {
  states?: readonly OutboxState[];
  /** any of these accounts */
  accounts?: readonly string[];
  /** any of these triggers */
  triggers?: readonly string[];
  playbook?: string;
  /** decided on or after this day (YYYY-MM-DD) */
  since?: string;
  limit?: number;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS outbox (
    key TEXT PRIMARY KEY,
    playbook TEXT NOT NULL, trigger TEXT NOT NULL, step INTEGER NOT NULL, account_id TEXT NOT NULL, day TEXT NOT NULL,
    kind TEXT NOT NULL, target TEXT NOT NULL, recipient TEXT, priority INTEGER NOT NULL, transactional INTEGER NOT NULL,
    category TEXT, zone TEXT NOT NULL,
    state TEXT NOT NULL, reason TEXT, send_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER,
    last_error TEXT, claimed_by TEXT, claimed_at INTEGER, sent_at INTEGER, message_id TEXT,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS outbox_payload (key TEXT PRIMARY KEY, payload TEXT NOT NULL);
  -- What is due, in the order it goes out; a row leaves it when it is claimed or held, and the index caps read does not change when a row is sent.
  CREATE INDEX IF NOT EXISTS outbox_due ON outbox (priority DESC, send_at, key) WHERE state IN ('planned', 'waiting', 'failed');
  CREATE INDEX IF NOT EXISTS outbox_by_account ON outbox (account_id, kind);
  CREATE TABLE IF NOT EXISTS suppression (
    kind TEXT NOT NULL, value TEXT NOT NULL, category TEXT NOT NULL, reason TEXT NOT NULL, source TEXT NOT NULL, created_at INTEGER NOT NULL,
    PRIMARY KEY (kind, value, category)
  ) WITHOUT ROWID;
`;

/**
 * The outbox ledger, in the project's SQLite state file: one row per action
 * decided, keyed by its idempotency key, written in the run's own
 * transaction (so an action is in the ledger exactly when the state that
 * decided it is), then moved through its states by delivery. A row is
 * claimed (`sending`) by one process with a conditional update before
 * anything goes out: of two processes, SQLite lets one win.
 */
export class OutboxLedger {
  private readonly insertRow: Database.Statement;
  private readonly insertPayload: Database.Statement;
  private readonly selectDue: Database.Statement;
  private readonly countDue: Database.Statement;
  private readonly claimRows: Database.Statement;
  private readonly sentRows: Database.Statement;
  private readonly countSent: Database.Statement;
  private readonly countSentAny: Database.Statement;
  private readonly failRow: Database.Statement;
  private readonly holdRow: Database.Statement;
  private readonly findSuppression: Database.Statement;
  private readonly anySuppression: Database.Statement;

  constructor(readonly db: Database.Database) {
    db.exec(SCHEMA);
    this.insertRow = db.prepare(`
      INSERT INTO outbox (key, playbook, trigger, step, account_id, day, kind, target, recipient, priority, transactional, category, zone, state, reason, send_at, last_error, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (key) DO UPDATE SET state = excluded.state, reason = excluded.reason, send_at = excluded.send_at, last_error = excluded.last_error,
        recipient = excluded.recipient, attempts = 0, next_attempt_at = NULL, updated_at = excluded.updated_at
      -- A row that failed before it could be prepared (a template or an address problem) is prepared again when its day is run again.
      WHERE outbox.state = 'failed' AND EXISTS (SELECT 1 FROM outbox_payload p WHERE p.key = outbox.key AND p.payload = '')`);
    this.insertPayload = db.prepare("INSERT INTO outbox_payload (key, payload) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET payload = excluded.payload");
    const due = `state IN ('planned', 'waiting', 'failed')
      AND (state = 'planned' OR (state = 'waiting' AND send_at <= @now) OR (state = 'failed' AND next_attempt_at IS NOT NULL AND next_attempt_at <= @now))`;
    // Only the columns delivery reads: a page is read for every 512 actions sent, and whole rows cost twice as much.
    this.selectDue = db.prepare(
      `SELECT key, playbook, account_id, kind, recipient, priority, transactional, category, zone, state, send_at, attempts FROM outbox WHERE ${due} ORDER BY priority DESC, send_at, key LIMIT @limit`,
    );
    this.countDue = db.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE ${due}`);
    this.claimRows = db.prepare(`
      UPDATE outbox SET state = 'sending', attempts = outbox.attempts + 1, claimed_by = ?, claimed_at = ?, updated_at = ?
      FROM (SELECT value ->> 0 AS k, value ->> 1 AS s, value ->> 2 AS a FROM json_each(?)) AS c
      WHERE outbox.key = c.k AND outbox.state = c.s AND outbox.attempts = c.a
      RETURNING outbox.key AS key, (SELECT p.payload FROM outbox_payload p WHERE p.key = outbox.key) AS payload`);
    this.sentRows = db.prepare(`
      UPDATE outbox SET state = 'sent', sent_at = c.at, message_id = c.id, reason = c.note, last_error = NULL, next_attempt_at = NULL, updated_at = c.at
      FROM (SELECT value ->> 0 AS k, value ->> 1 AS at, value ->> 2 AS id, value ->> 3 AS note FROM json_each(?)) AS c
      WHERE outbox.key = c.k AND outbox.state = 'sending'`);
    this.countSent = db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE account_id = ? AND kind = ? AND state IN ('sent', 'sending') AND COALESCE(sent_at, claimed_at) > ?");
    this.failRow = db.prepare("UPDATE outbox SET state = ?, last_error = ?, next_attempt_at = ?, claimed_by = NULL, updated_at = ? WHERE key = ? AND state = 'sending'");
    this.holdRow = db.prepare("UPDATE outbox SET state = ?, reason = ?, send_at = ?, updated_at = ? WHERE key = ? AND state = ? AND attempts = ?");
    this.anySuppression = db.prepare("SELECT 1 FROM suppression LIMIT 1");
    this.findSuppression = db.prepare(
      "SELECT kind, value, category, reason FROM suppression WHERE ((kind = 'account' AND value = ?) OR (kind = 'address' AND value = ?)) AND category IN ('*', ?) LIMIT 1",
    );
    this.countSentAny = db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE account_id = ? AND state IN ('sent', 'sending') AND COALESCE(sent_at, claimed_at) > ?");
  }

  /** Records a decided action; false when its key is already there (decided before: nothing new). */
  record(row: NewOutboxRow, now: number): boolean {
    // Bound by position: a run records an action per decision, and naming 19 parameters costs a third of the insert.
    const r = row;
    const inserted = this.insertRow.run(r.key, r.playbook, r.trigger, r.step, r.account_id, r.day, r.kind, r.target, r.recipient, r.priority, r.transactional, r.category, r.zone, r.state, r.reason, r.send_at, r.last_error, now, now);
    if (inserted.changes !== 1) return false;
    // The rendered message lives apart: a row's state changes then rewrite a few bytes, not the whole email.
    this.insertPayload.run(row.key, row.payload);
    return true;
  }

  /** Rows that failed before they were prepared: no message to send; running their day again prepares them. */
  unprepared(filter: OutboxFilter): number {
    const { where, params } = whereOf({ ...filter, states: ["failed", "dead"] });
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM outbox ${where} AND EXISTS (SELECT 1 FROM outbox_payload p WHERE p.key = outbox.key AND p.payload = '')`).get(...params) as { n: number }).n;
  }

  /**
   * Claims several rows in one statement; returns the rendered message (JSON)
   * of each row this process got, by key (each only if unchanged since it was read).
   */
  claimMany(rows: readonly DueRow[], owner: string, now: number): Map<string, string> {
    const claimed = this.claimRows.all(owner, now, now, JSON.stringify(rows.map((r) => [r.key, r.state, r.attempts]))) as { key: string; payload: string | null }[];
    return new Map(claimed.map((r) => [r.key, r.payload ?? "null"]));
  }

  /** Records several deliveries as sent in one statement. */
  markSentMany(acks: readonly { key: string; at: number; messageId: string | null; note: string | null }[]): void {
    if (acks.length > 0) this.sentRows.run(JSON.stringify(acks.map((a) => [a.key, a.at, a.messageId, a.note])));
  }

  /**
   * What a delivery pass looks at, a page at a time, highest priority first:
   * planned actions, waiting ones whose time has come, failed ones whose next
   * attempt is due. A row held back leaves this set, and so does a claimed
   * one, so each page is what is left.
   */
  due(now: number, limit: number, skip: ReadonlySet<string>): DueRow[] {
    const rows = this.selectDue.all({ now, limit: limit + skip.size }) as DueRow[];
    return skip.size === 0 ? rows : rows.filter((row) => !skip.has(row.key)).slice(0, limit);
  }

  /** Actions waiting for their time (quiet hours, business days, holidays): how many, and the earliest time one may go out. */
  waiting(): { count: number; nextAt: number | undefined } {
    const row = this.db.prepare("SELECT COUNT(*) AS n, MIN(send_at) AS next FROM outbox WHERE state = 'waiting'").get() as { n: number; next: number | null };
    return { count: row.n, nextAt: row.next ?? undefined };
  }

  /** How many actions are due now (for progress). */
  dueCount(now: number): number {
    return (this.countDue.get({ now }) as { n: number }).n;
  }

  /** Gives a claimed row back untried (its channel went down before its turn): as it was before the claim. */
  release(row: DueRow, owner: string, now: number): void {
    this.db.prepare("UPDATE outbox SET state = ?, attempts = attempts - 1, claimed_by = NULL, updated_at = ? WHERE key = ? AND state = 'sending' AND claimed_by = ?").run(row.state, now, row.key, owner);
  }

  /** A failed attempt: retried at `nextAttemptAt`, or never by itself when null (a permanent failure, or dead). */
  markFailed(key: string, now: number, error: string, nextAttemptAt: number | null, dead: boolean): void {
    this.failRow.run(dead ? "dead" : "failed", error, nextAttemptAt, now, key);
  }

  /** Holds a row back (waiting, capped, suppressed) with the reason, unless another process has taken it meanwhile. */
  hold(row: DueRow, state: "waiting" | "capped" | "suppressed", reason: string, now: number, sendAt = row.send_at): boolean {
    return this.holdRow.run(state, reason, sendAt, now, row.key, row.state, row.attempts).changes === 1;
  }

  /** Rows of a channel sent to an account since `sinceMs`: what a frequency cap counts, across every playbook. */
  sentSince(account: string, channel: ActionKind | "any", sinceMs: number): number {
    const row = (channel === "any" ? this.countSentAny.get(account, sinceMs) : this.countSent.get(account, channel, sinceMs)) as { n: number };
    return row.n;
  }

  /**
   * Rows left `sending` by a process that is gone (killed in the middle of a
   * send): they go back to planned, to be sent again. The receiver may have
   * accepted that one message before the process died, so it may arrive
   * twice, with the same Message-ID: at least once for that single message.
   */
  recoverAbandoned(isAlive: (owner: string) => boolean, now: number, leaseMs: number): number {
    const rows = this.db.prepare("SELECT key, claimed_by, claimed_at FROM outbox WHERE state = 'sending'").all() as { key: string; claimed_by: string | null; claimed_at: number | null }[];
    let recovered = 0;
    const reset = this.db.prepare("UPDATE outbox SET state = 'planned', reason = 'the process sending it stopped; sent again', claimed_by = NULL, updated_at = ? WHERE key = ? AND state = 'sending' AND claimed_by IS ?");
    for (const row of rows) {
      const abandoned = row.claimed_by === null || !isAlive(row.claimed_by) || (row.claimed_at ?? 0) < now - leaseMs;
      if (abandoned) recovered += reset.run(now, row.key, row.claimed_by).changes;
    }
    return recovered;
  }

  /** How many rows match (the limit aside). */
  count(filter: OutboxFilter = {}): number {
    const { where, params } = whereOf(filter);
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM outbox ${where}`).get(...params) as { n: number }).n;
  }

  list(filter: OutboxFilter = {}): OutboxRow[] {
    const { where, params } = whereOf(filter);
    const limit = filter.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(filter.limit))}` : "";
    return this.db.prepare(`SELECT *, '' AS payload FROM outbox ${where} ORDER BY day, playbook, trigger, account_id, key${limit}`).all(...params) as OutboxRow[];
  }


  /** Failed and dead actions (matching the filter) go back to planned, attempts reset; returns how many. */
  retry(filter: OutboxFilter, now: number): number {
    const states = (filter.states ?? ["failed", "dead"]).filter((s) => s === "failed" || s === "dead");
    const { where, params } = whereOf({ ...filter, states });
    // Rows never prepared have nothing to send: they stay failed (running their day again prepares them).
    return this.db
      .prepare(`UPDATE outbox SET state = 'planned', attempts = 0, next_attempt_at = NULL, reason = 'retried by hand', updated_at = ? ${where} AND NOT EXISTS (SELECT 1 FROM outbox_payload p WHERE p.key = outbox.key AND p.payload = '')`)
      .run(now, ...params).changes;
  }

  suppress(entry: Omit<SuppressionRow, "created_at">, now: number): boolean {
    return this.db.prepare("INSERT INTO suppression (kind, value, category, reason, source, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING").run(entry.kind, normalise(entry.kind, entry.value), entry.category, entry.reason, entry.source, now).changes === 1;
  }

  unsuppress(kind: SuppressionRow["kind"], value: string, category: string | undefined): number {
    if (category === undefined) return this.db.prepare("DELETE FROM suppression WHERE kind = ? AND value = ?").run(kind, normalise(kind, value)).changes;
    return this.db.prepare("DELETE FROM suppression WHERE kind = ? AND value = ? AND category = ?").run(kind, normalise(kind, value), category).changes;
  }

  suppressions(): SuppressionRow[] {
    return this.db.prepare("SELECT * FROM suppression ORDER BY kind, value, category").all() as SuppressionRow[];
  }

  hasSuppressions(): boolean {
    return this.anySuppression.get() !== undefined;
  }

  /** Why an action to this account (and address, for a category of email) is suppressed, if it is. */
  suppressedBecause(account: string, address: string | null, category: string | null): string | undefined {
    const row = this.findSuppression.get(account, address === null ? null : normalise("address", address), category ?? "*") as SuppressionRow | undefined;
    if (!row) return undefined;
    const whom = row.kind === "account" ? `the account ${row.value}` : row.value;
    return `${whom} is on the suppression list${row.category === "*" ? "" : ` for ${row.category}`} (${row.reason})`;
  }
}

function normalise(kind: SuppressionRow["kind"], value: string): string {
  return kind === "address" ? value.trim().toLowerCase() : value;
}

function whereOf(filter: OutboxFilter): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (filter.states && filter.states.length > 0) {
    clauses.push(`state IN (${filter.states.map(() => "?").join(", ")})`);
    params.push(...filter.states);
  }
  for (const [column, values] of [["account_id", filter.accounts], ["trigger", filter.triggers]] as const) {
    if (values === undefined || values.length === 0) continue;
    clauses.push(`${column} IN (${values.map(() => "?").join(", ")})`);
    params.push(...values);
  }
  if (filter.playbook !== undefined) clauses.push("playbook = ?"), params.push(filter.playbook);
  if (filter.since !== undefined) clauses.push("day >= ?"), params.push(filter.since);
  return { where: `WHERE ${clauses.length > 0 ? clauses.join(" AND ") : "1"}`, params };
}
