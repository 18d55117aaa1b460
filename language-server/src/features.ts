import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import {
  CodeActionKind,
  DiagnosticSeverity,
  DocumentSymbol,
  InlayHintKind,
  MarkupKind,
  SymbolKind,
  type CodeAction,
  type Diagnostic as LspDiagnostic,
  type Hover,
  type InlayHint,
  type Location,
  type Range,
  type SignatureHelp,
  type SymbolInformation,
  type TextEdit,
  type WorkspaceEdit,
} from "vscode-languageserver/node";
import type { TextDocument } from "vscode-languageserver-textdocument";
import { RESERVED_NAMES } from "../../src/expression/check.js";
import { FUNCTIONS } from "../../src/expression/functions.js";
import type { CheckedPlaybook } from "../../src/language/check/index.js";
import { unquotedSpan } from "../../src/language/check/context.js";
import { HEALTH_MEMBERS, healthModelPath, ONBOARDING_MEMBERS } from "../../src/language/check/environment.js";
import { normalisedWeights, percentValue } from "../../src/language/check/health.js";
import type { Definition, SymbolKind as TouchlineKind } from "../../src/language/symbols.js";
import type { Diagnostic } from "../../src/text/diagnostic.js";
import { SourceFile, type Span } from "../../src/text/source.js";
import { pathToUri } from "./documents.js";
import { KEYWORD_DOCS, KPI_DOCS } from "./knowledge.js";

/** Converts spans of any file of the playbook (its own or a base it extends) to LSP ranges. */
export class Ranges {
  private readonly sources = new Map<string, SourceFile>();

  constructor(checked: CheckedPlaybook) {
    for (const layer of checked.layers) this.sources.set(layer.source.path, layer.source);
  }

  range(file: string, span: Span): Range {
    let source = this.sources.get(file);
    if (!source) {
      let text = "";
      try {
        text = readFileSync(file, "utf8");
      } catch {
        // A file that vanished: ranges fall back to its start.
      }
      source = new SourceFile(file, text);
      this.sources.set(file, source);
    }
    return source.rangeOf(span);
  }

  text(file: string): string {
    return this.sources.get(file)?.text ?? "";
  }
}

export function toLspDiagnostic(d: Diagnostic, ranges: Ranges): LspDiagnostic {
  return {
    range: d.range,
    severity: d.severity === "error" ? DiagnosticSeverity.Error : d.severity === "warning" ? DiagnosticSeverity.Warning : DiagnosticSeverity.Information,
    code: d.code,
    source: "touchline",
    message: d.message,
    ...(d.fixes ? { data: { fixes: d.fixes.map((f) => ({ title: f.title, edits: f.edits.map((e) => ({ uri: pathToUri(e.file), range: ranges.range(e.file, e.span), newText: e.newText })) })) } } : {}),
  };
}

/** Quick fixes the checker attached to the diagnostics in range. */
export function codeActions(diagnostics: LspDiagnostic[]): CodeAction[] {
  const actions: CodeAction[] = [];
  for (const diagnostic of diagnostics) {
    const fixes = (diagnostic.data as { fixes?: { title: string; edits: { uri: string; range: Range; newText: string }[] }[] } | undefined)?.fixes ?? [];
    for (const fix of fixes) {
      const changes: Record<string, TextEdit[]> = {};
      for (const edit of fix.edits) (changes[edit.uri] ??= []).push({ range: edit.range, newText: edit.newText });
      actions.push({ title: fix.title, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], isPreferred: fixes.length === 1, edit: { changes } });
    }
  }
  return actions;
}

const RENAMEABLE = new Set<TouchlineKind>(["field", "metric", "segment", "component", "tier", "milestone", "trigger", "template", "offer", "health-model", "event"]);

/** The symbol at an offset: a definition's name or a reference. */
export function symbolAt(checked: CheckedPlaybook, file: string, offset: number) {
  const found = checked.symbols.at(file, offset);
  if (!found) return undefined;
  return { ...found, definition: checked.symbols.lookup(found.kind, found.name) };
}

/** Where a name itself is written inside a name span: without quotes, and without a keyword before it. */
export function bareNameSpan(text: string, span: Span, name: string): Span {
  const inner = unquotedSpan(text, span);
  const at = text.slice(inner.start, inner.end).lastIndexOf(name);
  return at >= 0 ? { start: inner.start + at, end: inner.start + at + name.length } : inner;
}

export function definitionLocation(definition: Definition, ranges: Ranges): Location {
  return { uri: pathToUri(definition.file), range: ranges.range(definition.file, bareNameSpan(ranges.text(definition.file), definition.nameSpan, definition.name)) };
}

/** Whether two edits or locations start at the same place: each place is edited or listed once. */
export function samePlace(a: { range: Range }, b: { range: Range }): boolean {
  return a.range.start.line === b.range.start.line && a.range.start.character === b.range.start.character;
}

export function referenceLocations(checked: CheckedPlaybook, kind: TouchlineKind, name: string, ranges: Ranges, includeDeclaration: boolean): Location[] {
  const locations = checked.symbols.referencesTo(kind, name).map((r) => ({ uri: pathToUri(r.file), range: ranges.range(r.file, r.span) }));
  const definition = checked.symbols.lookup(kind, name);
  if (includeDeclaration && definition) locations.unshift(definitionLocation(definition, ranges));
  return locations;
}

/** Renames a definition and every reference, in every file of the playbook and in its templates. */
export function renameEdits(checked: CheckedPlaybook, kind: TouchlineKind, name: string, newName: string, ranges: Ranges): WorkspaceEdit | undefined {
  if (!RENAMEABLE.has(kind)) return undefined;
  const changes: Record<string, TextEdit[]> = {};
  const add = (file: string, span: Span) => {
    const edits = (changes[pathToUri(file)] ??= []);
    const range = ranges.range(file, span);
    if (!edits.some((e) => samePlace(e, { range }))) edits.push({ range, newText: newName });
  };
  for (const definition of checked.symbols.definitions.filter((d) => d.kind === kind && d.name === name)) add(definition.file, bareNameSpan(ranges.text(definition.file), definition.nameSpan, definition.name));
  for (const reference of checked.symbols.referencesTo(kind, name)) add(reference.file, reference.span);
  if (kind === "field") renameInTemplates(checked, name, newName, changes, ranges);
  return { changes };
}

/** Fields, metrics and segments share one namespace: an expression names any of them alike. */
const EXPRESSION_KINDS = new Set<string>(["field", "metric", "segment"]);

/** Why a rename cannot be done, if it cannot: a new name that is not a name, is reserved, or is taken. */
export function renameRefusal(checked: CheckedPlaybook, kind: TouchlineKind, name: string, newName: string): string | undefined {
  if (newName === name) return undefined;
  // Templates, offers and event types may also use - and . (they are written in quotes); everything else is a plain name.
  const resource = kind === "template" || kind === "offer" || kind === "event";
  if (resource ? !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(newName) : !/^[A-Za-z_][A-Za-z0-9_]*$/.test(newName)) return `\`${newName}\` is not a valid name: use letters, digits and _${resource ? ", - and ." : ", not starting with a digit"}`;
  if (RESERVED_NAMES.has(newName) || RESERVED_WORDS.has(newName)) return `\`${newName}\` is a reserved word and cannot be a name`;
  const taken = checked.symbols.definitions.find((d) => d.name === newName && (d.kind === kind || (EXPRESSION_KINDS.has(d.kind) && EXPRESSION_KINDS.has(kind))));
  if (taken) return `a ${taken.kind} named \`${newName}\` already exists: choose another name`;
  // Names expressions already give a meaning: \`health.score\` is the score, not a component named score.
  if (EXPRESSION_KINDS.has(kind) && BUILT_IN_NAMES.has(newName)) return `\`${newName}\` is a built-in name (health, tier, onboarding): choose another name`;
  if (kind === "component" && (HEALTH_MEMBERS as readonly string[]).includes(newName)) return `\`health.${newName}\` already means something (${HEALTH_MEMBERS.join(", ")}): choose another name`;
  if (kind === "milestone" && (ONBOARDING_MEMBERS as readonly string[]).includes(newName)) return `\`onboarding.${newName}\` already means something (${ONBOARDING_MEMBERS.join(", ")}): choose another name`;
  return undefined;
}

const RESERVED_WORDS = new Set(["and", "or", "not", "in", "true", "false", "null", "else"]);
const BUILT_IN_NAMES = new Set(["health", "tier", "onboarding"]);

/**
 * `{{ account.<field> }}` in template texts and template files follows a
 * renamed field. (Texts the file holds as written are references in the
 * symbol table already; this finds them in texts spread over lines too, each
 * place edited once.)
 */
function renameInTemplates(checked: CheckedPlaybook, name: string, newName: string, changes: Record<string, TextEdit[]>, ranges: Ranges): void {
  const pattern = new RegExp(`(\\{\\{[^}]*\\baccount\\.)${name}\\b`, "g");
  for (const definition of checked.symbols.definitions.filter((d) => d.kind === "template")) {
    const template = checked.model.templates?.[definition.name];
    for (const key of ["subject", "body", "text"] as const) {
      const located = checked.sources.locate(["templates", definition.name, key]);
      if (!located.exact || template?.[key] === undefined) continue;
      const text = located.map.source.text.slice(located.entry.span.start, located.entry.span.end);
      for (const match of text.matchAll(pattern)) {
        const edits = (changes[pathToUri(located.map.source.path)] ??= []);
        const start = located.entry.span.start + match.index! + match[1]!.length;
        const range = ranges.range(located.map.source.path, { start, end: start + name.length });
        if (!edits.some((e) => samePlace(e, { range }))) edits.push({ range, newText: newName });
      }
    }
    const file = templateFilePath(checked, definition.name);
    if (file) {
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch {
        continue;
      }
      const source = new SourceFile(file, text);
      for (const match of text.matchAll(pattern)) {
        const start = match.index! + match[1]!.length;
        (changes[pathToUri(file)] ??= []).push({ range: source.rangeOf({ start, end: start + name.length }), newText: newName });
      }
    }
  }
}

export function canRename(kind: TouchlineKind): boolean {
  return RENAMEABLE.has(kind);
}

/** Hover text: a definition's type and description, a function's signature, a keyword's meaning. */
export function hover(checked: CheckedPlaybook, document: TextDocument, file: string, offset: number): Hover | undefined {
  const ranges = new Ranges(checked);
  const symbol = symbolAt(checked, file, offset);
  if (symbol) {
    const definition = symbol.definition;
    const lines = [`**${symbol.kind.replace("-", " ")}** \`${symbol.name}\`${definition?.type ? `: \`${definition.type}\`` : ""}`];
    if (definition?.description) lines.push("", definition.description);
    if (symbol.kind === "metric") {
      const spec = checked.model.metrics?.[symbol.name];
      const text = typeof spec === "string" ? spec : spec?.value;
      if (text) lines.push("", "```", `metric ${symbol.name} = ${text.trim()}`, "```");
    }
    if (symbol.kind === "component") {
      for (const [model, spec] of checked.environment.healthModels) {
        const weight = spec.components?.[symbol.name]?.weight;
        if (!weight) continue;
        const normalised = normalisedWeights(spec).get(symbol.name) ?? 0;
        lines.push("", `${model === "default" ? "health" : `health model ${model}`}: weight ${weight}, ${Number(normalised.toFixed(1))}% of the score`);
      }
    }
    const kpi = KPI_DOCS[symbol.name];
    if (kpi) lines.push("", `KPI: ${kpi}`);
    return { contents: { kind: MarkupKind.Markdown, value: lines.join("\n") }, range: ranges.range(file, symbol.span) };
  }
  const text = document.getText();
  const word = wordAt(text, offset);
  if (!word) return undefined;
  const range = { start: document.positionAt(word.start), end: document.positionAt(word.end) };
  const spec = FUNCTIONS.get(word.text);
  if (spec && text[word.end] === "(") return { contents: { kind: MarkupKind.Markdown, value: `\`\`\`\n${spec.signature}\n\`\`\`\n${spec.doc}` }, range };
  const before = text.slice(Math.max(0, word.start - 7), word.start);
  if (before.endsWith("health.") || before.endsWith("boarding.")) {
    const member = checked.environment.resolve([before.endsWith("health.") ? "health" : "onboarding", word.text]);
    if (member) return { contents: { kind: MarkupKind.Markdown, value: `\`${word.text}\`: \`${member.type.name}${member.type.nullable ? "?" : ""}\`${member.description ? `\n\n${member.description}` : ""}` }, range };
  }
  const keyword = KEYWORD_DOCS[word.text];
  if (keyword) return { contents: { kind: MarkupKind.Markdown, value: keyword }, range };
  const kpi = KPI_DOCS[word.text.toLowerCase()];
  if (kpi) return { contents: { kind: MarkupKind.Markdown, value: kpi }, range };
  return undefined;
}

export function wordAt(text: string, offset: number): { text: string; start: number; end: number } | undefined {
  let start = offset;
  let end = offset;
  while (start > 0 && /[A-Za-z0-9_]/.test(text[start - 1]!)) start--;
  while (end < text.length && /[A-Za-z0-9_]/.test(text[end]!)) end++;
  return end > start ? { text: text.slice(start, end), start, end } : undefined;
}

/** The function call around the cursor and which argument is being typed. */
export function signatureHelp(text: string, offset: number): SignatureHelp | undefined {
  let depth = 0;
  let commas = 0;
  for (let i = offset - 1; i >= 0 && i > offset - 2000; i--) {
    const c = text[i]!;
    if (c === "\n" && depth === 0 && /^\s*(metric|segment|trigger|health|when|goal)\b/.test(text.slice(i + 1))) break;
    if (c === ")") depth++;
    else if (c === "(") {
      if (depth === 0) {
        const name = /([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(text.slice(Math.max(0, i - 40), i))?.[1];
        const spec = name ? FUNCTIONS.get(name) : undefined;
        if (!spec) return undefined;
        return {
          signatures: [{ label: spec.signature, documentation: { kind: MarkupKind.Markdown, value: spec.doc }, parameters: spec.params.map((p) => ({ label: p.name })) }],
          activeSignature: 0,
          activeParameter: Math.min(commas, Math.max(0, spec.params.length - 1)),
        };
      }
      depth--;
    } else if (c === "," && depth === 0) commas++;
  }
  return undefined;
}

const OUTLINE_KINDS: Partial<Record<TouchlineKind, SymbolKind>> = {
  field: SymbolKind.Field,
  event: SymbolKind.Event,
  metric: SymbolKind.Variable,
  segment: SymbolKind.Boolean,
  "health-model": SymbolKind.Module,
  component: SymbolKind.Property,
  tier: SymbolKind.EnumMember,
  milestone: SymbolKind.Key,
  trigger: SymbolKind.Function,
  template: SymbolKind.File,
  offer: SymbolKind.Object,
};

/** The outline: each definition in this file, components under their health model. */
export function documentSymbols(checked: CheckedPlaybook, file: string): DocumentSymbol[] {
  const ranges = new Ranges(checked);
  const own = checked.symbols.definitions.filter((d) => d.file === file && OUTLINE_KINDS[d.kind] !== undefined);
  const symbol = (d: Definition): DocumentSymbol => ({
    name: d.name,
    detail: d.type ?? d.kind,
    kind: OUTLINE_KINDS[d.kind]!,
    range: ranges.range(file, d.span),
    selectionRange: ranges.range(file, d.nameSpan),
    children: [],
  });
  const models = new Map<string, DocumentSymbol>();
  const result: DocumentSymbol[] = [];
  for (const d of own) {
    if (d.kind === "component") continue;
    const s = symbol(d);
    if (d.kind === "health-model") models.set(d.path.join("/"), s);
    result.push(s);
  }
  for (const d of own.filter((x) => x.kind === "component")) {
    const owner = models.get(d.path.slice(0, -2).join("/"));
    if (owner) owner.children!.push(symbol(d));
    else result.push(symbol(d));
  }
  return result;
}

/** The normalised weight of each health component, after its weight. */
export function inlayHints(checked: CheckedPlaybook, file: string): InlayHint[] {
  const ranges = new Ranges(checked);
  const hints: InlayHint[] = [];
  for (const [model, spec] of checked.environment.healthModels) {
    const normalised = normalisedWeights(spec);
    for (const name of Object.keys(spec.components ?? {})) {
      const path = [...healthModelPath(model), "components", name, "weight"];
      const located = checked.sources.locate(path);
      if (!located.exact || located.map.source.path !== file || percentValue(spec.components?.[name]?.weight) === undefined) continue;
      const share = normalised.get(name) ?? 0;
      hints.push({ position: ranges.range(file, located.entry.span).end, label: ` = ${Number(share.toFixed(1))}% of the score`, kind: InlayHintKind.Parameter, paddingLeft: false });
    }
  }
  return hints;
}

/** The definitions of one playbook whose names contain `query` (any case), for workspace/symbol. */
export function workspaceSymbols(checked: CheckedPlaybook, file: string, query: string): SymbolInformation[] {
  const ranges = new Ranges(checked);
  const wanted = query.toLowerCase();
  return checked.symbols.definitions
    .filter((d) => d.file === file && OUTLINE_KINDS[d.kind] !== undefined && d.name.toLowerCase().includes(wanted))
    .map((d) => ({ name: d.name, kind: OUTLINE_KINDS[d.kind]!, containerName: `${d.kind} in ${checked.model.playbook ?? file}`, location: definitionLocation(d, ranges) }));
}

/** The playbook an `extends` path names, when `offset` is on that path in `file`: for go to definition and hover. */
export function baseAt(checked: CheckedPlaybook, file: string, offset: number): { path: string; name: string | undefined; span: Span } | undefined {
  const own = checked.layers.find((layer) => layer.source.path === file);
  const written = own?.data?.extends;
  if (!own || typeof written !== "string") return undefined;
  const span = own.map.valueSpan(["extends"]);
  if (offset < span.start || offset > span.end) return undefined;
  const path = resolve(dirname(file), written);
  const base = checked.layers.find((layer) => layer.source.path === path);
  return { path, name: typeof base?.data?.playbook === "string" ? base.data.playbook : undefined, span };
}

/** Where a template's `file` is on disk (relative to the playbook file that names it), if it has one. */
function templateFilePath(checked: CheckedPlaybook, name: string): string | undefined {
  const file = checked.model.templates?.[name]?.file;
  if (typeof file !== "string") return undefined;
  return resolve(dirname(checked.sources.locate(["templates", name, "file"]).map.source.path), file);
}

/** Every template file a playbook uses. */
export function templateFilesOf(checked: CheckedPlaybook): Set<string> {
  return new Set(Object.keys(checked.model.templates ?? {}).flatMap((name) => templateFilePath(checked, name) ?? []));
}

/** A template's `file` value under the cursor: the template file itself, to open. */
export function templateFileAt(checked: CheckedPlaybook, file: string, offset: number): Location | undefined {
  for (const [name, template] of Object.entries(checked.model.templates ?? {})) {
    if (typeof template?.file !== "string") continue;
    const located = checked.sources.locate(["templates", name, "file"]);
    if (!located.exact || located.map.source.path !== file || offset < located.entry.span.start || offset > located.entry.span.end) continue;
    const target = resolve(dirname(file), template.file);
    return { uri: pathToUri(target), range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } };
  }
  return undefined;
}
