import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { isKnownTimeZone } from "../engine/clock.js";
import { isMap, isScalar, parseDocument, type Node } from "yaml";
import { createDiagnostic } from "../text/diagnostic-sink.js";
import { compareDiagnostics, type Diagnostic, type DiagnosticCode } from "../text/diagnostic.js";
import { SourceFile } from "../text/source.js";
import { closestName } from "../text/suggest.js";
import { CONFIG_FILE, loadProject, ProjectConfig, ProjectError } from "./project.js";

const KINDS: Record<string, string> = { string: "text", number: "a number", boolean: "true or false", array: "a list", object: "a group of settings" };

/** The settings a project file allows at a path (for "did you mean"). */
function settingsAt(path: readonly PropertyKey[]): string[] {
  let schema: unknown = ProjectConfig;
  for (const key of path) {
    const shape = shapeOf(schema);
    schema = shape?.[String(key)];
    if (!schema) return [];
  }
  return Object.keys(shapeOf(schema) ?? {});
}

/** The keys of an object schema, looking through optional, default and union wrappers. */
function shapeOf(schema: unknown): Record<string, unknown> | undefined {
  const def = (schema as { def?: { type?: string; shape?: Record<string, unknown>; innerType?: unknown; options?: unknown[] } } | undefined)?.def;
  if (!def) return undefined;
  if (def.type === "object") return def.shape;
  if (def.innerType) return shapeOf(def.innerType);
  if (def.options) for (const option of def.options) if (shapeOf(option)) return shapeOf(option);
  return undefined;
}

/** Whether a file is a project file (touchline.yaml) rather than a playbook. */
export function isProjectFile(path: string): boolean {
  return /(^|[\\/])touchline\.ya?ml$/.test(path);
}

/**
 * The problems of a project file (`touchline.yaml`), each at its setting:
 * the file is checked against the project's own schema, not a playbook's.
 */
export function checkProjectFile(path: string, text: string): { source: SourceFile; diagnostics: Diagnostic[] } {
  const source = new SourceFile(path, text);
  const document = parseDocument(text, { prettyErrors: false });
  const at = (start: number, end: number) => ({ start, end: Math.max(start + 1, end) });
  const diagnostics: Diagnostic[] = document.errors.map((error) => createDiagnostic(source, "TL3005", at(error.pos[0], error.pos[1]), `this is not valid YAML: ${error.message.split("\n")[0]}`));
  if (diagnostics.length > 0) return { source, diagnostics };
  const whole = at(0, text.indexOf("\n") < 0 ? text.length : text.indexOf("\n"));
  const spanOf = (path: readonly PropertyKey[], key?: string): { start: number; end: number } => {
    // The deepest node on the path that exists; for an unknown key, the key itself.
    for (let depth = path.length; depth >= 0; depth--) {
      const node = document.getIn(path.slice(0, depth) as (string | number)[], true) as Node | undefined;
      if (!node?.range) continue;
      if (depth === path.length && key !== undefined && isMap(node)) {
        const item = node.items.find((i) => isScalar(i.key) && i.key.value === key);
        if (item && isScalar(item.key) && item.key.range) return at(item.key.range[0], item.key.range[1]);
      }
      return at(node.range[0], node.range[1]);
    }
    return whole;
  };
  const parsed = ProjectConfig.safeParse(document.toJS());
  if (!parsed.success) {
    const whereOf = (path: PropertyKey[]) => (path.length > 0 ? `\`${path.join(".")}\`` : "the project file");
    // Unknown settings first, each with the closest one where it is: a required setting misspelt is one mistake,
    // which "did you mean" says ("is required" would say it again).
    const meantKeys = new Set<string>();
    for (const issue of parsed.error.issues) {
      if (issue.code !== "unrecognized_keys") continue;
      const known = settingsAt(issue.path);
      const where = whereOf(issue.path);
      for (const key of issue.keys) {
        const meant = closestName(key, known);
        if (meant) meantKeys.add([...issue.path, meant].join("."));
        diagnostics.push(createDiagnostic(source, "TL3002", spanOf(issue.path, key), `unknown setting \`${key}\` in ${where === "the project file" ? CONFIG_FILE : where}${meant ? `; did you mean \`${meant}\`?` : `: the settings here are ${known.join(", ")}`}`));
      }
    }
    for (const issue of parsed.error.issues) {
      if (issue.code === "unrecognized_keys") continue;
      const where = whereOf(issue.path);
      const value = document.getIn(issue.path as (string | number)[]);
      const missing = (issue.code === "invalid_type" || issue.code === "invalid_union") && value === undefined;
      if (missing && meantKeys.has(issue.path.join("."))) continue;
      const code: DiagnosticCode = missing ? "TL3001" : issue.code === "invalid_type" || issue.code === "invalid_union" ? "TL3003" : issue.code === "invalid_value" ? "TL3004" : "TL3005";
      const message = missing
        ? `${where} is required`
        : issue.code === "invalid_type"
          ? `${where} should be ${KINDS[issue.expected] ?? issue.expected}, not ${JSON.stringify(value)}`
          : `${where}: ${issue.message}`;
      diagnostics.push(createDiagnostic(source, code, missing ? (issue.path.length > 1 ? spanOf(issue.path.slice(0, -1)) : whole) : spanOf(issue.path), message));
    }
  }
  // Files that are not there, and time zones nobody knows, at their setting with a suggestion: read from the file as
  // written, so they are said in the same pass as the schema's problems (each value's kind is checked where it is used).
  const config = document.toJS() as Partial<Record<string, unknown>> & { accounts?: unknown; history?: Record<string, unknown> };
  const folder = dirname(path);
  const fileAt = (keys: (string | number)[], value: unknown) => {
    // The history is read only by simulate and kpi (and may be written by a script, as RavenStack's is): a warning there.
    const history = keys[0] === "history";
    if (typeof value !== "string") return;
    const target = resolve(folder, value);
    if (existsSync(target)) return;
    let meant: string | undefined;
    try {
      meant = closestName(basename(target), readdirSync(dirname(target)));
    } catch {
      meant = undefined;
    }
    const suffix = history ? " (simulate and kpi need it; run does not)" : "";
    diagnostics.push(createDiagnostic(source, "TL3004", spanOf(keys), `no such file: ${value}${meant ? `; did you mean ${join(dirname(value), meant)}?` : ""}${suffix}`, history ? { severity: "warning" } : {}));
  };
  const source_ = (keys: (string | number)[], value: unknown) => (typeof value === "string" ? fileAt(keys, value) : value && typeof value === "object" ? fileAt([...keys, "file"], (value as { file?: unknown }).file) : undefined);
  const sources = (keys: (string | number)[], value: unknown) => (Array.isArray(value) ? value.forEach((v, i) => source_([...keys, i], v)) : source_(keys, value));
  const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
  fileAt(["playbook"], config.playbook);
  list(config.playbooks).forEach((file, i) => fileAt(["playbooks", i], file));
  source_(["accounts"], config.accounts);
  if (config.accounts && typeof config.accounts === "object") list((config.accounts as { join?: unknown }).join).forEach((join, i) => fileAt(["accounts", "join", i, "file"], (join as { file?: unknown } | null)?.file));
  sources(["events"], config.events);
  fileAt(["overrides"], config.overrides);
  if (config.history && typeof config.history === "object") {
    source_(["history", "snapshots"], config.history.snapshots);
    sources(["history", "events"], config.history.events);
    fileAt(["history", "mrr"], config.history.mrr);
    fileAt(["history", "outcomes"], config.history.outcomes);
  }
  if (typeof config.timezone === "string" && !isKnownTimeZone(config.timezone)) {
    const meant = closestName(config.timezone, Intl.supportedValuesOf("timeZone"));
    diagnostics.push(createDiagnostic(source, "TL3004", spanOf(["timezone"]), `unknown time zone ${config.timezone}${meant ? `; did you mean ${meant}?` : " (use an IANA name such as Europe/Berlin or UTC)"}`));
  }
  if (!parsed.success || diagnostics.some((d) => d.severity === "error")) return { source, diagnostics: diagnostics.sort(compareDiagnostics) };
  // The rest of the project's rules read the file itself: only when it is what is being checked (an editor may hold unsaved text).
  if (!existsSync(path) || readFileSync(path, "utf8") !== text) return { source, diagnostics };
  try {
    loadProject(path);
  } catch (error) {
    if (!(error instanceof ProjectError)) throw error;
    diagnostics.push(createDiagnostic(source, "TL3004", whole, error.message.replace(`${path}: `, "")));
  }
  return { source, diagnostics: diagnostics.sort(compareDiagnostics) };
}
