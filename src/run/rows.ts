import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { durationDays, durationOf, epochDayOf, epochMsOf } from "../expression/literals.js";
import type { Type } from "../expression/types.js";
import type { Value } from "../expression/value.js";
import type { FieldContract } from "../engine/compiled.js";
import { closestName } from "../text/suggest.js";

/** One problem with one input row: where, which field, what. */
export interface RowProblem {
  file: string;
  line: number;
  field: string | undefined;
  message: string;
}

export type RowResult = { ok: true; id: string; values: Record<string, Value> } | { ok: false; problems: RowProblem[] };

const DATE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";

/** The JSON Schema of one field's values as an input row carries them. */
function fieldSchema(type: Type): Record<string, unknown> {
  let schema: Record<string, unknown>;
  switch (type.name) {
    case "int":
      schema = { type: "integer" };
      break;
    case "number":
    case "money":
    case "percent":
      schema = { type: "number" };
      break;
    case "bool":
      schema = { type: "boolean" };
      break;
    case "date":
      schema = { type: "string", pattern: DATE };
      break;
    case "datetime":
      schema = { type: "string", minLength: 10 };
      break;
    case "duration":
      schema = { type: ["string", "number"] };
      break;
    case "email":
      schema = { type: "string", pattern: "^[^@\\s]+@[^@\\s]+$" };
      break;
    case "enum":
      return { enum: [...(type.values ?? []), ...(type.nullable ? [null] : [])] };
    default:
      schema = { type: "string" };
  }
  if (type.nullable) schema.type = [...(Array.isArray(schema.type) ? schema.type : [schema.type]), "null"];
  return schema;
}

const EXPECTED: Record<string, string> = {
  int: "a whole number",
  number: "a number",
  money: "an amount",
  percent: "a percentage (0.4 or 40%)",
  bool: "true or false",
  date: "a date as YYYY-MM-DD",
  datetime: "a date and time (ISO 8601)",
  duration: "a duration such as 14d",
  email: "an email address",
  string: "a text",
};

/**
 * Validates and converts input rows against the playbook's data contract,
 * with an ajv validator compiled from it. Text from CSV is first read as the
 * field's type (numbers, true/false, 40%), then checked; the result holds
 * engine values (dates as days, date-times as milliseconds).
 */
export class RowValidator {
  private readonly validate: ValidateFunction;
  private readonly byName: Map<string, FieldContract>;
  private readonly known: Set<string>;

  constructor(
    private readonly fields: readonly FieldContract[],
    private readonly idField: string,
  ) {
    this.byName = new Map(fields.map((f) => [f.name, f]));
    this.known = new Set([idField, ...fields.map((f) => f.name)]);
    const properties: Record<string, unknown> = { [idField]: { type: ["string", "integer"], minLength: 1 } };
    const required = [idField];
    for (const field of fields) {
      properties[field.name] = fieldSchema(field.type);
      if (!field.type.nullable && field.default === undefined) required.push(field.name);
    }
    this.validate = new Ajv({ allErrors: true, strict: false }).compile({ type: "object", properties, required });
  }

  /** Columns of the input that the contract does not know (reported once per file). */
  unknownColumns(columns: Iterable<string>): { column: string; suggestion: string | undefined }[] {
    const names = [...this.known];
    return [...columns].filter((c) => !this.known.has(c)).map((column) => ({ column, suggestion: closestName(column, names) }));
  }

  check(file: string, line: number, raw: Record<string, unknown>, fromText: boolean): RowResult {
    const row: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(raw)) {
      if (!this.known.has(key)) continue;
      const field = this.byName.get(key);
      const empty = value === undefined || value === null || (typeof value === "string" && value.trim() === "");
      if (empty) continue;
      if (fromText && field?.type.name === "bool" && (value === 0 || value === 1)) row[key] = value === 1;
      else row[key] = fromText && typeof value === "string" && field ? readText(value, field.type) : value;
    }
    for (const field of this.fields) if (row[field.name] === undefined && field.default !== undefined) row[field.name] = field.default;
    for (const field of this.fields) if (row[field.name] === undefined && field.type.nullable) row[field.name] = null;
    if (!this.validate(row)) {
      return { ok: false, problems: (this.validate.errors ?? []).map((e) => this.problem(file, line, e, raw)) };
    }
    const values: Record<string, Value> = {};
    const problems: RowProblem[] = [];
    for (const field of this.fields) {
      const value = row[field.name];
      const converted = toValue(value, field.type);
      if (converted === undefined) problems.push({ file, line, field: field.name, message: `expected ${EXPECTED[field.type.name] ?? field.type.name}, got ${JSON.stringify(value)} (no such ${field.type.name === "date" ? "calendar date" : "value"})` });
      else values[field.name] = converted;
    }
    if (problems.length > 0) return { ok: false, problems };
    return { ok: true, id: String(row[this.idField]), values };
  }

  private problem(file: string, line: number, error: ErrorObject, raw: Record<string, unknown>): RowProblem {
    if (error.keyword === "required") {
      const field = String(error.params.missingProperty);
      return { file, line, field, message: field === this.idField ? `has no account id (column ${field})` : `is missing required field \`${field}\`` };
    }
    const field = error.instancePath.slice(1);
    const type = this.byName.get(field)?.type;
    const got = JSON.stringify(raw[field]);
    if (error.keyword === "enum") return { file, line, field, message: `expected one of ${(error.params.allowedValues as unknown[]).filter((v) => v !== null).join(", ")}, got ${got}` };
    return { file, line, field, message: `expected ${type ? (EXPECTED[type.name] ?? type.name) : "a value"}, got ${got}` };
  }
}

/** A number as text in an input file: 12, -3.5, .5, 1e6. */
export const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Reads a CSV cell as the field's type; leaves it as text when it cannot, so validation reports it. */
function readText(text: string, type: Type): unknown {
  const trimmed = text.trim();
  switch (type.name) {
    case "int":
    case "number":
    case "money":
      return NUMBER.test(trimmed) ? Number(trimmed) : text;
    case "percent":
      if (/%$/.test(trimmed) && NUMBER.test(trimmed.slice(0, -1))) return Number(trimmed.slice(0, -1)) / 100;
      return NUMBER.test(trimmed) ? Number(trimmed) : text;
    case "bool":
      if (/^(true|yes|y|1)$/i.test(trimmed)) return true;
      if (/^(false|no|n|0)$/i.test(trimmed)) return false;
      return text;
    case "duration":
      return NUMBER.test(trimmed) ? Number(trimmed) : trimmed;
    default:
      return trimmed;
  }
}

/** The engine value of a validated field; undefined when it is not a real value (2026-02-30). */
function toValue(value: unknown, type: Type): Value | undefined {
  if (value === null || value === undefined) return null;
  switch (type.name) {
    case "date":
      return epochDayOf(String(value));
    case "datetime":
      return epochMsOf(String(value));
    case "duration": {
      if (typeof value === "number") return value;
      const duration = durationOf(String(value));
      return duration ? durationDays(duration) : undefined;
    }
    default:
      return value as Value;
  }
}
