import { DIAGNOSTIC_CODES, type Diagnostic, type DiagnosticCode, type Fix, type Severity } from "./diagnostic.js";
import type { SourceFile, Span } from "./source.js";

export interface ReportOptions {
  severity?: Severity;
  fixes?: Fix[];
}

/** A diagnostic at a span of a source file, its range computed from the file and its severity from the catalogue. */
export function createDiagnostic(source: SourceFile, code: DiagnosticCode, span: Span, message: string, options: ReportOptions = {}): Diagnostic {
  return {
    code,
    severity: options.severity ?? DIAGNOSTIC_CODES[code].severity,
    message,
    file: source.path,
    span,
    range: source.rangeOf(span),
    ...(options.fixes && options.fixes.length > 0 ? { fixes: options.fixes } : {}),
  };
}

/**
 * Collects diagnostics for one source file; every stage (lexer, parser,
 * schema, checker) reports through one, so ranges are computed the same way.
 */
export class DiagnosticSink {
  readonly items: Diagnostic[] = [];

  constructor(readonly source: SourceFile) {}

  report(code: DiagnosticCode, span: Span, message: string, options: ReportOptions = {}): void {
    this.items.push(createDiagnostic(this.source, code, span, message, options));
  }

  /** A quick fix that replaces one span of this file. */
  replaceFix(title: string, span: Span, newText: string): Fix {
    return { title, edits: [{ file: this.source.path, span, newText }] };
  }
}
