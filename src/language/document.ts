import { readdirSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { closestName } from "../text/suggest.js";
import { RESERVED_NAMES } from "../expression/check.js";
import type { SyntaxProblem } from "../expression/parse.js";
import { Playbook as PlaybookModel, type Playbook } from "../model/playbook.js";
import { mergePatch } from "../model/resolve.js";
import { type Diagnostic } from "../text/diagnostic.js";
import { DiagnosticSink } from "../text/diagnostic-sink.js";
import { SourceFile } from "../text/source.js";
import { parseDsl, type Comment } from "./dsl/parser.js";
import { LayeredSourceMap, pathKey, SourceMap } from "./source-map.js";
import { describePath } from "./describe.js";
import { reportUnknownSetting, validatePlaybookData } from "./validate.js";
import { parseYaml } from "./yaml/load.js";

export type Notation = "yaml" | "play";

/** The notation of a playbook file, from its extension. */
export function notationOf(path: string): Notation | undefined {
  if (/\.play$/i.test(path)) return "play";
  if (/\.ya?ml$/i.test(path)) return "yaml";
  return undefined;
}

/** One playbook file after parsing and schema validation: the first stage of the pipeline. */
export interface ParsedDocument {
  source: SourceFile;
  notation: Notation;
  /** the data as written (before `extends` is applied); undefined when unreadable */
  data: Record<string, unknown> | undefined;
  map: SourceMap;
  /** syntax and schema problems of this file */
  diagnostics: Diagnostic[];
  /** ordinary comments of a `.play` file, for the formatter */
  comments: Comment[];
  /** no syntax errors: the formatter may rewrite it */
  syntaxOk: boolean;
  /** paths whose values the schema rejected (and which were removed from `data`) */
  rejected: string[];
}

function reportProblems(sink: DiagnosticSink, problems: SyntaxProblem[]): void {
  for (const problem of problems) {
    sink.report(problem.code, problem.span, problem.message, problem.replacement !== undefined ? { fixes: [sink.replaceFix(`Change to \`${problem.replacement}\``, problem.span, problem.replacement)] } : {});
  }
}

/** The sections a playbook may have at its top. */
const TOP_LEVEL_KEYS = Object.keys(PlaybookModel.shape);

/**
 * A top-level key close to a section the playbook does not have (`acount:`)
 * is said once, with the fix, and read as that section: its fields,
 * metrics or triggers are then defined, not reported at every use.
 */
function readMisspeltSections(data: Record<string, unknown>, map: SourceMap, sink: DiagnosticSink): void {
  for (const key of Object.keys(data)) {
    if (TOP_LEVEL_KEYS.includes(key)) continue;
    const meant = closestName(key, TOP_LEVEL_KEYS.filter((k) => !Object.hasOwn(data, k)));
    if (!meant) continue;
    reportUnknownSetting(sink, map.keySpan([key]), key, describePath([]), meant);
    data[meant] = data[key];
    delete data[key];
    map.renameTop(key, meant);
  }
}

/** Parses and validates one playbook text. Never throws. */
export function parseDocument(path: string, text: string, notation: Notation = notationOf(path) ?? "yaml"): ParsedDocument {
  const source = new SourceFile(path, text);
  const sink = new DiagnosticSink(source);
  const map = new SourceMap(source);
  const parsed = notation === "play" ? parseDsl(text) : parseYaml(text);
  reportProblems(sink, parsed.problems);
  for (const { path: modelPath, entry } of parsed.entries) map.set(modelPath, entry);
  const syntaxOk = sink.items.length === 0;
  // Broken YAML structure makes every later message a guess: report the syntax alone.
  const unreadable = notation === "yaml" && sink.items.some((d) => d.code === "TL1004" || d.code === "TL1003");
  let data: Record<string, unknown> | undefined;
  let rejected: string[] = [];
  if (unreadable) {
    data = undefined;
  } else if (typeof parsed.model === "object" && parsed.model !== null && !Array.isArray(parsed.model)) {
    data = parsed.model as Record<string, unknown>;
    if (notation === "yaml") readMisspeltSections(data, map, sink);
    refuseReservedKeys(data, [], map, sink);
    // An expression that did not parse has had its say: validating or checking the fragment read would only add guesses.
    const broken = notation === "play" ? (parsed as ReturnType<typeof parseDsl>).broken.map(pathKey) : [];
    rejected = validatePlaybookData(data, map, sink, { partial: typeof data.extends === "string", prune: true, reported: new Set(broken) }).map(pathKey);
    rejected.push(...broken);
  } else if (syntaxOk && !unreadable) {
    sink.report("TL3003", { start: 0, end: Math.min(text.length, 1) }, "a playbook must be a section of settings starting with `playbook: <name>`");
  }
  return { source, notation, data, map, diagnostics: sink.items, comments: parsed.comments, syntaxOk, rejected };
}

/** A file's text, a reason it may not be read, or undefined when there is no such file. */
export type ReadResult = string | { refused: string } | undefined;

/**
 * Every key of a playbook is a setting (from a fixed list) or a name the
 * author chose; a name that JavaScript's objects already use (`__proto__`,
 * `constructor`, `toString`...) is refused where it is written, and taken
 * out, so no later stage ever meets it.
 */
function refuseReservedKeys(node: unknown, path: (string | number)[], map: SourceMap, sink: DiagnosticSink): void {
  // One path, grown and shrunk on the way down: it is copied only for a key that is refused (every check visits every node).
  if (Array.isArray(node)) {
    for (let index = 0; index < node.length; index++) {
      path.push(index);
      refuseReservedKeys(node[index], path, map, sink);
      path.pop();
    }
    return;
  }
  if (typeof node !== "object" || node === null) return;
  for (const key of Object.keys(node)) {
    if (RESERVED_NAMES.has(key)) {
      const at = map.keySpan([...path, key]);
      sink.report("TL2018", at, `\`${key}\` is a reserved word and cannot be used as a name`);
      delete (node as Record<string, unknown>)[key];
      continue;
    }
    path.push(key);
    refuseReservedKeys((node as Record<string, unknown>)[key], path, map, sink);
    path.pop();
  }
}

/** Reads a file the playbook refers to; the language server answers from open editors first. */
export type ReadFile = (path: string) => ReadResult;

/** A playbook with the bases it extends applied: what the checker and the engine work on. */
export interface LoadedPlaybook {
  document: ParsedDocument;
  /** the playbook's own document first, then each base it extends */
  layers: ParsedDocument[];
  model: Playbook;
  sources: LayeredSourceMap;
  /** syntax, schema and `extends` problems of all layers */
  diagnostics: Diagnostic[];
}

/** Whether a null stands as a setting in parsed data (a merge removes it, so the data cannot stand for the merged model; lists are kept whole). */
function holdsNull(value: unknown): boolean {
  if (value === null) return true;
  if (typeof value !== "object" || Array.isArray(value)) return false;
  for (const key in value) if (holdsNull((value as Record<string, unknown>)[key])) return true;
  return false;
}

/** Parses a playbook and the chain of playbooks it extends, and merges them. */
export function loadPlaybook(document: ParsedDocument, readFile: ReadFile): LoadedPlaybook {
  const layers = [document];
  const diagnostics = [...document.diagnostics];
  const visited = new Set([resolve(document.source.path)]);
  const chain = [resolve(document.source.path)];
  let current = document;
  while (typeof current.data?.extends === "string") {
    const target = resolve(dirname(current.source.path), current.data.extends);
    const sink = new DiagnosticSink(current.source);
    const span = current.map.valueSpan(["extends"]);
    if (visited.has(target)) {
      const names = [...chain, target].map((path) => basename(path)).join(" → ");
      sink.report("TL2020", span, `\`${current.data.extends}\` leads back to a playbook already in this chain (${names}): a playbook cannot extend itself`);
      diagnostics.push(...sink.items);
      break;
    }
    // Only playbooks are parsed as playbooks: a code frame never shows another kind of file.
    const text = notationOf(target) ? readFile(target) : { refused: "a base playbook is a .play or .yaml file" };
    if (typeof text !== "string") {
      const meant = text === undefined ? nearbyPlaybook(target) : undefined;
      sink.report("TL2020", span, `the base playbook \`${current.data.extends}\` cannot be read: ${text?.refused ?? "no such file next to this playbook"}${meant ? `; did you mean \`./${meant}\`?` : ""}`);
      diagnostics.push(...sink.items);
      break;
    }
    visited.add(target);
    chain.push(target);
    const base = parseDocument(target, text);
    layers.push(base);
    diagnostics.push(...base.diagnostics);
    current = base;
  }
  let merged: unknown = {};
  // A playbook that extends nothing is its own model: merging would only copy it (the editor checks after every keystroke).
  if (layers.length === 1 && document.data && !holdsNull(document.data)) merged = document.data;
  else for (const layer of [...layers].reverse()) merged = mergePatch(merged, layer.data ?? {});
  const model = merged as Playbook;
  if (layers.length > 1) {
    delete (model as { extends?: string }).extends;
    // Each layer may leave out what another provides; the merged whole must be complete.
    const sink = new DiagnosticSink(document.source);
    validatePlaybookData(model, document.map, sink);
    diagnostics.push(...sink.items.filter((d) => d.code === "TL3001"));
  }
  return { document, layers, model, sources: new LayeredSourceMap(layers.map((l) => l.map)), diagnostics };
}

/** The playbook file in the same folder whose name is closest to a missing one (`b2b_saas.play` -> `b2b-saas.play`). */
function nearbyPlaybook(missing: string): string | undefined {
  try {
    const names = readdirSync(dirname(missing)).filter((name) => notationOf(name) !== undefined);
    return closestName(basename(missing), names);
  } catch {
    return undefined;
  }
}
