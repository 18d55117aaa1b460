import type { ErrorObject, ValidateFunction } from "ajv";
import { validate as generatedValidator } from "./playbook-validator.generated.js";
import { DURATION_PATTERN, PERCENT_PATTERN } from "../model/playbook.js";
import type { DiagnosticSink } from "../text/diagnostic-sink.js";
import { SCALAR_TYPES } from "../expression/types.js";
import type { Span } from "../text/source.js";
import { closestName } from "../text/suggest.js";
import { describePath } from "./describe.js";
import { pathKey, type ModelPath, type SourceMap } from "./source-map.js";

/** The playbook's JSON Schema validator, compiled ahead of time (validator-code.ts says why). */
const playbookValidator = generatedValidator as unknown as ValidateFunction;

export interface ValidateOptions {
  /** a playbook that extends another may leave out what the base defines */
  partial?: boolean;
  /** remove each rejected value from the data after reporting it */
  prune?: boolean;
  /** values whose problem was already reported (an expression that did not parse): not reported again */
  reported?: ReadonlySet<string>;
}

/** "unknown setting `x` in <where>", with "did you mean" and its quick fix when a known setting is close. */
export function reportUnknownSetting(sink: DiagnosticSink, span: Span, key: string, where: string, suggestion: string | undefined, otherwise = ""): void {
  sink.report("TL3002", span, `unknown setting \`${key}\` in ${where}${suggestion ? `; did you mean \`${suggestion}\`?` : otherwise}`, suggestion ? { fixes: [sink.replaceFix(`Change to \`${suggestion}\``, span, suggestion)] } : {});
}

/** What is said of a field written without its type, in either notation. */
export function fieldWithoutTypeMessage(name: string): string {
  return `field \`${name}\` has no type: write one after the colon, such as ${SCALAR_TYPES.slice(0, 5).join(", ")} or enum(a, b)`;
}

/**
 * Returns the paths of the values it rejected.
 *
 * Validates a playbook's data against the JSON Schema generated from the
 * model, and reports each violation at the key or value it concerns, in
 * words: "unknown setting `wieght`; did you mean `weight`?".
 */
export function validatePlaybookData(data: unknown, map: SourceMap, sink: DiagnosticSink, options: ValidateOptions = {}): ModelPath[] {
  const validate = playbookValidator;
  if (validate(data)) return [];
  const selected = selectUnionBranches(validate.errors ?? []);
  // A value that is both of the wrong kind and not one of the allowed values: the list of allowed values says it all.
  const listed = new Set(selected.filter((e) => e.keyword === "enum").map((e) => e.instancePath));
  const errors = selected.filter((e) => e.keyword !== "type" || !listed.has(e.instancePath));
  const seen = new Set<string>();
  const invalid: ModelPath[] = [];
  for (const error of errors) {
    if (options.partial && error.keyword === "required") continue;
    const path = instancePath(error.instancePath);
    const key = `${error.instancePath}|${error.keyword}|${JSON.stringify(error.params)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (options.reported?.has(pathKey(path))) continue;
    reportError(error, path, map, sink);
    if (error.keyword === "additionalProperties") invalid.push([...path, String(error.params.additionalProperty)]);
    else if (error.propertyName !== undefined) invalid.push([...path, error.propertyName]);
    else if (error.keyword !== "required") invalid.push(path);
  }
  if (options.prune) for (const path of invalid) prune(data, path);
  return invalid;
}

/**
 * Removes a value the schema rejected, so later checks only see values of
 * the shape the model promises (an array item becomes null, keeping the
 * indices that source maps use).
 */
function prune(data: unknown, path: ModelPath): void {
  if (path.length === 0) return;
  let parent = data;
  for (const part of path.slice(0, -1)) {
    if (typeof parent !== "object" || parent === null) return;
    parent = (parent as Record<string, unknown>)[String(part)];
  }
  if (typeof parent !== "object" || parent === null) return;
  const last = String(path[path.length - 1]);
  if (Array.isArray(parent)) parent[Number(last)] = null;
  else delete (parent as Record<string, unknown>)[last];
}

function instancePath(pointer: string): ModelPath {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/**
 * A value that may take several shapes (a field written as `money` or as
 * `{ type: money }`) fails each shape in its own way; report only the shape
 * it came closest to.
 */
function selectUnionBranches(errors: ErrorObject[]): ErrorObject[] {
  const unions = errors.filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf").sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  const dropped: string[] = [];
  const replacements: ErrorObject[] = [];
  for (const union of unions) {
    if (dropped.some((prefix) => union.schemaPath.startsWith(prefix))) continue;
    const branchCount = ((union.schema as unknown[]) ?? []).length;
    const branches = Array.from({ length: branchCount }, (_, i) => errors.filter((e) => e.schemaPath.startsWith(`${union.schemaPath}/${i}/`)));
    const typeMismatchOnly = (branch: ErrorObject[]) => branch.some((e) => e.keyword === "type" && e.instancePath === union.instancePath);
    const candidates = branches.map((branch, index) => ({ branch, index })).filter(({ branch }) => !typeMismatchOnly(branch));
    if (candidates.length === 0) {
      // The value is of none of the accepted kinds: one message naming them.
      const kinds = branches.map((branch) => branch.find((e) => e.keyword === "type")?.params.type).filter(Boolean);
      replacements.push({ ...union, keyword: "type", params: { type: [...new Set(kinds)].join(" or ") } });
      branches.forEach((_, i) => dropped.push(`${union.schemaPath}/${i}/`));
      dropped.push(union.schemaPath);
      continue;
    }
    const requiredAtRoot = (branch: ErrorObject[]) => branch.find((e) => e.keyword === "required" && e.instancePath === union.instancePath);
    if (candidates.every(({ branch }) => requiredAtRoot(branch))) {
      // A shape chosen by its key (an action is `email:`, `task:`, ...) but written with none of them.
      const keys = candidates.map(({ branch }) => String(requiredAtRoot(branch)!.params.missingProperty));
      const allowed = new Set(candidates.flatMap(({ branch }) => Object.keys((requiredAtRoot(branch)!.parentSchema as { properties?: object })?.properties ?? {})));
      replacements.push({ ...union, keyword: "oneOfKeys", params: { keys, allowed: [...allowed] } });
      branches.forEach((_, i) => dropped.push(`${union.schemaPath}/${i}/`));
      dropped.push(union.schemaPath);
      continue;
    }
    candidates.sort((a, b) => a.branch.length - b.branch.length);
    const best = candidates[0]!.index;
    branches.forEach((_, i) => {
      if (i !== best) dropped.push(`${union.schemaPath}/${i}/`);
    });
  }
  return [
    ...errors.filter((e) => e.keyword !== "anyOf" && e.keyword !== "oneOf" && !dropped.some((prefix) => e.schemaPath.startsWith(prefix))),
    ...replacements,
  ];
}

const KIND_WORDS: Record<string, string> = {
  string: "text",
  number: "a number",
  integer: "a whole number",
  boolean: "true or false",
  object: "a section with settings",
  array: "a list",
  null: "empty",
};

function kindWords(type: string): string {
  return type
    .split(/,| or /)
    .map((t) => KIND_WORDS[t.trim()] ?? t.trim())
    .join(" or ");
}

function actualKind(value: unknown): string {
  if (value === null) return "empty";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a section with settings";
  if (typeof value === "string") return `the text "${value.length > 40 ? `${value.slice(0, 40)}...` : value}"`;
  if (typeof value === "boolean") return String(value);
  return `the number ${String(value)}`;
}

function reportError(error: ErrorObject, path: ModelPath, map: SourceMap, sink: DiagnosticSink): void {
  if (error.propertyName !== undefined) {
    if (error.keyword === "pattern") {
      sink.report("TL3005", map.keySpan([...path, error.propertyName]), `\`${error.propertyName}\` in ${describePath(path)} is not a valid name: use ${patternWords(String(error.params.pattern))}`);
    }
    return;
  }
  const where = describePath(path);
  const last = path[path.length - 1];
  const setting = last === undefined ? "the playbook" : typeof last === "number" || /^\d+$/.test(String(last)) ? where : `\`${last}\` of ${describePath(path.slice(0, -1))}`;
  switch (error.keyword) {
    case "required": {
      const missing = String(error.params.missingProperty);
      sink.report("TL3001", map.keySpan(path), `${where} needs \`${missing}\`${REQUIRED_HINTS[missing] ? `: ${REQUIRED_HINTS[missing]}` : ""}`);
      return;
    }
    case "additionalProperties": {
      const unknown = String(error.params.additionalProperty);
      const allowed = Object.keys(((error.parentSchema as { properties?: object }) ?? {}).properties ?? {});
      const suggestion = closestName(unknown, allowed);
      const span = map.keySpan([...path, unknown]);
      const known = allowed.length > 0 ? `; ${where} can have ${allowed.map((a) => `\`${a}\``).join(", ")}` : "";
      reportUnknownSetting(sink, span, unknown, where, suggestion, known);
      return;
    }
    case "oneOfKeys": {
      const keys = error.params.keys as string[];
      const allowed = error.params.allowed as string[];
      sink.report("TL3001", map.keySpan(path), `${where} needs one of ${keys.map((k) => `\`${k}\``).join(", ")}`);
      for (const key of Object.keys((error.data as object) ?? {})) {
        if (allowed.includes(key)) continue;
        const suggestion = closestName(key, keys) ?? closestName(key, allowed);
        const span = map.keySpan([...path, key]);
        reportUnknownSetting(sink, span, key, where, suggestion);
      }
      return;
    }
    case "type": {
      if (path.length === 2 && path[0] === "account" && error.data === null) {
        // The same advice as in .play: a field whose type is not written yet.
        sink.report("TL3003", map.keySpan(path), fieldWithoutTypeMessage(String(path[1])));
        return;
      }
      const pattern = (error.parentSchema as { pattern?: string } | undefined)?.pattern;
      const expected = pattern ? patternWords(pattern) : kindWords(String(error.params.type));
      // An empty value has no text to mark: its key is marked instead.
      // Text written in braces, in YAML: the braces made it a section.
      const braced = typeof error.data === "object" && error.data !== null && String(error.params.type) === "string" && /\.ya?ml$/i.test(map.source.path) && map.source.text[map.valueSpan(path).start] === "{";
      const advice = braced ? ": YAML reads `{ }` as a section; write it without the braces, or put it all in quotes" : "";
      sink.report("TL3003", error.data === null ? map.keySpan(path) : map.valueSpan(path), `${setting} must be ${expected}, not ${actualKind(error.data)}${advice}`);
      return;
    }
    case "enum": {
      const allowed = (error.params.allowedValues as unknown[]).map(String);
      const suggestion = typeof error.data === "string" ? closestName(error.data, allowed) : undefined;
      const span = error.data === null ? map.keySpan(path) : map.valueSpan(path);
      sink.report("TL3004", span, `${setting} cannot be ${actualKind(error.data)}; it can be ${allowed.map((v) => `\`${v}\``).join(", ")}${suggestion ? ` (did you mean \`${suggestion}\`?)` : ""}`,
        suggestion ? { fixes: [sink.replaceFix(`Change to \`${suggestion}\``, span, suggestion)] } : {});
      return;
    }
    case "pattern":
      sink.report("TL3005", map.valueSpan(path), `${setting} is ${actualKind(error.data)}, but must be ${patternWords(String(error.params.pattern))}`);
      return;
    case "propertyNames":
      return;
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      sink.report("TL3004", map.valueSpan(path), `${setting} must be ${error.keyword.includes("inimum") ? "at least" : "at most"} ${String(error.params.limit)}, not ${String(error.data)}`);
      return;
    case "minLength":
      sink.report("TL3005", map.valueSpan(path), `${setting} must not be empty`);
      return;
    default:
      sink.report("TL3005", map.valueSpan(path), `${setting} ${error.message ?? "is not valid"}`);
  }
}

/** Invalid keys (names) come as a pattern error on the key itself. */
function patternWords(pattern: string): string {
  if (pattern === DURATION_PATTERN) return "a duration such as 14d, 2w, 3mo or 1y";
  if (pattern === PERCENT_PATTERN) return "a percentage such as 40%";
  if (pattern.startsWith("^[A-Za-z_]")) return "a name of letters, digits and _ that does not start with a digit";
  if (pattern.includes("[01][0-9]|2[0-3]")) return 'a time of day such as "20:00"';
  if (pattern.startsWith("^[A-Za-z0-9_]")) return "a name of letters, digits, _, - and .";
  return `of the form ${pattern}`;
}

const REQUIRED_HINTS: Record<string, string> = {
  playbook: 'the playbook\'s name, e.g. playbook: "b2b-saas"',
  rules: "the list of tier rules, checked in order",
  milestones: "the onboarding milestones",
  start: "the date onboarding starts from, e.g. contract_start",
  due: "how long after the start it is due, e.g. 14d",
  done_when: "the condition that marks it done",
  when: "the condition",
  type: "the field's type, e.g. int or money",
  to: "the address to send to, e.g. admin_email",
  subject: "the email subject",
  actions: "what to do",
};
