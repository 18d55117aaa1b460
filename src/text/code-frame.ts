import type { Diagnostic } from "./diagnostic.js";
import type { SourceFile } from "./source.js";

export interface Paint {
  red(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

export const noPaint: Paint = { red: (t) => t, yellow: (t) => t, cyan: (t) => t, dim: (t) => t, bold: (t) => t };

/**
 * A diagnostic as a person reads it in a terminal: `file:line:col`, severity,
 * code, message, then the lines around it with the range underlined.
 */
export function renderDiagnostic(diagnostic: Diagnostic, source: SourceFile | undefined, paint: Paint = noPaint, displayPath = diagnostic.file): string {
  const { start, end } = diagnostic.range;
  const severity = diagnostic.severity === "error" ? paint.red("error") : diagnostic.severity === "warning" ? paint.yellow("warning") : paint.cyan("info");
  const head = `${paint.bold(`${displayPath}:${start.line + 1}:${start.character + 1}`)} ${severity} ${paint.dim(diagnostic.code)} ${diagnostic.message}`;
  if (!source) return head;
  const lines: string[] = [head];
  const first = Math.max(0, start.line - 1);
  const last = Math.min(source.lineCount - 1, end.line + 1, start.line + 3);
  const width = String(last + 1).length;
  for (let line = first; line <= last; line++) {
    const text = source.lineText(line).replace(/\t/g, " ");
    const marker = line >= start.line && line <= end.line ? ">" : " ";
    lines.push(paint.dim(`${marker} ${String(line + 1).padStart(width)} | `) + text);
    if (line >= start.line && line <= end.line) {
      const from = line === start.line ? start.character : 0;
      const to = line === end.line ? end.character : text.length;
      const carets = "^".repeat(Math.max(1, to - from));
      lines.push(paint.dim(`  ${" ".repeat(width)} | `) + " ".repeat(from) + (diagnostic.severity === "error" ? paint.red(carets) : paint.yellow(carets)));
    }
  }
  return lines.join("\n");
}
