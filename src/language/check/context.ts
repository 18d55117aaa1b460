import { walkExpr, type Expr, type RefNode } from "../../expression/ast.js";
import { FUNCTIONS } from "../../expression/functions.js";
import type { CheckedExpression, CheckEnvironment, CheckOptions, NameInfo, QuickFix } from "../../expression/check.js";
import { parseExpression } from "../../expression/parse.js";
import type { Playbook } from "../../model/playbook.js";
import type { Diagnostic, DiagnosticCode, Fix } from "../../text/diagnostic.js";
import { createDiagnostic, type ReportOptions } from "../../text/diagnostic-sink.js";
import type { SourceFile, Span } from "../../text/source.js";
import type { ReadFile } from "../document.js";
import { checkReusing } from "./reuse.js";
import { pathKey, type LayeredSourceMap, type ModelPath, type SourceEntry } from "../source-map.js";
import type { SymbolKind, SymbolTable } from "../symbols.js";

/** An expression of the playbook after checking: what the engine compiles. */
export interface CheckedPlaybookExpression extends CheckedExpression {
  expr: Expr;
  path: ModelPath;
}

/**
 * What every check works with: the merged model, where each node was
 * written, the diagnostics so far and the symbol table being filled.
 */
export class CheckContext {
  readonly diagnostics: Diagnostic[] = [];
  readonly expressions = new Map<string, CheckedPlaybookExpression>();

  private readonly rejected: string[];
  private readonly rejectedKeys: Set<string>;

  constructor(
    readonly model: Playbook,
    readonly sources: LayeredSourceMap,
    readonly symbols: SymbolTable,
    readonly readFile: ReadFile,
    rejected: Iterable<string> = [],
  ) {
    this.rejected = [...rejected];
    this.rejectedKeys = new Set(this.rejected);
  }

  /** Whether the schema already rejected something at or below `path`: then "missing" would only repeat it. */
  wasRejectedWithin(path: ModelPath): boolean {
    const key = pathKey(path);
    return this.rejected.some((r) => r === key || r.startsWith(`${key}/`));
  }

  /** The names under `section` whose values the schema rejected (a field written with no type yet). */
  rejectedNames(section: string): string[] {
    return this.rejected.filter((key) => key.startsWith(`${section}/`)).map((key) => key.split("/")[1]!);
  }

  /** Where a path was written: its file and the span of its value or name. */
  locate(path: ModelPath, at: "key" | "value" = "value"): { source: SourceFile; span: Span } {
    const { map, entry } = this.sources.locate(path);
    return { source: map.source, span: at === "key" ? entry.keySpan ?? entry.span : entry.span };
  }

  report(code: DiagnosticCode, path: ModelPath, message: string, options: ReportOptions & { at?: "key" | "value" } = {}): void {
    const { source, span } = this.locate(path, options.at ?? "value");
    this.reportAt(code, source, span, message, options);
  }

  reportAt(code: DiagnosticCode, source: SourceFile, span: Span, message: string, options: ReportOptions = {}): void {
    this.diagnostics.push(createDiagnostic(source, code, span, message, options));
  }

  /** A fix that replaces the text at `span` of `source`. */
  fix(title: string, source: SourceFile, span: Span, newText: string): Fix {
    return { title, edits: [{ file: source.path, span, newText }] };
  }

  /**
   * Parses and type-checks the expression stored at `path`. Its diagnostics
   * point inside the expression when the file holds it verbatim, else at the
   * whole value. Each expression is checked once; later calls reuse it.
   */
  checkExpressionAt(path: ModelPath, env: CheckEnvironment, options: CheckOptions = {}): CheckedPlaybookExpression | undefined {
    const key = pathKey(path);
    const cached = this.expressions.get(key);
    if (cached) return cached;
    // Rejected by the schema, or written where the parser could not read it: already reported.
    if (this.rejectedKeys.has(key)) return undefined;
    const text = valueAt(this.model, path);
    if (typeof text !== "string") return undefined;
    const { map, entry, exact } = this.sources.locate(path);
    const site = new ExpressionSite(this, env, map.source, entry, exact);
    const parsed = parseExpression(text, site.base);
    for (const problem of parsed.problems) {
      site.report(problem.code, problem.span, problem.message, problem.replacement !== undefined ? { title: `Change to \`${problem.replacement}\``, span: problem.span, newText: problem.replacement } : undefined);
    }
    const checked = checkReusing(parsed.expr, site, site.report, options);
    if (checked.usesEvents) site.referenceEvents(parsed.expr);
    let result = finished.get(checked);
    if (result?.expr !== parsed.expr || result.path.length !== path.length || result.path.some((part, i) => part !== path[i])) {
      result = { ...checked, expr: parsed.expr, path };
      finished.set(checked, result);
    }
    this.expressions.set(key, result);
    return result;
  }

  /** Records a by-name reference written as a plain value (a template name, a tier in `for`). */
  referenceValue(kind: SymbolKind, name: string, path: ModelPath): void {
    const { map, entry, exact } = this.sources.locate(path);
    if (!exact) return;
    this.symbols.reference({ kind, name, file: map.source.path, span: unquotedSpan(map.source.text, entry.span) });
  }
}

/** The checked expression as the playbook's check hands it out, by the check it came from: a reused check reuses it too. */
const finished = new WeakMap<CheckedExpression, CheckedPlaybookExpression>();

/**
 * Where one expression of the playbook is written, and the environment its
 * check sees: the playbook's names, with each reference recorded in the
 * symbol table at its place in the file. One object per expression, made
 * for every expression on every check.
 */
class ExpressionSite implements CheckEnvironment {
  readonly base: number;
  /** the file holds the expression as written: spans inside it can be pointed at */
  private readonly verbatim: boolean;
  /** each character's place in the file, for an expression spread over lines */
  private readonly offsets: readonly number[] | undefined;
  readonly unknownNameHint: string | undefined;

  constructor(
    private readonly ctx: CheckContext,
    private readonly env: CheckEnvironment,
    private readonly source: SourceFile,
    private readonly entry: SourceEntry,
    exact: boolean,
  ) {
    this.offsets = exact && entry.textOffset === undefined ? entry.textOffsets : undefined;
    this.verbatim = exact && (entry.textOffset !== undefined || this.offsets !== undefined);
    this.base = exact && entry.textOffset !== undefined ? entry.textOffset : 0;
    this.unknownNameHint = env.unknownNameHint;
    if (env.onFilterReference) this.onFilterReference = env.onFilterReference.bind(env);
  }

  onFilterReference?: CheckEnvironment["onFilterReference"];

  get eventTypes() {
    return this.env.eventTypes;
  }

  resolve(path: readonly string[]) {
    return this.env.resolve(path);
  }

  namesUnder(prefix: readonly string[]) {
    return this.env.namesUnder(prefix);
  }

  onReference(ref: RefNode, info: NameInfo): void {
    this.env.onReference?.(ref, info);
    if (!this.verbatim) return;
    const target = referenceTarget(ref.path, info.kind);
    if (target) this.ctx.symbols.reference({ kind: target.kind, name: target.name, file: this.source.path, span: this.place(ref.segmentSpans[target.segment]!) });
  }

  /** The event types named by aggregates (`count("login", 7d)`): references, so that they are found, followed and renamed. */
  referenceEvents(expr: Expr): void {
    if (!this.verbatim) return;
    walkExpr(expr, (node) => {
      if (node.kind !== "call" || FUNCTIONS.get(node.name)?.params[0]?.kind !== "event") return;
      const event = node.args[0];
      if (event?.kind !== "string" || event.span.end - event.span.start !== event.value.length + 2) return;
      this.ctx.symbols.reference({ kind: "event", name: event.value, file: this.source.path, span: this.place({ start: event.span.start + 1, end: event.span.end - 1 }) });
    });
  }

  readonly report = (code: DiagnosticCode, span: Span, message: string, quickFix?: QuickFix): void => {
    this.ctx.reportAt(code, this.source, this.place(span), message, {
      fixes: quickFix && this.verbatim ? [this.ctx.fix(quickFix.title, this.source, this.place(quickFix.span), quickFix.newText)] : [],
    });
  };

  private place(span: Span): Span {
    if (!this.verbatim) return this.entry.span;
    const offsets = this.offsets;
    if (!offsets) return span;
    const last = offsets[Math.max(span.start, span.end - 1)] ?? offsets[offsets.length - 1]!;
    return { start: offsets[span.start] ?? last, end: last + 1 };
  }
}

/** The span of a name without the quotes a `.play` file writes around it. */
export function unquotedSpan(text: string, span: Span): Span {
  const first = text[span.start];
  if ((first === '"' || first === "'") && span.end - span.start >= 2 && text[span.end - 1] === first) return { start: span.start + 1, end: span.end - 1 };
  return span;
}

function referenceTarget(path: readonly string[], kind: string): { kind: SymbolKind; name: string; segment: number } | undefined {
  if (path.length === 1 && (kind === "field" || kind === "metric" || kind === "segment")) return { kind, name: path[0]!, segment: 0 };
  if (path.length === 2 && (kind === "component" || kind === "milestone")) return { kind, name: path[1]!, segment: 1 };
  return undefined;
}

/** The value at a path of the model, or undefined. */
export function valueAt(model: unknown, path: ModelPath): unknown {
  let current = model;
  for (const part of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string, unknown>)[String(part)];
  }
  return current;
}
