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
