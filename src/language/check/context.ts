import type { Expr } from "../../expression/ast.js";
import { checkExpression, type CheckedExpression, type CheckEnvironment, type CheckOptions, type QuickFix } from "../../expression/check.js";
import { parseExpression } from "../../expression/parse.js";
import type { Playbook } from "../../model/playbook.js";
import type { Diagnostic, DiagnosticCode, Fix } from "../../text/diagnostic.js";
import { createDiagnostic, type ReportOptions } from "../../text/diagnostic-sink.js";
import type { SourceFile, Span } from "../../text/source.js";
import type { ReadFile } from "../document.js";
import { pathKey, type LayeredSourceMap, type ModelPath } from "../source-map.js";
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
    const source = map.source;
    const offsets = exact && entry.textOffset === undefined ? entry.textOffsets : undefined;
    // Spread over lines: each character's own place in the file.
    const mapped = (span: Span): Span => {
      const last = offsets![Math.max(span.start, span.end - 1)] ?? offsets![offsets!.length - 1]!;
      return { start: offsets![span.start] ?? last, end: last + 1 };
    };
    const verbatim = exact && (entry.textOffset !== undefined || offsets !== undefined);
    const base = exact && entry.textOffset !== undefined ? entry.textOffset : 0;
    const place = (span: Span): Span => (!verbatim ? entry.span : offsets ? mapped(span) : span);
    const parsed = parseExpression(text, base);
    for (const problem of parsed.problems) {
      const fixes = problem.replacement !== undefined && verbatim ? [this.fix(`Change to \`${problem.replacement}\``, source, place(problem.span), problem.replacement)] : [];
      this.reportAt(problem.code, source, place(problem.span), problem.message, { fixes });
    }
    const reporter = (code: DiagnosticCode, span: Span, message: string, quickFix?: QuickFix) =>
      this.reportAt(code, source, place(span), message, {
        fixes: quickFix && verbatim ? [this.fix(quickFix.title, source, place(quickFix.span), quickFix.newText)] : [],
      });
    // The environment itself, seen through an object that adds where references are recorded (no copy of it per expression).
    const scopedEnv = Object.create(env) as CheckEnvironment;
    scopedEnv.onReference = (ref, info) => {
      env.onReference?.(ref, info);
      if (!verbatim) return;
      const target = referenceTarget(ref.path, info.kind);
      if (target) this.symbols.reference({ kind: target.kind, name: target.name, file: source.path, span: place(ref.segmentSpans[target.segment]!) });
    };
    const checked = checkExpression(parsed.expr, scopedEnv, reporter, options);
    const result = { ...checked, expr: parsed.expr, path };
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
