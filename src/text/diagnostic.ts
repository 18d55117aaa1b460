import type { Range, Span } from "./source.js";

export type Severity = "error" | "warning" | "info";

/** A text edit a quick fix proposes: replace `span` of `file` with `newText`. */
export interface TextEdit {
  file: string;
  span: Span;
  newText: string;
}

export interface Fix {
  title: string;
  edits: TextEdit[];
}

/**
 * One finding about a playbook: a stable code, a message a CS ops person can
 * act on, and the exact place. `fixes` carries ready edits so the editor can
 * offer them as quick fixes without re-deriving the checker's reasoning.
 */
export interface Diagnostic {
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  file: string;
  span: Span;
  range: Range;
  fixes?: Fix[];
}

/** The catalogue: every code the checker can emit, its default severity and what it means. */
export const DIAGNOSTIC_CODES = {
  TL1001: { severity: "error", title: "unexpected character" },
  TL1002: { severity: "error", title: "syntax error" },
  TL1003: { severity: "error", title: "unterminated string" },
  TL1004: { severity: "error", title: "YAML syntax error" },
  TL1005: { severity: "error", title: "invalid number" },
  TL1006: { severity: "error", title: "invalid date" },
  TL1007: { severity: "error", title: "invalid duration" },
  TL1008: { severity: "error", title: "expression too deep" },
  TL2001: { severity: "error", title: "duplicate name" },
  TL2002: { severity: "error", title: "unknown type" },
  TL2003: { severity: "error", title: "unknown name" },
  TL2004: { severity: "error", title: "unknown function" },
  TL2005: { severity: "error", title: "wrong arguments" },
  TL2006: { severity: "error", title: "type mismatch" },
  TL2007: { severity: "error", title: "value may be missing" },
  TL2008: { severity: "error", title: "condition is not true/false" },
  TL2009: { severity: "error", title: "value not in enum" },
  TL2010: { severity: "error", title: "unknown template" },
  TL2011: { severity: "error", title: "unknown offer" },
  TL2012: { severity: "error", title: "unknown tier" },
  TL2013: { severity: "error", title: "unknown segment" },
  TL2014: { severity: "error", title: "unknown milestone" },
  TL2015: { severity: "error", title: "definitions depend on each other in a cycle" },
  TL2016: { severity: "error", title: "milestone dependency cycle" },
  TL2017: { severity: "error", title: "unknown event type" },
  TL2018: { severity: "error", title: "reserved name" },
  TL2019: { severity: "error", title: "unknown health model" },
  TL2020: { severity: "error", title: "base playbook cannot be loaded" },
  TL2021: { severity: "error", title: "invalid override target" },
  TL2022: { severity: "error", title: "invalid default value" },
  TL2023: { severity: "error", title: "event aggregate cannot be computed by the data engine" },
  TL2024: { severity: "error", title: "template syntax error" },
  TL3001: { severity: "error", title: "missing required setting" },
  TL3002: { severity: "error", title: "unknown setting" },
  TL3003: { severity: "error", title: "wrong kind of value" },
  TL3004: { severity: "error", title: "value not allowed" },
  TL3005: { severity: "error", title: "badly formed value" },
  TL4001: { severity: "warning", title: "health weights do not sum to 100%" },
  TL4002: { severity: "error", title: "tier rule after `otherwise` can never match" },
  TL4003: { severity: "warning", title: "tier rule shadowed by an earlier rule" },
  TL4004: { severity: "warning", title: "email trigger without cooldown or entry limit" },
  TL4005: { severity: "error", title: "status bands out of order" },
  TL4006: { severity: "warning", title: "no default tier" },
  TL4007: { severity: "error", title: "trigger has both actions and steps" },
  TL4008: { severity: "error", title: "ambiguous health model precedence" },
  TL4009: { severity: "error", title: "trigger has no actions" },
  TL4010: { severity: "warning", title: "health component with zero weight" },
  TL4011: { severity: "error", title: "entry limit that cannot limit" },
  TL4012: { severity: "warning", title: "email without an unsubscribe link" },
} as const satisfies Record<string, { severity: Severity; title: string }>;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  if (a.span.start !== b.span.start) return a.span.start - b.span.start;
  if (a.code !== b.code) return a.code < b.code ? -1 : 1;
  return a.message < b.message ? -1 : a.message > b.message ? 1 : 0;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}
