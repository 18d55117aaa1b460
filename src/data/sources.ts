import { closeSync, openSync, readSync, statSync } from "node:fs";
import { parse as parseCsv } from "csv-parse/sync";
import { DataError, type DataEngine } from "./duckdb.js";
import { csvRecordLines } from "./lines.js";
import { Sql, sqlNumber, trimmedText } from "./sql.js";
import { counted } from "../text/counted.js";

export type InputFormat = "csv" | "jsonl" | "json" | "parquet" | "sqlite";

/** A file to read (or a table of an SQLite file), as `touchline.yaml` names it. */
export interface FileSpec {
  /** absolute path */
  file: string;
  format: InputFormat;
  /** SQLite: the table */
  table?: string | undefined;
  /** CSV: the separator between values (default ",") */
  delimiter?: string | undefined;
}

/** A record DuckDB could not read at all (a CSV line with too many or too few values, broken JSON). */
export interface UnreadableRecord {
  /** the physical line (CSV, JSON Lines), the item (JSON) or the row (Parquet, SQLite) */
  line: number;
  message: string;
}

/**
 * An input as a relation DuckDB can scan: every column of the file as text
 * (`c0`, `c1`... in the file's order, NULL when empty), whatever the
 * format, so the contract's rules apply the same way to all of them.
 */
export interface Relation {
  spec: FileSpec;
  /** the column names of the file, in order */
  headers: readonly string[];
  /** a FROM item (a table function or a parenthesised query) with its parameters bound in `sql` */
  from(sql: Sql): string;
  /** JSON formats: an expression over the relation (as `alias`) that is non-null for a record that is not an object ('blank' for an empty line) */
  unreadable: ((alias: string) => string) | undefined;
  /** the line of each record ordinal (0-based in the relation's order), and the records DuckDB rejected: only for reports */
  locate(ordinals: readonly number[]): Promise<{ lines: Map<number, number>; unreadable: UnreadableRecord[] }>;
  /** "line" or "row": what the numbers in messages count */
  unit: "line" | "item" | "row";
}

/** The first bytes of a file, to read its CSV header without reading it all. */
function head(file: string, bytes = 1 << 20): Buffer {
  const fd = openSync(file, "r");
  try {
    const buffer = Buffer.alloc(bytes);
    const read = readSync(fd, buffer, 0, bytes, 0);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/** Refuses what cannot be an input before DuckDB sees it: a missing file, a folder, a device. */
export function assertReadableFile(file: string, what: string): number {
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new DataError(`${file}: the ${what} must be a regular file`);
    size = stat.size;
  } catch (error) {
    if (error instanceof DataError) throw error;
    throw new DataError(`${file}: the ${what} cannot be read (${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message})`);
  }
  return size;
}

let relationCount = 0;

/**
 * Opens an input as a relation. `wanted` names the columns the caller will
 * read (JSON formats extract only those); CSV, Parquet and SQLite expose
 * every column of the file.
 */
export async function openRelation(engine: DataEngine, spec: FileSpec, what: string, wanted: readonly string[]): Promise<Relation> {
  const id = ++relationCount;
  if (spec.format !== "sqlite") {
    const size = assertReadableFile(spec.file, what);
    if (size === 0) throw new DataError(`${spec.file}: the ${what} file is empty`);
  }
  switch (spec.format) {
    case "csv":
      return await csvRelation(engine, spec, what, id);
    case "jsonl":
    case "json":
      return jsonRelation(spec, wanted);
    case "parquet":
      return parquetRelation(engine, spec);
    case "sqlite":
      return sqliteRelation(engine, spec, what, id);
  }
}

/** The longest line DuckDB reads (its default is 2 MB): a quoted text or a JSON object may be long. */
const MAX_LINE_BYTES = 8388608;
/**
 * The CSV reader's buffer, set rather than left to DuckDB, which makes it 16
 * times the longest line (128 MB here) for every file a query scans: a run
 * with usage, tickets, churn and a lookup file scanned four at once, and ran
 * out of its 512 MB before it could say which rows it rejected. 32 MB is
 * DuckDB's own default with its default line length, and holds lines of 8 MB.
 */
const CSV_BUFFER_BYTES = 4 * MAX_LINE_BYTES;
const LINE_LIMITS = `max_line_size = ${MAX_LINE_BYTES}, buffer_size = ${CSV_BUFFER_BYTES}`;

async function csvRelation(engine: DataEngine, spec: FileSpec, what: string, id: number): Promise<Relation> {
  const delimiter = spec.delimiter ?? ",";
  let headers: string[];
  try {
    const rows = parseCsv(head(spec.file), { bom: true, to: 1, delimiter, relax_column_count: true, relax_quotes: true, skip_empty_lines: false }) as string[][];
    headers = (rows[0] ?? []).map((h) => h.trim());
  } catch (error) {
    throw new DataError(`${spec.file}: the header of the ${what} file cannot be read (${(error as Error).message.split("\n")[0]})`);
  }
  if (headers.length === 0 || headers.every((h) => h === "")) throw new DataError(`${spec.file}: the ${what} file has no header line naming its columns`);
  const seen = new Set<string>();
  for (const header of headers) {
    if (seen.has(header)) throw new DataError(`${spec.file}: the column \`${header}\` appears twice in the header`);
    seen.add(header);
  }
  const rejectsTable = `csv_rejects_${id}`;
  const columns = headers.map((_, i) => `'c${i}': 'VARCHAR'`).join(", ");
  // With all of this given, what DuckDB's sniffer may still settle is the line ending: it skips no rows and sees no comment lines.
  const dialect = (sql: Sql) => `header = true, columns = {${columns}}, delim = ${sql.param(delimiter)}, quote = '"', escape = '"', skip = 0, comment = ''`;
  const sniffed = await sniffs(engine, spec.file, dialect);
  let scans = 0;
  return {
    spec,
    headers,
    unreadable: undefined,
    unit: "line",
    from(sql) {
      // Each scan records its own rejects; the first scan's are the ones reported.
      scans++;
      const table = scans === 1 ? rejectsTable : `${rejectsTable}_${scans}`;
      return `read_csv(${sql.param(spec.file)}, ${sniffed ? "" : "auto_detect = false, "}${dialect(sql)}, ignore_errors = true, store_rejects = true, rejects_table = '${table}', rejects_scan = '${table}_scan', ${LINE_LIMITS})`;
    },
    async locate(ordinals) {
      const rejectedRows = scans === 0 ? [] : await rejectsOf(engine, rejectsTable);
      const found = await csvRecordLines(spec.file, ordinals, rejectedRows.map((r) => r.record));
      return {
        lines: found.readable,
        unreadable: rejectedRows.map((r) => ({ line: found.rejected.get(r.record) ?? r.record, message: r.message })),
      };
    },
  };
}

/**
 * Whether DuckDB's sniffer accepts the file's sample with the dialect
 * given. With the sniffer on, the grouping of 20M events took 7 s against
 * 11 s. It refuses a sample with a quote error (a quote never closed, a
 * value after a closing quote, a backslash-escaped quote) or mixed line
 * endings, even one such line among thousands: that file is read with the
 * sniffer off, as before, its bad lines said one by one, only slower.
 */
async function sniffs(engine: DataEngine, file: string, dialect: (sql: Sql) => string): Promise<boolean> {
  const sql = new Sql();
  try {
    await engine.rows(`DESCRIBE SELECT * FROM read_csv(${sql.param(file)}, ${dialect(sql)}, ignore_errors = true, ${LINE_LIMITS})`, sql.params);
    return true;
  } catch {
    return false;
  }
}

async function rejectsOf(engine: DataEngine, table: string): Promise<{ record: number; message: string }[]> {
  let rows: Record<string, unknown>[];
  try {
    rows = await engine.rows(`SELECT line, error_type, error_message, column_name FROM ${table} ORDER BY line`);
  } catch {
    return [];
  }
  // One message per record: DuckDB may report a broken record once per problem it found.
  const byRecord = new Map<number, string>();
  for (const row of rows) {
    const record = Number(row.line);
    if (!byRecord.has(record)) byRecord.set(record, describeCsvReject(String(row.error_type), String(row.error_message)));
  }
  return [...byRecord].map(([record, message]) => ({ record, message }));
}

function describeCsvReject(type: string, message: string): string {
  const counts = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(message);
  if (counts && (type === "TOO MANY COLUMNS" || type === "MISSING COLUMNS")) {
    return `has ${counted(Number(counts[2]), "value")} but the header has ${counted(Number(counts[1]), "column")}${type === "MISSING COLUMNS" ? " (a truncated or broken line?)" : " (an unquoted separator in a value?)"}`;
  }
  if (type === "UNQUOTED VALUE" || type === "UNTERMINATED QUOTES") return "has a quote that is never closed or a value after a closing quote";
  if (type === "INVALID ENCODING" || type === "INVALID UNICODE") return "is not valid UTF-8 text (save the file as UTF-8)";
  if (type === "LINE SIZE OVER MAXIMUM") return "is longer than 8 MB: a quote that is never closed?";
  return `cannot be read (${message})`;
}

function jsonRelation(spec: FileSpec, wanted: readonly string[]): Relation {
  const lines = spec.format === "jsonl";
  const source = (sql: Sql) =>
    lines
      ? // Each line a record: read as one text column (no delimiter or quote can occur raw in JSON text).
        `(SELECT l, try_cast(l AS JSON) AS j FROM read_csv(${sql.param(spec.file)}, auto_detect = false, header = false, columns = {'l': 'VARCHAR'}, delim = chr(31), quote = '', escape = '', new_line = '\\n', ${LINE_LIMITS}, strict_mode = false))`
      : `(SELECT json AS l, json AS j FROM read_json_objects(${sql.param(spec.file)}, format = 'array'))`;
  return {
    spec,
    headers: wanted,
    unit: lines ? "line" : "item",
    unreadable: (r) => `CASE WHEN ${r}.l IS NULL OR trim(${r}.l) = '' THEN 'blank' WHEN ${r}.j IS NULL THEN 'json' WHEN json_type(${r}.j) <> 'OBJECT' THEN 'object' END`,
    from(sql) {
      // A nested object or list where a value belongs is marked, so typing reports it instead of reading its text.
      const columns = wanted.map((name, i) => {
        const path = sql.param(jsonPath(name));
        return `CASE WHEN json_type(j, ${path}) IN ('OBJECT', 'ARRAY') THEN ${sql.param(NESTED)} ELSE json_extract_string(j, ${path}) END AS c${i}`;
      });
      return `(SELECT l, j${columns.length > 0 ? ", " : ""}${columns.join(", ")} FROM ${source(sql)})`;
    },
    async locate(ordinals) {
      return { lines: new Map(ordinals.map((o) => [o, o + 1])), unreadable: [] };
    },
  };
}

/** What a JSON value that is an object or a list reads as: no text in a real export looks like it. */
export const NESTED = "\u0000nested";

/** The JSON path of a top-level key, quoted so any key (spaces, dots, quotes) is one key. */
function jsonPath(key: string): string {
  return `$.${JSON.stringify(key)}`;
}

async function parquetRelation(engine: DataEngine, spec: FileSpec): Promise<Relation> {
  const describe = new Sql();
  const columns = (await engine.rows(`DESCRIBE SELECT * FROM read_parquet(${describe.param(spec.file)})`, describe.params)).map((row) => String(row.column_name));
  return {
    spec,
    headers: columns,
    unreadable: undefined,
    unit: "row",
    from(sql) {
      const cast = columns.map((name, i) => `CAST(${quoteIdent(name)} AS VARCHAR) AS c${i}`);
      return `(SELECT ${cast.join(", ")} FROM read_parquet(${sql.param(spec.file)}))`;
    },
    async locate(ordinals) {
      return { lines: new Map(ordinals.map((o) => [o, o + 1])), unreadable: [] };
    },
  };
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * An SQLite table is copied into DuckDB first (DuckDB's SQLite reader is an
 * extension it would download; better-sqlite3 is already here). Its rowid
 * stands in for the line.
 */
async function sqliteRelation(engine: DataEngine, spec: FileSpec, what: string, id: number): Promise<Relation> {
  assertReadableFile(spec.file, what);
  const { default: Database } = await import("better-sqlite3");
  let db: InstanceType<typeof Database>;
  try {
    db = new Database(spec.file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new DataError(`${spec.file}: the ${what} cannot be opened as SQLite (${(error as Error).message})`);
  }
  const table = `sqlite_${id}`;
  let columns: string[];
  try {
    const info = db.prepare("SELECT name FROM pragma_table_info(?)").all(spec.table!) as { name: string }[];
    if (info.length === 0) throw new DataError(`${spec.file}: has no table \`${spec.table}\``);
    columns = info.map((c) => c.name);
    await engine.run(`CREATE TEMP TABLE ${table} (__row BIGINT, ${columns.map((_, i) => `c${i} VARCHAR`).join(", ")})`);
    // The table name was checked against a strict pattern when the project was read.
    const statement = db.prepare(`SELECT rowid AS __row, * FROM "${spec.table}" ORDER BY rowid`).raw(true);
    await engine.appendRows(table, statement.iterate() as Iterable<unknown[]>, ["bigint", ...columns.map(() => "text" as const)]);
  } catch (error) {
    if (error instanceof DataError) throw error;
    throw new DataError(`${spec.file}: table \`${spec.table}\` cannot be read (${(error as Error).message})`);
  } finally {
    db.close();
  }
  return {
    spec,
    headers: columns,
    unreadable: undefined,
    unit: "row",
    from: () => `(SELECT * FROM ${table} ORDER BY __row)`,
    async locate(ordinals) {
      if (ordinals.length === 0) return { lines: new Map(), unreadable: [] };
      // Ordinals are numbers the engine counted, never user text.
      const rows = await engine.rows(`SELECT o, __row FROM (SELECT row_number() OVER (ORDER BY __row) - 1 AS o, __row FROM ${table}) WHERE o IN (${ordinals.map(sqlNumber).join(", ")})`);
      return { lines: new Map(rows.map((row) => [Number(row.o), Number(row.__row)])), unreadable: [] };
    },
  };
}

/** A small input (overrides) read whole: each record's text values by column name, with its line. */
export async function readSmallTable(engine: DataEngine, spec: FileSpec, what: string, columns: readonly string[], required: readonly string[] = []): Promise<{ line: number; values: Record<string, string | null>; unreadable?: string }[]> {
  const relation = await openRelation(engine, spec, what, columns);
  // A column missing from the header is one mistake, said once: not every row rejected for it.
  const absent = required.filter((name) => !relation.headers.includes(name));
  if (absent.length > 0) throw new DataError(`${spec.file} has no column ${absent.map((n) => `\`${n}\``).join(", ")} (its columns: ${relation.headers.join(", ") || "none"}); the ${what} file needs ${required.join(", ")}`);
  const sql = new Sql();
  const present = columns.map((name) => relation.headers.indexOf(name));
  const bad = relation.unreadable ? relation.unreadable("r") : "NULL";
  const rows = await engine.rows(
    `SELECT row_number() OVER () - 1 AS __o, ${bad} AS __bad${present.map((index, i) => `, ${index < 0 ? "NULL::VARCHAR" : trimmedText(`r.c${index}`)} AS v${i}`).join("")} FROM ${relation.from(sql)} r`,
    sql.params,
  );
  const located = await relation.locate(rows.map((row) => Number(row.__o)));
  const out: { line: number; values: Record<string, string | null>; unreadable?: string }[] = located.unreadable.map((u) => ({ line: u.line, values: {}, unreadable: u.message }));
  for (const row of rows) {
    if (row.__bad === "blank") continue;
    const line = located.lines.get(Number(row.__o)) ?? Number(row.__o) + 1;
    if (row.__bad !== null && row.__bad !== undefined) {
      out.push({ line, values: {}, unreadable: row.__bad === "json" ? "is not valid JSON" : "is not a JSON object" });
      continue;
    }
    out.push({ line, values: Object.fromEntries(columns.map((name, i) => [name, (row[`v${i}`] as string | null) ?? null])) });
  }
  return out.sort((a, b) => a.line - b.line);
}
