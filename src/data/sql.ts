import type { SqlParam } from "./duckdb.js";

/**
 * One SQL statement being built: text the engine writes, and the values
 * (file names, event types, enum values...) bound as `$n` parameters. User
 * text never becomes SQL text.
 */
export class Sql {
  readonly params: SqlParam[] = [];

  /** Binds a value and returns its placeholder. */
  param(value: SqlParam): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  /** `x IN ($1, $2, ...)` for a list of values; false for an empty list. */
  oneOf(expr: string, values: readonly SqlParam[]): string {
    if (values.length === 0) return "false";
    return `${expr} IN (${values.map((v) => this.param(v)).join(", ")})`;
  }
}

/** A number written into SQL text: only finite numbers the engine computed itself. */
export function sqlNumber(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
  return String(value);
}

/**
 * The text of a value as read, with spaces and tabs around it taken off, and
 * NULL when nothing is left: the one normalisation ids and values get. Most
 * values have nothing to trim, and are passed through without the work.
 */
export function trimmedText(expr: string): string {
  return `(CASE WHEN ${expr} = '' THEN NULL WHEN starts_with(${expr}, ' ') OR ends_with(${expr}, ' ') OR contains(${expr}, chr(9)) THEN NULLIF(trim(${expr}, ' \t'), '') ELSE ${expr} END)`;
}
