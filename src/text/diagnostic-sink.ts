import { DIAGNOSTIC_CODES, type Diagnostic, type DiagnosticCode, type Fix, type Severity } from "./diagnostic.js";
import type { SourceFile, Span } from "./source.js";

/**
 * Collects diagnostics for one source file; every stage (lexer, parser,
 * schema, checker) reports through one, so ranges are computed the same way.
 */
export class DiagnosticSink {
  readonly items: Diagnostic[] = [];

  constructor(readonly source: SourceFile) {}

  report(code: DiagnosticCode, span: Span, message: string, options: { severity?: Severity; fixes?: Fix[] } = {}): void {
    this.items.push({
      code,
      severity: options.severity ?? DIAGNOSTIC_CODES[code].severity,
      message,
      file: this.source.path,
      span,
      range: this.source.rangeOf(span),
      ...(options.fixes && options.fixes.length > 0 ? { fixes: options.fixes } : {}),
    });
  }

  /** A quick fix that replaces one span of this file. */
  replaceFix(title: string, span: Span, newText: string): Fix {
    return { title, edits: [{ file: this.source.path, span, newText }] };
  }
}
