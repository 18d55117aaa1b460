/** The base types a playbook field or expression can have. */
export const SCALAR_TYPES = [
  "int",
  "number",
  "money",
  "percent",
  "string",
  "bool",
  "date",
  "datetime",
  "duration",
  "email",
] as const;

export type ScalarTypeName = (typeof SCALAR_TYPES)[number];

export type TypeName = ScalarTypeName | "enum" | "null" | "range" | "list" | "unknown";

/**
 * A static type. `unknown` is what an expression with an error gets, so one
 * mistake does not cascade into a page of follow-on diagnostics.
 */
export interface Type {
  name: TypeName;
  nullable: boolean;
  /** enum members */
  values?: readonly string[];
  /** element type of a range or list */
  element?: Type;
}

export const T = {
  int: { name: "int", nullable: false },
  number: { name: "number", nullable: false },
  money: { name: "money", nullable: false },
  percent: { name: "percent", nullable: false },
  string: { name: "string", nullable: false },
  bool: { name: "bool", nullable: false },
  date: { name: "date", nullable: false },
  datetime: { name: "datetime", nullable: false },
  duration: { name: "duration", nullable: false },
  email: { name: "email", nullable: false },
  null: { name: "null", nullable: true },
  unknown: { name: "unknown", nullable: false },
} as const satisfies Record<string, Type>;

export function enumType(values: readonly string[], nullable = false): Type {
  return { name: "enum", nullable, values };
}

export function withNullable(type: Type, nullable: boolean): Type {
  return type.nullable === nullable ? type : { ...type, nullable };
}

const NUMERIC = new Set<TypeName>(["int", "number", "money", "percent"]);
const TEXTUAL = new Set<TypeName>(["string", "email", "enum"]);

export function isNumeric(type: Type): boolean {
  return NUMERIC.has(type.name);
}

export function isTextual(type: Type): boolean {
  return TEXTUAL.has(type.name);
}

export function isUnknown(type: Type): boolean {
  return type.name === "unknown";
}

/** How a type reads in a message: `int?`, `enum(basic, pro)`. */
export function formatType(type: Type): string {
  let text: string = type.name;
  if (type.name === "enum" && type.values) text = `enum(${formatEnumValues(type.values)})`;
  if ((type.name === "range" || type.name === "list") && type.element) text = `${type.name} of ${formatType(type.element)}`;
  if (type.name === "null") return "null";
  return type.nullable ? `${text}?` : text;
}

/** Can a value of type `source` be used where `target` is expected (ignoring nullability)? */
export function isAssignable(source: Type, target: Type): boolean {
  if (isUnknown(source) || isUnknown(target)) return true;
  if (source.name === "null") return target.nullable;
  if (source.name === target.name) {
    if (source.name === "enum" && target.values && source.values) return source.values.every((v) => target.values!.includes(v));
    return true;
  }
  if (isNumeric(source) && isNumeric(target)) return !(source.name !== "int" && target.name === "int");
  if (source.name === "date" && target.name === "datetime") return true;
  if (isTextual(source) && target.name === "string") return true;
  return false;
}

/** The type two numeric operands combine into under + and -. */
export function numericJoin(a: Type, b: Type): Type {
  if (a.name === b.name) return { name: a.name, nullable: false };
  if (a.name === "money" || b.name === "money") return T.money;
  return T.number;
}

const TYPE_PATTERN = /^\s*([a-z]+)\s*(?:\(([\s\S]*)\))?\s*(\?)?\s*$/;

/** An enum value written without quotes: a plain word (letters, digits, _ . -). Anything else is quoted. */
const PLAIN_ENUM_VALUE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** Enum values as a type is written: plain words as they are, others quoted (`"One year"`). */
export function formatEnumValues(values: readonly string[]): string {
  return values.map((v) => (PLAIN_ENUM_VALUE.test(v) ? v : JSON.stringify(v))).join(", ");
}

/**
 * The values of `enum(...)`: plain words, or texts in double or single
 * quotes (`"One year"`). Undefined when a value is neither, such as
 * `One year` without quotes.
 */
export function enumValuesOf(args: string): string[] | undefined {
  const values: string[] = [];
  const item = /\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^,]*?)\s*(,|$)/gy;
  let match: RegExpExecArray | null;
  while (item.lastIndex < args.length && (match = item.exec(args)) !== null) {
    const raw = match[1]!;
    if (raw.startsWith('"') || raw.startsWith("'")) {
      values.push(raw.slice(1, -1).replace(/\\(.)/g, "$1"));
    } else {
      if (!PLAIN_ENUM_VALUE.test(raw)) return undefined;
      values.push(raw);
    }
    if (match[2] === "") break;
  }
  return values;
}

/**
 * Parses a type as written in a data contract: `int`, `int?`,
 * `enum(basic, pro)`, `enum("Month-to-month", "One year")`. Returns
 * undefined for an unknown type.
 */
export function parseTypeText(text: string): Type | undefined {
  const match = TYPE_PATTERN.exec(text);
  if (!match) return undefined;
  const [, name, args, optional] = match;
  const nullable = optional === "?";
  if (name === "enum") {
    const values = enumValuesOf(args ?? "");
    return values && values.length > 0 ? enumType(values, nullable) : undefined;
  }
  if (args !== undefined) return undefined;
  if ((SCALAR_TYPES as readonly string[]).includes(name!)) return { name: name as ScalarTypeName, nullable };
  return undefined;
}
