import { recordMaker } from "../engine/records.js";
import { Calendars, isKnownTimeZone, lastLocalDay, localTimeToInstant } from "../engine/clock.js";
import type { DayClock } from "../engine/clock.js";
import type { CompiledPlaybook, FieldContract } from "../engine/compiled.js";
import type { Value } from "../expression/value.js";
import { loadAccounts, type AccountSource, type LoadedAccounts } from "./accounts.js";
import type { DuckDBDataChunk } from "@duckdb/node-api";
import { booleanColumn, DataError, numberColumn, textColumn, type DataEngine } from "./duckdb.js";
import { decimalColumn, exactAverage, exactNumber } from "./exact.js";
import { createAccountNumbers, EventAggregation, type EventDeclarations, type EventSource, type RunWindows } from "./events.js";
import type { Rejections } from "./rejects.js";
import { counted } from "../text/counted.js";
import { ZONE_SUFFIX } from "./fields.js";
import { Sql, sqlNumber } from "./sql.js";

/** Everything a run reads, as `touchline.yaml` declares it. */
export interface DataSpec {
  accounts: AccountSource;
  events: readonly EventSource[];
  /** the project's time zone: for accounts without one, with a blank one, or with one nobody knows */
  timezone: string;
}

/** One account ready for the engine: its validated fields, its event aggregates and its day clock. */
export interface AccountRow {
  id: string;
  fields: Record<string, Value>;
  aggregates: Value[];
  zone: string;
  clock: DayClock;
}

export interface DataSummary {
  /** account records read */
  accounts: number;
  valid: number;
  rejectedAccounts: number;
  events: number;
  rejectedEvents: number;
  warnings: string[];
}

/**
 * A project's data for one day, read and checked by DuckDB: the valid
 * accounts with their event aggregates, streamed in input order in batches.
 */
export class ProjectData {
  private constructor(
    private readonly engine: DataEngine,
    private readonly plan: CompiledPlaybook,
    private readonly accounts: LoadedAccounts,
    private readonly zones: string[],
    private readonly calendars: Calendars,
    /** whether table `aggs` holds the event aggregates (there is an events input) */
    private readonly aggregated: boolean,
    readonly summary: DataSummary,
    /** every field of the contract, not only those the playbook's expressions read (templates read any) */
    private readonly allFields: boolean,
  ) {}

  /**
   * Reads and validates every input. `account` limits the work to one
   * account (explain). Rejected records go to `rejections` as they are found.
   */
  static async open(engine: DataEngine, spec: DataSpec, plan: CompiledPlaybook, declared: EventDeclarations, options: { day: number; rejections: Rejections; strict: boolean; account?: string | undefined; allFields?: boolean; alsoRead?: readonly string[] }): Promise<ProjectData> {
    {
      // Explaining one account reads only its rows (and events): answers come in well under a second.
      const accounts = await loadAccounts(engine, spec.accounts, plan.fields, options.rejections, { strict: options.strict, only: options.account, zoneField: plan.timezoneField, alsoRead: options.alsoRead });
      const warnings = [...accounts.warnings];
      const calendars = new Calendars(options.day);
      const zones = await resolveZones(engine, accounts, plan, spec.timezone, warnings);
      const windowDays = [...new Set(plan.aggregates.flatMap((a) => (a.windowDays === undefined ? [] : a.fn === "trend" ? [a.windowDays, 2 * a.windowDays] : [a.windowDays])))].sort((a, b) => a - b);
      let events = 0;
      let rejectedEvents = 0;
      if (spec.events.length > 0) {
        const windows = await numberRunAccounts(engine, accounts.hasZone ? "__zone" : undefined, zones, calendars, windowDays);
        const aggregation = await EventAggregation.open(engine, spec.events, plan.aggregates, declared);
        const report = await aggregation.compute(windows, options.day, options.rejections, options.strict, options.account);
        events = report.events;
        rejectedEvents = report.rejected;
        warnings.push(...report.warnings);
      } else if (plan.aggregates.length > 0) {
        warnings.push("the playbook counts usage events but the project names no events input: every event aggregate is 0 or missing");
      }
      return new ProjectData(engine, plan, accounts, zones, calendars, spec.events.length > 0, {
        accounts: accounts.total,
        valid: accounts.valid,
        rejectedAccounts: accounts.rejected,
        events,
        rejectedEvents,
        warnings,
      }, options.allFields === true);
    }
  }

  /** The valid accounts in input order (optionally one), a chunk of about 2,000 at a time. */
  async *batches(account?: string): AsyncGenerator<AccountRow[]> {
    const plan = this.plan;
    const sql = new Sql();
    const fields = this.allFields ? plan.fields : plan.fieldsRead.map((name) => plan.fields.find((f) => f.name === name)!);
    const values = fieldValuesSql(this.accounts, plan, sql, fields);
    const hasAggs = plan.aggregates.length > 0 && this.aggregated;
    const aggregates = plan.aggregates.flatMap((spec, i) => {
      const second = spec.fn === "days_since_last" ? "_l" : spec.fn === "avg" ? "_n" : undefined;
      const exact = spec.fn === "sum" || spec.fn === "avg";
      if (hasAggs) return [`g.x${i}`, ...(second ? [`g.x${i}${second}`] : [])];
      return [exact ? "NULL::DECIMAL(38, 10)" : "NULL::DOUBLE", ...(second ? ["NULL::DOUBLE"] : [])];
    });
    const zoneColumn = plan.timezoneField && this.accounts.hasZone ? "__zone" : undefined;
    const query = `SELECT acc.__id, ${zoneColumn ? "COALESCE(zm.idx, 0)" : "0"} AS __zone${values.length > 0 ? ", " : ""}${values.join(", ")}${aggregates.length > 0 ? ", " : ""}${aggregates.join(", ")}
      FROM acc_ok acc ${zoneColumn ? `LEFT JOIN zone_map zm ON zm.text = acc.${zoneColumn}` : ""} ${hasAggs ? `LEFT JOIN ${RUN_ACCOUNTS} n ON n.__id = acc.__id LEFT JOIN aggs g ON g.__idx = n.__number` : ""}
      ${account === undefined ? "" : `WHERE acc.__id = ${sql.param(account)}`} ORDER BY acc.__ord`;
    const clocks = this.zones.map((zone) => this.calendars.clock(zone));
    for await (const chunk of this.engine.chunks(query, sql.params)) {
      const rows = chunk.rowCount;
      const ids = textColumn(chunk, 0);
      const zoneIndex = numberColumn(chunk, 1);
      const read = readFields(chunk, fields, 2);
      let column = read.next;
      const aggregateColumns = plan.aggregates.map((spec) => {
        const exact = spec.fn === "sum" || spec.fn === "avg" ? decimalColumn(chunk, column) : undefined;
        const main = exact ? [] : numberColumn(chunk, column);
        column++;
        const second = spec.fn === "days_since_last" || spec.fn === "avg" ? numberColumn(chunk, column++) : undefined;
        return { spec, main, exact, second };
      });
      const batch: AccountRow[] = new Array(rows);
      for (let r = 0; r < rows; r++) {
        const zone = this.zones[zoneIndex[r] ?? 0]!;
        const clock = clocks[zoneIndex[r] ?? 0]!;
        const record = read.row(r, zone);
        const xs: Value[] = new Array(aggregateColumns.length);
        for (let a = 0; a < aggregateColumns.length; a++) {
          const { spec, main, exact, second } = aggregateColumns[a]!;
          const local = second;
          const value = main[r] ?? null;
          if (exact) xs[a] = spec.fn === "sum" ? exactNumber(exact[r] ?? 0n) : exactAverage(exact[r] ?? null, second![r] ?? 0);
          else if (spec.fn === "days_since_last") {
            const last = lastLocalDay(value, local![r] ?? null, clock);
            xs[a] = last === null ? null : clock.asOfDay - last;
          } else xs[a] = value === null ? (spec.fn === "count" || spec.fn === "sum" || spec.fn === "distinct" || spec.fn === "trend" ? 0 : null) : value;
        }
        batch[r] = { id: ids[r]!, fields: record, aggregates: xs, zone, clock };
      }
      yield batch;
    }
  }

}

/** The select list typing the fields evaluation reads, from table `acc` (date-times also say whether they named a zone). */
export function fieldValuesSql(accounts: LoadedAccounts, plan: CompiledPlaybook, sql: Sql, fields: readonly FieldContract[]): string[] {
  return fields.map((field, i) => {
    const value = accounts.valueSql(sql, field.name);
    if (field.type.name !== "datetime") return `${value} AS v_${i}`;
    return `${value} AS v_${i}, regexp_matches(acc.t${plan.fields.indexOf(field)}, '${ZONE_SUFFIX}') AS z_${i}`;
  });
}

/** Record makers by the names they hold: every chunk's records share one shape (see recordMaker). */
const fieldRecords = new Map<string, () => Record<string, Value>>();

function fieldRecordMaker(fields: readonly FieldContract[]): () => Record<string, Value> {
  const names = fields.map((field) => field.name);
  const key = JSON.stringify(names);
  let make = fieldRecords.get(key);
  if (!make) {
    // A long-lived process (the language server) may see many field lists: the cache stays small.
    if (fieldRecords.size >= 64) fieldRecords.clear();
    fieldRecords.set(key, (make = recordMaker(names)));
  }
  return make;
}

/** Reads the typed fields of a chunk from `start`: each row's record (a date-time without a zone read in the account's zone). */
export function readFields(chunk: DuckDBDataChunk, fields: readonly FieldContract[], start: number): { next: number; row: (r: number, zone: string) => Record<string, Value> } {
  let column = start;
  const columns: { field: FieldContract; values: (Value | null)[]; zoned?: (boolean | null)[] }[] = [];
  for (const field of fields) {
    const kind = field.type.name;
    const values = kind === "bool" ? booleanColumn(chunk, column) : kind === "string" || kind === "email" || kind === "enum" ? textColumn(chunk, column) : numberColumn(chunk, column);
    column++;
    const entry: (typeof columns)[number] = { field, values };
    if (kind === "datetime") entry.zoned = booleanColumn(chunk, column++);
    columns.push(entry);
  }
  const make = fieldRecordMaker(fields);
  return {
    next: column,
    row(r, zone) {
      const record = make();
      for (const { field, values, zoned } of columns) {
        const value = values[r] ?? null;
        record[field.name] = zoned && value !== null && zoned[r] === false ? localTimeToInstant(zone, value as number) : value;
      }
      return record;
    },
  };
}

/**
 * The zone of every account: its time zone field when it names a zone;
 * the project's zone when it is blank, or unknown (counted, with a warning:
 * never UTC by accident). Index 0 is the project's zone.
 */
async function resolveZones(engine: DataEngine, accounts: LoadedAccounts, plan: CompiledPlaybook, projectZone: string, warnings: string[]): Promise<string[]> {
  const zones = [projectZone];
  await engine.run("CREATE OR REPLACE TEMP TABLE zone_map (text VARCHAR, idx INTEGER)");
  const column = accounts.hasZone ? "__zone" : undefined;
  const zoneOf = new Map<string, number>();
  if (column) {
    const rows = await engine.rows(`SELECT ${column} AS text, count(*) AS n FROM acc_ok WHERE ${column} IS NOT NULL GROUP BY 1 ORDER BY 1`);
    const unknown: { text: string; n: number }[] = [];
    const mapping: [string, number][] = [];
    for (const row of rows) {
      const text = String(row.text);
      if (isKnownTimeZone(text)) {
        let index = zoneOf.get(text);
        if (index === undefined) {
          index = zones.length;
          zones.push(text);
          zoneOf.set(text, index);
        }
        mapping.push([text, index]);
      } else {
        unknown.push({ text, n: Number(row.n) });
        mapping.push([text, 0]);
      }
    }
    if (mapping.length > 0) await engine.appendRows("zone_map", mapping, ["text", "integer"]);
    if (unknown.length > 0) {
      const count = unknown.reduce((sum, u) => sum + u.n, 0);
      warnings.push(`${counted(count, "account")} ${count === 1 ? "has" : "have"} a time zone nobody knows (${unknown.slice(0, 5).map((u) => JSON.stringify(u.text)).join(", ")}${unknown.length > 5 ? ", ..." : ""}): they are evaluated in the project's zone, ${projectZone}`);
    }
  }
  return zones;
}

/** The table of a run's valid account ids and their numbers (see NumberedAccounts). */
const RUN_ACCOUNTS = "run_account_number";

/** Numbers the valid accounts zone by zone, with each zone's window bounds on the run's day. */
async function numberRunAccounts(engine: DataEngine, zoneColumn: string | undefined, zones: readonly string[], calendars: Calendars, days: readonly number[]): Promise<RunWindows> {
  const zone = zoneColumn ? "COALESCE(zm.idx, 0)" : "0";
  const from = `acc_ok acc ${zoneColumn ? `LEFT JOIN zone_map zm ON zm.text = acc.${zoneColumn}` : ""}`;
  await createAccountNumbers(engine, RUN_ACCOUNTS, `SELECT acc.__id, ${zone} AS zone, acc.__ord FROM ${from}`, "zone, __ord");
  const counts = new Map((await engine.rows(`SELECT ${zone} AS zone, count(*) AS n FROM ${from} GROUP BY 1`)).map((row) => [Number(row.zone), Number(row.n)]));
  let end = 0;
  return {
    table: RUN_ACCOUNTS,
    days,
    zones: zones.map((name, index) => {
      const clock = calendars.clock(name);
      end += counts.get(index) ?? 0;
      return { end, asOfMs: clock.asOfMs, starts: days.map((d) => clock.windowStart(d)) };
    }),
  };
}

export { DataError };
