import Database from "better-sqlite3";
import { existsSync } from "node:fs";

/** Everything a state file remembers, in a fixed order: two equal dumps mean the same state. */
export function stateDump(path: string): string {
  if (!existsSync(path)) return "(no state file)";
  const db = new Database(path, { readonly: true });
  try {
    const tables = ["account_state", "health_history", "trigger_activation", "runs"];
    return JSON.stringify(Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()])));
  } finally {
    db.close();
  }
}

/** Whether another process holds the state file's write lock right now. */
export function isLocked(path: string): boolean {
  if (!existsSync(path)) return false;
  const db = new Database(path, { timeout: 0 });
  try {
    db.exec("BEGIN IMMEDIATE");
    db.exec("ROLLBACK");
    return false;
  } catch (error) {
    return String((error as { code?: string }).code).startsWith("SQLITE_BUSY");
  } finally {
    db.close();
  }
}
