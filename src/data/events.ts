import type { AggregateSpec } from "../engine/aggregates.js";
import { MS_PER_DAY } from "../expression/value.js";
import { isNumeric, type Type } from "../expression/types.js";
import { counted } from "../text/counted.js";
import { closestName } from "../text/suggest.js";
import { DataError, MEMORY_VARIABLE, type DataEngine, type SqlParam } from "./duckdb.js";
import { problemMessage, typeFromText, zonedInstantMs } from "./fields.js";
import { filterSql } from "./filter-sql.js";
import type { RejectedRecord, Rejections } from "./rejects.js";
import { assertReadableFile, openRelation, type FileSpec, type Relation } from "./sources.js";
import { Sql, sqlNumber, trimmedText } from "./sql.js";

/** Where the account id of an event comes from when the export carries another key (RavenStack's usage rows name a subscription). */
export interface IdLookup extends FileSpec {
  /** the events' column holding the key */
  column: string;
  /** the lookup file's column matching it */
  key: string;
  /** the lookup file's column with the account id */
  id: string;
}

/** One export of usage events, as `touchline.yaml` describes it. */
export interface EventSource extends FileSpec {
  /** the column with the account id */
  id: string;
  lookup: IdLookup | undefined;
  /** every row is an event of this type... */
  type: string | undefined;
  /** ...or the type is in this column */
  typeColumn: string;
  /** the column with the date and time */
  timestamp: string;
  /** event property -> column */
  properties: Readonly<Record<string, string>>;
}

/** The declared event types and the type of each property (undefined: the playbook declares none, anything goes). */
export type EventDeclarations = ReadonlyMap<string, ReadonlyMap<string, Type>> | undefined;

/** A zone's UTC offset over a period: `offset` before the first change, then each change's instant and new offset. */
export interface ZoneOffsets {
  offset: number;
  changes: { at: number; offset: number }[];
}

/**
 * Accounts numbered zone by zone: a table of their ids and numbers (an
 * event's account number comes from a hash join on its id: over 20M events
 * a third faster than a lookup in an ENUM type of the ids, once DuckDB's CSV
 * reader runs with its sniffer), and where each zone's numbers end (so a
 * number says its zone by range), with what the zone means: its UTC offsets
 * over a replay, or its window bounds on a run's day.
 */
export interface NumberedAccounts<Zone = ZoneOffsets> {
  /** the table of the account ids (`__id`, each once) and their numbers (`__number`, from 0) */
  table: string;
  /** per zone, the first number after its accounts */
  zones: readonly (Zone & { end: number })[];
}

/**
 * Whether the day evaluated lies where the events cannot reach it: before
 * the first one, or so long after the last that every window is empty. Each
 * aggregate is then 0 or missing, which reads as a quiet portfolio rather
 * than a wrong --as-of or an old export. Times are UTC or wall-clock ms;
 * a day's margin covers every zone.
 */
function asOfOutsideEvents(first: number, last: number, asOfDay: number, windowDays: readonly number[]): string | undefined {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const asOf = day(asOfDay * MS_PER_DAY);
  if (first >= (asOfDay + 2) * MS_PER_DAY) return `every event is after --as-of ${asOf} (the first is on ${day(first)}): each event aggregate is 0 or missing; is --as-of the day you meant?`;
  const longest = Math.max(0, ...windowDays);
  if (longest > 0 && last < (asOfDay - longest) * MS_PER_DAY) {
    return `the latest event is on ${day(last)}, more than the playbook's longest window (${longest} days) before --as-of ${asOf}: every event count over a window is 0; is --as-of the day you meant, or is the events export out of date?`;
  }
  return undefined;
}

/** A zone's window bounds on a run's day (UTC ms): the end of the day, and the start of each window length of `RunWindows.days`. */
export interface ZoneWindows {
  asOfMs: number;
  starts: readonly number[];
}

export type RunWindows = NumberedAccounts<ZoneWindows> & { days: readonly number[] };

/** Creates the table `table` of the account ids `ids` selects (column `__id`), numbered in the order of `order`. Each id must be there once: joined to the events, a second row would count its events twice. */
export async function createAccountNumbers(engine: DataEngine, table: string, ids: string, order: string): Promise<void> {
  await engine.run(`CREATE OR REPLACE TEMP TABLE ${table} AS SELECT __id, CAST(row_number() OVER (ORDER BY ${order}) - 1 AS INTEGER) AS __number FROM (${ids})`);
}

/** The rows of `from` (the account id in `acc`) with their account's number as `__idx` (null for an account that is not one of them). */
function withAccountNumber(accounts: NumberedAccounts<unknown>, from: string): string {
  return `(SELECT x.*, n.__number AS __idx FROM ${from} x LEFT JOIN ${accounts.table} n ON n.__id = x.acc)`;
}

/** A value by the zone of the account numbered `number` (null when it has none). */
function byZone<Zone>(accounts: NumberedAccounts<Zone>, number: string, value: (zone: Zone) => string): string {
  return accounts.zones.length === 0 ? "NULL" : `CASE ${accounts.zones.map((z) => `WHEN ${number} < ${z.end} THEN ${value(z)}`).join(" ")} END`;
}

/** An event's local day, with every day before `from` as `from - 1` and every day after `to` as `to + 1`. */
function dayInRange(from: number, to: number): string {
  return `CASE WHEN e.day < ${sqlNumber(from)} THEN ${sqlNumber(from - 1)} WHEN e.day > ${sqlNumber(to)} THEN ${sqlNumber(to + 1)} ELSE e.day END`;
}

function offsetCase(zone: ZoneOffsets): string {
  if (zone.changes.length === 0) return sqlNumber(zone.offset);
  const branches: string[] = [`WHEN e.t < ${sqlNumber(zone.changes[0]!.at)} THEN ${sqlNumber(zone.offset)}`];
  zone.changes.forEach((change, i) => {
    const next = zone.changes[i + 1];
    branches.push(next ? `WHEN e.t < ${sqlNumber(next.at)} THEN ${sqlNumber(change.offset)}` : `ELSE ${sqlNumber(change.offset)}`);
  });
  return `(CASE ${branches.join(" ")} END)`;
}

/** What reading the events found: counts for the summary, warnings to print. */
export interface EventReport {
  events: number;
  rejected: number;
  warnings: string[];
}

interface OpenSource {
  spec: EventSource;
  relation: Relation;
  lookup: Relation | undefined;
}

/** The largest event value (in size) the exact sums accept: far beyond any real count, duration or amount. */
const EVENT_NUMBER_LIMIT = "1e24";

/** Every property name any aggregate or declaration needs, in a fixed order: column `q<k>` of the union. */
function propertyNames(aggregates: readonly AggregateSpec[], declared: EventDeclarations): string[] {
  const names = new Set<string>();
  for (const spec of aggregates) if (spec.property !== undefined) names.add(spec.property);
  for (const spec of aggregates) for (const name of filterNames(spec)) names.add(name);
  for (const properties of declared?.values() ?? []) for (const name of properties.keys()) names.add(name);
  return [...names].sort();
}

function filterNames(spec: AggregateSpec): string[] {
  const names: string[] = [];
  const visit = (node: unknown): void => {
    if (!node || typeof node !== "object") return;
    const n = node as { kind?: string; path?: string[] };
    if (n.kind === "ref" && n.path) names.push(n.path[0]!);
    for (const value of Object.values(node)) if (value && typeof value === "object" && value !== n.path) visit(value);
  };
  if (spec.filter) visit(spec.filter.expr);
  return names;
}

/**
 * Computes every event aggregate of every account in one grouped query over
 * all event sources (streamed by DuckDB, never held in memory), with each
 * account's windows of local days. Validates the events in the same pass;
 * only when some are bad does a second pass find their lines.
 */
export class EventAggregation {
  private readonly properties: string[];

  private constructor(
    private readonly engine: DataEngine,
    private readonly sources: OpenSource[],
    private readonly aggregates: readonly AggregateSpec[],
    private readonly declared: EventDeclarations,
  ) {
    this.properties = propertyNames(aggregates, declared);
  }

  static async open(engine: DataEngine, sources: readonly EventSource[], aggregates: readonly AggregateSpec[], declared: EventDeclarations): Promise<EventAggregation> {
    const opened: OpenSource[] = [];
    const properties = propertyNames(aggregates, declared);
    for (const spec of sources) {
      const wanted = [spec.lookup ? spec.lookup.column : spec.id, ...(spec.type === undefined ? [spec.typeColumn] : []), spec.timestamp, ...properties.map((p) => spec.properties[p] ?? p)];
      const relation = await openRelation(engine, spec, "events", wanted);
      const lookup = spec.lookup ? await openRelation(engine, spec.lookup, "lookup", [spec.lookup.key, spec.lookup.id]) : undefined;
      const required = [spec.lookup ? spec.lookup.column : spec.id, ...(spec.type === undefined ? [spec.typeColumn] : []), spec.timestamp];
      if (spec.format !== "json" && spec.format !== "jsonl") {
        for (const column of required) {
          if (!relation.headers.includes(column)) {
            const suggestion = closestName(column, relation.headers);
            throw new DataError(`${spec.file}: no column \`${column}\` in the events${suggestion ? `; did you mean \`${suggestion}\`?` : ""} (touchline.yaml can name it: id, type_column, timestamp)`);
          }
        }
      }
      if (lookup) {
        for (const column of [spec.lookup!.key, spec.lookup!.id]) if (!lookup.headers.includes(column)) throw new DataError(`${spec.lookup!.file}: no column \`${column}\` to look account ids up`);
      }
      opened.push({ spec, relation, lookup });
    }
    return new EventAggregation(engine, opened, aggregates, declared);
  }

  /** The union of all sources with typed columns: one row per event. */
  private eventsSql(sql: Sql, account: string | undefined, ordinals = false): string {
    const parts = this.sources.map((source, s) => {
      const { spec, relation } = source;
      const column = (name: string) => {
        const index = relation.headers.indexOf(name);
        return index < 0 ? "NULL::VARCHAR" : `r.c${index}`;
      };
      // Ids and types are trimmed like every id; timestamps and property values are read by casts that ignore spaces.
      const text = trimmedText;
      const raw = (expr: string) => `NULLIF(${expr}, '')`;
      let id = text(column(spec.id));
      let join = "";
      if (source.lookup) {
        const lookup = source.lookup;
        const key = lookup.headers.indexOf(spec.lookup!.key);
        const value = lookup.headers.indexOf(spec.lookup!.id);
        join = `LEFT JOIN (SELECT ${text(`c${key}`)} AS k, any_value(${text(`c${value}`)}) AS v FROM ${lookup.from(sql)} GROUP BY 1) lk ON lk.k = ${text(column(spec.lookup!.column))}`;
        id = "lk.v";
      }
      const type = spec.type !== undefined ? `${sql.param(spec.type)}::VARCHAR` : text(column(spec.typeColumn));
      const props = this.properties.map((name, k) => `${raw(column(spec.properties[name] ?? name))} AS q${k}`);
      const bad = relation.unreadable ? relation.unreadable("r") : "NULL::VARCHAR";
      return `SELECT ${s} AS __src, r.__o AS __o, ${bad} AS __bad, ${id} AS acc, ${type} AS type, ${raw(column(spec.timestamp))} AS ts${props.length > 0 ? ", " : ""}${props.join(", ")} FROM (SELECT *, ${ordinals ? "row_number() OVER () - 1" : "0"} AS __o FROM ${relation.from(sql)}) r ${join}`;
    });
    const union = parts.map((p) => `(${p})`).join(" UNION ALL ");
    const only = account === undefined ? "" : ` WHERE acc = ${sql.param(account)}`;
    // A time that names its zone after its clock time (Z, +01:00, -0500, UTC, utc, GMT, EST, Europe/Berlin: all that the
    // cast below reads as instants); a date alone or a bare clock time does not. Anything else after the time fails the cast.
    const zoned = `regexp_matches(ts, '[0-9]:[0-9][0-9](:[0-9][0-9]([.][0-9]+)?)?\\s*[A-Za-z+-]')`;
    // A time without a zone is its wall-clock time (compared with local windows), read as a plain TIMESTAMP: DuckDB's
    // zone-aware cast keeps the last zone it was given by name (Asia/Kolkata) and would read the next zone-less times in it.
    const time = `CASE WHEN z THEN ${zonedInstantMs("ts")} ELSE epoch_ms(TRY_CAST(ts AS TIMESTAMP)) END`;
    const declaredTypes = this.declared ? [...this.declared.keys()] : undefined;
    const undeclared = declaredTypes ? `(type IS NOT NULL AND NOT (${sql.oneOf("type", declaredTypes)}))` : "false";
    const problem = `CASE WHEN __bad IS NOT NULL THEN __bad WHEN acc IS NULL THEN 'id' WHEN type IS NULL THEN 'type' WHEN ts IS NULL THEN 'no_timestamp' WHEN t IS NULL THEN 'timestamp' ${this.propertyChecks(sql)} END`;
    return `(SELECT *, ${problem} AS problem FROM (SELECT *, ${time} AS t FROM (SELECT *, ${zoned} AS z, ${undeclared} AS undeclared FROM (${union})${only})) WHERE __bad IS DISTINCT FROM 'blank')`;
  }

  /** For each declared type, the first of its properties whose value does not fit: 'p<k>:<code>'. */
  private propertyChecks(sql: Sql): string {
    if (!this.declared) return "";
    const cases: string[] = [];
    for (const [type, properties] of this.declared) {
      const checks = [...properties].map(([name, propType]) => {
        const k = this.properties.indexOf(name);
        const problem = typeFromText(sql, propType, `q${k}`, !propType.nullable).problem;
        // Event values are summed exactly (DECIMAL(38, 10)): their size is bounded at the boundary.
        const large = isNumeric(propType) ? ` WHEN abs(TRY_CAST(rtrim(q${k}, '%') AS DOUBLE)) >= ${EVENT_NUMBER_LIMIT} THEN 'p${k}:large'` : "";
        return `WHEN (${problem}) IS NOT NULL THEN 'p${k}:' || (${problem})${large}`;
      });
      if (checks.length > 0) cases.push(`WHEN type = ${sql.param(type)} THEN (CASE ${checks.join(" ")} END)`);
    }
    return cases.length === 0 ? "" : `ELSE (CASE ${cases.join(" ")} END)`;
  }

  /** Whether an event counts for an aggregate: valid, of its type, and passing its filter. */
  private countsFor(sql: Sql, spec: AggregateSpec): string {
    return `e.ok AND e.type = ${sql.param(spec.event)}${spec.filter ? ` AND ${filterSql(spec.filter.expr, spec.filter.types, sql, (name) => this.propertyValue(sql, spec.event, name, false))}` : ""}`;
  }

  /** The typed value of a property for events of one type: numbers for numeric declarations, else text. */
  private propertyValue(sql: Sql, type: string, name: string, numeric: boolean): string {
    const k = this.properties.indexOf(name);
    const declared = this.declared?.get(type)?.get(name);
    if (declared) return typeFromText(sql, declared, `e.q${k}`, false).value;
    return numeric ? `TRY_CAST(e.q${k} AS DOUBLE)` : `e.q${k}`;
  }

  /**
   * Creates table `aggs` (one row per account with events: `__id` and
   * `x<i>` per aggregate (exact decimals for sums and averages), `x<i>_n` the
   * count of values an average divides by, `x<i>_l` the local part of days_since_last)
   * and returns what was found about the events themselves.
   */
  async compute(windows: RunWindows, asOfDay: number, rejections: Rejections, strict: boolean, account?: string): Promise<EventReport> {
    const sql = new Sql();
    const localEnd = (asOfDay + 1) * MS_PER_DAY;
    const localStart = (days: number) => (asOfDay + 1 - days) * MS_PER_DAY;
    // Each event's window bounds are chosen once (its account's zone for an instant, the local day for a wall-clock
    // time): every aggregate then tests a plain range.
    const bound = (days: number | "end") =>
      days === "end"
        ? `CASE WHEN e.z THEN ${byZone(windows, "e.__idx", (z) => sqlNumber(z.asOfMs))} ELSE ${sqlNumber(localEnd)} END AS b_end`
        : `CASE WHEN e.z THEN ${byZone(windows, "e.__idx", (z) => sqlNumber(z.starts[windows.days.indexOf(days)]!))} ELSE ${sqlNumber(localStart(days))} END AS b_${days}`;
    const inWindow = (from: number, to: number | "end") => `(e.t >= e.b_${from} AND e.t < e.b_${to})`;
    const columns: string[] = [];
    // Only valid events are cast: a rejected one may hold anything.
    const exact = (value: string) => `CAST(CASE WHEN e.ok THEN ${value} END AS DECIMAL(38, 10))`;
    this.aggregates.forEach((spec, i) => {
      const base = this.countsFor(sql, spec);
      const within = spec.windowDays === undefined ? "true" : inWindow(spec.windowDays, "end");
      const value = spec.property === undefined ? "NULL" : this.propertyValue(sql, spec.event, spec.property, spec.fn !== "distinct");
      switch (spec.fn) {
        case "count":
          columns.push(`count(*) FILTER (WHERE ${base} AND ${within}) AS x${i}`);
          break;
        case "sum":
          // Exact decimal sums: the same answer whatever order DuckDB's threads add in.
          // Kept exact: the number is made from the decimal once, in exact.ts.
          columns.push(`COALESCE(sum(${exact(value)}) FILTER (WHERE ${base} AND ${within}), 0) AS x${i}`);
          break;
        case "avg":
          columns.push(`sum(${exact(value)}) FILTER (WHERE ${base} AND ${within}) AS x${i}`);
          columns.push(`count(${value}) FILTER (WHERE ${base} AND ${within}) AS x${i}_n`);
          break;
        case "min_of":
          columns.push(`min(${value}) FILTER (WHERE ${base} AND ${within}) AS x${i}`);
          break;
        case "max_of":
          columns.push(`max(${value}) FILTER (WHERE ${base} AND ${within}) AS x${i}`);
          break;
        case "distinct":
          columns.push(`count(DISTINCT ${value}) FILTER (WHERE ${base} AND ${within}) AS x${i}`);
          break;
        case "days_since_last":
          columns.push(`max(e.t) FILTER (WHERE ${base} AND e.z AND e.t < e.b_end) AS x${i}`);
          columns.push(`max(e.t) FILTER (WHERE ${base} AND NOT e.z AND e.t < e.b_end) AS x${i}_l`);
          break;
        case "trend": {
          const days = spec.windowDays!;
          columns.push(`count(*) FILTER (WHERE ${base} AND ${inWindow(days, "end")}) - count(*) FILTER (WHERE ${base} AND ${inWindow(2 * days, days)}) AS x${i}`);
          break;
        }
      }
    });
    const events = this.eventsSql(sql, account);
    const bounds = [...windows.days.map((d) => bound(d)), bound("end")].join(", ");
    const oneThread = await this.engine.runGrouping(
      // Grouped by the account's number alone: events of accounts that are not valid ones share one group (null), and
      // are described apart when there are some. A text key beside the number made distinct counts run out of memory.
      `CREATE OR REPLACE TEMP TABLE aggs AS
       SELECT e.__idx AS __idx, count(*) AS __events,
         count(*) FILTER (WHERE e.problem IS NOT NULL) AS __bad, count(*) FILTER (WHERE e.undeclared AND e.problem IS NULL) AS __undeclared,
         min(e.t) FILTER (WHERE e.ok) AS __first_t, max(e.t) FILTER (WHERE e.ok) AS __last_t${columns.length > 0 ? ", " : ""}${columns.join(", ")}
       FROM (SELECT e.*, e.problem IS NULL AND NOT e.undeclared AS ok, ${bounds}
             FROM ${withAccountNumber(windows, events)} e) e
       GROUP BY e.__idx`,
      sql.params,
      // One account (explain) makes small groups, however large the files.
      account === undefined ? this.inputBytes() : 0,
    );
    const orphaned = await this.engine.rows("SELECT 1 FROM aggs WHERE __idx IS NULL");
    const report = await this.report("aggs", rejections, strict, account, () => {
      const sql = new Sql();
      return { sql: `SELECT DISTINCT type FROM ${this.eventsSql(sql, account)} WHERE undeclared AND problem IS NULL ORDER BY type`, params: sql.params };
    }, orphaned.length === 0 ? undefined : this.orphanRows(windows, account));
    const span = (await this.engine.rows("SELECT min(__first_t) AS first, max(__last_t) AS last FROM aggs WHERE __idx IS NOT NULL"))[0]!;
    const outside = span.first === null ? undefined : asOfOutsideEvents(Number(span.first), Number(span.last), asOfDay, windows.days);
    if (outside) report.warnings.push(outside);
    return this.withOneThreadNotice(report, oneThread);
  }

  /** The events of accounts that are not among `accounts`, by account: another pass over the events, made only when there are some. */
  private orphanRows(accounts: NumberedAccounts<unknown>, account: string | undefined): { sql: string; params: SqlParam[] } {
    const sql = new Sql();
    return { sql: `SELECT acc AS __id, true AS __orphan, count(*) AS __events FROM ${withAccountNumber(accounts, this.eventsSql(sql, account))} e WHERE acc IS NOT NULL AND __idx IS NULL GROUP BY acc`, params: sql.params };
  }

  /**
   * Counts of what the events pass found (per account rows of `table`), its
   * warnings, and the bad rows' details. The names of undeclared types are
   * looked up by `undeclaredTypes` only when there are some: as a column of
   * the grouped pass, a text minimum, they cost a fifth of it.
   */
  private async report(
    table: string,
    rejections: Rejections,
    strict: boolean,
    account: string | undefined,
    undeclaredTypes: () => { sql: string; params: SqlParam[] },
    /** rows (`__id`, `__orphan`, `__events`) naming the events' accounts that are not valid ones; none: there are none */
    orphanRows: { sql: string; params: SqlParam[] } | undefined,
  ): Promise<EventReport> {
    const summary = (await this.engine.rows(`SELECT COALESCE(sum(__events), 0) AS events, COALESCE(sum(__bad), 0) AS bad, COALESCE(sum(__undeclared), 0) AS undeclared FROM ${table}`))[0]!;
    const orphanSummary = orphanRows
      ? (await this.engine.rows(
          `SELECT COALESCE(sum(__events) FILTER (WHERE __orphan AND __id IS NOT NULL), 0) AS orphan_events, count(DISTINCT __id) FILTER (WHERE __orphan AND __id IS NOT NULL) AS orphans,
             array_to_string((list(DISTINCT __id ORDER BY __id) FILTER (WHERE __orphan AND __id IS NOT NULL))[1:3], ', ') AS orphan_examples
           FROM (${orphanRows.sql})`,
          orphanRows.params,
        ))[0]!
      : undefined;
    const warnings: string[] = [];
    const undeclared = Number(summary.undeclared);
    if (undeclared > 0) {
      const query = undeclaredTypes();
      const types = (await this.engine.rows(query.sql, query.params)).map((row) => String(row.type)).join(", ");
      const message = `${undeclared.toLocaleString("en-US")} events of types the playbook's \`events\` does not declare were ignored (${types}); declare a type to use it`;
      if (strict) throw new DataError(`${message} (--strict stops at undeclared event types)`);
      warnings.push(message);
    }
    const orphans = Number(orphanSummary?.orphans ?? 0);
    if (orphans > 0 && account === undefined) {
      const examples = String(orphanSummary!.orphan_examples);
      const events = Number(orphanSummary!.orphan_events);
      warnings.push(`${counted(events, "event")} of ${counted(orphans, "account")} that ${orphans === 1 ? "is" : "are"} not among the valid accounts ${events === 1 ? "was" : "were"} ignored (for example ${examples})`);
    }
    const bad = Number(summary.bad);
    // Records the reader could not split into fields (DuckDB rejected them) are in no row count: they are found apart, and said.
    const unreadable = await this.reportBadEvents(rejections, account, bad > 0);
    return { events: Number(summary.events) - bad - undeclared, rejected: bad + unreadable, warnings };
  }

  /**
   * For replaying history: every aggregate's daily partial per account and
   * local day (counts, exact sums scaled to integers, minima, maxima, and the
   * values of each distinct aggregate), in one read of the events, into
   * table `ev_daily_all`: `partialsByDay` and `distinctValues` read it back.
   * A day is the account's local day: `offsets` gives each zone's UTC offset
   * over time, so no time zone is looked up per event. An account and day
   * may have several rows: one per combination of distinct values (`v<i>`
   * columns), whose partials add up.
   */
  async dailyPartials(accounts: NumberedAccounts, from: number, to: number, rejections: Rejections, strict: boolean): Promise<EventReport> {
    const sql = new Sql();
    const columns: string[] = [];
    const values: { name: string; sql: string }[] = [];
    this.aggregates.forEach((spec, i) => {
      const base = this.countsFor(sql, spec);
      if (spec.fn === "distinct") {
        // Each value of a day is a group of its own (lists of values per group cannot spill to disk): grouping by the
        // values in the same read was a third faster than a grouping set per distinct aggregate, and that was a third
        // faster than a second read.
        values.push({ name: `v${i}`, sql: `CASE WHEN e.__idx IS NOT NULL AND ${base} THEN CAST(${this.propertyValue(sql, spec.event, spec.property!, false)} AS VARCHAR) END` });
        return;
      }
      const value = spec.property === undefined ? "NULL" : this.propertyValue(sql, spec.event, spec.property, true);
      switch (spec.fn) {
        case "sum":
        case "avg":
          columns.push(`sum(CAST(CASE WHEN e.ok THEN ${value} END AS DECIMAL(38, 10))) FILTER (WHERE ${base}) AS p${i}`);
          columns.push(`count(${value}) FILTER (WHERE ${base}) AS p${i}_n`);
          break;
        case "min_of":
          columns.push(`min(${value}) FILTER (WHERE ${base}) AS p${i}`);
          break;
        case "max_of":
          columns.push(`max(${value}) FILTER (WHERE ${base}) AS p${i}`);
          break;
        case "days_since_last":
          columns.push(`count(*) FILTER (WHERE ${base}) AS p${i}`);
          // Before the replay's days only the latest event matters: its instant (or wall-clock time), turned into a local
          // day as a run does, since the zone offsets are only known from `from` on.
          columns.push(`max(e.t) FILTER (WHERE ${base} AND e.z AND e.day < ${sqlNumber(from)}) AS p${i}_t`);
          columns.push(`max(e.t) FILTER (WHERE ${base} AND NOT e.z AND e.day < ${sqlNumber(from)}) AS p${i}_tl`);
          break;
        default:
          columns.push(`count(*) FILTER (WHERE ${base}) AS p${i}`);
      }
    });
    const keepsAll = this.aggregates.some((a) => a.fn === "days_since_last");
    // Account and day as one number, a cheaper key than two: days run from `from - 1` (every day before `from`: a
    // look-back over years stays one row) to `to + 1` (every day after), so a number spans `width` days. Events of
    // accounts that are not valid ones get negative keys (their day kept) and keep their id, to be reported.
    const width = to - from + 3;
    this.daily = { width, from, keepsAll };
    const key = `COALESCE(CAST(e.__idx AS BIGINT), -1) * ${width} + (${dayInRange(from, to)} - ${sqlNumber(from - 1)})`;
    // The days out of range are dropped after grouping: a filter on the local day before it would compute each event's
    // day again (DuckDB repeats the expression in the filter), a sixth of the whole pass.
    const oneThread = await this.engine.runGrouping(
      `CREATE OR REPLACE TEMP TABLE ev_daily_all AS
       SELECT e.__k, e.__id, count(*) AS __events,
         count(*) FILTER (WHERE e.problem IS NOT NULL) AS __bad, count(*) FILTER (WHERE e.undeclared AND e.problem IS NULL) AS __undeclared${[...columns, ...values.map((v) => `e.${v.name}`)].map((c) => `, ${c}`).join("")}
       FROM (SELECT e.*, CASE WHEN e.__idx IS NULL THEN e.acc END AS __id, ${key} AS __k${values.map((v) => `, ${v.sql} AS ${v.name}`).join("")}
             FROM ${this.localDaysSql(sql, accounts)} e) e
       GROUP BY e.__k, e.__id${values.map((v) => `, e.${v.name}`).join("")}`,
      sql.params,
      this.inputBytes(),
    );
    // Events with no day (a bad timestamp) stay, to be reported.
    const inRange = `(day IS NULL OR (day <= ${sqlNumber(to)}${keepsAll ? "" : ` AND day >= ${sqlNumber(from)}`}))`;
    await this.engine.run(
      `CREATE OR REPLACE TEMP VIEW ev_daily AS
       SELECT * FROM (SELECT ${this.accountAndDay()}, __id IS NOT NULL AS __orphan, * EXCLUDE (__k) FROM ev_daily_all)
       WHERE ${inRange}`,
    );
    const report = await this.report("ev_daily", rejections, strict, undefined, () => {
      const sql = new Sql();
      return { sql: `SELECT DISTINCT type FROM ${this.localDaysSql(sql, accounts)} WHERE undeclared AND problem IS NULL AND ${inRange} ORDER BY type`, params: sql.params };
    }, { sql: "SELECT __id, __orphan, __events FROM ev_daily", params: [] });
    return this.withOneThreadNotice(report, oneThread);
  }

  /** The size of the event files, for the engine to choose how many threads may group them. */
  private inputBytes(): number {
    return this.sources.reduce((total, source) => total + assertReadableFile(source.spec.file, "events"), 0);
  }

  /** Says so when the events were grouped on one thread: the run took longer than it would with more memory. */
  private withOneThreadNotice(report: EventReport, oneThread: boolean): EventReport {
    if (!oneThread) return report;
    const { groupingMemory: memory, threads } = this.engine;
    return { ...report, warnings: [...report.warnings, `the events were grouped on one thread, slower: they are too large for ${threads} threads within the data engine's memory limit of ${memory} (${MEMORY_VARIABLE} raises it)`] };
  }

  /**
   * The partials of `dailyPartials` with one row per account number and day
   * (`acc`, `day`, then `p<i>` for each aggregate, with `p<i>_n` for sums and
   * averages, `p<i>_t` and `p<i>_tl` for days_since_last), in that order;
   * counts as doubles.
   */
  partialsByDay(): string {
    const splitByValues = this.aggregates.some((spec) => spec.fn === "distinct");
    // The rows of one account and day (one per combination of distinct values) are added up; without distinct values there is one.
    const total = (column: string) => (splitByValues ? `CAST(sum(${column}) AS DOUBLE)` : `CAST(${column} AS DOUBLE)`);
    const over = (fn: string, column: string) => (splitByValues ? `${fn}(${column})` : column);
    const columns = this.aggregates.flatMap((spec, i) => {
      switch (spec.fn) {
        case "distinct":
          return [`NULL AS p${i}`];
        case "sum":
        case "avg":
          return [`${over("sum", `p${i}`)} AS p${i}`, `${total(`p${i}_n`)} AS p${i}_n`];
        case "min_of":
          return [`${over("min", `p${i}`)} AS p${i}`];
        case "max_of":
          return [`${over("max", `p${i}`)} AS p${i}`];
        case "days_since_last":
          return [`${total(`p${i}`)} AS p${i}`, `${over("max", `p${i}_t`)} AS p${i}_t`, `${over("max", `p${i}_tl`)} AS p${i}_tl`];
        default:
          return [`${total(`p${i}`)} AS p${i}`];
      }
    });
    return `SELECT ${this.accountAndDay()}${columns.map((c) => `, ${c}`).join("")} FROM ev_daily_all WHERE ${this.knownInRange()}${splitByValues ? " GROUP BY __k" : ""} ORDER BY __k`;
  }

  /**
   * The account number (null for accounts that are not valid ones, whose
   * keys are negative) and day of a key of `dailyPartials`: grouping and
   * sorting by the one number is cheaper than by both.
   */
  private accountAndDay(): string {
    const { width, from } = this.daily!;
    return `CASE WHEN __k >= 0 THEN CAST(__k // ${width} AS INTEGER) END AS acc, CAST(${sqlNumber(from - 1)} + (__k % ${width} + ${width}) % ${width} AS INTEGER) AS day`;
  }

  /** Rows of `dailyPartials` of valid accounts on the days kept (every day up to `to` for days_since_last, else from `from`). */
  private knownInRange(): string {
    const { width, keepsAll } = this.daily!;
    return `__k >= 0 AND __k % ${width} < ${width - 1}${keepsAll ? "" : ` AND __k % ${width} >= 1`}`;
  }

  /**
   * The values of a `distinct` aggregate (by its index) from `dailyPartials`,
   * one row per account number, local day and value (`acc`, `day`, `v`),
   * ordered by account and day; with days_since_last, days before `from`
   * come too, as `from - 1`.
   */
  distinctValues(index: number): string {
    // With one distinct aggregate, each row already holds a value of its own.
    const alone = this.aggregates.filter((spec) => spec.fn === "distinct").length === 1;
    return `SELECT ${this.accountAndDay()}, v FROM (SELECT${alone ? "" : " DISTINCT"} __k, v${index} AS v FROM ev_daily_all WHERE ${this.knownInRange()} AND v${index} IS NOT NULL) ORDER BY __k`;
  }

  /** How `dailyPartials` numbered account-days: `width` days per account from `from - 1`. */
  private daily: { width: number; from: number; keepsAll: boolean } | undefined;

  /** Frees what `dailyPartials` grouped, once read. */
  async dropDailyPartials(): Promise<void> {
    await this.engine.run("DROP VIEW IF EXISTS ev_daily");
    await this.engine.run("DROP TABLE IF EXISTS ev_daily_all");
  }

  /** Every event with the number of its account (`__idx`, null when not one of `accounts`) and its local day there. */
  private localDaysSql(sql: Sql, accounts: NumberedAccounts): string {
    const zoneOffset = `COALESCE(${byZone(accounts, "e.__idx", offsetCase)}, 0)`;
    const dayOf = `CAST(floor((e.t + CASE WHEN e.z THEN ${zoneOffset} ELSE 0 END) / ${MS_PER_DAY}) AS INTEGER)`;
    return `(SELECT e.*, e.problem IS NULL AND NOT e.undeclared AS ok, e.__idx IS NULL AS __orphan, ${dayOf} AS day
             FROM ${withAccountNumber(accounts, this.eventsSql(sql, undefined))} e)`;
  }

  /**
   * Each bad row with its file, line and field (a second pass over the events, only when `someBad`), and the
   * records the reader could not split into fields; returns how many of those there were.
   */
  private async reportBadEvents(rejections: Rejections, account: string | undefined, someBad: boolean): Promise<number> {
    const sql = new Sql();
    const rows: Record<string, unknown>[] = [];
    if (someBad) for await (const batch of this.engine.rowBatches(`SELECT __src, __o, problem, acc, type, ts${this.properties.map((_, k) => `, q${k}`).join("")} FROM ${this.eventsSql(sql, account, true)} WHERE problem IS NOT NULL ORDER BY __src, __o`, sql.params)) rows.push(...batch);
    let unreadable = 0;
    for (let s = 0; s < this.sources.length; s++) {
      const source = this.sources[s]!;
      const mine = rows.filter((row) => Number(row.__src) === s);
      const located = await source.relation.locate(mine.map((row) => Number(row.__o)));
      const records: RejectedRecord[] = located.unreadable.map((u) => ({ file: source.spec.file, line: u.line, problems: [{ field: null, message: u.message, kind: "unreadable" }] }));
      unreadable += records.length;
      for (const row of mine) {
        const line = located.lines.get(Number(row.__o)) ?? Number(row.__o) + 1;
        records.push({ file: source.spec.file, line, problems: [this.describe(source.spec, row)], row: { account_id: row.acc, type: row.type, timestamp: row.ts, ...Object.fromEntries(this.properties.map((p, k) => [p, row[`q${k}`] ?? null]).filter(([, v]) => v !== null)) } });
      }
      for (const record of records.sort((a, b) => a.line - b.line)) rejections.add(record);
    }
    return unreadable;
  }

  private describe(spec: EventSource, row: Record<string, unknown>): RejectedRecord["problems"][number] {
    const problem = String(row.problem);
    switch (problem) {
      case "json":
        return { field: null, message: "is not valid JSON", kind: "json" };
      case "object":
        return { field: null, message: "is not a JSON object", kind: "object" };
      case "id":
        return { field: spec.lookup ? spec.lookup.column : spec.id, message: spec.lookup ? `has no account id (its \`${spec.lookup.column}\` is not in ${spec.lookup.file})` : `has no account id (column ${spec.id})`, kind: "id" };
      case "type":
        return { field: spec.typeColumn, message: "has no event type", kind: "type" };
      case "no_timestamp":
        return { field: spec.timestamp, message: "has no timestamp", kind: "timestamp" };
      case "timestamp":
        return { field: spec.timestamp, message: `expected a date and time (ISO 8601), got ${JSON.stringify(row.ts)} (such as 2026-03-01T09:30:00Z, or 2026-03-01 09:30:00 in the account's time zone)`, kind: "timestamp" };
      default: {
        const [property, code] = problem.split(":") as [string, string];
        const name = this.properties[Number(property.slice(1))]!;
        const type = this.declared?.get(String(row.type))?.get(name);
        const raw = row[`q${property.slice(1)}`];
        const text = raw === null || raw === undefined ? null : String(raw);
        const message = code === "large" ? `expected a number below 10^24, got ${JSON.stringify(text)}: too large for an event value` : type ? problemMessage(code, type, name, text) : code;
        return { field: spec.properties[name] ?? name, message: `property \`${name}\` of a "${String(row.type)}" event: ${message}`, kind: `property:${code}` };
      }
    }
  }
}

