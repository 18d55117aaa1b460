import { RESERVED_NAMES } from "../../expression/check.js";
import { parseExpression } from "../../expression/parse.js";
import { formatType, isAssignable, parseTypeText, SCALAR_TYPES } from "../../expression/types.js";
import { fieldSpec } from "../../model/resolve.js";
import { closestName } from "../../text/suggest.js";
import { fieldWithoutTypeMessage } from "../validate.js";
import { FUNCTIONS } from "../../expression/functions.js";
import type { ModelPath } from "../source-map.js";
import type { SymbolKind } from "../symbols.js";
import type { CheckContext } from "./context.js";
import type { PlaybookEnvironment } from "./environment.js";

const TYPE_NAMES = [...SCALAR_TYPES, "enum"];

/** Adds a definition to the symbol table at the place its name is written. */
export function define(ctx: CheckContext, kind: SymbolKind, name: string, path: ModelPath, extra: { type?: string; description?: string } = {}): void {
  const { map, entry } = ctx.sources.locate(path);
  const nameSpan = entry.keySpan ?? entry.span;
  ctx.symbols.define({ kind, name, file: map.source.path, nameSpan, span: { start: Math.min(nameSpan.start, entry.span.start), end: Math.max(nameSpan.end, entry.span.end) }, path, ...extra });
}

function descriptionOf(value: unknown): string | undefined {
  return typeof value === "object" && value !== null && typeof (value as { description?: unknown }).description === "string"
    ? (value as { description: string }).description
    : undefined;
}

/** The data contract: known types, sensible defaults, names that are not reserved. */
export function checkContract(ctx: CheckContext): void {
  for (const [name, entry] of Object.entries(ctx.model.account ?? {})) {
    const path = ["account", name];
    const spec = fieldSpec(entry);
    checkName(ctx, name, path);
    const type = typeof spec.type === "string" ? parseTypeText(spec.type) : undefined;
    define(ctx, "field", name, path, { type: type ? formatType(type) : String(spec.type), ...(spec.description ? { description: spec.description } : {}) });
    const typePath = typeof entry === "string" ? path : [...path, "type"];
    if (!type && /^\s*enum\s*\(\s*[^)\s]/.test(String(spec.type))) {
      const inner = String(spec.type).replace(/^\s*enum\s*\(|\)\s*\??\s*$/g, "");
      const values = inner.split(",").map((v) => v.trim().replace(/^["']|["']$/g, "")).filter((v) => v.length > 0);
      ctx.report("TL2002", typePath, `enum values that are not plain words are written in quotes: write enum(${values.map((v) => JSON.stringify(v)).join(", ")})${String(spec.type).trim().endsWith("?") ? "?" : ""}`);
      continue;
    }
    if (spec.type === "") {
      ctx.report("TL2002", typePath, fieldWithoutTypeMessage(name));
      continue;
    }
    if (!type) {
      const word = String(spec.type).replace(/[?(].*$/, "");
      const suggestion = closestName(word, TYPE_NAMES);
      ctx.report("TL2002", typePath, `unknown type \`${String(spec.type)}\` for field \`${name}\`${suggestion ? `; did you mean \`${suggestion}\`?` : `; use one of ${TYPE_NAMES.join(", ")}`}`);
      continue;
    }
    if (spec.default !== undefined) {
      // Dates, durations and percentages are written as their literal (2026-01-31, 14d, 40%); the rest as JSON values.
      const literal = typeof spec.default === "string" && hasOwnLiteral(type.name) ? spec.default : JSON.stringify(spec.default);
      const parsed = parseExpression(literal);
      const defaultType = parsed.problems.length === 0 ? literalType(parsed.expr.kind, spec.default) : undefined;
      const fits = type.name === "enum"
        ? typeof spec.default === "string" ? type.values!.includes(spec.default) : spec.default === null && type.nullable
        : defaultType !== undefined && isAssignable(defaultType, type);
      if (!fits) {
        ctx.report("TL2022", [...path, "default"], `the default of \`${name}\` must be of type ${formatType(type)}, not ${JSON.stringify(spec.default)}`);
      }
    }
  }
  for (const [name, spec] of Object.entries(ctx.model.events ?? {})) {
    define(ctx, "event", name, ["events", name], { ...(descriptionOf(spec) ? { description: descriptionOf(spec)! } : {}) });
    for (const [property, entry] of Object.entries(spec?.properties ?? {})) {
      const type = fieldSpec(entry).type;
      if (!parseTypeText(type)) ctx.report("TL2002", ["events", name, "properties", property], `unknown type \`${type}\` for property \`${property}\``);
    }
  }
}

function hasOwnLiteral(name: string): boolean {
  return name === "date" || name === "datetime" || name === "duration" || name === "percent";
}

function literalType(kind: string, value: unknown) {
  switch (kind) {
    case "number":
      return Number.isInteger(value) ? parseTypeText("int") : parseTypeText("number");
    case "string":
      return parseTypeText("string");
    case "bool":
      return parseTypeText("bool");
    case "null":
      return { name: "null", nullable: true } as const;
    case "date":
    case "datetime":
    case "duration":
    case "percent":
      return parseTypeText(kind);
    default:
      return undefined;
  }
}

function checkName(ctx: CheckContext, name: string, path: ModelPath): void {
  if (RESERVED_NAMES.has(name)) ctx.report("TL2018", path, `\`${name}\` is a reserved word and cannot be used as a name`, { at: "key" });
}

/** Metrics and segments: typed expressions, and one namespace shared with the fields. */
export function checkMetricsAndSegments(ctx: CheckContext, env: PlaybookEnvironment): void {
  const taken = new Map<string, string>();
  for (const name of Object.keys(ctx.model.account ?? {})) taken.set(name, "field");
  const builtins = new Set(["health", "tier", "onboarding", ...FUNCTIONS.keys()]);
  for (const [section, kind] of [["metrics", "metric"], ["segments", "segment"]] as const) {
    for (const [name, spec] of Object.entries(ctx.model[section] ?? {})) {
      const path = [section, name];
      checkName(ctx, name, path);
      const earlier = taken.get(name);
      if (earlier) {
        ctx.report("TL2001", path, `${kind} \`${name}\` has the same name as a ${earlier}; expressions could not tell them apart`, { at: "key" });
      } else if (builtins.has(name) && !FUNCTIONS.has(name)) {
        ctx.report("TL2001", path, `\`${name}\` is a built-in name (health, tier, onboarding); choose another name for this ${kind}`, { at: "key" });
      }
      taken.set(name, kind);
      const type = kind === "metric" ? env.metricType(name) : env.segmentType(name);
      const description = descriptionOf(spec);
      define(ctx, kind, name, path, { type: formatType(type), ...(description ? { description } : {}) });
    }
  }
}
