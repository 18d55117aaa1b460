import { createReadStream, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { parse as parseCsv } from "csv-parse";
import type { SourceSpec } from "./project.js";

/** One raw row of an input file and the line it starts on. */
export interface RawRecord {
  line: number;
  values: Record<string, unknown>;
  /** the row could not be read at all (broken JSON, ragged CSV) */
  error?: string;
}

/**
 * Reads the rows of an input, one at a time, whatever its format; CSV and
 * JSON Lines are streamed, so memory does not grow with the file.
 */
export async function* readRecords(source: SourceSpec): AsyncGenerator<RawRecord> {
  switch (source.format) {
    case "csv":
      yield* readCsv(source.file);
      return;
    case "jsonl":
      yield* readJsonLines(source.file);
      return;
    case "json":
      yield* readJsonArray(source.file);
      return;
    case "sqlite":
      yield* await readSqlite(source.file, source.table!);
      return;
  }
}

async function* readCsv(file: string): AsyncGenerator<RawRecord> {
  const parser = createReadStream(file).pipe(
    parseCsv({ columns: true, bom: true, skip_empty_lines: true, relax_column_count: true, info: true, trim: false }),
  );
  let header: string[] | undefined;
  for await (const row of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number; invalid_field_length: number; columns: { name: string }[] | false } }>) {
    header ??= Array.isArray(row.info.columns) ? row.info.columns.map((c) => c.name) : undefined;
    const fieldCount = Object.keys(row.record).length;
    const line = row.info.lines;
    if (header && fieldCount !== header.length) {
      yield { line, values: row.record, error: `has ${fieldCount} values but the header has ${header.length} columns (a truncated or broken line?)` };
      continue;
    }
    yield { line, values: row.record };
  }
}

async function* readJsonLines(file: string): AsyncGenerator<RawRecord> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === "") continue;
    try {
      const value = JSON.parse(text) as unknown;
      if (typeof value !== "object" || value === null || Array.isArray(value)) yield { line, values: {}, error: "is not a JSON object" };
      else yield { line, values: value as Record<string, unknown> };
    } catch (error) {
      yield { line, values: {}, error: `is not valid JSON (${(error as Error).message})` };
    }
  }
}

async function* readJsonArray(file: string): AsyncGenerator<RawRecord> {
  const text = readFileSync(file, "utf8");
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    yield { line: 1, values: {}, error: `the file is not valid JSON (${(error as Error).message})` };
    return;
  }
  const rows = Array.isArray(data) ? data : [data];
  // JSON arrays carry no line numbers: the position in the array stands in for it.
  for (let index = 0; index < rows.length; index++) {
    const value = rows[index] as unknown;
    if (typeof value !== "object" || value === null || Array.isArray(value)) yield { line: index + 1, values: {}, error: "is not a JSON object" };
    else yield { line: index + 1, values: value as Record<string, unknown> };
  }
}

/** SQLite is loaded only when a project reads from it (the editor never needs the native module). */
async function readSqlite(file: string, table: string): Promise<Generator<RawRecord>> {
  const { default: Database } = await import("better-sqlite3");
  return (function* () {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      // The table name was checked against a strict pattern when the project was read.
      const statement = db.prepare(`SELECT rowid AS __rowid, * FROM "${table}" ORDER BY rowid`);
      for (const row of statement.iterate() as Iterable<Record<string, unknown>>) {
        const { __rowid, ...values } = row;
        yield { line: Number(__rowid), values };
      }
    } finally {
      db.close();
    }
  })();
}
