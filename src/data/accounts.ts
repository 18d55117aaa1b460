import { basename } from "node:path";
import type { FieldContract } from "../engine/compiled.js";
import type { Type } from "../expression/types.js";
import { closestName } from "../text/suggest.js";
import { DataError, type DataEngine } from "./duckdb.js";
import { problemMessage, typeFromText } from "./fields.js";
import type { RejectedRecord, Rejections } from "./rejects.js";
import { openRelation, type FileSpec, type Relation } from "./sources.js";
import { Sql, trimmedText } from "./sql.js";

/** Another file whose columns complete each account (RavenStack's subscriptions: the latest row per account). */
export interface JoinSpec extends FileSpec {
  /** the column of the joined file holding the account id */
  on: string;
  /** when the file has several rows per account: the column whose greatest value picks the row (ties: the last row in the file) */
  latest: string | undefined;
  /** contract field -> column of this file (wins over a column of the same name in the accounts file) */
  columns: Readonly<Record<string, string>>;
}

/** Where accounts come from and how the export's columns and values map to the data contract. */
export interface AccountSource extends FileSpec {
  /** the column with the account id */
  id: string;
  /** contract field -> column (of the file, or of a joined file) */
  columns: Readonly<Record<string, string>>;
  /** contract field -> { value as written -> value of the contract } */
  values: Readonly<Record<string, Readonly<Record<string, string>>>>;
  joins: readonly JoinSpec[];
}

/** Where each contract field's text comes from. */
interface FieldColumn {
  field: FieldContract;
  /** SQL of the trimmed text, NULL when empty; undefined when no column provides it */
  text: string | undefined;
}

/** The validated accounts, held in DuckDB: `acc` with texts and problems, `acc_ok` the accounts to evaluate. */
export interface LoadedAccounts {
  relation: Relation;
  /** records read (readable ones) */
  total: number;
  valid: number;
  rejected: number;
  warnings: string[];
  /** SQL that types field `name` from the `acc` table's text columns */
  valueSql(sql: Sql, name: string): string;
  /** the acc table's column with the raw text of a field, if any */
  textColumn(name: string): string | undefined;
  /** whether the acc table has `__zone`: each account's time zone as written (NULL when blank) */
  hasZone: boolean;
}

/** "; did you mean `x`?" when a column of `headers` is close to `name`, else the columns there are (a few dozen at most). */
function meant(name: string, headers: readonly string[]): string {
  const close = closestName(name, headers);
  if (close) return `; did you mean \`${close}\`?`;
  return headers.length > 0 && headers.length <= 40 ? `; its columns are ${headers.map((h) => `\`${h}\``).join(", ")}` : "";
}

/** The text of a column as read, trimmed, NULL when empty: ids and values are compared after this one normalisation. */
function trimmed(expr: string): string {
  return trimmedText(expr);
}

/**
 * Reads the accounts into DuckDB and validates every row against the data
 * contract in SQL (one pass over the whole input, whatever its size).
 * Rejected rows go to `rejections` with file, line and field; duplicate ids
 * keep their first valid row. Accounts stay in DuckDB for the evaluation
 * to stream in batches.
 */
/** How accounts are read: strictly or not, one account only (explain), the time zone field, snapshots by date. */
export interface LoadOptions {
  strict: boolean;
  /** read only this account's rows */
  only?: string | undefined;
  /** the contract field with the account's time zone: its text before defaults becomes `__zone` */
  zoneField?: string | undefined;
  /** snapshots: the column with each row's date, which becomes `__as_of` (a day); an account may have a row per date */
  asOf?: string | undefined;
  /** fields other playbooks of the project read from the same file: their columns are not unknown */
  alsoRead?: readonly string[] | undefined;
}

export async function loadAccounts(engine: DataEngine, source: AccountSource, contract: readonly FieldContract[], rejections: Rejections, options: LoadOptions): Promise<LoadedAccounts> {
  const { strict, only, zoneField, asOf } = options;
  const wanted = [source.id, ...(asOf ? [asOf] : []), ...contract.map((f) => source.columns[f.name] ?? f.name)];
  const relation = await openRelation(engine, source, "accounts", wanted);
  const headers = source.format === "json" || source.format === "jsonl" ? await jsonKeys(engine, relation) : relation.headers;
  const joins = await Promise.all(source.joins.map((join) => openRelation(engine, join, "joined", [join.on, ...(join.latest ? [join.latest] : []), ...Object.values(source.columns), ...Object.values(join.columns)])));

  const idIndex = headers.indexOf(source.id);
  if (idIndex < 0) {
    const suggestion = closestName(source.id, headers);
    throw new DataError(`${source.file}: no column \`${source.id}\` holds the account id${suggestion ? ` (did you mean \`${suggestion}\`? set id: ${suggestion} for the accounts in touchline.yaml)` : `; its columns are ${headers.map((h) => `\`${h}\``).join(", ")}`}`);
  }
  const warnings: string[] = [];
  const sql = new Sql();
  const baseColumn = (name: string) => {
    const index = relation.headers.indexOf(name);
    return index < 0 ? undefined : `r.c${index}`;
  };
  const joinColumn = (name: string): string | undefined => {
    for (let j = 0; j < joins.length; j++) {
      const index = joins[j]!.headers.indexOf(name);
      if (index >= 0 && name !== source.joins[j]!.on) return `j${j}.c${index}`;
    }
    return undefined;
  };
  const joinedColumn = (field: string): string | undefined => {
    for (let j = 0; j < joins.length; j++) {
      const name = source.joins[j]!.columns[field];
      if (name === undefined) continue;
      const index = joins[j]!.headers.indexOf(name);
      if (index < 0) throw new DataError(`${source.joins[j]!.file}: touchline.yaml maps \`${field}\` to the column \`${name}\`, which this file does not have${meant(name, joins[j]!.headers)}`);
      return `j${j}.c${index}`;
    }
    return undefined;
  };
  const columns: FieldColumn[] = contract.map((field) => {
    const name = source.columns[field.name] ?? field.name;
    const raw = joinedColumn(field.name) ?? baseColumn(name) ?? joinColumn(name);
    if (raw === undefined && source.columns[field.name] !== undefined) {
      throw new DataError(`${source.file}: touchline.yaml maps \`${field.name}\` to the column \`${name}\`, which no accounts file has${meant(name, [...relation.headers, ...joins.flatMap((j) => j.headers)])}`);
    }
    return { field, text: raw === undefined ? undefined : mapped(sql, trimmed(raw), source.values[field.name]) };
  });
  const absent = columns.filter((c) => c.text === undefined && !c.field.type.nullable && c.field.default === undefined);
  if (absent.length > 0) {
    const names = absent.map((c) => `\`${c.field.name}\``).join(", ");
    throw new DataError(`${source.file}: no column for ${names}, which the playbook's data contract requires; add the column, map it in touchline.yaml (accounts: { file: ..., columns: { ${absent[0]!.field.name}: <column> } }), or make the field optional (${absent[0]!.field.name}: ${absent[0]!.field.type.name}?)`);
  }
  if (asOf !== undefined && !headers.includes(asOf)) throw new DataError(`${source.file}: no column \`${asOf}\` with each snapshot's date (set as_of: <column> for the snapshots)`);
  const readHere = [...contract.map((f) => f.name), ...(options.alsoRead ?? [])].filter((name) => !source.joins.some((j) => j.columns[name] !== undefined));
  const used = new Set([source.id, ...(asOf ? [asOf] : []), ...readHere.map((name) => source.columns[name] ?? name)]);
  const unknown = headers.filter((h) => !used.has(h) && h !== "");
  // A column can only be a misspelling of a field that found no column of its own (an optional one, read as missing).
  const unread = columns.filter((c) => c.text === undefined).map((c) => c.field.name);
  for (const column of unknown) {
    const suggestion = closestName(column, unread);
    if (strict && suggestion) {
      throw new DataError(
        `column \`${column}\` of ${source.file} is not in the playbook's data contract, and its field \`${suggestion}\` has no column: is it misspelt? Name it in touchline.yaml (columns: { ${suggestion}: ${column} }) or rename the column (--strict stops at a column that looks like a misspelt field, which would read as missing)`,
      );
    }
    const message = `column \`${column}\` of ${source.file} is not in the playbook's data contract and is ignored${suggestion ? ` (did you mean \`${suggestion}\`? it has no column, so it reads as missing)` : ""}`;
    // The file's layout changes no figure of one account (explain): it is said by run.
    if (only === undefined) warnings.push(message);
  }

  const texts = columns.map((c, i) => `${c.text === undefined ? defaultText(sql, c.field) : `COALESCE(${c.text}, ${defaultText(sql, c.field)})`} AS t${i}`);
  // The account's time zone as written, before any default: a blank one means the project's zone.
  const zone = zoneField === undefined ? undefined : columns.find((c) => c.field.name === zoneField)?.text;
  if (zone !== undefined) texts.push(`${zone} AS __zone`);
  const asOfText = asOf === undefined ? undefined : trimmed(`r.c${relation.headers.indexOf(asOf)}`);
  if (asOfText !== undefined) texts.push(`${asOfText} AS __as_of_text`);
  const problems = columns.map((c, i) => `${typeFromText(sql, c.field.type, `t${i}`, !c.field.type.nullable).problem} AS p${i}`);
  if (asOfText !== undefined) {
    const day = typeFromText(sql, { name: "date", nullable: false }, "__as_of_text", true);
    problems.push(`${day.problem} AS p_as_of`, `${day.value} AS __as_of`);
  }
  const baseId = trimmed(`r.c${relation.headers.indexOf(source.id)}`);
  for (let j = 0; j < joins.length; j++) await assertOneRowPerAccount(engine, joins[j]!, source.joins[j]!, only);
  const joinSql = joins.map((join, j) => joinFrom(sql, join, source.joins[j]!, j, baseId)).join(" ");
  const unreadable = relation.unreadable ? relation.unreadable("r") : "NULL";
  const valid = `__bad IS NULL AND __id IS NOT NULL AND ${columns.map((_, i) => `p${i} IS NULL`).concat(asOfText !== undefined ? ["p_as_of IS NULL"] : []).join(" AND ") || "true"}`;
  await engine.run(
    `CREATE OR REPLACE TEMP TABLE acc AS
     WITH r AS (SELECT row_number() OVER () - 1 AS __ord, * FROM ${relation.from(sql)}),
     t AS (SELECT r.__ord, ${unreadable} AS __bad, ${baseId} AS __id${texts.length > 0 ? ", " : ""}${texts.join(", ")} FROM r ${joinSql}${only === undefined ? "" : ` WHERE ${baseId} = ${sql.param(only)}`}),
     p AS (SELECT *${problems.length > 0 ? ", " : ""}${problems.join(", ")} FROM t)
     SELECT *, (${valid}) AS __valid FROM p WHERE __bad IS DISTINCT FROM 'blank'`,
    sql.params,
  );
  // Duplicate ids (of snapshots: the same id and date) are few: found by grouping the valid rows; the first is kept.
  const key = asOfText !== undefined ? ["__id", "__as_of"] : ["__id"];
  const on = key.map((k) => `d.${k} = acc.${k}`).join(" AND ");
  await engine.run(`CREATE OR REPLACE TEMP TABLE acc_dup AS SELECT ${key.join(", ")}, min(__ord) AS first FROM acc WHERE __valid GROUP BY ${key.join(", ")} HAVING count(*) > 1`);
  await engine.run(`CREATE OR REPLACE TEMP VIEW acc_ok AS SELECT acc.* FROM acc LEFT JOIN acc_dup d ON ${on} WHERE acc.__valid AND (d.first IS NULL OR d.first = acc.__ord)`);
  await engine.run(`CREATE OR REPLACE TEMP VIEW acc_rejected AS SELECT acc.*, d.first AS __first FROM acc LEFT JOIN acc_dup d ON ${on} AND acc.__valid WHERE NOT acc.__valid OR (d.first IS NOT NULL AND d.first <> acc.__ord)`);

  const counts = (await engine.rows("SELECT (SELECT count(*) FROM acc) AS total, (SELECT count(*) FROM acc_ok) AS valid"))[0]!;
  const loaded: LoadedAccounts = {
    relation,
    total: Number(counts.total),
    valid: Number(counts.valid),
    rejected: 0,
    warnings,
    valueSql(valueSql, name) {
      const index = contract.findIndex((f) => f.name === name);
      return typeFromText(valueSql, contract[index]!.type, `acc.t${index}`, false).value;
    },
    textColumn(name) {
      const index = contract.findIndex((f) => f.name === name);
      return index < 0 ? undefined : `t${index}`;
    },
    hasZone: zone !== undefined,
  };
  loaded.rejected = await reportRejectedAccounts(engine, loaded, source, contract, rejections, asOf);
  return loaded;
}

/** Value mapping from touchline.yaml (`values: { plan: { "Pro Plan": pro } }`), applied to the trimmed text. */
function mapped(sql: Sql, text: string, mapping: Readonly<Record<string, string>> | undefined): string {
  const entries = Object.entries(mapping ?? {});
  if (entries.length === 0) return text;
  return `CASE ${text} ${entries.map(([from, to]) => `WHEN ${sql.param(from)} THEN ${sql.param(to)}`).join(" ")} ELSE ${text} END`;
}

function defaultText(sql: Sql, field: FieldContract): string {
  return field.default === undefined || field.default === null ? "NULL::VARCHAR" : sql.param(String(field.default));
}

/**
 * A joined file without `latest` must hold one row per account: which of
 * several rows is the account's would be a guess (the last in the file is
 * no rule an export keeps), and a guess changes tiers without a word.
 */
async function assertOneRowPerAccount(engine: DataEngine, relation: Relation, join: JoinSpec, only: string | undefined): Promise<void> {
  const on = relation.headers.indexOf(join.on);
  if (join.latest !== undefined || on < 0) return;
  const sql = new Sql();
  const id = trimmed(`c${on}`);
  const [found] = await engine.rows(
    `SELECT count(*) AS accounts, array_to_string(list(id || ' (' || n || ' rows)' ORDER BY id)[1:3], ', ') AS examples
     FROM (SELECT ${id} AS id, count(*) AS n FROM ${relation.from(sql)} WHERE ${id} IS NOT NULL${only === undefined ? "" : ` AND ${id} = ${sql.param(only)}`} GROUP BY 1 HAVING count(*) > 1)`,
    sql.params,
  );
  const accounts = Number(found!.accounts);
  if (accounts === 0) return;
  throw new DataError(
    `${join.file} has several rows for ${accounts === 1 ? "an account" : `${accounts.toLocaleString("en-US")} accounts`} (${String(found!.examples)}${accounts > 3 ? ", ..." : ""}): say which row is the account's with \`latest: <column>\` on this join in touchline.yaml (the row with the greatest value wins, such as the latest start date), or give it one row per account`,
  );
}

/** A joined file reduced to one row per account: its latest by `latest` (the last in the file breaks ties). */
function joinFrom(sql: Sql, relation: Relation, join: JoinSpec, index: number, baseId: string): string {
  const on = relation.headers.indexOf(join.on);
  if (on < 0) throw new DataError(`${join.file}: no column \`${join.on}\` to join the accounts on (set on: <column> for this join)`);
  const latest = join.latest === undefined ? -1 : relation.headers.indexOf(join.latest);
  if (join.latest !== undefined && latest < 0) throw new DataError(`${join.file}: no column \`${join.latest}\` to pick the latest row by`);
  // Texts compare as written: ISO dates and zero-padded numbers sort correctly; the last row in the file breaks ties.
  // Without `latest` there is one row per account (assertOneRowPerAccount).
  const order = latest >= 0 ? `c${latest} DESC NULLS LAST, __o DESC` : "__o DESC";
  const rows = `(SELECT row_number() OVER () AS __o, * FROM ${relation.from(sql)})`;
  return `LEFT JOIN (SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY ${trimmed(`c${on}`)} ORDER BY ${order}) AS __n FROM ${rows}) WHERE __n = 1) j${index} ON ${trimmed(`j${index}.c${on}`)} = ${baseId}`;
}

/** The keys of the objects of a JSON input: its "columns", for unknown-column warnings and missing ones. */
async function jsonKeys(engine: DataEngine, relation: Relation): Promise<string[]> {
  const sql = new Sql();
  const rows = await engine.rows(`SELECT DISTINCT unnest(json_keys(j)) AS key FROM ${relation.from(sql)} WHERE j IS NOT NULL AND json_type(j) = 'OBJECT' ORDER BY key`, sql.params);
  return rows.map((r) => String(r.key));
}

/** Streams the rejected accounts (bad values, unreadable records, duplicate ids) into `rejections`; returns how many. */
async function reportRejectedAccounts(engine: DataEngine, loaded: LoadedAccounts, source: AccountSource, contract: readonly FieldContract[], rejections: Rejections, asOf: string | undefined): Promise<number> {
  const asOfText = asOf;
  // A field from a joined file is named with its file and column: the line is the account's, the value is not from it.
  const joinedFrom = new Map(
    source.joins.flatMap((join) => Object.entries(join.columns).map(([field, column]): [string, string] => [field, ` (column \`${column}\` of ${basename(join.file)}, joined on \`${join.on}\`${join.latest ? ` by the latest \`${join.latest}\`` : ""})`])),
  );
  // A value the project's `values` mapping made: the message shows what the file holds, and that the mapping made it.
  const mappedFrom = (field: string, got: string | null): string => {
    const from = Object.entries(source.values[field] ?? {}).filter(([, to]) => String(to) === got).map(([exported]) => JSON.stringify(exported));
    return from.length > 0 ? ` (touchline.yaml maps ${from.join(", ")} to it)` : "";
  };
  const bad = await engine.rows("SELECT __ord, __first FROM acc_rejected ORDER BY __ord");
  const located = await loaded.relation.locate([...new Set(bad.flatMap((row) => [Number(row.__ord), ...(row.__first === null ? [] : [Number(row.__first)])]))]);
  const unreadable: RejectedRecord[] = located.unreadable.map((u) => ({ file: source.file, line: u.line, problems: [{ field: null, message: u.message, kind: "unreadable" }] }));
  if (bad.length === 0 && unreadable.length === 0) return 0;
  const lineOf = (ordinal: number) => located.lines.get(ordinal) ?? ordinal + 1;
  const textColumns = contract.map((_, i) => `t${i}`).join(", ");
  // Unreadable records (found by DuckDB) and bad values (found by the query) merge in line order.
  const pending = unreadable.sort((a, b) => a.line - b.line);
  let count = 0;
  const add = (record: RejectedRecord) => {
    while (pending.length > 0 && pending[0]!.line < record.line) {
      rejections.add(pending.shift()!);
      count++;
    }
    rejections.add(record);
    count++;
  };
  const extra = asOfText !== undefined ? ", p_as_of, __as_of_text" : "";
  for await (const batch of engine.rowBatches(`SELECT __ord, __bad, __id, __first, __valid${contract.length > 0 ? `, ${textColumns}, ` : ""}${contract.map((_, i) => `p${i}`).join(", ")}${extra} FROM acc_rejected ORDER BY __ord`)) {
    for (const row of batch) {
      const ordinal = Number(row.__ord);
      const problems: RejectedRecord["problems"] = [];
      const values: Record<string, unknown> = { [source.id]: row.__id };
      contract.forEach((field, i) => (values[field.name] = row[`t${i}`] ?? null));
      if (row.__bad === "json") problems.push({ field: null, message: "is not valid JSON", kind: "json" });
      else if (row.__bad === "object") problems.push({ field: null, message: "is not a JSON object", kind: "object" });
      else if (row.__id === null) problems.push({ field: source.id, message: `has no account id (column ${source.id})`, kind: "id" });
      else if (row.__valid === true) {
        problems.push({ field: source.id, message: `duplicate account id ${String(row.__id)}${asOfText !== undefined ? ` for ${String(row.__as_of_text)}` : ""} (first on ${loaded.relation.unit} ${lineOf(Number(row.__first))}); this row is skipped`, kind: "duplicate" });
      }
      if (row.__bad === null && asOfText !== undefined && row.p_as_of !== null && row.p_as_of !== undefined) {
        problems.push({ field: asOf!, message: problemMessage(String(row.p_as_of), { name: "date", nullable: false }, asOf!, (row.__as_of_text as string | null) ?? null), kind: String(row.p_as_of) });
      }
      if (row.__bad === null) {
        contract.forEach((field, i) => {
          const code = row[`p${i}`];
          if (code === null || code === undefined) return;
          const got = (row[`t${i}`] as string | null) ?? null;
          problems.push({ field: field.name, message: `${problemMessage(String(code), field.type as Type, field.name, got)}${mappedFrom(field.name, got)}${joinedFrom.get(field.name) ?? ""}`, kind: String(code) });
        });
      }
      add({ file: source.file, line: lineOf(ordinal), problems, row: values });
    }
  }
  for (const record of pending) rejections.add(record);
  return count + pending.length;
}
