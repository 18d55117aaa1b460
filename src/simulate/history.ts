import type { AccountSource } from "../data/accounts.js";
import { loadAccounts } from "../data/accounts.js";
import { DataEngine, DataError, numberColumn, textColumn } from "../data/duckdb.js";
import { decimalColumn } from "../data/exact.js";
import { EventAggregation, type EventDeclarations, type EventSource, type NumberedAccounts } from "../data/events.js";
import { fieldValuesSql, readFields } from "../data/reader.js";
import type { Rejections } from "../data/rejects.js";
import { readSmallTable, type FileSpec } from "../data/sources.js";
import { Sql, sqlNumber } from "../data/sql.js";
import { Calendars, isKnownTimeZone, lastLocalDay, offsetChanges } from "../engine/clock.js";
import type { CompiledPlaybook } from "../engine/compiled.js";
import { epochDayOf } from "../expression/literals.js";
import { MS_PER_DAY, type Value } from "../expression/value.js";
import type { DistinctWindow } from "./windows.js";

/** One account through history: its snapshots (sorted by day) and the daily partials of each aggregate. */
export interface AccountHistory {
  id: string;
  /** its zone: from its first snapshot (never from a later one: nothing from after a day may change that day) */
  zone: string;
  days: number[];
  fields: Record<string, Value>[];
  /** per aggregate, per day index (day - `firstDay`): a count, an exact scaled sum, a minimum, a maximum, or the day's distinct values */
  partials: (Float64Array | bigint[] | DistinctDays | undefined)[];
  /** per sum/avg aggregate, the count of values per day (for averages) */
  counts: (Float64Array | undefined)[];
  /** per days_since_last aggregate: the last day with such an event before `firstDay` */
  lastBefore: (number | undefined)[];
  /** per count aggregate, running totals of its daily counts (made when first needed) */
  running: (Float64Array | undefined)[];
  /** per distinct aggregate, the last window asked for, to slide to the next */
  windows: (DistinctWindow | undefined)[];
}

/**
 * The distinct values of each day, compactly: each value an account ever
 * had is numbered (0, 1, ...), and day i's numbers are
 * `values[offsets[i] .. offsets[i + 1])`.
 */
export interface DistinctDays {
  offsets: Int32Array;
  values: Int32Array;
  /** how many different values the account had */
  size: number;
}

/** What the history holds for a replay from `firstDay` (lookback included) to `lastDay`. */
export interface HistoryData {
  accounts: AccountHistory[];
  firstDay: number;
  lastDay: number;
  snapshotRows: number;
  events: number;
  rejected: number;
  warnings: string[];
}

/** The revenue an account had in effect in a month, and for which product. */
export interface MrrRow {
  account: string;
  /** months since 1970-01 */
  month: number;
  mrr: number;
  product: string | null;
}

export type Outcome = "churned" | "renewed" | "expanded" | "contracted" | "renewal_due";

export interface OutcomeRow {
  account: string;
  day: number;
  outcome: Outcome;
}

const OUTCOMES: readonly Outcome[] = ["churned", "renewed", "expanded", "contracted", "renewal_due"];

/**
 * What the embedded engine may use while it reads a history: reducing a
 * year of events to partials per account and day needs more than a run's
 * 512 MB (20 million events over 10,000 accounts ran out at 512 MB).
 */
export const HISTORY_ENGINE_LIMITS = { memory: "1GB" };

/** The longest look-back of the playbook's aggregates (a trend looks at twice its window). */
export function lookbackDays(plan: CompiledPlaybook): number {
  return Math.max(1, ...plan.aggregates.map((a) => (a.windowDays === undefined ? 1 : a.fn === "trend" ? 2 * a.windowDays : a.windowDays)));
}

/**
 * Reads a project's history for a replay from `from` to `to`: every
 * snapshot row validated against the data contract (file, line, field), and
 * the events reduced by DuckDB to one row per account and local day with
 * each aggregate's partial; the replay then slides windows over days in memory.
 */
export async function loadHistory(
  engine: DataEngine,
  plan: CompiledPlaybook,
  declared: EventDeclarations,
  sources: { snapshots: AccountSource & { asOf: string }; events: readonly EventSource[]; timezone: string },
  from: number,
  to: number,
  rejections: Rejections,
  strict: boolean,
  /** contract fields to hand over besides those the playbook reads (kpi reads `nps`) */
  alsoFields: readonly string[] = [],
): Promise<HistoryData> {
  const lookback = lookbackDays(plan);
  const firstDay = from - lookback;
  const loaded = await loadAccounts(engine, sources.snapshots, plan.fields, rejections, { strict, zoneField: plan.timezoneField, asOf: sources.snapshots.asOf });
  const sql = new Sql();
  const fields = [...new Set([...plan.fieldsRead, ...alsoFields])].map((name) => plan.fields.find((f) => f.name === name)!);
  const values = fieldValuesSql(loaded, plan, sql, fields);
  // Accounts in the order they first appear in the snapshots; their rows by date.
  const byId = new Map<string, AccountHistory>();
  const order: AccountHistory[] = [];
  const query = `SELECT acc.__id, CAST(acc.__as_of AS DOUBLE) AS __day, ${loaded.hasZone ? "acc.__zone" : "NULL::VARCHAR"} AS __zone${values.length > 0 ? ", " : ""}${values.join(", ")}
    FROM acc_ok acc JOIN (SELECT __id, min(__ord) AS first FROM acc_ok GROUP BY __id) f ON f.__id = acc.__id
    WHERE acc.__as_of <= ${sqlNumber(to)} ORDER BY f.first, acc.__as_of`;
  let snapshotRows = 0;
  for await (const chunk of engine.chunks(query, sql.params)) {
    const ids = textColumn(chunk, 0);
    const days = numberColumn(chunk, 1);
    const zones = textColumn(chunk, 2);
    const read = readFields(chunk, fields, 3);
    for (let r = 0, rows = chunk.rowCount; r < rows; r++) {
      let account = byId.get(ids[r]!);
      if (!account) {
        const written = zones[r];
        const zone = written && isKnownTimeZone(written) ? written : sources.timezone;
        account = { id: ids[r]!, zone, days: [], fields: [], partials: [], counts: [], lastBefore: [], running: [], windows: [] };
        byId.set(account.id, account);
        order.push(account);
      }
      account.days.push(days[r]!);
      account.fields.push(read.row(r, account.zone));
      snapshotRows++;
    }
  }
  if (order.length === 0) throw new DataError(`${sources.snapshots.file} has no usable snapshot on or before the last day replayed`);
  const history: HistoryData = { accounts: order, firstDay, lastDay: to, snapshotRows, events: 0, rejected: loaded.rejected, warnings: [...loaded.warnings] };
  if (plan.aggregates.length === 0 || sources.events.length === 0) {
    if (plan.aggregates.length > 0) history.warnings.push("the playbook counts usage events but the history names no events: every event aggregate is 0 or missing");
    return history;
  }

  // The events, reduced to daily partials per account and local day.
  const { accounts: numbered, byNumber } = await numberAccounts(engine, order, firstDay, to);
  const aggregation = await EventAggregation.open(engine, sources.events, plan.aggregates, declared);
  // Partials are read back in their own order (ORDER BY): the input's order need not be kept, which lets DuckDB spill to disk.
  await engine.run("SET preserve_insertion_order = false");
  const report = await aggregation.dailyPartials(numbered, firstDay, to, rejections, strict);
  history.events = report.events;
  history.rejected += report.rejected;
  history.warnings.push(...report.warnings);

  const span = to - firstDay + 1;
  for (const account of order) {
    account.partials = plan.aggregates.map((spec) => (spec.fn === "distinct" ? undefined : spec.fn === "sum" || spec.fn === "avg" ? new Array<bigint>(span).fill(0n) : spec.fn === "min_of" || spec.fn === "max_of" ? new Float64Array(span).fill(Number.NaN) : new Float64Array(span)));
    account.counts = plan.aggregates.map((spec) => (spec.fn === "sum" || spec.fn === "avg" ? new Float64Array(span) : undefined));
    account.lastBefore = plan.aggregates.map(() => undefined);
  }
  const calendars = new Calendars(firstDay);
  for await (const chunk of engine.chunks(aggregation.partialsByDay())) {
    const accs = numberColumn(chunk, 0);
    const days = numberColumn(chunk, 1);
    let column = 2;
    const readers = plan.aggregates.map((spec) => {
      const exact = spec.fn === "sum" || spec.fn === "avg" ? decimalColumn(chunk, column) : undefined;
      const vector = chunk.getColumnVector(column++);
      const counts = exact ? numberColumn(chunk, column++) : undefined;
      const latest = spec.fn === "days_since_last" ? { zoned: numberColumn(chunk, column++), local: numberColumn(chunk, column++) } : undefined;
      return { spec, vector, exact, counts, latest };
    });
    for (let r = 0, rows = chunk.rowCount; r < rows; r++) {
      const account = byNumber[accs[r]!]!;
      const day = days[r]!;
      const index = day - firstDay;
      readers.forEach(({ spec, vector, exact, counts, latest }, a) => {
        const value = vector.getItem(r) as unknown;
        if (index < 0) {
          // Before the replay's look-back: only when the account last had such an event matters.
          if (latest) account.lastBefore[a] = lastLocalDay(latest.zoned[r] ?? null, latest.local[r] ?? null, calendars.clock(account.zone)) ?? undefined;
          return;
        }
        if (spec.fn === "distinct") return;
        const partial = account.partials[a]!;
        if (spec.fn === "sum" || spec.fn === "avg") {
          (partial as bigint[])[index] = exact![r] ?? 0n;
          account.counts[a]![index] = counts![r] ?? 0;
        } else (partial as Float64Array)[index] = value === null ? Number.NaN : Number(value);
      });
    }
  }
  for (let a = 0; a < plan.aggregates.length; a++) if (plan.aggregates[a]!.fn === "distinct") await loadDistinct(engine, aggregation.distinctValues(a), byNumber, a, firstDay, span);
  // The grouped events are in memory until dropped: the replay needs that memory.
  await aggregation.dropDailyPartials();
  return history;
}

/**
 * Numbers the accounts zone by zone, in a table of their ids (see
 * NumberedAccounts), with each zone's UTC offsets from `firstDay` to `to`;
 * `byNumber` gives the account of each number.
 */
async function numberAccounts(engine: DataEngine, order: readonly AccountHistory[], firstDay: number, to: number): Promise<{ accounts: NumberedAccounts; byNumber: AccountHistory[] }> {
  const zoneNames = [...new Set(order.map((a) => a.zone))];
  const zoneOf = new Map(zoneNames.map((zone, i) => [zone, i]));
  const byNumber = [...order].sort((a, b) => zoneOf.get(a.zone)! - zoneOf.get(b.zone)!);
  await engine.run("CREATE OR REPLACE TEMP TABLE sim_acc (__id VARCHAR, __number INTEGER)");
  await engine.appendRows("sim_acc", byNumber.map((a, i) => [a.id, i]), ["text", "integer"]);
  const counts = new Array<number>(zoneNames.length).fill(0);
  for (const account of order) counts[zoneOf.get(account.zone)!]!++;
  const margin = 2 * MS_PER_DAY;
  let end = 0;
  const zones = zoneNames.map((zone, i) => ({ ...offsetChanges(zone, firstDay * MS_PER_DAY - margin, (to + 1) * MS_PER_DAY + margin), end: (end += counts[i]!) }));
  return { accounts: { table: "sim_acc", zones }, byNumber };
}

/** Reads one distinct aggregate's values, account by account, into each account's DistinctDays. */
async function loadDistinct(engine: DataEngine, query: string, accounts: readonly AccountHistory[], aggregate: number, firstDay: number, span: number): Promise<void> {
  let current = -1;
  let numbers = new Map<string, number>();
  let days: number[] = [];
  let values: number[] = [];
  const finish = () => {
    if (current < 0) return;
    const offsets = new Int32Array(span + 1);
    for (const day of days) offsets[day + 1]!++;
    for (let i = 0; i < span; i++) offsets[i + 1]! += offsets[i]!;
    accounts[current]!.partials[aggregate] = { offsets, values: Int32Array.from(values), size: numbers.size };
  };
  for await (const chunk of engine.chunks(query)) {
    const accs = numberColumn(chunk, 0);
    const dayColumn = numberColumn(chunk, 1);
    const texts = textColumn(chunk, 2);
    for (let r = 0, rows = chunk.rowCount; r < rows; r++) {
      if (accs[r] !== current) {
        finish();
        current = accs[r]!;
        numbers = new Map();
        days = [];
        values = [];
      }
      const day = dayColumn[r]! - firstDay;
      // Days before the look-back and after the replay come collapsed into one row each: not replayed.
      if (day < 0 || day >= span) continue;
      let number = numbers.get(texts[r]!);
      if (number === undefined) numbers.set(texts[r]!, (number = numbers.size));
      days.push(day);
      values.push(number);
    }
  }
  finish();
}

type Reject = (field: string | null, message: string, kind: string) => void;

/** Reads a small table row by row: unreadable rows are rejected here, each other row is given to `each` with its reject. */
async function eachRow(engine: DataEngine, spec: FileSpec, what: string, columns: string[], required: string[], rejections: Rejections, each: (values: Record<string, string | null>, reject: Reject, line: number) => void): Promise<void> {
  for (const { line, values, unreadable } of await readSmallTable(engine, spec, what, columns, required)) {
    const reject: Reject = (field, message, kind) => rejections.add({ file: spec.file, line, problems: [{ field, message, kind }] });
    if (unreadable) reject(null, unreadable, "unreadable");
    else each(values, reject, line);
  }
}

/** Reads `mrr` (account_id, month YYYY-MM, mrr, optional product): revenue in effect each month. */
export async function loadMrr(engine: DataEngine, spec: FileSpec, idField: string, rejections: Rejections): Promise<MrrRow[]> {
  const out: MrrRow[] = [];
  // One revenue per account and month (and product): a second row for the same would be added to it unseen.
  const firstLine = new Map<string, number>();
  await eachRow(engine, spec, "mrr", [idField, "month", "mrr", "product"], [idField, "month", "mrr"], rejections, (values, reject, line) => {
    const key = `${values[idField]}\u0000${values.month}\u0000${values.product ?? ""}`;
    const first = firstLine.get(key);
    if (first !== undefined && values[idField]) {
      reject("month", `${values[idField]} already has revenue for ${values.month}${values.product ? ` (product ${values.product})` : ""} on line ${first}: one row per account and month${values.product ? " and product" : ""}`, "duplicate");
      return;
    }
    firstLine.set(key, line);
    const month = /^([0-9]{4})-([0-9]{2})$/.exec(values.month ?? "");
    const mrr = Number(values.mrr);
    if (!values[idField]) reject(idField, `has no account id (column ${idField})`, "id");
    else if (!month || Number(month[2]) < 1 || Number(month[2]) > 12) reject("month", `expected a month as YYYY-MM, got ${JSON.stringify(values.month)}`, "month");
    else if (values.mrr === null || !Number.isFinite(mrr) || mrr < 0) reject("mrr", `expected an amount of 0 or more, got ${JSON.stringify(values.mrr)}`, "mrr");
    else out.push({ account: values[idField]!, month: (Number(month[1]) - 1970) * 12 + Number(month[2]) - 1, mrr, product: values.product ?? null });
  });
  return out;
}

/** Reads `outcomes` (account_id, date, outcome): what happened to accounts, for backtests. */
export async function loadOutcomes(engine: DataEngine, spec: FileSpec, idField: string, rejections: Rejections): Promise<OutcomeRow[]> {
  const out: OutcomeRow[] = [];
  await eachRow(engine, spec, "outcomes", [idField, "date", "outcome"], [idField, "date", "outcome"], rejections, (values, reject) => {
    const day = epochDayOf(values.date ?? "");
    if (!values[idField]) reject(idField, `has no account id (column ${idField})`, "id");
    else if (day === undefined) reject("date", `expected a date as YYYY-MM-DD, got ${JSON.stringify(values.date)}`, "date");
    else if (!OUTCOMES.includes(values.outcome as Outcome)) reject("outcome", `expected one of ${OUTCOMES.join(", ")}, got ${JSON.stringify(values.outcome)}`, "outcome");
    else out.push({ account: values[idField]!, day, outcome: values.outcome as Outcome });
  });
  return out;
}
